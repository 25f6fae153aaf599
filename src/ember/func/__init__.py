"""Composable function transforms, as ``torch.func``: grad, vjp, jvp, jacrev, jacfwd, hessian,
vmap, and functional_call to use them with nn.Module.

Every transform takes a function and returns a function; they compose in any order
(``vmap(grad(f))``, ``jacrev(jacrev(f))``, ``jacfwd(jacrev(f))``).
"""

from . import _batching  # noqa: F401 - registers the batching rules with vmap
from ._functional_call import functional_call, stack_module_state
from ._transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, linearize, vjp
from ._vmap import vmap

__all__ = ["functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp",
           "linearize", "stack_module_state", "vjp", "vmap"]

# classes and functions exported here from internal modules say this namespace in __module__
from .. import _names as _names_  # noqa: E402

_names_.adopt(__name__)
