"""The seam through which a function transform sees every public op (vmap's batching).

The ops never know the transforms: while one is active, ``state.depth`` is non-zero and each
public op first asks ``state.handler(name, fn, args, kwargs)``. The handler returns the op's
result when an argument belongs to the transform (a batched tensor), or NotImplemented, and the
op then runs as usual. With no transform active the cost is one attribute read per op, and the
arithmetic kernels pay even that only off their fast path.
"""


class _State:
    __slots__ = ("depth", "handler")

    def __init__(self):
        self.depth = 0
        self.handler = None


state = _State()
