"""One process of ``ember.multiprocessing.spawn``: mpiexec starts this module in each.

It prepares the interpreter as multiprocessing's spawn does (sys.path, working directory,
the main script imported as ``__mp_main__``), then runs ``fn(rank, *args)``. An exception is
written, with its traceback, where the parent reads it.
"""

import multiprocessing.spawn as _mp_spawn
import os
import pickle
import sys
import traceback

from ..distributed import _mpi


def main(payload):
    rank = (_mpi.launched_by_mpi() or (0, 1))[0]
    with open(payload, "rb") as f:
        setup = pickle.load(f)
        if setup["alias"]:
            from .._import_hook import install_torch_alias

            install_torch_alias()
        _mp_spawn.prepare(setup["prep"])
        fn, args = pickle.load(f)
    try:
        fn(rank, *args)
    except KeyboardInterrupt:
        return 130
    except BaseException as exc:
        text = traceback.format_exc()
        stopped = isinstance(exc, RuntimeError) and str(exc).startswith(
            "Connection closed by peer")
        where = os.path.join(os.path.dirname(payload), f"{rank}.err")
        with open(where, "wb") as f:
            pickle.dump((text, stopped), f)
        sys.stderr.write(text)
        _mpi.fail(f"{type(exc).__name__}: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
