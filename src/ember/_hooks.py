"""RemovableHandle: what registering a hook returns (``handle.remove()`` unregisters it)."""

import itertools


class RemovableHandle:
    __slots__ = ("_hooks", "_fn", "id")
    _next_id = itertools.count()

    def __init__(self, hooks, fn):
        hooks.append(fn)
        self._hooks = hooks
        self._fn = fn
        self.id = next(RemovableHandle._next_id)

    def remove(self):
        try:
            self._hooks.remove(self._fn)
        except ValueError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
