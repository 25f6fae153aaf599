"""Process groups and collectives, as torch.distributed's, over MPI.

A process group is an MPI communicator with the ranks it holds, a backend name ("gloo" or
"mpi": both run over MPI here) and a timeout. Collectives work on the tensors' NumPy arrays
and write results in place, into the very tensors given (views and non-contiguous tensors
included), as PyTorch does. Every collective first exchanges a small fingerprint (kind, shape,
dtype), so ranks that disagree get a clear error instead of a hang or garbage.
"""

import enum
import os
import pickle
import struct
import warnings
from datetime import timedelta

import numpy as np

from .. import _dtype, _names
from .._device import device as _device_cls
from .._errors import note
from .._tensor import Tensor
from . import _mpi

__all__ = [
    "Backend", "DistBackendError", "DistError", "DistNetworkError", "DistStoreError",
    "GroupMember", "P2POp", "ProcessGroup", "ReduceOp", "Work", "all_gather",
    "all_gather_into_tensor", "all_gather_object", "all_gather_single", "all_reduce",
    "all_to_all", "all_to_all_single", "barrier", "batch_isend_irecv", "broadcast",
    "broadcast_object_list", "destroy_process_group", "gather", "gather_object", "get_backend",
    "get_default_backend_for_device", "get_global_rank", "get_group_rank",
    "get_node_local_rank", "get_process_group_ranks", "get_rank", "get_world_size", "group",
    "init_process_group", "irecv", "is_available", "is_backend_available", "is_gloo_available",
    "is_initialized", "is_mpi_available", "is_nccl_available", "is_torchelastic_launched",
    "isend", "monitored_barrier", "new_group", "new_subgroups", "new_subgroups_by_enumeration",
    "recv", "recv_object_list", "reduce", "reduce_scatter", "reduce_scatter_single",
    "reduce_scatter_tensor", "scatter", "scatter_object_list", "send", "send_object_list",
]

default_pg_timeout = timedelta(minutes=30)


def is_available():
    """True when mpi4py (and so MPI) is installed: ``pip install ember[distributed]``."""
    return _mpi.available()


def is_gloo_available():
    return _mpi.available()


def is_mpi_available():
    return _mpi.available()


def is_nccl_available():
    return False


def is_torchelastic_launched():
    return os.environ.get("TORCHELASTIC_RUN_ID") is not None


def _never():
    return False


_AVAILABLE = {"gloo": is_gloo_available, "mpi": is_mpi_available, "nccl": _never,
              "ucc": _never, "xccl": _never}


def _backend_available(name):
    name = str(name).lower()
    check = _AVAILABLE.get(name)
    if check is not None:
        return check()
    return name in ("undefined", "gloo", "nccl", "ucc", "mpi", "xccl")


def is_backend_available(backend):
    """Whether ``backend`` ("gloo", "mpi", or "cpu:gloo,cuda:nccl" per device) can run here:
    gloo and mpi when mpi4py is installed (both run over MPI), never nccl, ucc or xccl."""
    if ":" in backend.lower():
        return all(_backend_available(part.split(":", 1)[-1])
                   for part in backend.lower().split(","))
    return _backend_available(backend)


def get_node_local_rank(fallback_rank=None):
    """This process's rank on its machine: LOCAL_RANK (set by ``ember run`` and torchrun), else
    the local rank an MPI launcher gave it (plain ``mpiexec``), else ``fallback_rank``."""
    if "LOCAL_RANK" in os.environ:
        return int(os.environ["LOCAL_RANK"])
    for name in ("MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK"):
        if name in os.environ and _mpi.launched_by_mpi() is not None:
            return int(os.environ[name])
    if fallback_rank is not None:
        return int(fallback_rank)
    raise RuntimeError(
        "LOCAL_RANK is not in the environment. Consider passing fallback_rank to allow "
        "`get_node_local_rank` to work, assuming you are not running in a multi-device context "
        "and want the code to run locally instead.")


# -- errors --------------------------------------------------------------------------------------
class DistError(RuntimeError):
    """Exception raised when an error occurs in the distributed library"""


class DistBackendError(DistError):
    """Exception raised when a backend error occurs in distributed"""


class DistNetworkError(DistError):
    """Exception raised when a network error occurs in distributed"""


class DistStoreError(DistError):
    """Exception raised when an error occurs in the distributed store"""


for _cls in (DistError, DistBackendError, DistNetworkError, DistStoreError):
    _cls.__module__ = _names.module_name("ember.distributed")  # as torch.distributed.DistError
del _cls


# -- ReduceOp ------------------------------------------------------------------------------------
class RedOpType(enum.Enum):
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8

    def __str__(self):
        return f"RedOpType.{self.name}"

    def __repr__(self):
        return f"<RedOpType.{self.name}: {self.value}>"


class ReduceOp:
    """The reductions of all_reduce, reduce and reduce_scatter: ``ReduceOp.SUM``, ..."""

    RedOpType = RedOpType
    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR
    PREMUL_SUM = RedOpType.PREMUL_SUM


class Backend(str):
    """A backend's name, lower case: ``Backend("GLOO") == "gloo"``."""

    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    UCC = "ucc"
    MPI = "mpi"

    default_device_backend_map = {"cpu": "gloo", "cuda": "nccl", "xpu": "xccl", "mps": "gloo"}

    def __new__(cls, name):
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, but got: "
                             f"{type(name)}")
        value = name.lower()
        if value not in ("gloo", "nccl", "ucc", "mpi", "undefined"):
            raise AssertionError(f"Unknown backend type {name}")
        return str.__new__(cls, value)


def get_default_backend_for_device(device):
    """The backend PyTorch picks for a device type: "gloo" for the CPU."""
    kind = (device if isinstance(device, _device_cls) else _device_cls(device)).type
    backend = Backend.default_device_backend_map.get(kind)
    if backend is None:
        raise ValueError(f"Default backend not registered for device : {device}")
    return backend


# -- process groups ------------------------------------------------------------------------------
class ProcessGroup:
    """A set of ranks that run collectives together (an MPI communicator)."""

    def __init__(self, comm, ranks, backend, timeout):
        self._comm = comm
        self._ctl = comm.Dup()  # monitored_barrier's messages, apart from the user's send/recv
        self._ranks = list(ranks)  # global rank of each group rank
        self._backend = backend
        self._timeout = timeout.total_seconds()
        self._seq = 0
        self._rank = comm.Get_rank()  # a communicator's rank and size never change
        self._size = comm.Get_size()
        self._table = bytearray(_FINGERPRINT.size * self._size)  # the fingerprints received
        self.group_name = str(_world.group_count)  # "0" for the default group, as PyTorch's
        _world.group_count += 1

    def rank(self):
        return self._rank

    def size(self):
        return self._size

    def name(self):
        return self._backend.upper() if self._backend == "mpi" else "gloo"

    def __repr__(self):
        return (f"<{_names.prefix}.distributed.ProcessGroup {self._backend} "
                f"ranks={self._ranks}>")

    def _group_rank(self, global_rank):
        try:
            return self._ranks.index(global_rank)
        except ValueError:
            raise ValueError(f"Global rank {global_rank} is not part of group {self}") from None

    def _wait(self, reqs, what):
        _mpi.wait(reqs, self._timeout, what, _world.rank)


