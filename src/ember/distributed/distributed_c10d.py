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
from datetime import timedelta

import numpy as np

from .. import _dtype, _names
from .._device import device as _device_cls
from .._errors import note
from .._tensor import Tensor
from . import _mpi

__all__ = [
    "Backend", "GroupMember", "ProcessGroup", "ReduceOp", "Work", "all_gather",
    "all_gather_into_tensor", "all_gather_object", "all_reduce", "all_to_all", "barrier",
    "broadcast", "broadcast_object_list", "destroy_process_group", "gather", "gather_object",
    "get_backend", "get_default_backend_for_device", "get_rank", "get_world_size", "group",
    "init_process_group", "irecv",
    "is_available", "is_gloo_available", "is_initialized", "is_mpi_available",
    "is_nccl_available", "is_torchelastic_launched", "isend", "monitored_barrier", "new_group",
    "recv", "reduce", "reduce_scatter", "reduce_scatter_tensor", "scatter", "send",
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
    for r in ranks:
        if not 0 <= r < size:
            raise ValueError("The new group's rank should be within the world_size set by "
                             "init_process_group")
    me = _world.rank
    member = me in ranks
    MPI = _mpi.load()
    comm = pg._comm.Split(0 if member else MPI.UNDEFINED, ranks.index(me) if member else 0)
    if not member:
        return GroupMember.NON_GROUP_MEMBER
    name = Backend(backend) if backend is not None else pg._backend
    if timeout is None:
        timeout = timedelta(seconds=pg._timeout)
    g = ProcessGroup(comm, ranks, name, timeout)
    _world.groups.append(g)
    return g


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

    def _complete(self):
        self._done = True
        if self._finish is not None:
            finish, self._finish = self._finish, None
            finish()

    def wait(self, timeout=None):
        if not self._done:
            if self._reqs:
                limit = self._pg._timeout if timeout is None else timeout.total_seconds()
                _mpi.wait(self._reqs, limit, self._what, _world.rank)
            self._complete()
        return True

    def is_completed(self):
        if not self._done and (not self._reqs or _mpi.load().Request.Testall(self._reqs)):
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
            raise ValueError(f"Can not specify both group_{name} and {name}")
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
    """Every rank's ``input_tensor`` concatenated (or stacked) into ``output_tensor``."""
    _check_tensor(output_tensor, "output_tensor")
    _check_tensor(input_tensor, "input_tensor")
    pg = _pg(group)
    if pg is None:
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
    """Reduce every rank's ``input``; group rank ``i`` gets the ``i``-th chunk in ``output``."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    pg = _pg(group)
    if pg is None:
        return None
    if output.dtype is not input.dtype:
        raise ValueError(f"Invalid usage of tensors with different dtypesFound {input.dtype} "
                         f"and  {output.dtype}")
    if input.numel() != output.numel() * pg.size():
        raise ValueError("input tensor must be the same size as output size times world size")
    op, mop = _reduce_op(op, output, "reduce_scatter_tensor")
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
def _p2p_peer(pg, peer, group_peer, name):
    if group_peer is not None:
        if peer is not None:
            raise ValueError(f"Can not specify both group_{name} and {name}")
        return group_peer
    if peer is None:
        raise ValueError(f"Must specify either group_{name} or {name}")
    return pg._group_rank(peer)


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to rank ``dst`` without waiting; returns a Work."""
    _check_tensor(tensor, "tensor")
    pg = _pg(group)
    if pg is None:
        return None
    peer = _p2p_peer(pg, dst, group_dst, "dst")
    if peer == pg.rank():
        raise ValueError("Invalid destination rank: destination rank should not be the same as "
                         "the rank of the current process.")
    buf = np.ascontiguousarray(tensor._data)
    req = pg._comm.Isend(buf, dest=peer, tag=tag)
    return Work(pg, req, "send", None, [tensor])


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to rank ``dst``."""
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
        peer = _p2p_peer(pg, src, group_src, "src")
    buf, back = _out(tensor)
    status = MPI.Status()
    req = pg._comm.Irecv(buf, source=peer, tag=tag)
    work = Work(pg, req, "recv", None, [tensor])

    def finish():
        req.Wait(status)  # already complete: this reads who sent it
        work._source = pg._ranks[status.Get_source()]
        back()

    work._finish = finish
    return work


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into ``tensor`` from rank ``src`` (any rank when None); returns the sender."""
    work = irecv(tensor, src, group, tag, group_src)
    if work is None:
        return -1
    work.wait()
    return work._source


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
