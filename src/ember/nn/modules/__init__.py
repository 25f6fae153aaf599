"""The layers of ember.nn: each file lists its layers in __all__."""

from . import (
    activation,
    adaptive,
    container,
    conv,
    data_parallel,
    distance,
    dropout,
    flatten,
    lazy,
    linear,
    linear_cross_entropy_options,
    loss,
    module,
    normalization,
    padding,
    pooling,
    rnn,
    sampling,
    sparse,
    transformer,
)
from .activation import *
from .adaptive import *
from .container import *
from .conv import *
from .data_parallel import *
from .distance import *
from .dropout import *
from .flatten import *
from .lazy import *
from .linear import *
from .linear_cross_entropy_options import *
from .loss import *
from .module import *
from .normalization import *
from .padding import *
from .pooling import *
from .rnn import *
from .sampling import *
from .sparse import *
from .transformer import *

_MODULES = (activation, adaptive, container, conv, data_parallel, distance, dropout, flatten,
            lazy, linear, linear_cross_entropy_options, loss, module, normalization, padding,
            pooling, rnn, sampling, sparse, transformer)
__all__ = [name for m in _MODULES for name in m.__all__]
