"""``torch.cpu``: the CPU as a device module (the one device ember computes on)."""

__all__ = ["current_device", "device_count", "is_available", "is_initialized", "set_device",
           "synchronize"]


def is_available():
    return True


def is_initialized():
    return True


def device_count():
    return 1


def current_device():
    return "cpu"


def set_device(device):
    """Only the CPU exists; any other device raises as in PyTorch's CPU module."""
    if str(device) not in ("cpu", "0"):
        raise ValueError(f"Expected a cpu device, but got: {device}")


def synchronize(device=None):
    """A no-op: ember's ops finish before they return."""
