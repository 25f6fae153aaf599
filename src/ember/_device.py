"""Devices. ember computes on the CPU through NumPy; 'cuda' fails as in a CPU-only PyTorch."""

from ._errors import note


class device:
    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # noqa: A002
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int):
            type, index = "cuda", type
        kind, _, idx = str(type).partition(":")
        if kind not in ("cpu", "cuda", "mps", "meta", "xpu"):
            raise RuntimeError(
                "Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, "
                "fpga, maia, xla, lazy, vulkan, mps, meta, hpu, mtia, privateuseone device type "
                f"at start of device string: {type}"
            )
        self.type = kind
        self.index = int(idx) if idx else index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def _check_available(self):
        if self.type == "cuda":
            exc = AssertionError("Torch not compiled with CUDA enabled")
            note(exc, "ember runs on the CPU: use device='cpu', or branch on "
                         "ember.cuda.is_available().")
            raise exc
        if self.type not in ("cpu", "meta"):
            raise RuntimeError(f"ember has no {self.type} backend")


cpu = device("cpu")
