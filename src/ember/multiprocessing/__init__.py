"""ember.multiprocessing: ``spawn`` and ``start_processes``, as torch.multiprocessing's.

    def train(rank, world_size):
        dist.init_process_group("gloo", rank=rank, world_size=world_size)
        ...

    if __name__ == "__main__":
        mp.spawn(train, args=(2,), nprocs=2)

The processes are one MPI job (started by the ``mpiexec`` beside mpi4py), so
``ember.distributed`` works in them. Each imports the main script as ``__mp_main__`` (the
``if __name__ == "__main__"`` guard keeps it from spawning again), as PyTorch's spawn does.
An exception in a process comes back to the parent as ProcessRaisedException with its
traceback; a process that exits otherwise gives ProcessExitedException.
"""

import multiprocessing as _mp
import multiprocessing.spawn as _mp_spawn
import os
import pickle
import subprocess
import sys
import tempfile
import time
from multiprocessing import *  # noqa: F403 - as torch.multiprocessing, Python's names too

from .._import_hook import _finder

__all__ = [
    "ProcessContext", "ProcessExitedException", "ProcessRaisedException", "spawn",
    "start_processes", *_mp.__all__,
]


class ProcessException(Exception):
    __slots__ = ["error_index", "error_pid"]

    def __init__(self, msg, error_index, error_pid):
        super().__init__(msg)
        self.msg = msg
        self.error_index = error_index
        self.error_pid = error_pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid)


class ProcessRaisedException(ProcessException):
    """A process failed with an exception raised by the code."""


class ProcessExitedException(ProcessException):
    """A process exited with a non-zero code or a signal."""

    __slots__ = ["exit_code"]

    def __init__(self, msg, error_index, error_pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code = exit_code
        self.signal_name = signal_name

    def __reduce__(self):
        return (type(self), (self.msg, self.error_index, self.error_pid, self.exit_code,
                             self.signal_name))


class ProcessContext:
    """The running processes of ``spawn(..., join=False)``: ``join()`` waits for them."""

    def __init__(self, job, nprocs, workdir):
        self._job = job
        self._nprocs = nprocs
        self._workdir = workdir
        self._failed_at = None

    def pids(self):
        return [self._job.pid]

    def join(self, timeout=None, grace_period=None):
        """True when every process has finished; False if ``timeout`` ran out first.
        Raises the first failure as PyTorch does."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._job.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                return False
            if self._failed_at is None:
                if any(n.endswith(".err") for n in os.listdir(self._workdir.name)):
                    self._failed_at = time.monotonic()
            elif time.monotonic() - self._failed_at > 5.0:
                # a process failed and another is stuck outside MPI: end the job
                self._job.terminate()
                self._job.wait()
            time.sleep(0.01)
        try:
            self._raise_failure(self._job.returncode)
        finally:
            self._workdir.cleanup()
        return True

    def _raise_failure(self, rc):
        errors = {}
        for name in os.listdir(self._workdir.name):
            if name.endswith(".err"):
                with open(os.path.join(self._workdir.name, name), "rb") as f:
                    errors[int(name.split(".")[0])] = pickle.load(f)
        if errors:
            # the process whose own code raised, before those that stopped because of it
            index = min(errors, key=lambda r: (errors[r][1], r))
            msg = f"\n\n-- Process {index:d} terminated with the following error:\n"
            raise ProcessRaisedException(msg + errors[index][0], index, self._job.pid)
        if rc != 0:
            if rc < 0:
                import signal

                name = signal.Signals(-rc).name
                raise ProcessExitedException(f"process 0 terminated with signal {name}", 0,
                                             self._job.pid, rc, name)
            raise ProcessExitedException(f"process 0 terminated with exit code {rc:d}", 0,
                                         self._job.pid, rc)


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Run ``fn(i, *args)`` in ``nprocs`` new processes, ``i`` = 0 .. nprocs - 1."""
    from ..distributed.run import mpiexec_command

    workdir = tempfile.TemporaryDirectory(prefix="ember-spawn-")
    main = sys.modules.get("__main__")
    prep = _mp_spawn.get_preparation_data("ember-spawn")
    prep.pop("authkey", None)  # no multiprocessing connections here, and it does not pickle
    if getattr(main, "__file__", None):
        prep["init_main_from_path"] = os.path.abspath(main.__file__)
        prep.pop("init_main_from_name", None)
    payload = os.path.join(workdir.name, "payload.pkl")
    with open(payload, "wb") as f:
        pickle.dump({"prep": prep, "alias": _finder in sys.meta_path}, f)
        pickle.dump((fn, tuple(args)), f)
    cmd = mpiexec_command(nprocs, [sys.executable, "-m", "ember.multiprocessing._child",
                                   payload])
    job = subprocess.Popen(cmd)
    context = ProcessContext(job, nprocs, workdir)
    if not join:
        return context
    while not context.join():
        pass
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Run ``fn(i, *args)`` in ``nprocs`` processes, ``i`` = 0 .. nprocs - 1; with
    ``join=True`` wait for them all (and raise the first failure)."""
    if start_method != "spawn":
        import warnings

        warnings.warn(f"This method only supports start_method=spawn (got: {start_method}).\n"
                      "To use a different start_method use:\n\t\t"
                      " torch.multiprocessing.start_processes(...)", FutureWarning, stacklevel=2)
    return start_processes(fn, args, nprocs, join, daemon, start_method="spawn")
