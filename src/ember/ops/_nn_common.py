"""What the neural-network op families share: a float-only input check and the fused node (one
function computing every input's gradient)."""

from .._tensor import Tensor
from ..autograd.graph import Node
from ._op import check_tensor
from .linalg import _word


def float_data(input, name, kernel=None):
    """input's array, which must be floating point or complex (PyTorch's error names the
    kernel: ``name + '_cpu'`` unless ``kernel`` is given)."""
    d = input._data if isinstance(input, Tensor) else check_tensor(input, name)
    if d.dtype.kind not in "fc":
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
