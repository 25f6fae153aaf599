"""ember.accelerator: no accelerator is available; code falls back to the CPU."""

from ._device import no_accelerator as _none


def is_available():
    return False


def current_accelerator(check_available=False):
    return None


def device_count():
    return 0


def current_device_index():
    _none()


def set_device_index(device):
    _none()


def synchronize(device=None):
    _none()
