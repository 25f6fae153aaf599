"""Run every collective over every dtype on 2 ranks and pickle rank's results to argv[1].rank.
Runs on ember (`ember run --nproc-per-node 2`) and on PyTorch (torchrun), for parity."""

import pickle
import sys

import torch
import torch.distributed as dist

dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
DTYPES = [torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64,
          torch.float16, torch.float32, torch.float64, torch.complex64, torch.complex128]
OPS = ["SUM", "PRODUCT", "MIN", "MAX", "AVG", "BAND", "BOR", "BXOR"]
results = {}


def data(dt, shape=(2, 3), scale=1):
    base = torch.arange(6, dtype=torch.float64).reshape(shape) * (rank + 1) * scale + rank - 2.5
    if dt == torch.bool:
        return (base.floor().long() % 2).bool()
    if dt.is_complex:
        return (base + 0.5j * base).to(dt)
    return base.to(dt) if dt.is_floating_point else base.floor().long().to(dt)


def record(name, fn):
    try:
        out = fn()
        results[name] = [t.tolist() if isinstance(t, torch.Tensor) else t for t in out]
    except Exception as exc:
        results[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0][-80:]}"


for dt in DTYPES:
    name = str(dt).split(".")[-1]
    for op in OPS:
        def allreduce(dt=dt, op=op):
            t = data(dt).t()  # not contiguous
            dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
            return [t]
        record(f"all_reduce {name} {op}", allreduce)

    def bcast(dt=dt):
        t = data(dt)
        dist.broadcast(t, src=1)
        return [t]
    record(f"broadcast {name}", bcast)

    def bcast_view(dt=dt):  # gloo in PyTorch 2.13 writes a non-contiguous view wrongly
        t = data(dt)[:, 1:]
        dist.broadcast(t, src=1)
        return [t]
    record(f"broadcast view {name}", bcast_view)

    def reduce(dt=dt):
        t = data(dt)
        dist.reduce(t, dst=0)
        return [t] if rank == 0 else []
    record(f"reduce {name}", reduce)

    def allgather(dt=dt):
        out = [torch.zeros(3, 2, dtype=dt) for _ in range(world)]
        dist.all_gather(out, data(dt).t())
        return out
    record(f"all_gather {name}", allgather)

    def allgather_t(dt=dt):
        out = torch.zeros(2 * world, 3, dtype=dt)
        dist.all_gather_into_tensor(out, data(dt))
        return [out]
    record(f"all_gather_into_tensor {name}", allgather_t)

    def gather(dt=dt):
        out = [torch.zeros(2, 3, dtype=dt) for _ in range(world)] if rank == 1 else None
        dist.gather(data(dt), out, dst=1)
        return out or []
    record(f"gather {name}", gather)

    def scatter(dt=dt):
        t = torch.zeros(2, 3, dtype=dt)
        dist.scatter(t, [data(dt, scale=k + 1) for k in range(world)] if rank == 0 else None,
                     src=0)
        return [t]
    record(f"scatter {name}", scatter)

    def rs_tensor(dt=dt):
        out = torch.zeros(3, dtype=dt)
        dist.reduce_scatter_tensor(out, data(dt).reshape(-1))
        return [out]
    record(f"reduce_scatter_tensor {name}", rs_tensor)

    def rs_list(dt=dt):
        out = torch.zeros(3, dtype=dt)
        dist.reduce_scatter(out, list(data(dt).unbind(0)))
        return [out]
    record(f"reduce_scatter {name}", rs_list)

    def alltoall(dt=dt):
        out = [torch.zeros(3, dtype=dt) for _ in range(world)]
        dist.all_to_all(out, list(data(dt).unbind(0)))
        return out
    record(f"all_to_all {name}", alltoall)

    def p2p(dt=dt):
        t = data(dt)
        if rank == 0:
            dist.send(t, dst=1)
            return []
        got = torch.zeros(2, 3, dtype=dt)
        src = dist.recv(got, src=0)
        return [got, src]
    record(f"send/recv {name}", p2p)


def objects():
    objs = [{"rank": rank}, (1, "x")] if rank == 0 else [None, None]
    dist.broadcast_object_list(objs, src=0)
    gathered = [None] * world
    dist.all_gather_object(gathered, {"r": rank, "s": "a" * rank})
    return [objs, gathered]


record("objects", objects)


def async_work():
    t = data(torch.float32)
    w = dist.all_reduce(t, async_op=True)
    return [w.wait(), t]


record("async all_reduce", async_work)


def groups():
    both = dist.new_group([0, 1])
    only1 = dist.new_group([1])
    t = data(torch.float32)
    dist.all_reduce(t, op=dist.ReduceOp.MAX, group=both)
    out = [t, dist.get_rank(both), dist.get_world_size(both)]
    if rank == 1:
        u = data(torch.int64)
        dist.all_reduce(u, group=only1)
        out += [u, dist.get_rank(only1), dist.get_world_size(only1)]
    else:
        out += [only1 == dist.GroupMember.NON_GROUP_MEMBER]
    return out


record("new_group", groups)


def p2p_async():
    t = data(torch.float64)
    if rank == 0:
        dist.isend(t, dst=1, tag=5).wait()
        return []
    got = torch.zeros(2, 3, dtype=torch.float64)
    dist.irecv(got, src=0, tag=5).wait()
    return [got]


record("isend/irecv", p2p_async)
record("ranks", lambda: [dist.get_rank(), dist.get_world_size(), dist.get_backend(),
                         dist.is_initialized()])
dist.barrier()
with open(f"{sys.argv[1]}.{rank}", "wb") as f:
    pickle.dump(results, f)
dist.destroy_process_group()
