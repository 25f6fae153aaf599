"""The ``torch.*`` forms of nn functions: positional flags, reductions given as 0/1/2, and
``torch.embedding``'s (weight, indices) order. Each calls the nn.functional op (so vmap and
the other transforms see that op, with its own argument order)."""

import numpy as np

from ._tensor import Tensor, _make
from .ops import conv as _nn_conv
from .ops import dropout as _nn_dropout
from .ops import embedding as _nn_embedding
from .ops import loss as _nn_loss
from .ops import normalization as _nn_normalization
from .ops import pooling as _nn_pooling
from .ops import sampling as _nn_sampling
from .ops._inplace import check_inplace
from .ops._nn_common import as_kernel, kernel_node, shape_list

__all__ = [
    "adaptive_max_pool1d", "affine_grid_generator", "alpha_dropout", "alpha_dropout_",
    "batch_norm", "binary_cross_entropy_with_logits", "convolution", "cosine_embedding_loss",
    "ctc_loss", "dropout", "dropout_", "embedding", "embedding_bag", "embedding_renorm_",
    "feature_alpha_dropout", "feature_alpha_dropout_", "feature_dropout", "feature_dropout_",
    "grid_sampler", "grid_sampler_2d", "grid_sampler_3d", "hinge_embedding_loss", "kl_div",
    "margin_ranking_loss", "poisson_nll_loss", "triplet_margin_loss",
]

_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


def _reduction(r):
    return _REDUCTIONS[r] if isinstance(r, int) else r


def dropout(input, p, train):
    return _nn_dropout.dropout(input, p, train)


def dropout_(input, p, train):
    return _nn_dropout.dropout(input, p, train, inplace=True)


def alpha_dropout(input, p, train):
    return _nn_dropout.alpha_dropout(input, p, train)


def alpha_dropout_(input, p, train):
    return _nn_dropout.alpha_dropout(input, p, train, inplace=True)


def feature_alpha_dropout(input, p, train):
    return _nn_dropout.feature_alpha_dropout(input, p, train)


def feature_alpha_dropout_(input, p, train):
    return _nn_dropout.feature_alpha_dropout(input, p, train, inplace=True)


def feature_dropout(input, p, train):
    """Zero whole channels (dimension 1) with probability p, scaling the rest by 1/(1-p)."""
    if not train or p == 0 or input.dim() < 2:
        return input if not train or p == 0 else _nn_dropout.dropout(input, p, train)
    noise = _nn_dropout.dropout(input.new_ones(*input.shape[:2], *[1] * (input.dim() - 2)),
                                p, True)
    return input * noise


def feature_dropout_(input, p, train):
    return input.copy_(feature_dropout(input, p, train)) if train and p else input


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    return _nn_embedding.embedding(indices, weight, None if padding_idx < 0 else padding_idx,
                                   None, 2.0, scale_grad_by_freq, sparse)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled):
    return _nn_normalization.batch_norm(input, running_mean, running_var, weight, bias,
                                        training, momentum, eps)


def kl_div(input, target, reduction=0, *, log_target=False):
    return _nn_loss.kl_div(input, target, reduction=_reduction(reduction),
                           log_target=log_target)


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
    return _nn_loss.margin_ranking_loss(input1, input2, target, margin=margin,
                                        reduction=_reduction(reduction))


def hinge_embedding_loss(input, target, margin=1.0, reduction=0):
    return _nn_loss.hinge_embedding_loss(input, target, margin=margin,
                                         reduction=_reduction(reduction))


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
    return _nn_loss.cosine_embedding_loss(input1, input2, target, margin=margin,
                                          reduction=_reduction(reduction))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False,
                        reduction=0):
    return _nn_loss.triplet_margin_loss(anchor, positive, negative, margin=margin, p=p, eps=eps,
                                        swap=swap, reduction=_reduction(reduction))


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    return _nn_loss.poisson_nll_loss(input, target, log_input=log_input, full=full, eps=eps,
                                     reduction=_reduction(reduction))


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None,
                                     reduction=0):
    return _nn_loss.binary_cross_entropy_with_logits(input, target, weight,
                                                     reduction=_reduction(reduction),
                                                     pos_weight=pos_weight)


