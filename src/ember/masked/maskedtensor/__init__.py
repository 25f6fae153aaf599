"""torch.masked.maskedtensor: the MaskedTensor class and its constructors."""

from . import core, creation
from .core import MaskedTensor, is_masked_tensor

__all__ = ["MaskedTensor", "core", "creation", "is_masked_tensor"]
