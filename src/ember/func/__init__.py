"""Composable function transforms, as ``torch.func``: grad, vjp, jvp, jacrev, jacfwd, hessian,
vmap, and functional_call to use them with nn.Module.

Every transform takes a function and returns a function; they compose in any order
(``vmap(grad(f))``, ``jacrev(jacrev(f))``, ``jacfwd(jacrev(f))``).
"""

from . import _batching  # noqa: F401 - registers the batching rules with vmap
from ._einops import rearrange
from ._functional_call import functional_call, stack_module_state
from ._transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, linearize, vjp
from ._vmap import vmap

__all__ = ["functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp",
           "linearize", "rearrange", "replace_all_batch_norm_modules_", "stack_module_state",
           "vjp", "vmap"]


def replace_all_batch_norm_modules_(root):
    """Make every batch norm below ``root`` stop tracking running statistics (vmap cannot
    update one set of them from a batch of samples): in place, returning ``root``."""
    from ..nn.modules.normalization import _BatchNorm

    for module in root.modules():
        if isinstance(module, _BatchNorm):
            module.running_mean = None
            module.running_var = None
            module.num_batches_tracked = None
            module.track_running_stats = False
    return root

# classes and functions exported here from internal modules say this namespace in __module__
from .. import _names as _names_  # noqa: E402

_names_.adopt(__name__)
