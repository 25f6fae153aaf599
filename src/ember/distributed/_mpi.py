"""The transport under ember.distributed: mpi4py, loaded on first use, and waits that poll.

Every exchange is a non-blocking MPI call polled against the process group's timeout, so a
rank that hangs or dies turns into an error on the others instead of a silent hang. A rank
that fails tells the others on a private communicator before it exits; their next wait raises.
"""

import atexit
import importlib.util
import os
import sys
import time

from .. import _names
from .._errors import note

_MPI = None
_ctl = None          # a duplicate of COMM_WORLD that carries only failure notices
_FAIL_TAG = 7
_heard = {}          # world rank -> the failure text it sent us
_failing = False


def available():
    """Whether mpi4py (and so an MPI library) can be imported, without importing it."""
    return importlib.util.find_spec("mpi4py") is not None


def load(timeout=None):
    """mpi4py's MPI module, initialised on first use.

    MPI_Init waits for every rank of the job and holds Python's lock while it does. With
    ``timeout`` (seconds) it is called through ctypes in a thread, so that a rank that never
    starts gives an error here instead of a hang.
    """
    global _MPI
    if _MPI is None:
        try:
            import mpi4py
        except ImportError as exc:
            err = RuntimeError(_names.spell(
                "ember.distributed needs mpi4py and an MPI library, and they are not installed"))
            note(err, "Install them with `pip install ember[distributed]` (mpi4py and MPICH from "
                      "PyPI); then start the ranks with `ember run --nproc-per-node N script.py` "
                      "or `mpiexec -n N python script.py`.")
            raise err from exc
        if timeout is not None:
            mpi4py.rc.initialize = False
            mpi4py.rc.finalize = True
        from mpi4py import MPI

        if timeout is not None and not MPI.Is_initialized():
            _init_within(MPI, timeout)
        _MPI = MPI
    return _MPI


def _init_within(MPI, timeout):
    import ctypes
    import threading

    with open("/proc/self/maps") as maps:
        paths = [line.split()[-1] for line in maps if "/libmpi" in line]
    if not paths:
        MPI.Init_thread()
        return
    lib = ctypes.CDLL(paths[0])
    provided = ctypes.c_int()
    thread = threading.Thread(
        target=lambda: lib.MPI_Init_thread(None, None, MPI.THREAD_MULTIPLE,
                                           ctypes.byref(provided)), daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        atexit.register(_exit_without_finalize)
        err = RuntimeError(f"Timed out waiting {int(timeout * 1000)}ms for "
                           "init_process_group operation to complete")
        note(err, "MPI could not start: another rank of the job never reached "
                  "init_process_group (it hangs, or died before it).")
        raise err


def launched_by_mpi():
    """The (rank, size) the MPI launcher gave this process, or None when none started it."""
    for r, s in (("PMI_RANK", "PMI_SIZE"), ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"),
                 ("PMIX_RANK", "OMPI_COMM_WORLD_SIZE")):
        if r in os.environ and s in os.environ:
            return int(os.environ[r]), int(os.environ[s])
    return None


def start_watch():
    """Open the failure channel and make an uncaught exception tell the other ranks."""
    global _ctl
    if _ctl is not None:
        return
    MPI = load()
    _ctl = MPI.COMM_WORLD.Dup()
    previous = sys.excepthook

    def hook(tp, value, tb):
        previous(tp, value, tb)
        fail(f"{tp.__name__}: {value}")

    sys.excepthook = hook


def check_peers():
    """Raise if another rank has announced that it failed."""
    if _ctl is None:
        return
    MPI = _MPI
    status = MPI.Status()
    while _ctl.Iprobe(source=MPI.ANY_SOURCE, tag=_FAIL_TAG, status=status):
        src = status.Get_source()
        _heard[src] = _ctl.recv(source=src, tag=_FAIL_TAG)
    if _heard and not _failing:
        src = min(_heard)
        err = RuntimeError(f"Connection closed by peer: rank {src} failed")
        note(err, f"rank {src} stopped with: {_heard[src]}. Its own output shows the traceback; "
                  "this rank stops too, since the collective can never complete.")
        raise err


def fail(text, grace=3.0):
    """Tell every other rank that this one failed, give them a moment to report, and exit 1.

    Pending MPI requests would make MPI_Finalize hang, so the process ends without it.
    """
    global _failing
    if _ctl is None or _failing:
        return
    _failing = True
    me, size = _ctl.Get_rank(), _ctl.Get_size()
    reqs = [_ctl.isend(text, dest=r, tag=_FAIL_TAG) for r in range(size) if r != me]
    deadline = time.monotonic() + grace
    MPI = _MPI
    status = MPI.Status()
    # every other rank either fails in turn (and so tells us) or is left to the launcher
    while time.monotonic() < deadline and len(_heard) < size - 1:
        while _ctl.Iprobe(source=MPI.ANY_SOURCE, tag=_FAIL_TAG, status=status):
            src = status.Get_source()
            _heard[src] = _ctl.recv(source=src, tag=_FAIL_TAG)
        time.sleep(0.01)
    del reqs
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(1)


def _exit_without_finalize():
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(1)


def wait(requests, timeout, what, rank, status=None):
    """Poll ``requests`` (one or a list) until done; raise on timeout or a failed peer.

    ``status`` (one request only) receives the completed request's status (its sender)."""
    MPI = _MPI
    many = isinstance(requests, list)
    test = MPI.Request.Testall if many else MPI.Request.Test
    if status is not None:
        def test(request):
            return request.Test(status)
    if test(requests):
        return
    start = time.monotonic()
    deadline = start + timeout
    spins = 0
    while not test(requests):
        # Test drives MPI's progress: poll busily for the first milliseconds (a large
        # non-blocking all-reduce advances one chunk per call), then back off to sleeps
        spins += 1
        if spins % 64:
            continue
        check_peers()
        now = time.monotonic()
        if now > deadline:
            # the request stays pending, and MPI_Finalize would wait for it forever
            atexit.register(_exit_without_finalize)
            ms = int(timeout * 1000)
            err = RuntimeError(f"[Rank {rank}]: Timed out waiting {ms}ms for {what} "
                               "operation to complete")
            note(err, "another rank never reached the same collective: it hangs, died "
                      "or runs a different sequence of collectives. The process group's "
                      "timeout (init_process_group(timeout=...)) bounds this wait.")
            raise err
        if now - start > 0.02:
            time.sleep(min(0.0005, (now - start) * 0.01))
