"""``torch.amp``: autocast and GradScaler as a CPU-only PyTorch has them.

ember computes in the dtypes it is given and has no mixed-precision casting of its own.
``autocast`` for an accelerator is disabled with PyTorch's warning (as on a machine without
one); on the CPU, where PyTorch would run the listed ops in bfloat16, it raises rather than
compute in another precision than asked. ``GradScaler`` for an accelerator is disabled with
PyTorch's warning; on the CPU it scales, unscales, skips steps with inf/nan gradients and
updates the scale as PyTorch does.
"""

from .autocast_mode import autocast, custom_bwd, custom_fwd, is_autocast_available
from .grad_scaler import GradScaler

__all__ = ["GradScaler", "autocast", "custom_bwd", "custom_fwd", "is_autocast_available"]
