"""The ``torch.*`` forms of nn functions: positional flags, reductions given as 0/1/2, and
``torch.embedding``'s (weight, indices) order. Each calls the nn.functional op (so vmap and
the other transforms see that op, with its own argument order)."""

from .ops import dropout as _nn_dropout
from .ops import embedding as _nn_embedding
from .ops import loss as _nn_loss
from .ops import normalization as _nn_normalization
from .ops import pooling as _nn_pooling

__all__ = [
    "adaptive_max_pool1d", "alpha_dropout", "alpha_dropout_", "batch_norm",
    "binary_cross_entropy_with_logits", "cosine_embedding_loss", "dropout", "dropout_",
    "embedding", "feature_alpha_dropout", "feature_alpha_dropout_", "feature_dropout",
    "feature_dropout_", "hinge_embedding_loss", "kl_div", "margin_ranking_loss",
    "poisson_nll_loss", "triplet_margin_loss",
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
