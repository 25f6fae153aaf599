"""ember.functorch: the ``functorch`` package that PyTorch still ships, for code that imports it.

Under the torch alias (``ember run``, ``ember.install_torch_alias()``) ``import functorch``
gives this package. Its transforms (grad, vmap, jacrev, ...) are those of ``ember.func``,
looked up by name when called; each warns as functorch's do (a FutureWarning pointing at
``torch.func``), and so do the legacy make_functional, make_functional_with_buffers and
combine_state_for_ensemble. FunctionalModule and FunctionalModuleWithBuffers do not warn.
"""

import importlib
import sys
import warnings

from .. import _names
from ._make_functional import FunctionalModule, FunctionalModuleWithBuffers
from ._make_functional import combine_state_for_ensemble as _combine_state_for_ensemble
from ._make_functional import make_functional as _make_functional
from ._make_functional import make_functional_with_buffers as _make_functional_with_buffers

__all__ = ["FunctionalModule", "FunctionalModuleWithBuffers", "combine_state_for_ensemble",
           "functionalize", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp",
           "make_functional", "make_functional_with_buffers", "vjp", "vmap"]


def __getattr__(name):
    if name == "__version__":  # ember's, as functorch's is torch's
        return sys.modules["ember"].__version__
    raise AttributeError(f"module 'functorch' has no attribute '{name}'")


def _warn(api, new_api=None):
    new_api = new_api or f"torch.func.{api}"
    warnings.warn(
        f"We've integrated functorch into PyTorch. As the final step of the integration, "
        f"`functorch.{api}` is deprecated as of PyTorch 2.0 and will be deleted in a future "
        f"version of PyTorch >= 2.3. Please use `{new_api}` instead; see the PyTorch 2.0 "
        f"release notes and/or the `torch.func` migration guide for more details "
        f"https://pytorch.org/docs/main/func.migrating.html", FutureWarning, stacklevel=3)


def _transform(name):
    """ember.func's transform ``name``, looked up when first called."""
    func = importlib.import_module("ember.func")
    found = getattr(func, name, None)
    if found is None:
        raise NotImplementedError(_names.spell(
            f"functorch.{name} runs ember.func.{name}, which this version of ember does not "
            "provide yet"))
    return found


def _given(**options):
    """The keyword options whose value is not their default (value, default) pair."""
    return {k: v for k, (v, default) in options.items() if v is not default and v != default}


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    _warn("vmap", "torch.vmap")
    return _transform("vmap")(func, **_given(in_dims=(in_dims, 0), out_dims=(out_dims, 0),
                                             randomness=(randomness, "error"),
                                             chunk_size=(chunk_size, None)))


def grad(func, argnums=0, has_aux=False):
    _warn("grad")
    return _transform("grad")(func, **_given(argnums=(argnums, 0), has_aux=(has_aux, False)))


def grad_and_value(func, argnums=0, has_aux=False):
    _warn("grad_and_value")
    return _transform("grad_and_value")(func, **_given(argnums=(argnums, 0),
                                                       has_aux=(has_aux, False)))


def vjp(func, *primals, has_aux=False):
    _warn("vjp")
    return _transform("vjp")(func, *primals, **_given(has_aux=(has_aux, False)))


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    _warn("jvp")
    return _transform("jvp")(func, primals, tangents,
                             **_given(strict=(strict, False), has_aux=(has_aux, False)))


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    _warn("jacrev")
    return _transform("jacrev")(func, **_given(
        argnums=(argnums, 0), has_aux=(has_aux, False), chunk_size=(chunk_size, None),
        _preallocate_and_copy=(_preallocate_and_copy, False)))


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    _warn("jacfwd")
    return _transform("jacfwd")(func, **_given(argnums=(argnums, 0), has_aux=(has_aux, False),
                                               randomness=(randomness, "error")))


def hessian(func, argnums=0):
    _warn("hessian")
    return _transform("hessian")(func, **_given(argnums=(argnums, 0)))


def functionalize(func, *, remove="mutations"):
    _warn("functionalize")
    return _transform("functionalize")(func, **_given(remove=(remove, "mutations")))


def make_functional(model, disable_autograd_tracking=False):
    _warn("make_functional", "torch.func.functional_call")
    return _make_functional(model, disable_autograd_tracking)


def make_functional_with_buffers(model, disable_autograd_tracking=False):
    _warn("make_functional_with_buffers", "torch.func.functional_call")
    return _make_functional_with_buffers(model, disable_autograd_tracking)


def combine_state_for_ensemble(models):
    _warn("combine_state_for_ensemble", "torch.func.stack_module_state")
    return _combine_state_for_ensemble(models)


for _f in (vmap, grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian, functionalize):
    _f.__doc__ = (f"Deprecated: ``torch.func.{_f.__name__}`` (ember.func's), with functorch's "
                  "FutureWarning.")
make_functional.__doc__ = _make_functional.__doc__
make_functional_with_buffers.__doc__ = _make_functional_with_buffers.__doc__
combine_state_for_ensemble.__doc__ = _combine_state_for_ensemble.__doc__
del _f
