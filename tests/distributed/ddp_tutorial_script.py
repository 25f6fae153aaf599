"""PyTorch's tutorial "Getting Started with Distributed Data Parallel", its CPU path.

    python -m ember run ddp_tutorial_script.py OUT [PORT]   # ember, `import torch` aliased
    python ddp_tutorial_script.py OUT [PORT]                # PyTorch

The tutorial's code (setup with MASTER_ADDR/MASTER_PORT and the gloo backend, cleanup,
ToyModel, demo_basic, demo_checkpoint, run_demo through mp.spawn), adapted minimally:

- the device is "cpu" instead of the CUDA device ``rank``, so ``DDP(model)`` takes no
  ``device_ids`` and ``map_location`` maps the tutorial's "cuda:0" to "cpu";
- each rank seeds with ``torch.manual_seed(rank)`` before it builds the model, so that the
  ranks start from different weights (DDP must broadcast rank 0's) and draw different
  inputs (DDP must average the gradients), and ember's and PyTorch's runs can be compared;
- the checkpoint is written in OUT rather than in the system's temp folder, and MASTER_PORT
  may be given (PyTorch's gloo listens on it; ember runs over MPI and ignores it);
- each demo ends by writing the rank's final parameters to OUT/<demo>.<rank>.npz.
"""

import os
import sys

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.optim as optim
from torch.nn.parallel import DistributedDataParallel as DDP

OUT = sys.argv[1]  # the spawned processes see the parent's argv, as multiprocessing's spawn
PORT = sys.argv[2] if len(sys.argv) > 2 else "12355"
device = "cpu"


def setup(rank, world_size):
    os.environ["MASTER_ADDR"] = "localhost"
    os.environ["MASTER_PORT"] = PORT

    # initialize the process group
    dist.init_process_group("gloo", rank=rank, world_size=world_size)


def cleanup():
    dist.destroy_process_group()


class ToyModel(nn.Module):
    def __init__(self):
        super(ToyModel, self).__init__()  # noqa: UP008 - as the tutorial writes it
        self.net1 = nn.Linear(10, 10)
        self.relu = nn.ReLU()
        self.net2 = nn.Linear(10, 5)

    def forward(self, x):
        return self.net2(self.relu(self.net1(x)))


def save_params(name, rank, ddp_model):
    state = ddp_model.state_dict()
    np.savez(os.path.join(OUT, f"{name}.{rank}.npz"), keys=np.array(list(state)),
             **{f"p{i}": v.detach().numpy() for i, v in enumerate(state.values())})


def demo_basic(rank, world_size):
    print(f"Running basic DDP example on rank {rank}.")
    setup(rank, world_size)

    # create model and move it to the device
    torch.manual_seed(rank)
    model = ToyModel().to(device)
    ddp_model = DDP(model)

    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(ddp_model.parameters(), lr=0.001)

    optimizer.zero_grad()
    outputs = ddp_model(torch.randn(20, 10))
    labels = torch.randn(20, 5).to(device)
    loss_fn(outputs, labels).backward()
    optimizer.step()

    save_params("basic", rank, ddp_model)
    cleanup()
    print(f"Finished running basic DDP example on rank {rank}.")


def run_demo(demo_fn, world_size):
    mp.spawn(demo_fn,
             args=(world_size,),
             nprocs=world_size,
             join=True)


def demo_checkpoint(rank, world_size):
    print(f"Running DDP checkpoint example on rank {rank}.")
    setup(rank, world_size)

    torch.manual_seed(rank)
    model = ToyModel().to(device)
    ddp_model = DDP(model)

    CHECKPOINT_PATH = os.path.join(OUT, "model.checkpoint")
    if rank == 0:
        # All processes should see same parameters as they all start from same
        # random parameters and gradients are synchronized in backward passes.
        # Therefore, saving it in one process is sufficient.
        torch.save(ddp_model.state_dict(), CHECKPOINT_PATH)

    # Use a barrier() to make sure that process 1 loads the model after process
    # 0 saves it.
    dist.barrier()
    # configure map_location properly
    map_location = {"cuda:0": device}
    ddp_model.load_state_dict(
        torch.load(CHECKPOINT_PATH, map_location=map_location, weights_only=True))

    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(ddp_model.parameters(), lr=0.001)

    optimizer.zero_grad()
    outputs = ddp_model(torch.randn(20, 10))
    labels = torch.randn(20, 5).to(device)

    loss_fn(outputs, labels).backward()
    optimizer.step()

    # Not necessary to use a dist.barrier() to guard the file deletion below
    # as the AllReduce ops in the backward pass of DDP already served as
    # a synchronization.

    if rank == 0:
        os.remove(CHECKPOINT_PATH)

    save_params("checkpoint", rank, ddp_model)
    cleanup()
    print(f"Finished running DDP checkpoint example on rank {rank}.")


if __name__ == "__main__":
    world_size = 2
    run_demo(demo_basic, world_size)
    run_demo(demo_checkpoint, world_size)
