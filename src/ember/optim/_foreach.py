"""The multi-tensor core that every built-in optimizer's step() runs on.

PyTorch's ``foreach`` implementations update all parameters of a parameter group together,
grouped by device and dtype. ember does the same on NumPy: a group's parameters that have a
gradient are put in buckets of one dtype and one step count (so one set of scalars serves the
whole bucket), and each bucket is updated block by block, a block being up to ``CHUNK``
elements of one parameter (flat views of the parameter, its gradient and its state) or a
whole parameter. The blocks are small enough for the dozen passes of an update to run in the
CPU's cache, and their scratch arrays are reused from step to step.

An algorithm is a subclass of ``ForeachOptimizer`` that says what it keeps per parameter and
writes its update once, as math on a block:

- ``_state_keys(group)``: the names of its per-parameter arrays in ``state[p]``;
- ``_counts_steps``: whether ``state[p]['step']`` (a float32 0-d tensor) counts the updates;
- ``_bucket_key(state, fresh)``: what its scalars depend on besides the group (the step);
- ``_constants(group, key, t)``: those scalars, as NumPy scalars of type ``t``;
- ``_update(x, k)``: the update of one block ``x`` with the scalars ``k``.

Every step computes what PyTorch's kernels compute, element by element and rounded as they
round on an x86 CPU with AVX2 (one fused multiply-add wherever they fuse ``a + b * c``),
whatever ``foreach`` and ``fused`` say: both only choose among PyTorch's implementations, and
ember has this one. SGD and Adagrad, Adam and AdamW give the numbers of PyTorch's fused
kernels bit for bit (where those run vectorized); the one known difference from PyTorch's
single-tensor code is its float32 ``sqrt``, which is not correctly rounded (one unit in the
last place off on about one element in six) where ember's (NumPy's) is.
"""

import numpy as np

from .._errstate import restore, silence
from .._tensor import _make
from ._fused import fma_
from .optimizer import Optimizer, _step_tensor

__all__ = ["Block", "ForeachOptimizer", "RealForeachOptimizer", "check_capturable", "check_fused",
           "decayed_grad"]

CHUNK = 1 << 17  # elements of a block: the dozen passes of an update stay in the CPU's cache
SMALL = 1 << 13  # parameters up to this size are packed together into flat blocks
_F64 = np.dtype(np.float64)


class _Scratch:
    """An optimizer's block size (``chunk`` elements) and its reusable scratch arrays of that
    size, by dtype and role: the i-th temporary of a block, the i-th gathered array of a pack,
    the float64 sum."""

    __slots__ = ("arrays", "chunk")

    def __init__(self, chunk):
        self.arrays = {}
        self.chunk = chunk

    def get(self, dtype, role):
        array = self.arrays.get((dtype, role))
        if array is None:
            array = self.arrays[dtype, role] = np.empty(self.chunk, dtype)
        return array


class Block:
    """Views of the same elements of a parameter (``p``), its gradient (``g``) and its state
    arrays (``state``, by name), with scratch arrays of their shape and dtype."""

    __slots__ = ("p", "g", "state", "_scratch", "_used")

    def __init__(self, p, g, state, scratch):
        self.p = p
        self.g = g
        self.state = state
        self._scratch = scratch
        self._used = 0

    def tmp(self):
        """A scratch array like p, not handed out before."""
        self._used += 1
        return self._like(self.p.dtype, self._used - 1)

    def wide(self):
        """The float64 scratch array like p, for one float32 sum rounded once: each call
        hands out the same array."""
        return self._like(_F64, "wide")

    def _like(self, dtype, role):
        p = self.p
        if p.size > self._scratch.chunk:
            return np.empty(p.shape, dtype)
        return self._scratch.get(dtype, role)[:p.size].reshape(p.shape)


