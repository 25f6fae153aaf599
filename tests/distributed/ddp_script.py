"""Train a small MLP for a few steps with DDP; runs on ember (`import torch` aliased) and on
PyTorch (torchrun). argv: out.npz mode. mode: plain | buckets | fp16 | nosync | view | single."""

import sys

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn

out, mode = sys.argv[1], sys.argv[2]
single = mode == "single"
if not single:
    dist.init_process_group("gloo")
rank = 0 if single else dist.get_rank()
world = 1 if single else dist.get_world_size()

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 4))
if mode == "unused":
    class Branchy(nn.Module):
        def __init__(self, seq):
            super().__init__()
            self.seq = seq
            self.extra = nn.Linear(8, 4)  # never used: DDP must not wait for its gradient

        def forward(self, x):
            return self.seq(x)

    wrapped = Branchy(model)
rng = np.random.default_rng(1)
X = torch.tensor(rng.standard_normal((4, 8, 8)), dtype=torch.float32)  # steps x batch x in
Y = torch.tensor(rng.standard_normal((4, 8, 4)), dtype=torch.float32)
if single:
    net = model
else:
    kw = {}
    if mode == "buckets":
        kw["bucket_cap_mb"] = 0.0002  # one small bucket per layer: several all-reduces overlap
    if mode == "view":
        kw["gradient_as_bucket_view"] = True
    if mode == "unused":
        kw["find_unused_parameters"] = True
    net = nn.parallel.DistributedDataParallel(wrapped if mode == "unused" else model, **kw)
    if mode == "fp16":
        from torch.distributed.algorithms.ddp_comm_hooks import default_hooks

        net.register_comm_hook(None, default_hooks.fp16_compress_hook)
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
share = slice(rank * 8 // world, (rank + 1) * 8 // world)
for step in range(4):
    opt.zero_grad()
    if mode == "nosync":
        half = slice(share.start, (share.start + share.stop) // 2)
        rest = slice(half.stop, share.stop)
        with net.no_sync():
            nn.functional.mse_loss(net(X[step][half]), Y[step][half], reduction="sum").backward()
        nn.functional.mse_loss(net(X[step][rest]), Y[step][rest], reduction="sum").backward()
    else:
        # the loss summed over the rank's share, scaled so that DDP's average is the global mean
        loss = nn.functional.mse_loss(net(X[step][share]), Y[step][share], reduction="sum")
        (loss / (8 // world)).backward()
    opt.step()
if rank == 0:
    keys = [k for k in net.state_dict() if "extra" not in k]
    np.savez(out, keys=np.array(keys), **{f"p{i}": p.detach().numpy()
                                         for i, p in enumerate(model.parameters())})
if not single:
    dist.destroy_process_group()
