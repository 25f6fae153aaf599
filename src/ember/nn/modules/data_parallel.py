"""DataParallel: with no accelerator to spread a batch over (ember runs on the CPU), it holds
the module and runs it as it is, as PyTorch does without CUDA devices."""

from .module import Module

__all__ = ["DataParallel"]


class DataParallel(Module):
    """Runs ``module`` on each device in device_ids with a slice of the batch; with no
    devices (ember's case) it calls the module directly."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if device_ids:
            raise ValueError("DataParallel: ember has no accelerator devices to replicate the "
                             f"module on, but got device_ids={device_ids}")
        self.module = module
        self.device_ids = []
        self.dim = dim
        self.output_device = output_device

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
