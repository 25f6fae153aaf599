"""What the neural-network op families share: a float-only input check, the fused node (one
function computing every input's gradient) and the linear map with a plan (pooling, padding).
"""

from .._tensor import Tensor
from ..autograd.graph import Node
from ._op import check_tensor, formula_node, linear, record
from .linalg import _word


def shape_list(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def float_data(input, name, kernel=None, complex_ok=False):
    """input's array, which must be floating point (or complex, for the ops that take it:
    ``complex_ok``); PyTorch's error names the kernel: ``name + '_cpu'`` unless ``kernel`` is
    given."""
    d = input._data if isinstance(input, Tensor) else check_tensor(input, name)
    if d.dtype.kind not in "fV" and not (complex_ok and d.dtype.kind == "c"):
        raise NotImplementedError(
            f"\"{kernel or name + '_cpu'}\" not implemented for '{_word(d.dtype)}'"
        )
    return d


# -- fused nodes ----------------------------------------------------------------------------------
class _FusedNode(Node):
    """A node computing every input's gradient in one function (they share work, such as the
    normalized input of the norms). Without create_graph it works on arrays with the statistics
    saved by the forward; with create_graph it rebuilds them from the input in ember ops, so the
    gradient is itself differentiable."""

    __slots__ = ()

    def apply(self, grads, create_graph):
        return self.grads(grads[0], create_graph, *self.unpack_saved())


def fused_node(name, fn):
    """A node class named ``name`` whose gradients are ``fn(node, g, create_graph, *saved)``."""
    return type(name, (_FusedNode,), {"__slots__": (), "grads": fn})


# -- linear maps with a plan --------------------------------------------------------------------
# Pooling at fixed indices, average pooling and padding are linear in their input: a *plan*
# holds the forward array map and its adjoint, and ``linear_map`` applies either one, its
# gradient being the other (so second derivatives work).
def linear_map(x, plan, adjoint, node=None, keep=None):
    """plan.forward(x) (or plan.adjoint): a recorded op whose gradient is the other map.
    ``keep``: a tensor the node holds only so that changing it in place is caught."""
    d = x._data
    out = plan.adjoint(d) if adjoint else plan.forward(d)
    if node is None:
        node = plan.nodes[1 if adjoint else 0]
    saved = (plan, adjoint) if keep is None else (plan, adjoint, keep)
    return record(out, node, (x,), saved)


def _linear_vjp(g, plan, adjoint, keep=None):
    return linear_map(g, plan, not adjoint)


def node_pair(name):
    """The nodes of a planned map and of its adjoint (PyTorch's ...Backward0 and
    ...BackwardBackward0)."""
    # forward rule: the map itself on the tangent
    jvp = linear(lambda t, plan, adjoint, keep=None: linear_map(t, plan, adjoint))
    return (formula_node(f"{name}Backward0", _linear_vjp, jvp=jvp),
            formula_node(f"{name}BackwardBackward0", _linear_vjp, jvp=jvp))