def _blocks(items, keys, scratch):
    """The blocks of a bucket's items (param, grad, *state arrays): a parameter alone, in
    CHUNK-element pieces if larger; small ones packed up to CHUNK elements together (CHUNK:
    the optimizer's block size)."""
    chunk = scratch.chunk
    pack, size, ids = [], 0, set()
    for item in items:
        n = item[0].size
        if n > SMALL:
            yield from _param_blocks(item, keys, scratch)
            continue
        if size + n > chunk or id(item[0]) in ids:  # a parameter given twice: updated twice
            yield from _packed_blocks(pack, keys, scratch)
            pack, size, ids = [], 0, set()
        pack.append(item)
        size += n
        ids.add(id(item[0]))
    yield from _packed_blocks(pack, keys, scratch)


def _param_blocks(item, keys, scratch):
    """One parameter's blocks: the whole arrays, or flat CHUNK-element views of them when they
    are larger and contiguous."""
    pd, g, *states = item
    chunk = scratch.chunk
    if pd.size <= chunk or not all(a.flags.c_contiguous for a in item):
        yield Block(pd, g, dict(zip(keys, states)), scratch)
        return
    flat = [a.reshape(-1) for a in item]
    for lo in range(0, pd.size, chunk):
        p, g, *s = (a[lo:lo + chunk] for a in flat)
        yield Block(p, g, dict(zip(keys, s)), scratch)


def _packed_blocks(pack, keys, scratch):
    """Small parameters' block: their arrays gathered into flat scratch arrays, the updated
    ones (all but the gradients) written back when the caller asks for the next block."""
    if len(pack) <= 1:
        for item in pack:
            yield from _param_blocks(item, keys, scratch)
        return
    dtype = pack[0][0].dtype
    columns = list(zip(*pack))  # params, grads, then each state array
    n = sum(pd.size for pd in columns[0])
    flats = [np.concatenate([a.reshape(-1) for a in col],
                            out=scratch.get(dtype, ("pack", i))[:n])
             for i, col in enumerate(columns)]
    p, g, *s = flats
    yield Block(p, g, dict(zip(keys, s)), scratch)
    for i, (col, flat) in enumerate(zip(columns, flats)):
        if i != 1:
            _scatter(flat, col)


def _scatter(flat, arrays):
    lo = 0
    for a in arrays:
        a[...] = flat[lo:lo + a.size].reshape(a.shape)
        lo += a.size


def check_fused(fused, foreach, differentiable):
    """PyTorch's constructor checks of the ``fused`` flag."""
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def _check_step_flags(group, params):
    """Flags ember cannot honour raise, as PyTorch raises for them on a CPU (its fused CPU
    kernels take capturable=True and compute as without it)."""
    if group.get("capturable") and not group.get("fused"):
        devices = "['cuda', 'xpu', 'hpu', 'privateuseone', 'xla']"
        if group.get("foreach") and "betas" in group:  # Adam's multi-tensor check
            devices = "['cuda', 'xpu', 'hpu', 'privateuseone']"
        raise AssertionError(
            f"If capturable=True, params and state_steps must be on supported devices: {devices}."
        )
    if group.get("differentiable"):
        if any(p._grad_fn is None and p.requires_grad for p in params):
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation."
            )
        raise NotImplementedError(
            "ember's optimizers do not support differentiable=True: the update is not "
            "recorded by autograd"
        )


