"""The layers of ember.nn: each file lists its layers in __all__."""

from . import (
    activation,
    container,
    conv,
    dropout,
    flatten,
    linear,
    loss,
    module,
    normalization,
    pooling,
    rnn,
    sparse,
    transformer,
)
from .activation import *
from .container import *
from .conv import *
from .dropout import *
from .flatten import *
from .linear import *
from .loss import *
from .module import *
from .normalization import *
from .pooling import *
from .rnn import *
from .sparse import *
from .transformer import *

__all__ = [name for m in (activation, container, conv, dropout, flatten, linear, loss, module,
                          normalization, pooling, rnn, sparse, transformer) for name in m.__all__]
