"""Helpers for parity tests: run the same code on ember and on PyTorch and compare."""

import numpy as np
import torch

import ember


def to_torch(t, requires_grad=None):
    """An ember tensor's values as a new PyTorch leaf (same dtype, same requires_grad)."""
    out = torch.from_numpy(np.array(t.detach().numpy(), copy=True))
    rg = t.requires_grad if requires_grad is None else requires_grad
    return out.requires_grad_(rg) if rg else out


def to_ember(t, requires_grad=None):
    out = ember.from_numpy(t.detach().numpy().copy())
    rg = t.requires_grad if requires_grad is None else requires_grad
    return out.requires_grad_(rg) if rg else out


def dtype_name(d):
    return str(d).split(".")[-1]


def assert_same(e, t, rtol=1e-6, atol=1e-7, check_dtype=True):
    """ember result e equals PyTorch result t: shape, dtype and values (nan where nan)."""
    if t is None or e is None:
        assert e is None and t is None, (e, t)
        return
    if isinstance(t, (tuple, list)):
        assert len(e) == len(t)
        for a, b in zip(e, t):
            assert_same(a, b, rtol, atol, check_dtype)
        return
    if not isinstance(t, torch.Tensor):
        assert e == t or (e != e and t != t), (e, t)
        return
    assert isinstance(e, ember.Tensor), type(e)
    assert tuple(e.shape) == tuple(t.shape), (tuple(e.shape), tuple(t.shape))
    if check_dtype:
        assert dtype_name(e.dtype) == dtype_name(t.dtype), (e.dtype, t.dtype)
    np.testing.assert_allclose(
        e.detach().numpy().astype(np.float64) if e.dtype != ember.bool else e.detach().numpy(),
        t.detach().numpy().astype(np.float64) if t.dtype != torch.bool else t.detach().numpy(),
        rtol=rtol, atol=atol, equal_nan=True,
    )


def same_error(fe, ft):
    """Both callables raise the same exception type with the same text (torch. -> ember.)."""
    try:
        ft()
    except Exception as exc:  # noqa: BLE001
        t_exc = exc
    else:
        raise AssertionError("PyTorch raised nothing")
    try:
        fe()
    except Exception as exc:  # noqa: BLE001
        e_exc = exc
    else:
        raise AssertionError(f"ember raised nothing; PyTorch raised {t_exc!r}")
    assert type(e_exc) is type(t_exc), (e_exc, t_exc)
    t_msg = str(t_exc).replace("torch.", "ember.").split("\n(Triggered internally")[0]
    assert _sets_sorted(str(e_exc)) == _sets_sorted(t_msg), (str(e_exc), t_msg)
    return e_exc


def _sets_sorted(msg):
    """A message with the items of each printed set of strings in sorted order: a set's
    order depends on the process's string hashing, in PyTorch's messages as in ember's."""
    import re

    def sort(m):
        items = [x.strip() for x in m.group(1).split(",")]
        return "{" + ", ".join(sorted(items)) + "}"

    return re.sub(r"\{((?:'[^']*'(?:, )?)+)\}", sort, msg)


def graph_of(fn):
    """The node names below grad_fn ``fn``, depth first, as nested tuples (None for a missing
    edge): two graphs with the same structure give equal values, for ember and torch alike."""
    if fn is None:
        return None
    name = fn.name().split("::")[-1]
    return (name, tuple(graph_of(f) for f, _ in fn.next_functions))