def adaptive_max_pool1d(input, output_size):
    return _nn_pooling.adaptive_max_pool1d(input, output_size, return_indices=True)


# -- convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding,
#    groups): conv1d/2d/3d or conv_transpose1d/2d/3d, by the weight's dimensions
def _int_list(v, name, pos):
    if not isinstance(v, (list, tuple)):
        raise TypeError(f"convolution(): argument '{name}' (position {pos}) must be tuple of "
                        f"ints, not {type(v).__name__}")
    return list(v)


def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding,
                groups):
    stride = _int_list(stride, "stride", 4)
    padding = _int_list(padding, "padding", 5)
    dilation = _int_list(dilation, "dilation", 6)
    output_padding = _int_list(output_padding, "output_padding", 8)
    nd = weight.dim() - 2
    if input.dim() != weight.dim() and nd in (1, 2, 3):  # no unbatched form here
        raise RuntimeError(
            f"Expected {weight.dim()}-dimensional input for {weight.dim()}-dimensional weight "
            f"{shape_list(weight.shape)}, but got {input.dim()}-dimensional input of size "
            f"{shape_list(input.shape)} instead")

    def spread(v):  # one value stands for every spatial dimension
        return v * nd if len(v) == 1 else v

    stride, padding, dilation = spread(stride), spread(padding), spread(dilation)
    if transposed:
        fn = (_nn_conv.conv_transpose1d, _nn_conv.conv_transpose2d,
              _nn_conv.conv_transpose3d)[nd - 1] if nd in (1, 2, 3) else None
        if fn is not None:
            return fn(input, weight, bias, stride, padding, spread(output_padding), groups,
                      dilation)
    else:
        fn = (_nn_conv.conv1d, _nn_conv.conv2d, _nn_conv.conv3d)[nd - 1] \
            if nd in (1, 2, 3) else None
        if fn is not None:
            return fn(input, weight, bias, stride, padding, dilation, groups)
    raise RuntimeError(f"Expected 3D, 4D or 5D weight for convolution, but got "
                       f"{weight.dim()}-dimensional weight {shape_list(weight.shape)}")


# -- grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners): the integer
#    codes of nn.functional.GRID_SAMPLE_INTERPOLATION_MODES and GRID_SAMPLE_PADDING_MODES
_INTERPOLATION = ("bilinear", "nearest", "bicubic")
_PADDING = ("zeros", "border", "reflection")
_GridSampler2D = kernel_node("GridSampler2DBackward0")
_GridSampler3D = kernel_node("GridSampler3DBackward0")
_AffineGridGenerator = kernel_node("AffineGridGeneratorBackward0")
for _cls in (_GridSampler2D, _GridSampler3D):
    _nn_sampling.name_grid_sampler(_cls, _nn_sampling.grid_sample)
_nn_sampling.name_affine_grid(_AffineGridGenerator, _nn_sampling.affine_grid)


def _bool_arg(v, fname, name, pos):
    if not isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{fname}(): argument '{name}' (position {pos}) must be bool, not "
                        f"{type(v).__name__}")
    return bool(v)


def _grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners, fname):
    align_corners = _bool_arg(align_corners, fname, "align_corners", 5)
    if not 0 <= interpolation_mode < 3 or not 0 <= padding_mode < 3:
        raise RuntimeError(f"{fname}(): unknown interpolation mode {interpolation_mode} or "
                           f"padding mode {padding_mode} (the codes are 0, 1 and 2)")
    node = _GridSampler3D if input.dim() == 5 else _GridSampler2D
    return as_kernel(node, (input, grid), _nn_sampling.grid_sample, input, grid,
                     _INTERPOLATION[interpolation_mode], _PADDING[padding_mode], align_corners)


def _grid_dims(input, grid, nd):
    if input.dim() != nd or grid.dim() != nd:
        raise RuntimeError(f"grid_sampler(): expected {nd}D input and grid with same number of "
                           f"dimensions, but got input with sizes {shape_list(input.shape)} "
                           f"and grid with sizes {shape_list(grid.shape)}")


def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    return _grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners,
                         "grid_sampler")


def grid_sampler_2d(input, grid, interpolation_mode, padding_mode, align_corners):
    _grid_dims(input, grid, 4)
    return _grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners,
                         "grid_sampler_2d")


