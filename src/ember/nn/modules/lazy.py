"""Lazy modules: LazyLinear, LazyConv*, LazyConvTranspose*, LazyBatchNorm*, LazyInstanceNorm*.
Their input-dependent size (in_features, in_channels, num_features) is read from the first
input; their parameters are placeholders (UninitializedParameter) until then, when the module
becomes the ordinary layer (LazyLinear -> Linear)."""

from ... import _dtype as _dt
from ...autograd.grad_mode import no_grad
from ...ops import creation as _creation
from ..parameter import UninitializedBuffer, UninitializedParameter
from .conv import (
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
)
from .linear import Linear
from .normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
)

__all__ = [
    "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyConv1d", "LazyConv2d",
    "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d",
    "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d", "LazyLinear",
    "UninitializedBuffer", "UninitializedParameter",
]


def _uninitialized(t):
    return isinstance(t, (UninitializedParameter, UninitializedBuffer))


class LazyModuleMixin:
    """Before the first forward: initialize_parameters(*input) sizes the placeholders, the
    parameters are reset, and the module becomes cls_to_become."""

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters)

    def has_uninitialized_params(self):
        return any(_uninitialized(t) for t in (*self._parameters.values(),
                                               *self._buffers.values()))

    def initialize_parameters(self, *args, **kwargs):
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {self.__class__.__name__}")

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        # a checkpoint gives the placeholders their shapes
        for store in (self._parameters, self._buffers):
            for name, t in store.items():
                key = prefix + name
                if _uninitialized(t) and key in state_dict and not _uninitialized(
                        state_dict[key]):
                    with no_grad():
                        t.materialize(tuple(state_dict[key].shape))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs)


def _infer_parameters(module, args):
    module.initialize_parameters(*args)
    if module.has_uninitialized_params():
        raise RuntimeError(f"module {type(module).__name__} has not been fully initialized")
    module._initialize_hook.remove()
    del module._initialize_hook
    if module.cls_to_become is not None:
        module.__class__ = module.cls_to_become


class LazyLinear(LazyModuleMixin, Linear):
    """A Linear whose in_features is the last dim of the first input."""

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(0, 0, False, device=device, dtype=dtype)
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()


class _LazyConvXdMixin(LazyModuleMixin):
    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def _get_in_channels(self, input):
        n = len(self.kernel_size)
        if input.dim() not in (n + 1, n + 2):
            raise RuntimeError(
                f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to "
                f"{self.__class__.__name__}, but got input of size: {input.shape}")
        return input.shape[1] if input.dim() == n + 2 else input.shape[0]

    def initialize_parameters(self, input, *args, **kwargs):
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            with no_grad():
                if self.transposed:
                    shape = (self.in_channels, self.out_channels // self.groups)
                else:
                    shape = (self.out_channels, self.in_channels // self.groups)
                self.weight.materialize(shape + tuple(self.kernel_size))
                if self.bias is not None:
                    self.bias.materialize((self.out_channels,))
                self.reset_parameters()


def _lazy_conv(name, base, transposed, doc):
    """A lazy form of the convolution layer ``base``: base's arguments without
    in_channels."""
    if transposed:
        def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                     groups=1, bias=True, dilation=1, padding_mode="zeros", device=None,
                     dtype=None):
            base.__init__(self, 0, 0, kernel_size, stride, padding, output_padding, groups,
                          False, dilation, padding_mode, device, dtype)
            _lazy_conv_params(self, out_channels, bias, dtype)
    else:
        def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                     groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
            base.__init__(self, 0, 0, kernel_size, stride, padding, dilation, groups, False,
                          padding_mode, device, dtype)
            _lazy_conv_params(self, out_channels, bias, dtype)

    __init__.__qualname__ = f"{name}.__init__"
    return type(name, (_LazyConvXdMixin, base), {
        "__init__": __init__, "cls_to_become": base, "__doc__": doc, "__module__": __name__})


def _lazy_conv_params(module, out_channels, bias, dtype):
    module.weight = UninitializedParameter(dtype=dtype)
    module.out_channels = out_channels
    if bias:
        module.bias = UninitializedParameter(dtype=dtype)
    module._initialize_hook = module.register_forward_pre_hook(_infer_parameters)


LazyConv1d = _lazy_conv("LazyConv1d", Conv1d, False, "A Conv1d whose in_channels comes from "
                        "the first input.")
LazyConv2d = _lazy_conv("LazyConv2d", Conv2d, False, "A Conv2d whose in_channels comes from "
                        "the first input.")
LazyConv3d = _lazy_conv("LazyConv3d", Conv3d, False, "A Conv3d whose in_channels comes from "
                        "the first input.")
LazyConvTranspose1d = _lazy_conv("LazyConvTranspose1d", ConvTranspose1d, True,
                                 "A ConvTranspose1d whose in_channels comes from the first "
                                 "input.")
LazyConvTranspose2d = _lazy_conv("LazyConvTranspose2d", ConvTranspose2d, True,
                                 "A ConvTranspose2d whose in_channels comes from the first "
                                 "input.")
LazyConvTranspose3d = _lazy_conv("LazyConvTranspose3d", ConvTranspose3d, True,
                                 "A ConvTranspose3d whose in_channels comes from the first "
                                 "input.")


class _LazyNormBase(LazyModuleMixin):
    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None):
        super().__init__(0, eps, momentum, False, False, device, dtype)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(dtype=dtype)
            self.bias = UninitializedParameter(dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(dtype=dtype)
            self.running_var = UninitializedBuffer(dtype=dtype)
            self.num_batches_tracked = _creation.tensor(0, dtype=_dt.int64)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]
            with no_grad():
                if self.affine:
                    self.weight.materialize((self.num_features,))
                    self.bias.materialize((self.num_features,))
                if self.track_running_stats:
                    self.running_mean.materialize((self.num_features,))
                    self.running_var.materialize((self.num_features,))
                self.reset_parameters()


def _lazy_norm(name, base, doc):
    return type(name, (_LazyNormBase, base), {
        "cls_to_become": base, "__doc__": doc, "__module__": __name__})


LazyBatchNorm1d = _lazy_norm("LazyBatchNorm1d", BatchNorm1d,
                             "A BatchNorm1d whose num_features comes from the first input.")
LazyBatchNorm2d = _lazy_norm("LazyBatchNorm2d", BatchNorm2d,
                             "A BatchNorm2d whose num_features comes from the first input.")
LazyBatchNorm3d = _lazy_norm("LazyBatchNorm3d", BatchNorm3d,
                             "A BatchNorm3d whose num_features comes from the first input.")
LazyInstanceNorm1d = _lazy_norm("LazyInstanceNorm1d", InstanceNorm1d,
                                "An InstanceNorm1d whose num_features comes from the first "
                                "input.")
LazyInstanceNorm2d = _lazy_norm("LazyInstanceNorm2d", InstanceNorm2d,
                                "An InstanceNorm2d whose num_features comes from the first "
                                "input.")
LazyInstanceNorm3d = _lazy_norm("LazyInstanceNorm3d", InstanceNorm3d,
                                "An InstanceNorm3d whose num_features comes from the first "
                                "input.")
