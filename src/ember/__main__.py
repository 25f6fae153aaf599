"""The `ember` command line.

    ember run script.py [args...]     run a PyTorch script on ember, unchanged
    python -m ember run script.py     the same, without the console script
    ember run --nproc-per-node 2 script.py    two ranks for ember.distributed (torchrun's flags)
"""

import os
import sys

USAGE = """\
usage: ember [--help] [--version] <command> ...

ember: a PyTorch-compatible autograd library on NumPy.

commands:
  run SCRIPT [ARGS...]   run a script written for PyTorch on ember: inside it,
                         `import torch` (and torch.nn, torch.optim, ...) loads ember
  run --explain SCRIPT   the same, with autograd's diagnostics on; a summary of
                         what they found is printed at the end
  run --nproc-per-node N SCRIPT [ARGS...]
                         run N ranks of the script for ember.distributed, as torchrun
                         does (also --nnodes, --node-rank, --master-addr, --master-port,
                         --standalone); the ranks are one MPI job started by mpiexec

options:
  -h, --help             show this message and exit
  -V, --version          show ember's version and exit

example:
  ember run examples/linear_regression.py --epochs 100
"""

RUN_USAGE = """\
usage: ember run SCRIPT [ARGS...]
       ember run --nproc-per-node N [--nnodes 1 --master-addr A --master-port P] SCRIPT [ARGS...]
       ember run --explain SCRIPT [ARGS...]

Run SCRIPT as `python SCRIPT ARGS...` would, except that `import torch` (and
torch.nn, torch.optim, ...) loads ember. ARGS reach the script untouched in sys.argv[1:].

With --nproc-per-node N (and torchrun's other flags: --nnodes, --node-rank,
--master-addr, --master-port, --standalone), start N ranks of SCRIPT as one MPI job, each
with RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT set as torchrun sets them.

  --explain   record where tensors and in-place changes come from, explain autograd
              mistakes as they happen, and print a summary of them at the end
"""


def _usage_error(message, usage=USAGE):
    sys.stderr.write(usage.split("\n\n", 1)[0] + "\n")
    sys.stderr.write(f"ember: error: {message}\n")
    return 2


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:
        return _usage_error("missing command (try `ember run script.py`)")
    command, rest = argv[0], argv[1:]
    if command in ("-h", "--help", "help"):
        sys.stdout.write(USAGE)
        return 0
    if command in ("-V", "--version"):
        from . import __version__

        sys.stdout.write(f"ember {__version__}\n")
        return 0
    if command == "run":
        return _run(rest)
    return _usage_error(f"unknown command {command!r} (choose from 'run')")


def _run(argv):
    if not argv:
        return _usage_error("missing SCRIPT to run", RUN_USAGE)
    if argv[0] in ("-h", "--help"):
        sys.stdout.write(RUN_USAGE)
        return 0
    explain = argv[0] == "--explain"
    if explain:
        argv = argv[1:]
        if not argv:
            return _usage_error("missing SCRIPT to run", RUN_USAGE)
    if argv[0].startswith("--"):
        if explain:
            return _usage_error("--explain runs one process: it does not combine with "
                                "--nproc-per-node and torchrun's other flags", RUN_USAGE)
        # torchrun's flags: start several ranks (ember.distributed's launcher)
        from .distributed import run as launcher

        return launcher.main(argv)
    script = argv[0]
    if not os.path.isfile(script):
        why = "Is a directory" if os.path.isdir(script) else "No such file or directory"
        sys.stderr.write(f"ember run: can't open file {os.path.abspath(script)!r}: {why}\n")
        return 2

    from ._import_hook import install_torch_alias

    install_torch_alias()
    # what `python script.py` sets up: an absolute __file__ (tracebacks show it too), argv, and
    # the script's own folder first on sys.path. runpy sets sys.argv[0] to the path it is given.
    script = os.path.abspath(script)
    sys.argv = [script, *argv[1:]]
    if not getattr(sys.flags, "safe_path", False):  # python -P adds no script folder either
        # sys.path[0] is the folder of whatever launched us (cwd, or the console script's bin/)
        sys.path[0:1] = [os.path.dirname(os.path.realpath(script))]

    import runpy

    diagnosing = _explaining() if explain else None
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit:
        _explain_summary(diagnosing, None)
        raise
    except BaseException as exc:
        # the default hook prints exc.__traceback__ (not its tb argument), so trim it in place
        exc.__traceback__ = _script_frames(exc, script)
        sys.excepthook(type(exc), exc, exc.__traceback__)
        _explain_summary(diagnosing, exc)
        return 130 if isinstance(exc, KeyboardInterrupt) else 1
    _explain_summary(diagnosing, None)
    return 0


def _explaining():
    """--explain: autograd's diagnose mode on for the whole script."""
    from .autograd.anomaly import diagnose

    d = diagnose()
    d.__enter__()
    return d


def _explain_summary(diagnosing, exc):
    if diagnosing is None:
        return
    diagnosing.__exit__(None, None, None)
    from .viz.diagnostics import summary

    sys.stderr.write(summary(exc))


def _script_frames(exc, script):
    # drop the frames of this runner and runpy, so the traceback starts in the user's script
    # (as with `python script.py`); keep everything if the script's frame is not found
    tb = exc.__traceback__
    start = tb
    while start is not None and start.tb_frame.f_code.co_filename != script:
        start = start.tb_next
    if start is None and isinstance(exc, SyntaxError):
        return None  # the script did not compile: python shows just the error, no frames
    return tb if start is None else start


if __name__ == "__main__":
    sys.exit(main())
