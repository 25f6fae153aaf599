"""ember.multiprocessing.spawn with init_process_group inside, as PyTorch tutorials write it.
argv: out-file [fail]."""

import sys

import ember as torch
import ember.distributed as dist
import ember.multiprocessing as mp


def work(rank, world, out, fail):
    dist.init_process_group("gloo", rank=rank, world_size=world)
    t = torch.tensor([1.0, 2.0]) * (rank + 1)
    dist.all_reduce(t)
    if fail and rank == 1:
        raise KeyError("spawned rank failed")
    if rank == 0:
        with open(out, "w") as f:
            f.write(repr(t.tolist()))
    dist.destroy_process_group()


if __name__ == "__main__":
    fail = len(sys.argv) > 2
    try:
        mp.spawn(work, args=(2, sys.argv[1], fail), nprocs=2, join=True)
    except mp.ProcessRaisedException as exc:
        print("raised in process", exc.error_index)
        print(exc)
        sys.exit(3)