class GroupMember:
    WORLD = None
    NON_GROUP_MEMBER = -100


class group:
    WORLD = None


class _World:
    pg = None
    rank = -1
    groups = []
    group_count = 0


_world = _World()


def _default_pg():
    if _world.pg is None:
        err = ValueError("Default process group has not been initialized, please make sure to "
                         "call init_process_group.")
        note(err, "call ember.distributed.init_process_group('gloo') first, in every process "
                  "(started by `ember run --nproc-per-node N`, mpiexec or multiprocessing.spawn).")
        raise err
    return _world.pg


def _pg(group_):
    pg = _default_pg()
    if group_ is None or group_ is GroupMember.WORLD:
        return pg
    if group_ == GroupMember.NON_GROUP_MEMBER:
        return None
    return group_


def is_initialized():
    return _world.pg is not None


def _env_int(name, default):
    value = os.environ.get(name)
    return default if value is None else int(value)


def _rendezvous_error(msg):
    return ValueError("Error initializing torch.distributed using " + msg)


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """Join the default process group: every rank of the job calls this once.

    The processes come from one MPI job (``ember run --nproc-per-node N``, ``mpiexec -n N``,
    ``ember.multiprocessing.spawn``); ``rank`` and ``world_size`` come from the arguments, the
    environment (RANK, WORLD_SIZE as torchrun sets them) or MPI, and must agree with MPI's.
    """
    if _world.pg is not None:
        raise ValueError("trying to initialize the default process group twice!")
    name = Backend(backend if backend is not None else "gloo")
    if name == "nccl":
        raise RuntimeError("Distributed package doesn't have NCCL built in")
    if name not in ("gloo", "mpi"):
        raise RuntimeError(f"Distributed package doesn't have {name.upper()} built in")
    if timeout is None:
        timeout = default_pg_timeout
    elif not isinstance(timeout, timedelta):
        raise TypeError(f"Expected timeout argument to be of typedatetime.timedelta, got "
                        f"{timeout}")
    method = init_method if init_method is not None else "env://"
    launched = _mpi.launched_by_mpi()
    if rank == -1:
        rank = _env_int("RANK", -1)
    if world_size == -1:
        world_size = _env_int("WORLD_SIZE", -1)
    if launched is not None:
        rank = launched[0] if rank == -1 else rank
        world_size = launched[1] if world_size == -1 else world_size
    elif method.startswith("env://"):
        if rank == -1:
            raise _rendezvous_error("env:// rendezvous: environment variable RANK expected, "
                                    "but not set")
        if world_size == -1:
            raise _rendezvous_error("env:// rendezvous: environment variable WORLD_SIZE "
                                    "expected, but not set")
    MPI = _mpi.load(timeout.total_seconds())
    world = MPI.COMM_WORLD
    if world_size != world.Get_size():
        err = RuntimeError(f"init_process_group: world_size={world_size}, but this MPI job has "
                           f"{world.Get_size()} process(es)")
        note(err, "ember.distributed runs the ranks as one MPI job: start them with "
                  "`ember run --nproc-per-node N script.py`, `mpiexec -n N python script.py` or "
                  "ember.multiprocessing.spawn(fn, nprocs=N), with the same N as world_size.")
        raise err
    if not 0 <= rank < world_size:
        raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, "
                         f"{world_size - 1}]")
    # every rank must arrive within the timeout; after this barrier the blocking calls are safe
    _mpi.wait(world.Ibarrier(), timeout.total_seconds(), "init_process_group", rank)
    _mpi.start_watch()
    comm = world.Split(0, rank)  # ranks numbered as the caller numbers them
    ranks = comm.allgather(rank)
    if sorted(ranks) != list(range(world_size)):
        raise RuntimeError(f"init_process_group: the processes claim ranks {ranks}; each rank "
                           f"in 0..{world_size - 1} must be taken once")
    _world.rank = rank
    _world.pg = ProcessGroup(comm, range(world_size), name, timeout)
    GroupMember.WORLD = group.WORLD = _world.pg


def destroy_process_group(group=None):
    """Leave ``group`` (default: every group; the default one can then be initialized again)."""
    pg = _default_pg()
    if group is None or group is pg:
        for g in [pg, *_world.groups]:
            _free(g)
        _world.pg = None
        _world.groups = []
        _world.rank = -1
        _world.group_count = 0
        GroupMember.WORLD = globals()["group"].WORLD = None
    elif group != GroupMember.NON_GROUP_MEMBER:
        _free(group)
        _world.groups = [g for g in _world.groups if g is not group]


def _free(pg):
    for comm in (pg._ctl, pg._comm):
        try:
            comm.Free()
        except Exception:  # already freed: nothing to do
            pass


def get_rank(group=None):
    pg = _pg(group)
    if pg is None:
        return -1
    return pg.rank() if group is not None else _world.rank


def get_world_size(group=None):
    pg = _pg(group)
    return -1 if pg is None else pg.size()


def get_backend(group=None):
    pg = _pg(group)
    if pg is None:
        raise ValueError("Invalid process group specified")
    return Backend(pg._backend)


def new_group(ranks=None, timeout=None, backend=None, pg_options=None,
              use_local_synchronization=False, group_desc=None, device_id=None, sort_ranks=True):
    """A group of some ranks. Every rank of the default group calls it, member or not; the
    non-members get ``GroupMember.NON_GROUP_MEMBER``."""
    pg = _default_pg()
    size = pg.size()
    ranks = list(range(size)) if ranks is None else list(ranks)
    if sort_ranks:
        ranks = sorted(ranks)
    if len(set(ranks)) != len(ranks):
        raise ValueError(f"ranks list must not contain duplicate entries, got {ranks}")
    if len(ranks) > size:
        raise ValueError("the new group's world size should be less or equal to the world size "
                         "set by init_process_group")
    for r in ranks:
        if not 0 <= r < size:
            raise ValueError(f"Rank {r} is out of range. Valid ranks are 0 to {size - 1} "
                             f"(world_size={size})")
    me = _world.rank
    member = me in ranks
    MPI = _mpi.load()
    comm = pg._comm.Split(0 if member else MPI.UNDEFINED, ranks.index(me) if member else 0)
    if not member:
        _world.group_count += 1  # the group's name is taken on every rank
        return GroupMember.NON_GROUP_MEMBER
    name = Backend(backend) if backend is not None else pg._backend
    if timeout is None:
        timeout = timedelta(seconds=pg._timeout)
    g = ProcessGroup(comm, ranks, name, timeout)
    _world.groups.append(g)
    return g


