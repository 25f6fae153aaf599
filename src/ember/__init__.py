"""ember: a PyTorch-compatible tensor library with reverse-mode autograd, on NumPy.

    import ember as torch
"""

from . import _malloc

_malloc.tune()  # reuse large freed blocks instead of page-faulting them in every step

from . import _dtype, autograd
from . import ops as _ops  # installs Tensor's methods
from ._device import device, get_default_device, set_default_device
from ._dtype import (  # PyTorch's other dtypes: the wide unsigned ones, and those NumPy lacks
    bits1x8,
    bits2x4,
    bits4x2,
    bits8,
    bits16,
    bool,
    cdouble,
    cfloat,
    chalf,
    complex32,
    complex64,
    complex128,
    double,
    dtype,
    finfo,
    float,
    float4_e2m1fn_x2,
    float8_e4m3fn,
    float8_e4m3fnuz,
    float8_e5m2,
    float8_e5m2fnuz,
    float8_e8m0fnu,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    iinfo,
    int,
    int1,
    int2,
    int3,
    int4,
    int5,
    int6,
    int7,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    result_type,
    set_default_dtype,
    short,
    uint1,
    uint2,
    uint3,
    uint4,
    uint5,
    uint6,
    uint7,
    uint8,
    uint16,
    uint32,
    uint64,
)
from ._import_hook import install_torch_alias
from ._nn_forms import *
from ._settings import *
from ._tensor import Size, Tensor
from ._threads import *
from .autograd import functional as _functional_module  # noqa: F401 (autograd.functional)
from .autograd import gradcheck as _gradcheck_module
from .autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .compiler import compile
from .ops.activation import *
from .ops.complex import *
from .ops.composite import *
from .ops.conv import *
from .ops.copy import clone
from .ops.creation import *
from .ops.decomposition import *
from .ops.elementwise import *
from .ops.gamma import *
from .ops.indexing import *
from .ops.legacy import *
from .ops.linalg import *
from .ops.linear import *
from .ops.lobpcg import lobpcg
from .ops.loss import *
from .ops.normalization import *
from .ops.padding import *
from .ops.pooling import *
from .ops.random import *
from .ops.reduction import *
from .ops.rnn import *
from .ops.sampling import *
from .ops.shape import *
from .ops.sorting import *
from .ops.special_fns import i0, i0_, igamma, igammac
from .ops.spectral import istft, stft
from .ops.strided import *

# as in PyTorch, ember.autograd.gradcheck is the function, not its module
autograd.gradcheck = _gradcheck_module.gradcheck
autograd.gradgradcheck = _gradcheck_module.gradgradcheck


def _explain(t):
    """What ``t`` is in the autograd graph, in plain words (ember.viz.explain, loaded on use)."""
    from .viz.explain import explain

    return explain(t)


def _tensor_explain(self):
    """Tensor.explain(): the report of ember.autograd.explain(self)."""
    return _explain(self)


def _batched_grad(*args):
    """autograd.grad(..., is_grads_batched=True): vmap over the backward (ember.func)."""
    from .func._transforms import batched_grad

    return batched_grad(*args)


autograd.engine.batched_grad = _batched_grad

# attached here: ember.autograd's own package is the core layer and may not import viz
autograd.explain = _explain
Tensor.explain = _tensor_explain


def _autograd_getattr(name):
    """ember.autograd.profiler loads on first use (API layer, above autograd's package)."""
    if name in ("profiler", "anomaly_mode"):
        import importlib

        return importlib.import_module(f"ember.autograd.{name}")
    raise AttributeError(f"module '{_names_.prefix}.autograd' has no attribute '{name}'")


autograd.__getattr__ = _autograd_getattr
is_anomaly_enabled = autograd.anomaly.is_anomaly_enabled
is_anomaly_check_nan_enabled = autograd.anomaly.is_anomaly_check_nan_enabled

class memory_format:
    """Memory layouts PyTorch code names; ember's arrays are always row-major."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"{_names_.prefix}.{self.name}"


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
bit = uint1  # PyTorch's alias


def save(obj, f, *args, **kwargs):
    """Save tensors and nested containers of them (safetensors; never pickle)."""
    from .serialization import save as _save  # imported on first use: keeps `import ember` fast

    return _save(obj, f, *args, **kwargs)


def load(f, *args, **kwargs):
    """Load what ember.save wrote, a safetensors file, or a torch.save checkpoint (safely)."""
    from .serialization import load as _load

    return _load(f, *args, **kwargs)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """How tensors print (as torch.set_printoptions)."""
    from ._tensor_str import set_printoptions as _set  # the printer loads on first use

    _set(precision, threshold, edgeitems, linewidth, profile, sci_mode)


def get_printoptions():
    from ._tensor_str import get_printoptions as _get

    return _get()


def is_tensor(obj, /):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.is_floating_point()


def numel(input):
    if not isinstance(input, Tensor):
        from ._device import _typename

        raise TypeError(f"numel(): argument 'input' (position 1) must be Tensor, not "
                        f"{_typename(input)}")
    return input._data.size


def __getattr__(name):
    # heavier submodules load on first use, keeping `import ember` fast
    import importlib

    if name in ("nn", "optim", "utils", "cuda", "backends", "accelerator", "models",
                "distributed", "multiprocessing", "viz", "_dynamo", "func", "profiler",
                "linalg", "fft", "jit", "futures", "serialization", "random", "special",
                "testing", "version", "cpu", "amp", "distributions", "signal",
                "torch_version", "hub", "monitor", "masked", "quasirandom"):
        return importlib.import_module(f"{__name__}.{name}")
    if name == "windows":  # PyTorch's namespace holds torch.signal.windows under this name
        return importlib.import_module(f"{__name__}.signal.windows")
    if name == "__version__":  # a TorchVersion (see torch_version)
        return importlib.import_module(f"{__name__}.torch_version").current()
    if name == "bfloat16":  # over ml_dtypes, loaded on first use
        return _dtype.bfloat16
    if name == "BFloat16Tensor":
        return _ops.legacy.bfloat16_tensor()
    raise AttributeError(f"module '{_names_.prefix}' has no attribute '{name}'")

# classes and functions exported here from internal modules say this namespace in __module__
from . import _names as _names_  # noqa: E402

_names_.adopt(__name__)
