"""``torch.version``: ember's version (see torch_version); no CUDA, ROCm/HIP or XPU build."""

from . import torch_version as _torch_version

__all__ = ["__version__", "cuda", "debug", "git_version", "hip", "rocm", "xpu"]  # noqa: F822

cuda = None
hip = None
rocm = None
xpu = None
debug = False
git_version = "Unknown"


def __getattr__(name):
    if name == "__version__":
        return _torch_version.current()
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