def new_subgroups(group_size=None, group=None, timeout=None, backend=None, pg_options=None,
                  group_desc=None):
    """Split ``group``'s ranks (default: all) into consecutive subgroups of ``group_size``
    ranks. Every rank of the default group calls it; returns (this rank's subgroup, all)."""
    if group_size is None:
        raise ValueError("Default group size only takes effect when CUDA is available.If your "
                         "subgroup using a backend that does not depend on CUDA,please pass in "
                         "'group_size' correctly.")
    if group_size <= 0:
        raise ValueError(f"The arg 'group_size' ({group_size}) must be positive")
    world_size = get_world_size(group=group)
    if world_size < group_size:
        raise ValueError(f"The arg 'group_size' ({group_size}) must not exceed the world size "
                         f"({world_size})")
    if world_size % group_size != 0:
        raise ValueError(f"The world size ({world_size}) must be divisible by "
                         f"'group_size={group_size}'")
    ranks = get_process_group_ranks(group)
    return new_subgroups_by_enumeration(
        [ranks[i:i + group_size] for i in range(0, len(ranks), group_size)], timeout=timeout,
        backend=backend, pg_options=pg_options, group_desc=group_desc)


def new_subgroups_by_enumeration(ranks_per_subgroup_list, timeout=None, backend=None,
                                 pg_options=None, group_desc=None):
    """One subgroup per list of global ranks (the lists must not overlap). Every rank of the
    default group calls it; returns (this rank's subgroup or None, all of them)."""
    if ranks_per_subgroup_list is None or len(ranks_per_subgroup_list) == 0:
        raise ValueError("The arg 'ranks_per_subgroup_list' cannot be empty")
    subgroups = []
    mine = None
    owner = {}  # rank -> the list that holds it
    for ranks in ranks_per_subgroup_list:
        subgroup = new_group(ranks=ranks, timeout=timeout, backend=backend,
                             pg_options=pg_options, group_desc=group_desc)
        subgroups.append(subgroup)
        me = get_rank()
        for rank in ranks:
            if rank in owner:
                raise ValueError(f"Rank {rank} has appeared in both subgroup {owner[rank]} and "
                                 f"{ranks}")
            owner[rank] = ranks
            if rank == me:
                mine = subgroup
    return mine, subgroups


# -- ranks of groups -----------------------------------------------------------------------------
def _registered(group):
    """The ranks (global, by group rank) of a live process group; ValueError for any other."""
    if isinstance(group, ProcessGroup) and (group is _world.pg or
                                            any(g is group for g in _world.groups)):
        return group._ranks
    raise ValueError(f"Group {group} is not registered, please create group with "
                     f"{_names.prefix}.distributed.new_group API")


def get_group_rank(group, global_rank):
    """The rank in ``group`` of the process whose default-group rank is ``global_rank``."""
    if group is GroupMember.WORLD:
        return global_rank
    ranks = _registered(group)
    if global_rank not in ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {group}")
    return ranks.index(global_rank)


def get_global_rank(group, group_rank):
    """The default-group rank of the process whose rank in ``group`` is ``group_rank``."""
    if group is GroupMember.WORLD:
        return group_rank
    ranks = _registered(group)
    if not isinstance(group_rank, int) or not 0 <= group_rank < len(ranks):
        raise ValueError(f"Group rank {group_rank} is not part of group {group}")
    return ranks[group_rank]


def get_process_group_ranks(group):
    """The global ranks of ``group`` (default: the default group), in group-rank order."""
    pg = group or _default_pg()
    try:
        return list(_registered(pg))
    except ValueError:
        raise KeyError(pg) from None


def _canonical_rank(pg, global_rank, group_rank, return_global=False):
    """Either rank, as a group rank (or a global one with ``return_global``)."""
    if group_rank is not None:
        if global_rank is not None:
            raise ValueError("Can't specify both group_rank and global_rank")
        return get_global_rank(pg, group_rank) if return_global else group_rank
    if global_rank is None:
        raise ValueError("Must specify global_rank or group_rank")
    return global_rank if return_global else get_group_rank(pg, global_rank)


def _not_self(pg, rank, kind):
    if pg.rank() == rank:
        raise ValueError(f"Invalid {kind} rank: {kind} rank should not be the same as the rank "
                         "of the current process.")


def _warn_not_in_group(what):
    me = -1 if _world.pg is None else _world.rank
    warnings.warn(f"Running {what} on global rank {me} which does not belong to the given "
                  "group.", stacklevel=3)


def _group_or_default(group):
    return _default_pg() if group is None or group is GroupMember.WORLD else group


# -- Work ----------------------------------------------------------------------------------------
class Work:
    """A collective started with ``async_op=True``: ``wait()`` finishes it."""

    def __init__(self, pg, reqs, what, finish=None, outputs=()):
        self._pg = pg
        self._reqs = reqs
        self._what = what
        self._finish = finish
        self._outputs = list(outputs)
        self._done = False
        self._exc = None
        self._status = None  # a receive's MPI status, filled when it completes

    def _complete(self):
        self._done = True
        if self._finish is not None:
            finish, self._finish = self._finish, None
            finish()

    def wait(self, timeout=None):
        if not self._done:
            if self._reqs:
                limit = self._pg._timeout if timeout is None else timeout.total_seconds()
                _mpi.wait(self._reqs, limit, self._what, _world.rank, self._status)
            self._complete()
        return True

    def is_completed(self):
        if self._done:
            return True
        if self._status is not None:
            done = self._reqs.Test(self._status)
        else:
            done = not self._reqs or _mpi.load().Request.Testall(self._reqs)
        if done:
            self._complete()
        return self._done

    def is_success(self):
        return self.is_completed() and self._exc is None

    def exception(self):
        return self._exc

    def result(self):
        self.wait()
        return self._outputs

    def source_rank(self):
        self.wait()
        return self._source

    def synchronize(self):
        self.wait()


def _run(pg, reqs, what, finish, async_op, outputs=()):
    if async_op:
        return Work(pg, reqs, what, finish, outputs)
    if reqs:
        _mpi.wait(reqs, pg._timeout, what, _world.rank)
    if finish is not None:
        finish()
    return None


# -- checks --------------------------------------------------------------------------------------
_DTYPES = list(_dtype.ALL)
_KINDS = ["BROADCAST", "ALLREDUCE", "REDUCE", "ALLGATHER", "GATHER", "SCATTER", "REDUCE_SCATTER",
          "ALLTOALL", "BARRIER", "_ALLGATHER_BASE", "_REDUCE_SCATTER_BASE", "OBJECT"]
