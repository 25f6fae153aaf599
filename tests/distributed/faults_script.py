"""Faults on 2 ranks: argv[1] is raise | die | hang | mismatch | monitored."""

import sys
import time
from datetime import timedelta

import torch
import torch.distributed as dist

mode = sys.argv[1]
if mode == "hang" and int(__import__("os").environ["RANK"]) == 1:
    time.sleep(600)  # never joins
dist.init_process_group("gloo", timeout=timedelta(seconds=3))
rank = dist.get_rank()
if mode == "raise":
    if rank == 1:
        raise ValueError("rank one is broken")
    dist.all_reduce(torch.ones(2))
elif mode == "die":
    if rank == 1:
        __import__("os")._exit(7)  # dies without a Python error
    dist.all_reduce(torch.ones(2))
elif mode == "hang":
    dist.all_reduce(torch.ones(2))
elif mode == "mismatch":
    dist.all_reduce(torch.ones(2 + rank))
elif mode == "monitored":
    if rank == 1:
        time.sleep(600)
    dist.monitored_barrier(timeout=timedelta(seconds=1))
print("unreachable", rank)
