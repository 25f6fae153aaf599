"""One rank of ``ember run --nproc-per-node N``: mpiexec starts this module in each process.

It sets RANK and LOCAL_RANK from MPI's launcher, runs the script as ``ember run`` does, and on
an uncaught exception leaves a line for the launcher's report.
"""

import os
import sys

from .. import __main__ as cli
from . import _mpi


def main(argv):
    rank, size = _mpi.launched_by_mpi() or (0, 1)
    local = int(os.environ.get("MPI_LOCALRANKID", rank))
    node = int(os.environ.get("GROUP_RANK", "0"))
    os.environ.update(RANK=str(node * size + rank), LOCAL_RANK=str(local),
                      ROLE_RANK=str(rank), ROLE_WORLD_SIZE=str(size))
    errors = os.environ.get("EMBER_RUN_ERRORS")
    previous = sys.excepthook

    def hook(tp, value, tb):
        previous(tp, value, tb)
        if errors:
            with open(os.path.join(errors, f"{rank}.err"), "w") as f:
                f.write(f"{tp.__name__}: {value}")

    sys.excepthook = hook
    return cli.main(["run", *argv])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
