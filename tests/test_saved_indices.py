"""Index tensors are saved as PyTorch saves them: changing one in place between the forward and
the backward is PyTorch's error (never a gradient taken at the new indices), and where PyTorch's
op keeps a copy of its own, the gradient is the one at the indices the forward used."""

import pytest
import torch

import ember


def _ops(lib):
    F = lib.nn.functional
    return {
        "getitem": lambda x, i: x[i],
        "getitem_none": lambda x, i: x[i, None],
        "index_select": lambda x, i: x.index_select(0, i),
        "gather": lambda x, i: x.gather(0, i),
        "take": lambda x, i: x.take(i),
        "take_along_dim": lambda x, i: x.take_along_dim(i, 0),
        "take_along_dim_flat": lambda x, i: x.take_along_dim(i),
        "index_add": lambda x, i: x.index_add(0, i, x[:2] * 1),
        "index_copy": lambda x, i: x.index_copy(0, i, x[:2] * 1),
        "index_fill": lambda x, i: x.index_fill(0, i, 2.0),
        "index_put": lambda x, i: x.index_put((i,), x[:2] * 1),
        "index_put_acc": lambda x, i: x.index_put((i,), x[:2] * 1, accumulate=True),
        "index_reduce": lambda x, i: x.index_reduce(0, i, x[:2] * 1, "prod"),
        "scatter": lambda x, i: x.scatter(0, i, x[:2] * 1),
        "scatter_value": lambda x, i: x.scatter(0, i, 2.0),
        "scatter_add": lambda x, i: x.scatter_add(0, i, x[:2] * 1),
        "scatter_reduce": lambda x, i: x.scatter_reduce(0, i, x[:2] * 1, "amax"),
        "put": lambda x, i: x.put(i, x[:2] * 1),
        "embedding": lambda x, i: F.embedding(i, x[:, None]),
        "nll_loss": lambda x, i: F.nll_loss(x[None].expand(2, 3), i),
        "cross_entropy": lambda x, i: F.cross_entropy(x[None].expand(2, 3), i),
    }


def _setitem(x, i):
    y = x * 1
    y[i] = 5.0
    return y


def _setitem_tensor(x, i):
    y = x * 1
    y[i] = x[:2] * 3
    return y


def _backward(y, x):
    """x's gradient from y.sum(), or the head of the error backward raised."""
    try:
        y.sum().backward()
        return x.grad.tolist()
    except RuntimeError as exc:
        return str(exc).split(":")[0]


@pytest.mark.parametrize("name", [*_ops(torch), "setitem", "setitem_tensor", "masked_fill",
                                  "masked_select"])
def test_index_changed_in_place_before_backward(name):
    outcomes = []
    for lib in (torch, ember):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        i = lib.tensor([0, 1])
        if name.startswith("masked"):
            m = lib.tensor([True, False, False])
            y = x.masked_fill(m, 0.0) if name == "masked_fill" else x.masked_select(m)
            m[1] = True
        else:
            f = {"setitem": _setitem, "setitem_tensor": _setitem_tensor}.get(name) or _ops(lib)[name]
            y = f(x, i)
            i[0] = 2
        outcomes.append(_backward(y, x))
    assert outcomes[1] == outcomes[0]


@pytest.mark.parametrize("name", ["max", "min", "median", "nanmedian", "mode", "kthvalue",
                                  "sort", "topk", "cummax", "max_keepdim"])
def test_returned_indices_changed_in_place_before_backward(name):
    """The index tensor an op returns is the one its node saved (PyTorch's error if changed)."""
    calls = {"max": lambda x: x.max(0), "min": lambda x: x.min(0),
             "median": lambda x: x.median(0), "nanmedian": lambda x: x.nanmedian(0),
             "mode": lambda x: x.mode(0), "kthvalue": lambda x: x.kthvalue(2),
             "sort": lambda x: x.sort(), "topk": lambda x: x.topk(2),
             "cummax": lambda x: x.cummax(0),
             "max_keepdim": lambda x: x[None].max(1, keepdim=True)}
    outcomes = []
    for lib in (torch, ember):
        x = lib.tensor([3.0, 1.0, 2.0, 5.0], requires_grad=True)
        values, indices = calls[name](x)
        with lib.no_grad():
            indices.view(-1)[0] = 2
        outcomes.append(_backward(values, x))
    assert outcomes[1] == outcomes[0]
