"""DistributedDataParallel: one model per rank, gradients averaged during backward.

At construction the parameters and buffers are broadcast from rank 0, and the parameters are
cut into buckets of about ``bucket_cap_mb`` (in reverse order, the order backward reaches
them). A post-accumulate-grad hook copies each gradient into its bucket (scaled by
1/world_size); a full bucket starts a non-blocking all-reduce (MPI Iallreduce) while backward
goes on computing the rest, and the gradient that completes the last bucket waits for them all
and writes the averages back into ``.grad``.
"""

import contextlib
import warnings

import numpy as np

from ... import distributed as dist
from ..._dtype import from_np
from ...autograd.grad_mode import no_grad
from ...autograd.graph import AccumulateGrad
from ...distributed.distributed_c10d import _all_reduce_unchecked
from ...ops.creation import _make
from ..modules.module import Module

__all__ = ["DistributedDataParallel"]


class _Bucket:
    __slots__ = ("index", "params", "offsets", "buffer", "ready", "work", "future", "used")

    def __init__(self, index, params, dtype):
        self.index = index
        self.params = params
        self.offsets = np.cumsum([0] + [p.numel() for p in params]).tolist()
        self.buffer = np.zeros(self.offsets[-1], dtype)
        self.ready = 0
        self.work = None
        self.future = None

    def view(self, i):
        p = self.params[i]
        return self.buffer[self.offsets[i]:self.offsets[i + 1]].reshape(p._data.shape)


class GradBucket:
    """What a communication hook gets: one bucket's flat gradients and its parameters."""

    def __init__(self, bucket, last):
        self._b = bucket
        self._last = last
        self._tensor = _make(bucket.buffer)

    def index(self):
        return self._b.index

    def buffer(self):
        return self._tensor

    def gradients(self):
        return [_make(self._b.view(i)) for i in range(len(self._b.params))]

    def parameters(self):
        return list(self._b.params)

    def is_last(self):
        return self._last

    def set_buffer(self, tensor):
        self._b.buffer[...] = tensor._data.reshape(-1)