_DTYPE_INDEX = {dt: i for i, dt in enumerate(_DTYPES)}
_KIND_INDEX = {kind: i for i, kind in enumerate(_KINDS)}
_MAXDIM = 8
_PAD = (-1,) * _MAXDIM
# sequence number, kind, dtype, number of dimensions, the first _MAXDIM sizes (-1: none)
_FINGERPRINT = struct.Struct(f"={4 + _MAXDIM}q")


def _check_tensor(t, name):
    if not isinstance(t, Tensor):
        raise TypeError(f"""Invalid function argument. Expected parameter `{name}` of type \
torch.Tensor
             but got {type(t)} instead.""")


def _check_list(ts, name):
    if not isinstance(ts, list) or not all(isinstance(t, Tensor) for t in ts):
        raise TypeError(f"""Invalid function argument. Expected parameter `{name}` of type \
List[torch.Tensor]
             but got {type(ts)} with elements of type {[type(t) for t in ts]}.""")


def _fingerprint(pg, kind, t):
    """Exchange (sequence number, kind, dtype, shape) with the group; raise if ranks differ.

    One small MPI all-gather of 96 bytes per rank; the comparison is one bytes comparison."""
    pg._seq += 1
    if t is None:
        row = _FINGERPRINT.pack(pg._seq, _KIND_INDEX[kind], -1, -1, *_PAD)
    else:
        shape = t._data.shape
        ndim = len(shape)
        if ndim > _MAXDIM:
            shape = shape[:_MAXDIM]
        row = _FINGERPRINT.pack(pg._seq, _KIND_INDEX[kind], _DTYPE_INDEX[t.dtype], ndim,
                                *shape, *_PAD[len(shape):])
    n = pg._size
    if n == 1:
        return
    table = pg._table
    _mpi.wait(pg._comm.Iallgather(row, table), pg._timeout, kind.lower(), _world.rank)
    if table == row * n:
        return
    rows = np.frombuffer(bytes(table), np.int64).reshape(n, -1)
    mine = np.frombuffer(row, np.int64)
    other = next(r for r in range(n) if not (rows[r] == mine).all())
    err = RuntimeError(
        "Detected mismatch between collectives on ranks. "
        f"Rank {pg._ranks[pg._rank]} is running collective: {_describe(mine)}, but Rank "
        f"{pg._ranks[other]} is running collective: {_describe(rows[other])}.")
    note(err, "every rank must call the same collectives in the same order, with tensors of "
              "the same shape and dtype.")
    raise err


def _describe(row):
    seq, kind, dt, ndim = (int(v) for v in row[:4])
    text = f"CollectiveFingerPrint(SequenceNumber={seq}, OpType={_KINDS[kind]}"
    if dt >= 0:
        shape = [int(v) for v in row[4:4 + min(ndim, _MAXDIM)]]
        text += f", TensorShape={shape}, TensorDtypes={_DTYPES[dt].word}"
    return text + ")"


_REDUCE_OPS = {}  # (RedOpType, dtype) -> what _reduce_op returns, for the pairs that passed


def _reduce_op(op, t, name):
    """MPI's op for PyTorch's ``op`` on ``t``'s dtype, with PyTorch's errors."""
    if op.__class__ is RedOpType:
        known = _REDUCE_OPS.get((op, t.dtype))
        if known is not None:
            return known
    else:
        op = getattr(op, "op", op)
        if op.__class__ is not RedOpType:
            raise TypeError(f"Invalid reduce op {op!r}")
    if op is RedOpType.PREMUL_SUM:
        raise RuntimeError("Cannot use ReduceOp.PREMUL_SUM with Gloo")
    dt = t.dtype
    if dt.is_complex and op not in (RedOpType.SUM, RedOpType.AVG):
        raise ValueError(f"{name} does not support {op} on complex tensors")
    if op in (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR) and (dt.is_floating_point
                                                                    or dt.is_complex):
        raise RuntimeError(f"Cannot use ReduceOp.{op.name} with non-integral dtype")
    if op is RedOpType.AVG and not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{dt.word}")
    MPI = _mpi.load()
    if dt is _dtype.bool:
        table = {RedOpType.SUM: MPI.LOR, RedOpType.MAX: MPI.LOR, RedOpType.BOR: MPI.LOR,
                 RedOpType.PRODUCT: MPI.LAND, RedOpType.MIN: MPI.LAND, RedOpType.BAND: MPI.LAND,
                 RedOpType.BXOR: MPI.LXOR}
    else:
        table = {RedOpType.SUM: MPI.SUM, RedOpType.AVG: MPI.SUM, RedOpType.PRODUCT: MPI.PROD,
                 RedOpType.MIN: MPI.MIN, RedOpType.MAX: MPI.MAX, RedOpType.BAND: MPI.BAND,
                 RedOpType.BOR: MPI.BOR, RedOpType.BXOR: MPI.BXOR}
    _REDUCE_OPS[op, dt] = known = (op, table[op])
    return known


# -- buffers -------------------------------------------------------------------------------------
def _inout(t):
    """A contiguous buffer holding ``t``'s values, and a function that writes it back into ``t``
    (nothing to write when the buffer is ``t``'s own array)."""
    data = t._data
    if data.flags.c_contiguous and data.flags.writeable:
        return data, lambda: _bump(t)
    buf = np.ascontiguousarray(data)

    def back():
        t._data[...] = buf
        _bump(t)

    return buf, back


def _out(t):
    data = t._data
    if data.flags.c_contiguous and data.flags.writeable:
        return data, lambda: _bump(t)
    buf = np.empty(data.shape, data.dtype)

    def back():
        t._data[...] = buf
        _bump(t)

    return buf, back


def _bump(t):
    t._version[0] += 1


def _same_dtype(ts, ref, what):
    for t in ts:
        if t.dtype is not ref.dtype:
            raise ValueError(f"Invalid usage of tensors with different dtypes"
                             f"Found {ref.dtype} and  {t.dtype}")
        if t.numel() != ref.numel():
            raise ValueError(f"{what}: the tensors in the list must all have "
                             f"{ref.numel()} elements, as the input has; one has {t.numel()}")


def _not_member(pg, what):
    return pg is None