def grid_sampler_3d(input, grid, interpolation_mode, padding_mode, align_corners):
    _grid_dims(input, grid, 5)
    if interpolation_mode == 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    return _grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners,
                         "grid_sampler_3d")


def affine_grid_generator(theta, size, align_corners):
    align_corners = _bool_arg(align_corners, "affine_grid_generator", "align_corners", 3)
    return as_kernel(_AffineGridGenerator, (theta,), _nn_sampling.affine_grid, theta,
                     list(size), align_corners)


# -- embedding_bag(weight, indices, offsets, ...) -> (output, offset2bag, bag_size,
#    max_indices), the mode as 0 (sum), 1 (mean) or 2 (max), as PyTorch's CPU kernel returns
_EmbeddingBag = kernel_node("EmbeddingBagBackward0")
_BAG_MODES = ("sum", "mean", "max")


def embedding_bag(weight, indices, offsets, scale_grad_by_freq=False, mode=0, sparse=False,
                  per_sample_weights=None, include_last_offset=False, padding_idx=None):
    if mode not in (0, 1, 2):
        raise RuntimeError("`mode` must be sum, mean, or max.")
    if padding_idx is not None and padding_idx < 0:
        padding_idx = None  # PyTorch's kernel reads a negative padding_idx as none
    indices = indices.reshape(-1)
    out = as_kernel(_EmbeddingBag, (weight, per_sample_weights), _nn_embedding.embedding_bag,
                    indices, weight, offsets, None, 2, scale_grad_by_freq, _BAG_MODES[mode],
                    sparse, per_sample_weights, include_last_offset, padding_idx)
    idx = indices._data
    offs = np.asarray(offsets._data, dtype=np.int64).reshape(-1)
    bags = out.shape[0]
    bag_of = np.clip(np.searchsorted(offs[:bags], np.arange(idx.size), "right") - 1, 0,
                     max(bags - 1, 0))
    keep = np.ones(idx.size, bool) if padding_idx is None else idx != padding_idx
    if mode == 0:
        # PyTorch's fast float32/float16 sum (without padding_idx) leaves offset2bag empty
        fast = padding_idx is None and weight._data.dtype in (np.float32, np.float16)
        offset2bag = np.zeros(0, np.int64) if fast else bag_of
        return (out, _make(offset2bag.astype(np.int64)), _make(np.zeros(bags, np.int64)),
                _make(np.zeros(bags, np.int64)))
    bag_size = np.bincount(bag_of[keep], minlength=bags).astype(np.int64)
    if mode == 1:
        max_indices = bag_size.copy()
    else:  # the row index of each feature's maximum (the first one), 0 in an empty bag
        wd = weight._data
        max_indices = np.zeros((bags, wd.shape[1]), np.int64)
        for b in range(bags):
            rows = idx[keep & (bag_of == b)]
            if rows.size:
                max_indices[b] = rows[np.argmax(wd[rows], axis=0)]
    return out, _make(bag_of.astype(np.int64)), _make(bag_size), _make(max_indices)


def embedding_renorm_(input, indices, max_norm, norm_type):
    """Rescale, in place, the rows of ``input`` named by indices whose norm exceeds
    max_norm; returns input."""
    check_inplace(input)
    _nn_embedding._embedding_renorm(input, np.asarray(indices._data).reshape(-1), max_norm,
                                    norm_type)
    return input


# -- ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, reduction,
#    zero_infinity), the reduction as 0 (none), 1 (mean) or 2 (sum)
_CtcLoss = kernel_node("CtcLossBackward0")


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=0,
             zero_infinity=False):
    loss = as_kernel(_CtcLoss, (log_probs,), _nn_loss.ctc_loss, log_probs, targets,
                     input_lengths, target_lengths, blank, "none", zero_infinity)
    if reduction == 1:
        lengths = target_lengths._data if isinstance(target_lengths, Tensor) else target_lengths
        lengths = np.maximum(np.asarray(lengths, dtype=np.int64).reshape(-1), 1)
        return (loss / _make(lengths.astype(loss._data.dtype))).mean()
    return loss.sum() if reduction == 2 else loss
