"""The two ways to make a MaskedTensor, as torch.tensor and torch.as_tensor make tensors."""

from .core import MaskedTensor

__all__ = ["as_masked_tensor", "masked_tensor"]


def masked_tensor(data, mask, requires_grad=False):
    """A new leaf MaskedTensor over a copy of ``data`` (its history is not kept)."""
    return MaskedTensor(data, mask, requires_grad)


def as_masked_tensor(data, mask):
    """A MaskedTensor over ``data`` that keeps its autograd history."""
    return MaskedTensor._from_values(data, mask)