# -- collectives ---------------------------------------------------------------------------------
def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``tensor`` over the group; every rank gets the result, in place."""
    _check_tensor(tensor, "tensor")
    pg = _pg(group)
    if pg is None:
        return None
    op, mop = _reduce_op(op, tensor, "all_reduce")
    _fingerprint(pg, "ALLREDUCE", tensor)
    buf, back = _inout(tensor)
    req = pg._comm.Iallreduce(_mpi._MPI.IN_PLACE, buf, mop)

    def finish():
        if op is RedOpType.AVG:
            np.divide(buf, pg.size(), out=buf, casting="unsafe")
        back()

    return _run(pg, req, "allreduce", finish, async_op, [tensor])


def _all_reduce_unchecked(tensor, group=None):
    """A non-blocking SUM all-reduce without the fingerprint exchange, for DDP's buckets (their
    layout was checked across ranks once, at construction): returns a Work."""
    pg = _pg(group)
    buf, back = _inout(tensor)
    req = pg._comm.Iallreduce(_mpi._MPI.IN_PLACE, buf, _mpi._MPI.SUM)
    return Work(pg, req, "allreduce", back, [tensor])


def _src(pg, src, group_src, name="src"):
    if group_src is not None:
        if src is not None:
            raise ValueError("Can't specify both group_rank and global_rank")
        return group_src
    if src is None:
        src = 0
    return pg._group_rank(src)


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copy ``tensor`` from rank ``src`` into ``tensor`` on every rank."""
    _check_tensor(tensor, "tensor")
    pg = _pg(group)
    if pg is None:
        return None
    root = _src(pg, src, group_src)
    _fingerprint(pg, "BROADCAST", tensor)
    buf, back = _inout(tensor)
    req = pg._comm.Ibcast(buf, root=root)
    return _run(pg, req, "broadcast", back, async_op, [tensor])


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Reduce ``tensor`` over the group into ``tensor`` on rank ``dst``."""
    _check_tensor(tensor, "tensor")
    pg = _pg(group)
    if pg is None:
        return None
    root = _src(pg, dst, group_dst, "dst")
    op, mop = _reduce_op(op, tensor, "reduce")
    _fingerprint(pg, "REDUCE", tensor)
    MPI = _mpi.load()
    if pg.rank() == root:
        buf, back = _inout(tensor)
        req = pg._comm.Ireduce(MPI.IN_PLACE, buf, mop, root=root)

        def finish():
            if op is RedOpType.AVG:
                np.divide(buf, pg.size(), out=buf, casting="unsafe")
            back()
    else:
        buf = np.ascontiguousarray(tensor._data)
        req = pg._comm.Ireduce(buf, None, mop, root=root)
        finish = None
    return _run(pg, req, "reduce", finish, async_op, [tensor])


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Every rank's ``tensor`` into ``tensor_list`` (one entry per rank), on every rank."""
    _check_list(tensor_list, "tensor_list")
    _check_tensor(tensor, "tensor")
    pg = _pg(group)
    if pg is None:
        return None
    if len(tensor_list) != pg.size():
        raise ValueError(f"all_gather: tensor_list has {len(tensor_list)} tensors, but the "
                         f"group has {pg.size()} ranks")
    _same_dtype(tensor_list, tensor, "all_gather")
    _fingerprint(pg, "ALLGATHER", tensor)
    send = np.ascontiguousarray(tensor._data)
    table = np.empty((pg.size(), send.size), send.dtype)
    req = pg._comm.Iallgather(send, table)

    def finish():
        for t, row in zip(tensor_list, table):
            t._data[...] = row.reshape(t._data.shape)
            _bump(t)

    return _run(pg, req, "allgather", finish, async_op, tensor_list)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Deprecated: ``all_gather_single``."""
    warnings.warn(f"`{_names.prefix}.distributed.all_gather_into_tensor` is deprecated. Please "
                  f"use `{_names.prefix}.distributed.all_gather_single` instead.", FutureWarning,
                  stacklevel=2)
    return all_gather_single(output_tensor, input_tensor, group, async_op)


def all_gather_single(output_tensor, input_tensor, group=None, async_op=False):
    """Every rank's ``input_tensor`` concatenated (or stacked) into ``output_tensor``."""
    _check_tensor(output_tensor, "output_tensor")
    _check_tensor(input_tensor, "input_tensor")
    pg = _pg(group)
    if pg is None:
        _warn_not_in_group("all_gather_single")
        return None
    if output_tensor.dtype is not input_tensor.dtype:
        raise ValueError(f"Invalid usage of tensors with different dtypesFound "
                         f"{input_tensor.dtype} and  {output_tensor.dtype}")
    if output_tensor.numel() != input_tensor.numel() * pg.size():
        raise ValueError("output tensor size must be equal to world_size times input tensor "
                         "size")
    _fingerprint(pg, "_ALLGATHER_BASE", input_tensor)
    send = np.ascontiguousarray(input_tensor._data)
    buf, back = _out(output_tensor)
    req = pg._comm.Iallgather(send, buf.reshape(-1))
    return _run(pg, req, "allgather", back, async_op, [output_tensor])


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """Every rank's ``tensor`` into ``gather_list`` on rank ``dst``."""
    _check_tensor(tensor, "tensor")
    pg = _pg(group)
    if pg is None:
        return None
    root = _src(pg, dst, group_dst, "dst")
    me = pg.rank()
    if me == root:
        if gather_list is None:
            raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
        _check_list(gather_list, "gather_list")
        if len(gather_list) != pg.size():
            raise ValueError(f"gather: gather_list has {len(gather_list)} tensors, but the "
                             f"group has {pg.size()} ranks")
        _same_dtype(gather_list, tensor, "gather")
    elif gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination "
                         "ranks.")
    _fingerprint(pg, "GATHER", tensor)
    send = np.ascontiguousarray(tensor._data)
    table = np.empty((pg.size(), send.size), send.dtype) if me == root else None
    req = pg._comm.Igather(send, table, root=root)

    def finish():
        if table is not None:
            for t, row in zip(gather_list, table):
                t._data[...] = row.reshape(t._data.shape)
                _bump(t)

    return _run(pg, req, "gather", finish, async_op, gather_list or [])


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """Entry ``i`` of ``scatter_list`` on rank ``src`` into ``tensor`` on group rank ``i``."""
    _check_tensor(tensor, "tensor")
    pg = _pg(group)
    if pg is None:
        return None
    root = _src(pg, src, group_src)
    me = pg.rank()
    table = None
    if me == root:
        if not scatter_list:
            raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
        _check_list(scatter_list, "scatter_list")
        if len(scatter_list) != pg.size():
            raise ValueError(f"scatter: scatter_list has {len(scatter_list)} tensors, but the "
                             f"group has {pg.size()} ranks")
        _same_dtype(scatter_list, tensor, "scatter")
        table = np.stack([np.ascontiguousarray(t._data).reshape(-1) for t in scatter_list])
    elif scatter_list:
        raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    _fingerprint(pg, "SCATTER", tensor)
    buf, back = _out(tensor)
    req = pg._comm.Iscatter(table, buf.reshape(-1), root=root)
    return _run(pg, req, "scatter", back, async_op, [tensor])


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce entry ``i`` of every rank's ``input_list``; group rank ``i`` gets it in
    ``output``."""
    _check_tensor(output, "output")
    _check_list(input_list, "input_list")
    pg = _pg(group)
    if pg is None:
        return None
    if len(input_list) != pg.size():
        raise ValueError(f"reduce_scatter: input_list has {len(input_list)} tensors, but the "
                         f"group has {pg.size()} ranks")
    _same_dtype(input_list, output, "reduce_scatter")
    op, mop = _reduce_op(op, output, "reduce_scatter")
    _fingerprint(pg, "REDUCE_SCATTER", output)
    send = np.stack([np.ascontiguousarray(t._data).reshape(-1) for t in input_list])
    return _reduce_scatter(pg, send, output, op, mop, async_op)


def _reduce_scatter(pg, send, output, op, mop, async_op):
    buf, back = _out(output)
    req = pg._comm.Ireduce_scatter_block(send, buf.reshape(-1), mop)

    def finish():
        if op is RedOpType.AVG:
            np.divide(buf, pg.size(), out=buf, casting="unsafe")
        back()

    return _run(pg, req, "reduce_scatter", finish, async_op, [output])


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Deprecated: ``reduce_scatter_single``."""
    warnings.warn(f"`{_names.prefix}.distributed.reduce_scatter_tensor` is deprecated. Please "
                  f"use `{_names.prefix}.distributed.reduce_scatter_single` instead.",
                  FutureWarning, stacklevel=2)
    return reduce_scatter_single(output, input, op, group, async_op)