class DistributedDataParallel(Module):
    """Data parallelism across the ranks of a process group (see the module's docstring)."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=None, init_sync=True, process_group=None, bucket_cap_mb=None,
                 find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False,
                 delay_all_reduce_named_params=None, param_to_hook_all_reduce=None,
                 mixed_precision=None, device_mesh=None,
                 skip_all_reduce_unused_params=False, bucket_cap_mb_list=None,
                 batched_grad_copy=False, forward_sync_buffers=None):
        super().__init__()
        _check_arguments(device_ids, output_device, process_group, device_mesh, mixed_precision,
                         delay_all_reduce_named_params, param_to_hook_all_reduce)
        if check_reduction:
            warnings.warn("The `check_reduction` argument in `DistributedDataParallel` module "
                          "is deprecated. Please avoid using it.", FutureWarning, stacklevel=2)
        # broadcast_buffers (deprecated) also keeps the buffers out of the sync at construction;
        # forward_sync_buffers, its replacement, only decides the sync before each forward
        init_sync_buffers = True
        if forward_sync_buffers is not None:
            if broadcast_buffers is not None:
                warnings.warn("Both `broadcast_buffers` and `forward_sync_buffers` were "
                              "specified. `broadcast_buffers` is deprecated and its value is "
                              "ignored when `forward_sync_buffers` is provided.",
                              FutureWarning, stacklevel=2)
        elif broadcast_buffers is not None:
            warnings.warn("`broadcast_buffers` is deprecated. Use `forward_sync_buffers` "
                          "instead. IMPORTANT: unlike `broadcast_buffers=False`, "
                          "`forward_sync_buffers=False` still syncs buffers at init. If you rely "
                          "on buffers NOT being synced at init (e.g. rank-local buffers), keep "
                          "using `broadcast_buffers=False` until `init_sync_buffers` is "
                          "available.", FutureWarning, stacklevel=2)
            forward_sync_buffers = init_sync_buffers = bool(broadcast_buffers)
        else:
            forward_sync_buffers = True
        self.module = module
        self.process_group = process_group
        self._pg = process_group
        self.dim = dim
        self.device_ids = device_ids
        self.output_device = output_device
        self.forward_sync_buffers = forward_sync_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.skip_all_reduce_unused_params = skip_all_reduce_unused_params
        self.batched_grad_copy = batched_grad_copy
        self.mixed_precision = None
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        cap = 25 if bucket_cap_mb is None else bucket_cap_mb
        if bucket_cap_mb_list:
            cap = max(bucket_cap_mb_list)
        self.bucket_bytes_cap = int(cap * 1024 * 1024)
        self.bucket_bytes_cap_list = [int(c * 1024 * 1024) for c in bucket_cap_mb_list or ()]
        self._world = dist.get_world_size(process_group)
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have "
                               "any parameter that requires a gradient.")
        self._verify_same_model(params)
        if init_sync:
            self._sync_states(init_sync_buffers)
        self._params = params
        self._buckets = self._make_buckets(params)
        self._where = {}
        for b in self._buckets:
            for i, p in enumerate(b.params):
                self._where[id(p)] = (b, i)
        self._comm_hook = None
        self._comm_state = None
        self._expect = len(params)
        self._pending = None  # the step whose gradients are being reduced
        self._handles = [p.register_post_accumulate_grad_hook(self._ready) for p in params]

    # -- construction --------------------------------------------------------------------------
    def _verify_same_model(self, params):
        shapes = [(tuple(p.shape), p.dtype.name) for p in params]
        table = [None] * self._world
        dist.all_gather_object(table, shapes, group=self._pg)
        for rank, other in enumerate(table):
            if len(other) != len(shapes):
                raise RuntimeError(
                    f"DDP expects same model across all ranks, but Rank "
                    f"{dist.get_rank(self._pg)} has {len(shapes)} params, while rank {rank} "
                    f"has inconsistent {len(other)} params.")
            for i, (mine, theirs) in enumerate(zip(shapes, other)):
                if mine != theirs:
                    raise RuntimeError(
                        f"DDP expects same model across all ranks, but Rank "
                        f"{dist.get_rank(self._pg)} has parameter {i} of shape {mine[0]} and "
                        f"dtype {mine[1]}, while rank {rank} has {theirs[0]} and {theirs[1]}.")

    def _sync_states(self, buffers):
        with no_grad():
            for t in [*self.module.parameters(), *(self.module.buffers() if buffers else ())]:
                dist.broadcast(t, src=_global_src(self._pg), group=self._pg)

    def _make_buckets(self, params):
        """Cut the parameters (reversed) into buckets: bucket i holds at most the i-th size of
        bucket_cap_mb_list (its last size repeats), else bucket_cap_mb; one dtype per bucket."""
        caps = self.bucket_bytes_cap_list or [self.bucket_bytes_cap]
        buckets, current, size = [], [], 0
        for p in reversed(params):
            cap = caps[min(len(buckets), len(caps) - 1)]
            if current and (p.dtype is not current[0].dtype or size + p._data.nbytes > cap):
                buckets.append(current)
                current, size = [], 0
            current.append(p)
            size += p._data.nbytes
        buckets.append(current)
        return [_Bucket(i, ps, ps[0]._data.dtype) for i, ps in enumerate(buckets)]

    # -- forward -------------------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        if self._pending is not None and self._pending["sync"]:
            err = RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a "
                "new one. This error indicates that your module has parameters that were not "
                "used in producing loss. You can enable unused parameter detection by passing "
                "the keyword argument `find_unused_parameters=True` to "
                "`torch.nn.parallel.DistributedDataParallel`, and by \nmaking sure all "
                "`forward` function outputs participate in calculating loss.")
            self._pending = None
            raise err
        sync = self.require_backward_grad_sync
        if sync and self.forward_sync_buffers and self._world > 1:
            with no_grad():
                for b in self.module.buffers():
                    dist.broadcast(b, src=_global_src(self._pg), group=self._pg)
        out = self.module(*inputs, **kwargs)
        self._start_step(sync, out)
        return out

    def _start_step(self, sync, out):
        for b in self._buckets:
            b.ready = 0
            b.work = b.future = None
            b.used = None
        self._pending = {"sync": sync, "count": 0, "used": None}
        if not sync:
            self._pending = None
            return
        if self.find_unused_parameters:
            reached = _reached_leaves(out)
            used = np.array([id(p) in reached for p in self._params], np.uint8)
            self._pending["used"] = used
            for p, u in zip(self._params, used):
                if not u:
                    b, i = self._where[id(p)]
                    b.view(i)[...] = 0
                    self._mark(b)

    # -- backward ------------------------------------------------------------------------------
    def _ready(self, p):
        step = self._pending
        if step is None:
            return  # no_sync, or a backward without a forward of this wrapper
        b, i = self._where[id(p)]
        view = b.view(i)
        g = p._grad._data
        if self._comm_hook is None:
            np.multiply(g, view.dtype.type(1.0 / self._world), out=view)
        elif not np.shares_memory(g, view):
            view[...] = g
        self._mark(b)

    def _mark(self, b):
        step = self._pending
        b.ready += 1
        step["count"] += 1
        if b.ready == len(b.params):
            self._launch(b)
        if step["count"] == self._expect:
            self._finish()

    def _launch(self, b):
        if self._comm_hook is not None:
            bucket = GradBucket(b, b.index == len(self._buckets) - 1)
            b.future = self._comm_hook(self._comm_state, bucket)
        else:
            b.work = _all_reduce_unchecked(_make(b.buffer), self._pg)

    def _finish(self):
        step, self._pending = self._pending, None
        used = step["used"]
        if used is not None:
            dist.all_reduce(_wrap(used), op=dist.ReduceOp.MAX, group=self._pg)
            used = {id(p) for p, u in zip(self._params, used) if u}
        for b in self._buckets:
            if b.future is not None:
                result = b.future.wait()
                if result is not None and result._data is not b.buffer:
                    b.buffer[...] = result._data.reshape(-1)
            elif b.work is not None:
                b.work.wait()
            for i, p in enumerate(b.params):
                if used is not None and id(p) not in used:
                    continue
                view = b.view(i)
                if self.gradient_as_bucket_view:
                    if p._grad is None or p._grad._data is not view:
                        p._grad = _make(view)
                elif p._grad is None:
                    p._grad = _make(view.copy())
                else:
                    p._grad._data[...] = view

    # -- API -----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def no_sync(self):
        """Inside, backward accumulates gradients locally without communicating; the first
        backward after it averages the accumulated gradients."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def register_comm_hook(self, state, hook):
        """Replace the gradient all-reduce: ``hook(state, bucket)`` returns a future whose
        ``wait()`` gives the bucket's averaged gradients."""
        if self._comm_hook is not None:
            raise RuntimeError("register_comm_hook or register_builtin_comm_hook can only be "
                               "called once.")
        if not callable(hook):
            raise TypeError("Communication hook must be callable.")
        self._comm_hook = hook
        self._comm_state = state

    def __getstate__(self):
        raise RuntimeError("DistributedDataParallel is not picklable: save "
                           "ddp.module.state_dict() instead")


