"""The seam through which a function transform sees every public op (vmap's batching).

The ops never know the transforms: while one is active, ``state.depth`` is non-zero and each
public op first asks ``state.handler(name, fn, args, kwargs)``. The handler returns the op's
result when an argument belongs to the transform (a batched tensor), or NotImplemented, and the
op then runs as usual. With no transform active the cost is one attribute read per op, and the
arithmetic kernels pay even that only off their fast path.

A tensor subclass that owns its ops (``ember.masked``'s MaskedTensor) sets ``state.owner`` to
its own handler, of the same form, once it is first used; ``ask`` offers an op to the
transform's handler, then to the owner's. The owner leaves ``depth`` alone: the ops' other
rules for transforms (float16 in float32, one node per kernel) stay as they are.
"""


class _State:
    __slots__ = ("depth", "handler", "owner")

    def __init__(self):
        self.depth = 0
        self.handler = None
        self.owner = None

    def ask(self, name, fn, args, kwargs):
        """The result of op ``name`` from whoever owns one of its arguments, or NotImplemented."""
        if self.depth:
            out = self.handler(name, fn, args, kwargs)
            if out is not NotImplemented:
                return out
        if self.owner is not None:
            return self.owner(name, fn, args, kwargs)
        return NotImplemented


state = _State()
