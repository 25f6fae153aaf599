"""ember.backends: which accelerator backends exist (none: ember runs on the CPU)."""

from . import cuda, cudnn, mps  # noqa: F401