def reduce_scatter_single(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce every rank's ``input``; group rank ``i`` gets the ``i``-th chunk (the input is the
    outputs concatenated or stacked) in ``output``."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    pg = _pg(group)
    if pg is None:
        _warn_not_in_group("reduce_scatter_single")
        return None
    if output.dtype is not input.dtype:
        raise ValueError(f"Invalid usage of tensors with different dtypesFound {input.dtype} "
                         f"and  {output.dtype}")
    if input.numel() != output.numel() * pg.size():
        raise ValueError("input tensor must be the same size as output size times world size")
    op, mop = _reduce_op(op, output, "reduce_scatter_single")
    _fingerprint(pg, "_REDUCE_SCATTER_BASE", input)
    send = np.ascontiguousarray(input._data).reshape(pg.size(), -1)
    return _reduce_scatter(pg, send, output, op, mop, async_op)


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False):
    """Rank ``i`` sends ``input_tensor_list[j]`` to rank ``j``, which gets it in
    ``output_tensor_list[i]`` (sizes may differ per pair)."""
    _check_list(output_tensor_list, "output_tensor_list")
    _check_list(input_tensor_list, "input_tensor_list")
    pg = _pg(group)
    if pg is None:
        return None
    n = pg.size()
    if len(output_tensor_list) != n or len(input_tensor_list) != n:
        raise ValueError(f"all_to_all: both lists need one tensor per rank ({n})")
    ref = input_tensor_list[0]
    for t in [*input_tensor_list, *output_tensor_list]:
        if t.dtype is not ref.dtype:
            raise ValueError(f"Invalid usage of tensors with different dtypesFound {ref.dtype} "
                             f"and  {t.dtype}")
    _fingerprint(pg, "ALLTOALL", None)
    send = np.concatenate([np.ascontiguousarray(t._data).reshape(-1)
                           for t in input_tensor_list])
    scount = [t.numel() for t in input_tensor_list]
    rcount = [t.numel() for t in output_tensor_list]
    recv = np.empty(sum(rcount), send.dtype)
    req = pg._comm.Ialltoallv([send, (scount, np.cumsum([0, *scount[:-1]]))],
                              [recv, (rcount, np.cumsum([0, *rcount[:-1]]))])

    def finish():
        start = 0
        for t, c in zip(output_tensor_list, rcount):
            t._data[...] = recv[start:start + c].reshape(t._data.shape)
            _bump(t)
            start += c

    return _run(pg, req, "alltoall", finish, async_op, output_tensor_list)


def _real_dtype(dt):
    # complex64 pairs with float32 as in PyTorch's check; complex128 with itself
    return _dtype.float32 if dt is _dtype.complex64 else dt


def _split_counts(t, splits, n):
    """Bytes per peer of ``t`` cut along dim 0 by ``splits`` (None or []: equal parts)."""
    rows = t._data.shape[0] if t._data.ndim else 1
    row_bytes = t._data.nbytes // rows if rows else 0
    if not splits:
        if rows % n:
            raise RuntimeError("Tensor's dim 0 does not divide equally across group size")
        return [rows // n * row_bytes] * n
    splits = [int(s) for s in splits]
    if len(splits) != n:
        raise RuntimeError("Number of tensor splits not equal to group size")
    if sum(splits) != rows:
        raise RuntimeError("Split sizes doesn't match total dim 0 size")
    return [s * row_bytes for s in splits]


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None, group=None,
                      async_op=False):
    """Rank ``i`` cuts ``input`` along dim 0 (``input_split_sizes`` rows per rank, else equal
    parts) and sends part ``j`` to rank ``j``, which gets it as part ``i`` of ``output``."""
    pg = _pg(group)
    if pg is None:
        _warn_not_in_group("all_to_all_single")
        return None
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    if _real_dtype(input.dtype) is not _real_dtype(output.dtype):
        raise ValueError(f"Invalid usage of tensors with different dtypesFound "
                         f"{_real_dtype(output.dtype)} and  {input.dtype}")
    if not input.is_contiguous():
        raise ValueError("Tensors must be contiguous")
    n = pg.size()
    scount = _split_counts(input, input_split_sizes, n)
    rcount = _split_counts(output, output_split_sizes, n)
    if not output_split_sizes and not input_split_sizes and input.numel() * (
            1 + input.dtype.is_complex) != output.numel() * (1 + output.dtype.is_complex):
        err = RuntimeError("[enforce fail at gloo/alltoall.cc:30] in->size == out->size. ")
        note(err, f"without split sizes, input ({input.numel()} elements) and output "
                  f"({output.numel()}) must hold as many elements.")
        raise err
    _fingerprint(pg, "ALLTOALL", None)
    # every rank's byte counts, so that a send and its receive that disagree raise everywhere
    mine = np.array([*scount, *rcount], np.int64)
    table = np.empty((n, 2 * n), np.int64)
    pg._wait(pg._comm.Iallgather(mine, table), "alltoall")
    sent, expected = table[:, :n], table[:, n:]
    if not (sent == expected.T).all():
        i, j = (int(v[0]) for v in np.nonzero(sent != expected.T))
        err = RuntimeError(f"all_to_all_single: rank {pg._ranks[i]} sends {sent[i, j]} bytes "
                           f"to rank {pg._ranks[j]}, which expects {expected[j, i]}")
        note(err, "rank i's input_split_sizes[j] must equal rank j's output_split_sizes[i], "
                  "counted in rows of dim 0.")
        raise err
    send = input._data.reshape(-1).view(np.uint8)
    buf, back = _out(output)
    recv = buf.reshape(-1).view(np.uint8)
    req = pg._comm.Ialltoallv([send, (scount, np.cumsum([0, *scount[:-1]])), _mpi._MPI.BYTE],
                              [recv, (rcount, np.cumsum([0, *rcount[:-1]])), _mpi._MPI.BYTE])
    return _run(pg, req, "alltoall", back, async_op, [output])


