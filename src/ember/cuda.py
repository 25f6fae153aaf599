"""ember.cuda: ember computes on the CPU, so tutorials' `if torch.cuda.is_available()` take
their CPU branch."""


def is_available():
    return False


def device_count():
    return 0


def is_initialized():
    return False


def manual_seed(seed):
    """Seeding a GPU that is not there does nothing, as in a CPU-only PyTorch."""


def manual_seed_all(seed):
    """See manual_seed."""


def synchronize(device=None):
    """Nothing to wait for on the CPU."""


def current_device():
    raise AssertionError("Torch not compiled with CUDA enabled")
