"""ember.nn.parallel: DistributedDataParallel, as torch.nn.parallel's.

Not imported by ``ember.nn``: it needs ember.distributed, loaded on first use.
"""

from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
