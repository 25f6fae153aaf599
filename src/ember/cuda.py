"""ember.cuda: ember computes on the CPU, so tutorials' ``if torch.cuda.is_available()`` take
their CPU branch; calls that need a GPU fail as in a CPU-only build of PyTorch."""

from ._device import _CPU_HINT, check_cuda_call
from ._errors import note


def is_available():
    return False


def device_count():
    return 0


def is_initialized():
    return False


def is_bf16_supported(including_emulation=True):
    return False


def get_arch_list():
    return []


# seeding a GPU that is not there does nothing, as in a CPU-only PyTorch
def manual_seed(seed):
    pass


def manual_seed_all(seed):
    pass


def seed():
    pass


def seed_all():
    pass


def get_rng_state_all():
    return []


def empty_cache():
    """No GPU memory to release."""


def memory_allocated(device=None):
    return 0


def max_memory_allocated(device=None):
    return 0


def memory_reserved(device=None):
    return 0


def max_memory_reserved(device=None):
    return 0


def init():
    check_cuda_call()


def current_device():
    check_cuda_call()


def synchronize(device=None):
    check_cuda_call()


def get_device_name(device=None):
    check_cuda_call()


def get_device_properties(device=None):
    check_cuda_call()


def get_device_capability(device=None):
    check_cuda_call()


def set_device(device):
    check_cuda_call()


def initial_seed():
    check_cuda_call()


def get_rng_state(device="cuda"):
    check_cuda_call()


def mem_get_info(device=None):
    check_cuda_call()


# -- ember.cuda.FloatTensor and friends: old scripts pick `dtype = torch.cuda.FloatTensor if
# use_cuda else torch.FloatTensor`; the classes exist, making one fails
class _cuda_tensortype(type):
    def __call__(cls, *args, **kwargs):
        raise note(TypeError(f"type {cls.__module__}.{cls.__name__} not available. Torch not "
                             "compiled with CUDA enabled."), _CPU_HINT)

    def __instancecheck__(cls, obj):
        return False

    def __repr__(cls):
        return f"<class '{cls.__module__}.{cls.__name__}'>"


# as PyTorch's: type(torch.cuda.FloatTensor) is torch.tensortype
_cuda_tensortype.__module__ = "ember"
_cuda_tensortype.__name__ = _cuda_tensortype.__qualname__ = "tensortype"


def _cuda_class(name):
    cls = _cuda_tensortype(name, (), {"is_cuda": True})
    cls.__module__ = "ember.cuda"
    return cls


FloatTensor = _cuda_class("FloatTensor")
DoubleTensor = _cuda_class("DoubleTensor")
HalfTensor = _cuda_class("HalfTensor")
LongTensor = _cuda_class("LongTensor")
IntTensor = _cuda_class("IntTensor")
ShortTensor = _cuda_class("ShortTensor")
CharTensor = _cuda_class("CharTensor")
ByteTensor = _cuda_class("ByteTensor")
BoolTensor = _cuda_class("BoolTensor")
