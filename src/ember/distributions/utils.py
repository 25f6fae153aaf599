"""Helpers shared by the distributions (``torch.distributions.utils``)."""

from functools import update_wrapper
from numbers import Number

from .. import _names
from . import _ops as ops

__all__ = ["broadcast_all", "clamp_probs", "lazy_property", "logits_to_probs",
           "probs_to_logits", "tril_matrix_to_vec", "vec_to_tril_matrix"]

euler_constant = 0.57721566490153286060  # Euler-Mascheroni constant


def broadcast_all(*values):
    """Broadcast tensors and numbers to one shape; numbers become tensors of the first tensor's
    dtype (or the default dtype)."""
    if not all(isinstance(v, (ops.Tensor, Number)) or hasattr(v, "__torch_function__")
               for v in values):
        raise ValueError(_names.spell("Input arguments must all be instances of Number, "
                                      "ember.Tensor or objects implementing "
                                      "__torch_function__."))
    if not all(isinstance(v, ops.Tensor) for v in values):
        dtype, device = ops.get_default_dtype(), None
        for v in values:
            if isinstance(v, ops.Tensor):
                dtype, device = v.dtype, v.device
                break
        values = [v if isinstance(v, ops.Tensor) else ops.tensor(v, dtype=dtype, device=device)
                  for v in values]
    shape = values[0].shape
    if all(v.shape == shape for v in values):
        return tuple(values)  # as PyTorch: no expand node when nothing broadcasts
    return ops.broadcast_tensors(*values)


def _standard_normal(shape, dtype, device):
    return ops.normal(ops.zeros(shape, dtype=dtype, device=device),
                        ops.ones(shape, dtype=dtype, device=device))


def _sum_rightmost(value, dim):
    """Sum out the ``dim`` rightmost dimensions of ``value``."""
    if dim == 0:
        return value
    return value.reshape(value.shape[:-dim] + (-1,)).sum(-1)


def logits_to_probs(logits, is_binary=False):
    """Probabilities from logits: a sigmoid when binary, a softmax over the last dim else."""
    if is_binary:
        return ops.sigmoid(logits)
    return ops.softmax(logits, dim=-1)


def clamp_probs(probs):
    """Clamp probabilities into the open interval (eps, 1 - eps) of their dtype."""
    eps = ops.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    """Logits from probabilities: log-odds when binary, log-probabilities else."""
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return ops.log(ps_clamped) - ops.log1p(-ps_clamped)
    return ops.log(ps_clamped)


class lazy_property:
    """A property computed on first access and then stored on the instance."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        update_wrapper(self, wrapped)

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return _lazy_property_and_property(self.wrapped)
        with ops.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class _lazy_property_and_property(lazy_property, property):
    """Seen on the class, a lazy_property reads as a property too (for documentation tools)."""

    def __init__(self, wrapped):
        property.__init__(self, wrapped)


def tril_matrix_to_vec(mat, diag=0):
    """The lower triangle (below diagonal ``diag``) of ``mat``, read row by row."""
    n = mat.shape[-1]
    if not -n <= diag < n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    arange = ops.arange(n, device=mat.device)
    tril_mask = arange < arange.view(-1, 1) + (diag + 1)
    return mat[..., tril_mask]


def vec_to_tril_matrix(vec, diag=0):
    """The inverse of tril_matrix_to_vec: a lower triangular matrix from its entries."""
    n = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * vec.shape[-1] + 4 * abs(diag) * (diag + 1))
         ** 0.5) / 2
    eps = ops.finfo(vec.dtype).eps
    if round(n) - n > eps:
        raise ValueError(f"The size of last dimension is {vec.shape[-1]} which cannot be "
                         "expressed as the lower triangular part of a square D x D matrix.")
    n = round(n.item()) if isinstance(n, ops.Tensor) else round(n)
    mat = vec.new_zeros(vec.shape[:-1] + (n, n))
    arange = ops.arange(n, device=vec.device)
    tril_mask = arange < arange.view(-1, 1) + (diag + 1)
    mat[..., tril_mask] = vec
    return mat



def _expand_params(self, cls, batch_shape, _instance, names):
    """The shared body of ``expand``: a new instance of ``cls`` whose tensors ``names`` (those
    present on ``self``) are expanded to ``batch_shape``."""
    new = self._get_checked_instance(cls, _instance)
    batch_shape = ops.Size(batch_shape)
    for name in names:
        if name in self.__dict__:
            setattr(new, name, getattr(self, name).expand(batch_shape))
    return new, batch_shape


def _finish_expand(self, cls, new, batch_shape, event_shape=()):
    super(cls, new).__init__(batch_shape, event_shape, validate_args=False)
    new._validate_args = self._validate_args
    return new