def barrier(group=None, async_op=False, device_ids=None, timeout=None):
    """Wait until every rank of the group gets here."""
    pg = _pg(group)
    if pg is None:
        return None
    _fingerprint(pg, "BARRIER", None)
    req = pg._comm.Ibarrier()
    work = Work(pg, req, "barrier")
    if async_op:
        return work
    work.wait(timeout)
    return None


def monitored_barrier(group=None, timeout=None, wait_all_ranks=False):
    """A barrier that names the ranks that did not reach it within ``timeout`` (on rank 0)."""
    pg = _pg(group)
    if pg is None:
        return None
    limit = pg._timeout if timeout is None else timeout.total_seconds()
    comm, me, n = pg._ctl, pg.rank(), pg.size()
    tag = 3
    token = np.zeros(1, np.uint8)
    if me != 0:
        comm.Send(token, dest=0, tag=tag)
        _mpi.wait(comm.Irecv(np.empty(1, np.uint8), source=0, tag=tag), limit,
                  "monitoredBarrier", _world.rank)
        return None
    import time

    reqs = {r: comm.Irecv(np.empty(1, np.uint8), source=r, tag=tag) for r in range(1, n)}
    deadline = time.monotonic() + limit
    while True:
        missing = [r for r, q in reqs.items() if not q.Test()]
        if not missing:
            break
        if time.monotonic() > deadline:
            ms = int(limit * 1000)
            ranks = [pg._ranks[r] for r in missing]
            if wait_all_ranks:
                text = (f"[Rank 0]: Ranks {', '.join(map(str, ranks))} failed to pass "
                        f"monitoredBarrier in {ms} ms")
            else:
                text = f"[Rank 0]: Rank {ranks[0]} failed to pass monitoredBarrier in {ms} ms"
            raise RuntimeError(text)
        _mpi.check_peers()
        time.sleep(0.0005)
    for r in range(1, n):
        comm.Send(token, dest=r, tag=tag)
    return None


# -- point to point ------------------------------------------------------------------------------
def _p2p_peer(pg, peer, group_peer):
    """The group rank of a peer given by its global or its group rank (one of them)."""
    if group_peer is None and peer is not None:
        return pg._group_rank(peer)  # a rank outside the group raises here, not in MPI
    rank = _canonical_rank(pg, peer, group_peer)
    if not isinstance(rank, int) or not 0 <= rank < pg.size():
        raise ValueError(f"Group rank {rank} is not part of group {pg}")
    return rank


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to rank ``dst`` without waiting (to itself too); returns a Work."""
    _check_tensor(tensor, "tensor")
    pg = _pg(group)
    if pg is None:
        _warn_not_in_group("isend")
        return None
    peer = _p2p_peer(pg, dst, group_dst)
    buf = np.ascontiguousarray(tensor._data)
    req = pg._comm.Isend(buf, dest=peer, tag=tag)
    return Work(pg, req, "send", None, [tensor])


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to rank ``dst`` (another rank)."""
    pg = _pg(group)
    if pg is not None:
        _not_self(pg, _p2p_peer(pg, dst, group_dst), "destination")
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into ``tensor`` from rank ``src`` (any rank when None); returns a Work."""
    _check_tensor(tensor, "tensor")
    pg = _pg(group)
    if pg is None:
        return None
    MPI = _mpi.load()
    if src is None and group_src is None:
        peer = MPI.ANY_SOURCE
    else:
        peer = _p2p_peer(pg, src, group_src)
    buf, back = _out(tensor)
    status = MPI.Status()
    req = pg._comm.Irecv(buf, source=peer, tag=tag)
    work = Work(pg, req, "recv", None, [tensor])
    work._status = status

    def finish():
        work._source = pg._ranks[status.Get_source()]  # who sent it
        back()

    work._finish = finish
    return work


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into ``tensor`` from rank ``src`` (any rank when None); returns the sender."""
    work = irecv(tensor, src, group, tag, group_src)
    if work is None:
        return -1
    work.wait()
    if src is None and group_src is None:
        _not_self(work._pg, work._pg._group_rank(work._source), "source")
    return work._source


class P2POp:
    """One send or receive of ``batch_isend_irecv``: ``op`` is ``isend`` or ``irecv``, ``peer``
    the other rank (global; or ``group_peer``, its rank in ``group``)."""

    def __new__(cls, op, tensor, peer=None, group=None, tag=0, group_peer=None):
        if op is not isend and op is not irecv:
            raise ValueError("Invalid ``op``. Expected ``op`` to be of type "
                             f"``{_names.prefix}.distributed.isend`` or "
                             f"``{_names.prefix}.distributed.irecv``.")
        _check_tensor(tensor, "tensor")
        return object.__new__(cls)

    def __init__(self, op, tensor, peer=None, group=None, tag=0, group_peer=None):
        self.op = op
        self.tensor = tensor
        self.group = _group_or_default(group)
        self.peer = _canonical_rank(self.group, peer, group_peer, return_global=True)
        self.tag = tag
        self.group_peer = _canonical_rank(self.group, peer, group_peer)

    def __repr__(self):
        me = get_rank(self.group)
        name = self.op.__name__
        src, dst = (me, self.group_peer) if name == "isend" else (self.group_peer, me)
        return (f"P2POp({name} pg={self.group.group_name}, group_src={src}, group_dst={dst},  "
                f"{self.tensor.shape}, {self.tensor.dtype})")


def batch_isend_irecv(p2p_op_list):
    """Start every send and receive of ``p2p_op_list`` (P2POps of one group) at once; returns
    their Works. The order of the list cannot deadlock: nothing waits until ``wait()``."""
    if not isinstance(p2p_op_list, list) or not all(isinstance(p, P2POp) for p in p2p_op_list):
        raise ValueError("Invalid ``p2p_op_list``. Each op is expected to to be of type "
                         f"``{_names.prefix}.distributed.P2POp``.")
    pg = p2p_op_list[0].group
    if not all(p.group == pg for p in p2p_op_list):
        raise ValueError("All ops need to use the same group.")
    works = []
    for p in p2p_op_list:
        if p.op is isend:
            work = isend(p.tensor, group=p.group, tag=p.tag, group_dst=p.group_peer)
        else:
            work = irecv(p.tensor, group=p.group, tag=p.tag, group_src=p.group_peer)
        if work is not None:
            works.append(work)
    return works


