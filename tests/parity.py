"""Helpers for parity tests: run the same code on ember and on PyTorch and compare."""

import warnings

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


# -- outcomes: what a call returns or raises, compared across CPUs -----------------------------
def outcome(m, call, byte_view=False):
    """What ``call()`` does on library ``m``: ("raises", "Type: first line") or ("returns",
    [(dtype name, values as an array), or repr of a non-tensor, ...]).

    ``byte_view``: one-byte floats (float8) are compared by their bytes. Warnings are silenced:
    the outcome is what the call returns or raises.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = call()
    except Exception as exc:  # noqa: BLE001 - the outcome compared is the exception
        text = str(exc).splitlines()[0] if str(exc) else ""
        return ("raises", f"{type(exc).__name__}: {text}".replace("ember", "torch"))
    res = []
    for o in out if isinstance(out, (tuple, list)) else (out,):
        if isinstance(o, m.Tensor):
            name = str(o.dtype).replace("ember", "torch")
            if byte_view and o.dtype.itemsize == 1 and o.dtype.is_floating_point:
                o = o.view(m.uint8)
            res.append((name, np.array(o.tolist())))
        else:
            res.append(repr(o)[:80].replace("ember", "torch"))
    return ("returns", res)


def sample_outcome(m, op, float_tensor, byte_view=False):
    """``outcome`` of an op-table entry's first sample on library ``m``, each float array of
    the sample made a tensor by ``float_tensor(m, float32 array)``."""
    from opinfo import DType, NoGrad

    def convert(obj):
        if isinstance(obj, NoGrad):
            obj = obj.array
        if isinstance(obj, (np.ndarray, np.generic)):
            a = np.asarray(obj)
            if a.dtype.kind == "f":
                return float_tensor(m, np.ascontiguousarray(a.astype(np.float32)))
            return m.from_numpy(np.array(a))
        if isinstance(obj, DType):
            return getattr(m, obj.name)
        if isinstance(obj, (list, tuple)):
            return type(obj)(convert(x) for x in obj)
        return obj

    fn = op.resolve("ember" if m is ember else "torch")
    sample = op.sample_list()[0]
    args = convert(sample.args)
    kwargs = {k: convert(v) for k, v in sample.kwargs.items()}
    return outcome(m, lambda: fn(*args, **kwargs), byte_view)


def _values_agree(name, a, b):
    if a.shape != b.shape:
        return False
    if a.dtype.kind not in "fc" or b.dtype.kind not in "fc":
        return bool(np.array_equal(a, b))
    # float results: the last bits of float32/float64 kernels vary with the CPU (NumPy's and
    # PyTorch's SIMD code paths), so a few units in the last place of the result dtype
    eps = {"float16": 2.0 ** -10, "bfloat16": 2.0 ** -7, "float32": 2.0 ** -23,
           "complex64": 2.0 ** -23}.get(name.split(".")[-1], 2.0 ** -52)
    return bool(np.allclose(a, b, rtol=16 * eps, atol=16 * eps, equal_nan=True))


def same_outcome(e, t):
    """Whether two outcomes agree: the same error text, or the same dtypes and values."""
    if e[0] != t[0] or e[0] == "raises":
        return e == t
    if len(e[1]) != len(t[1]):
        return False
    for x, y in zip(e[1], t[1]):
        if isinstance(x, tuple) and isinstance(y, tuple):
            if x[0] != y[0] or not _values_agree(x[0], x[1], y[1]):
                return False
        elif x != y:
            return False
    return True


def show_outcome(o, width=120):
    """An outcome as a line of text, for failure messages."""
    if o[0] == "raises":
        return o[1][:width]
    parts = [f"({x[0]}, {x[1].tolist()})" if isinstance(x, tuple) else x for x in o[1]]
    return ("OK " + ", ".join(parts))[:width]