def _check_arguments(device_ids, output_device, process_group, device_mesh, mixed_precision,
                     delay_all_reduce_named_params, param_to_hook_all_reduce):
    """Refuse what ember's DDP cannot honour, with PyTorch's errors where it has them."""
    if (delay_all_reduce_named_params is None) != (param_to_hook_all_reduce is None):
        raise ValueError("delay_all_reduce_named_params and param_to_hook_all_reduce need to be "
                         "set at the same time.")
    if device_ids:
        if len(device_ids) > 1:
            raise ValueError("device_ids can only be None or contain a single element.")
        err = ValueError(
            "DistributedDataParallel device_ids and output_device arguments only work with "
            "single-device/multiple-device GPU modules or CPU modules, but got device_ids "
            f"{device_ids}, output_device {output_device}, and module parameters "
            "{device(type='cpu')}.")
        err.add_note("ember runs on the CPU: leave device_ids out (None) for CPU modules.")
        raise err
    if process_group is not None and device_mesh is not None:
        raise RuntimeError("Cannot specify both process_group and device_mesh arguments.")
    if device_mesh is not None:
        err = NotImplementedError("DistributedDataParallel(device_mesh=...): ember has no "
                                  "DeviceMesh")
        err.add_note("pass the mesh's process group instead: process_group=mesh.get_group().")
        raise err
    if mixed_precision is not None:
        err = NotImplementedError("DistributedDataParallel(mixed_precision=...) is not "
                                  "supported by ember")
        err.add_note("ember's DDP reduces gradients in the parameters' own dtype; cast the "
                     "model (model.half()) if you want low-precision training.")
        raise err


def _global_src(pg):
    if pg is None or pg is dist.GroupMember.WORLD:
        return 0
    return pg._ranks[0]


def _wrap(array):
    t = _make(array)
    assert from_np[array.dtype] is not None
    return t


def _reached_leaves(out):
    """ids of the leaf tensors whose AccumulateGrad the outputs' graph reaches."""
    stack = []

    def collect(x):
        if isinstance(x, (list, tuple)):
            for y in x:
                collect(y)
        elif isinstance(x, dict):
            for y in x.values():
                collect(y)
        elif getattr(x, "_grad_fn", None) is not None:
            stack.append(x._grad_fn)

    collect(out)
    seen, reached = set(), set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, AccumulateGrad):
            reached.add(id(node.variable))
            continue
        for nxt, _ in node.next_functions:
            if nxt is not None:
                stack.append(nxt)
    return reached
