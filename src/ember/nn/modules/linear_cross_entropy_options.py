"""LinearCrossEntropyOptions: the settings of linear_cross_entropy's chunked path. ember has
only the reference path (the same values without the memory saving), so linear_cross_entropy
warns that it ignores them, as PyTorch does for the configurations its chunked path lacks."""

import dataclasses

from ... import _dtype, _names

__all__ = ["LinearCrossEntropyOptions"]

_ACC_POLICIES = {"auto", "accurate", "balanced", "compact"}


@dataclasses.dataclass(slots=True, frozen=True)
class LinearCrossEntropyOptions:
    """How the chunked linear_cross_entropy splits the batch and accumulates (checked as
    PyTorch checks them)."""

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: str = "auto"
    acc_dtype: object = None

    def __post_init__(self):
        if self.acc_policy not in _ACC_POLICIES:
            raise ValueError(f"invalid acc_policy: {self.acc_policy!r}")
        if self.chunking_method is not None and self.chunking_method != "auto":
            name, sep, factor = self.chunking_method.partition(":")
            if not sep:
                factor = "1"
            if not (name == "aspect_ratio" and factor.isdigit() and int(factor) > 0):
                raise ValueError(f"invalid chunking_method: {self.chunking_method!r}")
        if not (self.batch_chunk_size is None
                or (isinstance(self.batch_chunk_size, int) and self.batch_chunk_size > 0)):
            raise ValueError(f"batch_chunk_size must be positive int or None, got "
                             f"{self.batch_chunk_size!r}")
        supported = (_dtype.float16, _dtype.float32, _dtype.float64)
        if self.acc_dtype is not None and self.acc_dtype not in supported and not (
                isinstance(self.acc_dtype, _dtype.dtype) and self.acc_dtype.name == "bfloat16"):
            raise ValueError(_names.spell(
                f"acc_dtype must be one of {{None, ember.float16, ember.bfloat16, "
                f"ember.float32, ember.float64}}, got {self.acc_dtype!r}. Pass acc_dtype=None "
                "to let the op pick automatically."))