# -- objects -------------------------------------------------------------------------------------
def _pickled(obj):
    return np.frombuffer(pickle.dumps(obj), np.uint8)


def _all_bytes(pg, payload):
    """Every rank's bytes, in rank order."""
    sizes = np.empty(pg.size(), np.int64)
    pg._wait(pg._comm.Iallgather(np.array([payload.size], np.int64), sizes), "allgather")
    out = np.empty(int(sizes.sum()), np.uint8)
    offsets = np.cumsum([0, *sizes[:-1]])
    pg._wait(pg._comm.Iallgatherv(payload, [out, (sizes, offsets)]), "allgather")
    return [out[o:o + s] for o, s in zip(offsets, sizes)]


def all_gather_object(object_list, obj, group=None):
    """Every rank's picklable ``obj`` into ``object_list`` (one entry per rank)."""
    pg = _pg(group)
    if pg is None:
        return None
    _fingerprint(pg, "OBJECT", None)
    for i, part in enumerate(_all_bytes(pg, _pickled(obj))):
        object_list[i] = pickle.loads(part.tobytes())
    return None


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    """Every rank's picklable ``obj`` into ``object_gather_list`` on rank ``dst``."""
    pg = _pg(group)
    if pg is None:
        return None
    root = _src(pg, dst, group_dst, "dst")
    _fingerprint(pg, "OBJECT", None)
    parts = _all_bytes(pg, _pickled(obj))
    if pg.rank() == root:
        for i, part in enumerate(parts):
            object_gather_list[i] = pickle.loads(part.tobytes())
    return None


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Rank ``src``'s picklable objects into ``object_list`` on every rank, in place."""
    pg = _pg(group)
    if pg is None:
        return None
    root = _src(pg, src, group_src)
    _fingerprint(pg, "OBJECT", None)
    payload = _pickled(list(object_list)) if pg.rank() == root else None
    size = np.array([0 if payload is None else payload.size], np.int64)
    pg._wait(pg._comm.Ibcast(size, root=root), "broadcast")
    if payload is None:
        payload = np.empty(int(size[0]), np.uint8)
    pg._wait(pg._comm.Ibcast(payload, root=root), "broadcast")
    if pg.rank() != root:
        object_list[:] = pickle.loads(payload.tobytes())
    return None


def send_object_list(object_list, dst=None, group=None, device=None, group_dst=None,
                     use_batch=False):
    """Send the picklable objects of ``object_list`` to rank ``dst`` (another rank), which
    receives them with ``recv_object_list`` into a list of as many entries."""
    pg = _group_or_default(group)
    if pg == GroupMember.NON_GROUP_MEMBER:
        _canonical_rank(pg, dst, group_dst)
        _warn_not_in_group("send_object_list")
        return None
    peer = _p2p_peer(pg, dst, group_dst)
    _not_self(pg, peer, "destination")
    parts = [_pickled(obj) for obj in object_list]
    sizes = np.array([p.size for p in parts], np.int64)
    payload = np.concatenate(parts) if parts else np.empty(0, np.uint8)
    pg._wait(pg._comm.Isend(sizes, dest=peer, tag=0), "send")
    pg._wait(pg._comm.Isend([payload, _mpi._MPI.BYTE], dest=peer, tag=0), "send")
    return None


def recv_object_list(object_list, src=None, group=None, device=None, group_src=None,
                     use_batch=False):
    """Receive the objects that rank ``src`` sent with ``send_object_list`` into
    ``object_list`` (one entry per object sent); returns the sender's global rank."""
    pg = _group_or_default(group)
    if pg == GroupMember.NON_GROUP_MEMBER:
        _canonical_rank(pg, src, group_src)
        _warn_not_in_group("recv_object_list")
        return -1
    peer = _p2p_peer(pg, src, group_src)
    _not_self(pg, peer, "source")
    MPI = _mpi.load()
    sizes = np.full(len(object_list) + 1, -1, np.int64)  # one more: a longer list is caught
    pg._wait(pg._comm.Irecv(sizes, source=peer, tag=0), "recv")
    if sizes[-1] != -1 or (sizes[:-1] == -1).any():
        sent = "more" if sizes[-1] != -1 else int((sizes[:-1] != -1).sum())
        raise RuntimeError(f"recv_object_list: rank {pg._ranks[peer]} sent {sent} objects, "
                           f"but object_list has {len(object_list)} entries")
    sizes = sizes[:-1]
    payload = np.empty(int(sizes.sum()), np.uint8)
    pg._wait(pg._comm.Irecv([payload, MPI.BYTE], source=peer, tag=0), "recv")
    start = 0
    for i, size in enumerate(sizes.tolist()):
        object_list[i] = pickle.loads(payload[start:start + size].tobytes())
        start += size
    return pg._ranks[peer]


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=None,
                        group=None, group_src=None):
    """Entry ``i`` of ``scatter_object_input_list`` on rank ``src`` (default 0) into
    ``scatter_object_output_list[0]`` on group rank ``i``."""
    pg = _group_or_default(group)
    if src is None and group_src is None:
        src = 0
    if pg == GroupMember.NON_GROUP_MEMBER:
        _canonical_rank(pg, src, group_src)
        _warn_not_in_group("scatter_object_list")
        return None
    root = _src(pg, src, group_src)
    if not isinstance(scatter_object_output_list, list) or len(scatter_object_output_list) < 1:
        raise ValueError("Expected argument scatter_object_output_list to be a list of size at "
                         "least 1.")
    n = pg.size()
    sizes = table = None
    if pg.rank() == root:
        if scatter_object_input_list is None:
            raise ValueError("source rank must provide non-None scatter_object_input_list")
        if len(scatter_object_input_list) != n:
            raise RuntimeError(f"ProcessGroupGloo::scatter: Incorrect input list size "
                               f"{len(scatter_object_input_list)}. Input list size should be "
                               f"{n}, same as size of the process group.")
        parts = [_pickled(obj) for obj in scatter_object_input_list]
        sizes = np.array([p.size for p in parts], np.int64)
        table = np.concatenate(parts)
    _fingerprint(pg, "OBJECT", None)
    size = np.empty(1, np.int64)
    pg._wait(pg._comm.Iscatter(sizes, size, root=root), "scatter")
    payload = np.empty(int(size[0]), np.uint8)
    spec = None
    if sizes is not None:
        spec = [table, (sizes, np.cumsum([0, *sizes[:-1]])), _mpi._MPI.BYTE]
    pg._wait(pg._comm.Iscatterv(spec, [payload, _mpi._MPI.BYTE], root=root), "scatter")
    scatter_object_output_list[0] = pickle.loads(payload.tobytes())
    return None
