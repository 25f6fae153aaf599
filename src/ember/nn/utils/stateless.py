"""ember.nn.utils.stateless: the deprecated home of functional_call (use ember.func's)."""

import warnings

__all__ = ["functional_call"]


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """Deprecated: ``ember.func.functional_call`` with a single dict is the same call."""
    warnings.warn(
        "`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will be "
        "removed in a future version of PyTorch. Please use `torch.func.functional_call` "
        "instead which is a drop-in replacement.", FutureWarning, stacklevel=2)
    # loaded on first use: ember.func._functional_call imports ember.nn, which imports this
    from ...func._functional_call import _call

    return _call(module, parameters_and_buffers, args, kwargs, tie_weights, strict)
