"""Convert convolution weights to a memory format: ember's arrays are always row-major, so
the modules are returned as they are (their values and results do not depend on it)."""

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def convert_conv2d_weight_memory_format(module, memory_format):
    return module


def convert_conv3d_weight_memory_format(module, memory_format):
    return module
