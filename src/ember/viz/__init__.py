"""ember.viz: pictures of the autograd graph, with torchviz's API.

    from ember.viz import make_dot          # or, under the torch alias: from torchviz import ...
    make_dot(loss, params=dict(model.named_parameters()))

The picture needs nothing but Python: ember lays the graph out itself and writes SVG (PNG and
PDF through matplotlib when it is installed). This package reads the graph only through what
autograd exposes on its nodes; nothing in the engine imports it.
"""

from ._build import make_dot
from ._digraph import Digraph

__all__ = ["Digraph", "make_dot", "make_dot_from_trace"]


def make_dot_from_trace(trace):
    """torchviz keeps this name only to say where the feature went."""
    raise NotImplementedError("This function has been moved to pytorch core and can be found "
                              "here: https://pytorch.org/docs/stable/tensorboard.html")