class ForeachOptimizer(Optimizer):
    """An optimizer whose step() updates each parameter group on the multi-tensor core."""

    _counts_steps = True
    _block_scale = 1  # blocks of CHUNK * _block_scale elements: larger for fewer temporaries
    _group_defaults = {}  # hyperparameters that older state dicts may lack

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            for name, default in self._group_defaults.items():
                group.setdefault(name, default)
        if self._counts_steps:
            for group in self.param_groups:
                for p in group["params"]:
                    st = self.state.get(p)
                    if st:
                        _step_tensor(st)

    def _state_keys(self, group):
        """The names of the arrays kept per parameter; none (SGD without momentum): no state
        at all."""
        raise NotImplementedError

    def _init_state(self, param, group):
        """The state of a parameter at its first update: step 0 and zeros."""
        st = {"step": _make(np.array(0.0, dtype=np.float32))} if self._counts_steps else {}
        for key in self._state_keys(group):
            st[key] = _make(np.zeros_like(param._data))
        return st

    def _bucket_key(self, state, fresh):
        return float(state["step"]._data) if self._counts_steps else None

    def _check_param(self, param, grad):
        """Raise for a parameter the algorithm cannot update."""

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure()'s loss."""
        loss = self._closure_loss(closure)
        chunk = CHUNK * self._block_scale
        scratch = self.__dict__.get("_scratch")
        if scratch is None or scratch.chunk != chunk:
            scratch = self._scratch = _Scratch(chunk)
        token = silence()  # inf and nan without NumPy's warnings, as in PyTorch
        try:
            for group in self.param_groups:
                self._step_group(group, scratch)
        finally:
            restore(token)
        return loss

    def _step_group(self, group, scratch):
        buckets = self._buckets(group)
        keys = self._state_keys(group)
        for (dtype, key), items in buckets.items():
            k = self._constants(group, key, dtype.type)
            arrays = [(p._data, g, *(s._data for s in st)) for p, g, st in items]
            for x in _blocks(arrays, keys, scratch):
                self._update(x, k)
            for p, _, st in items:
                p._version[0] += 1
                for s in st:
                    s._version[0] += 1

    def _buckets(self, group):
        """{(dtype, key): [(param, grad array, state tensors)]} for the group's parameters
        that have a gradient; their state is made, and their step counted, here."""
        params = [p for p in group["params"] if p._grad is not None]
        if params:
            _check_step_flags(group, params)
        keys = self._state_keys(group)
        buckets = {}
        for p in params:
            g = p._grad._data
            self._check_param(p, g)
            if g.dtype != p._data.dtype:
                g = g.astype(p._data.dtype)
            st, fresh = None, False
            if keys:
                st = self.state[p]
                fresh = not st
                if fresh:
                    st.update(self._init_state(p, group))
                if self._counts_steps:
                    step = _step_tensor(st)
                    step._data += 1
                    step._version[0] += 1
            key = (p._data.dtype, self._bucket_key(st, fresh))
            buckets.setdefault(key, []).append((p, g, [st[k] for k in keys]))
        return buckets


def decayed_grad(x, k):
    """The gradient with PyTorch's sign and L2 weight decay: -g if k.maximize, then
    g + k.weight_decay * p (fused), into scratch."""
    g = x.g
    if k.maximize:
        g = np.negative(g, out=x.tmp())
    if k.weight_decay:
        g = fma_(x.tmp(), k.weight_decay, x.p, g, x)
    return g


def check_capturable(group, what="params and state_steps", xla=True):
    """PyTorch's refusal of capturable=True on a CPU, as its single-tensor code words it
    (``what`` names the tensors it checks; its multi-tensor code leaves 'xla' out)."""
    if group.get("capturable"):
        devices = ["cuda", "xpu", "hpu", "privateuseone"]
        if xla:
            devices.append("xla")
        raise AssertionError(
            f"If capturable=True, {what} must be on supported devices: {devices}."
        )


class RealForeachOptimizer(ForeachOptimizer):
    """A ForeachOptimizer for real parameters whose capturable=True is refused with the
    words of its PyTorch counterpart: ``_capturable[foreach]`` is (what, xla) for
    check_capturable."""

    _capturable = {False: ("params and state_steps", True),
                   True: ("params and state_steps", False)}

    def _buckets(self, group):
        if group.get("capturable") and any(p._grad is not None for p in group["params"]):
            check_capturable(group, *self._capturable[bool(group.get("foreach"))])
        return super()._buckets(group)

    def _check_param(self, param, grad):
        if grad.dtype.kind == "c" or param._data.dtype.kind == "c":
            raise NotImplementedError(
                f"ember's {type(self).__name__} does not support complex parameters")
