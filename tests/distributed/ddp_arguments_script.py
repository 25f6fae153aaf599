"""Construct DDP with each of its arguments in one process; print what happens, one line each.

``python ddp_arguments_script.py torch|ember``: the same lines from both show that ember's DDP
honours, refuses or warns about each argument as PyTorch does.
"""

import sys
import tempfile
import warnings

if sys.argv[1] == "ember":
    import ember

    ember.install_torch_alias()
import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
from torch.nn.parallel import DistributedDataParallel as DDP  # noqa: E402

dist.init_process_group("gloo", init_method=f"file://{tempfile.mktemp()}", rank=0, world_size=1)
CASES = [
    {}, {"device_ids": [0, 1]}, {"device_ids": [0], "output_device": 0}, {"device_ids": []},
    {"output_device": 0}, {"dim": 1}, {"check_reduction": True},
    {"gradient_as_bucket_view": True}, {"static_graph": True},
    {"delay_all_reduce_named_params": []}, {"param_to_hook_all_reduce": 1},
    {"skip_all_reduce_unused_params": True}, {"bucket_cap_mb": 0}, {"bucket_cap_mb_list": [1, 2]},
    {"batched_grad_copy": True}, {"broadcast_buffers": False}, {"forward_sync_buffers": False},
    {"broadcast_buffers": True, "forward_sync_buffers": False}, {"init_sync": False},
    {"process_group": dist.group.WORLD, "device_mesh": 1},
]
for kw in CASES:
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            net = DDP(m, **kw)
            net(torch.randn(4, 3))[:, 0].pow(3).sum().backward()
            outcome = f"ok {[round(g, 4) for g in m[0].weight.grad.flatten().tolist()]}"
        except Exception as e:  # noqa: BLE001 - the point is to print what was raised
            outcome = f"{type(e).__name__}: {e}"
    kinds = sorted(f"{w.category.__name__}: {w.message}" for w in seen
                   if "DDP" not in str(w.message) and "DistributedDataParallel" in str(w.message)
                   or "buffers" in str(w.message))
    print(sorted(kw), outcome, kinds)
