"""ember.distributed: process groups and collectives, as torch.distributed, over MPI.

    import ember.distributed as dist
    dist.init_process_group("gloo")
    dist.all_reduce(t)

Needs mpi4py and an MPI library (``pip install ember[distributed]``); importing this package
does not load them, and ``is_available()`` says whether they are there. Start the ranks with
``ember run --nproc-per-node N script.py``, ``mpiexec -n N python script.py`` or
``ember.multiprocessing.spawn``.
"""

from .distributed_c10d import *
from .distributed_c10d import __all__ as _c10d_all
from .distributed_c10d import default_pg_timeout

__all__ = [*_c10d_all, "default_pg_timeout"]
