"""ember.optim: optimizers that update parameters from their .grad."""

from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["SGD", "Optimizer"]
