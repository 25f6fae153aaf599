"""DDP's default communication hooks: plain all-reduce, and all-reduce in float16.

A hook takes ``(state, bucket)`` and returns a future of the bucket's averaged gradients;
``state`` is the process group (None: the default group).
"""

from ...._dtype import float16
from ... import distributed_c10d as dist

__all__ = ["allreduce_hook", "fp16_compress_hook"]


class _Future:
    """The value a hook hands back; ``wait()`` finishes the all-reduce behind it."""

    def __init__(self, work, finish):
        self._work = work
        self._finish = finish
        self._value = None

    def wait(self):
        if self._finish is not None:
            if self._work is not None:
                self._work.wait()
            self._value = self._finish()
            self._finish = None
        return self._value

    def value(self):
        return self.wait()

    def then(self, callback):
        return _Future(None, lambda: callback(self))


def allreduce_hook(process_group, bucket):
    """Average the bucket's gradients over the group (what DDP does without a hook)."""
    group = process_group
    size = dist.get_world_size(group)
    buf = bucket.buffer()
    buf.div_(size)
    work = dist.all_reduce(buf, group=group, async_op=True)
    return _Future(work, lambda: buf)


def fp16_compress_hook(process_group, bucket):
    """Average the gradients sent as float16 (half the bytes), then cast back."""
    group = process_group
    size = dist.get_world_size(group)
    buf = bucket.buffer()
    compressed = buf.to(float16).div_(size)
    work = dist.all_reduce(compressed, group=group, async_op=True)

    def finish():
        buf.copy_(compressed)
        return buf

    return _Future(work, finish)

