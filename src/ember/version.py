"""``torch.version``: ember's version; no CUDA, ROCm/HIP or XPU build."""

__all__ = ["__version__", "cuda", "debug", "git_version", "hip", "rocm", "xpu"]

__version__ = "0.1.0"
cuda = None
hip = None
rocm = None
xpu = None
debug = False
git_version = "Unknown"
