"""ember's autograd graph has PyTorch's shape: the same nodes, edges and saved values.

For the same code on both libraries, the graphs are walked side by side, breadth-first from
each output's grad_fn through ``next_functions``: node names, the number of edges, their
``None`` entries and output indices must agree, an AccumulateGrad must hold the leaf that
corresponds to PyTorch's, and each node must have PyTorch's ``_saved_*`` attributes, no more and
no fewer, with equal values.
Run over every op of tests/opinfo.py (first sample, float64), the nn layers and losses, and
the snippets tutorials print.
"""

import numpy as np
import pytest
import torch

import ember
from opinfo import OP_DB, DType, NoGrad

# -- the walk ---------------------------------------------------------------------------------


def _name(node):
    return node.name().replace("torch::", "ember::")


def _saved_names(node):
    """The ``_saved_*`` names a node shows (ember's nodes have no other names so spelled:
    tutorials list them with ``dir(grad_fn)``)."""
    return {a for a in dir(node) if a.startswith("_saved")}


def _same_value(e, t):
    """Whether ember's saved value e equals PyTorch's t (tensors by value, dtype and shape)."""
    if isinstance(t, torch.Tensor):
        if not isinstance(e, ember.Tensor):
            return False
        if tuple(e.shape) != tuple(t.shape) or str(e.dtype)[6:] != str(t.dtype)[6:]:
            return False
        a = e.detach().numpy()
        b = t.detach().resolve_conj().numpy()
        return bool(np.array_equal(a, b, equal_nan=True) or np.allclose(a, b, equal_nan=True))
    if isinstance(t, (tuple, list)):
        return (isinstance(e, (tuple, list)) and len(e) == len(t)
                and all(_same_value(a, b) for a, b in zip(e, t)))
    if isinstance(t, (torch.dtype, torch.device, torch.layout, torch.memory_format)):
        return str(e).replace("ember.", "torch.") == str(t)
    if isinstance(t, (bool, int, float, complex, str)) or t is None:
        if isinstance(e, ember.Tensor) or isinstance(e, (tuple, list)):
            return False
        return e == t or (e != e and t != t)
    return str(e) == str(t)


def _read(node, attr):
    try:
        return getattr(node, attr), None
    except Exception as exc:  # noqa: BLE001
        return None, type(exc).__name__


def compare_graphs(e_roots, t_roots, e_leaves=(), t_leaves=(), saved=True):
    """The differences between ember's and PyTorch's graphs from the given output tensors.

    ``e_leaves`` / ``t_leaves``: the leaves in corresponding order (an AccumulateGrad's
    ``variable`` must be the leaf at the same position). Returns a list of strings.
    """
    problems = []
    e_fns = [getattr(e, "grad_fn", None) for e in e_roots]
    t_fns = [getattr(t, "grad_fn", None) for t in t_roots]
    queue = []
    for k, (ef, tf) in enumerate(zip(e_fns, t_fns)):
        if (ef is None) != (tf is None):
            problems.append(f"output {k}: grad_fn {ef and _name(ef)} vs {tf and _name(tf)}")
        elif tf is not None:
            queue.append((ef, tf, f"out{k}"))
    pairs = {}
    leaf_pos = {id(t): i for i, t in enumerate(t_leaves)}
    while queue:
        ef, tf, path = queue.pop(0)
        if id(tf) in pairs:
            if pairs[id(tf)] is not ef:
                problems.append(f"{path}: PyTorch reaches one {_name(tf)} node twice, "
                                "ember two different nodes")
            continue
        pairs[id(tf)] = ef
        where = f"{path}={_name(tf)}"
        if _name(ef) != _name(tf):
            problems.append(f"{path}: {_name(ef)} vs {_name(tf)}")
            continue
        if _name(tf) == "ember::autograd::AccumulateGrad":
            i = leaf_pos.get(id(tf.variable))
            if i is not None and (i >= len(e_leaves) or ef.variable is not e_leaves[i]):
                problems.append(f"{where}: variable is not leaf {i}")
            continue
        if saved:
            problems += _compare_saved(ef, tf, where)
        en, tn = ef.next_functions, tf.next_functions
        if len(en) != len(tn):
            problems.append(f"{where}: {len(en)} next_functions vs {len(tn)}: "
                            f"{_edges(en)} vs {_edges(tn)}")
            continue
        for j, ((ec, ei), (tc, ti)) in enumerate(zip(en, tn)):
            if (ec is None) != (tc is None) or ei != ti:
                problems.append(f"{where}.next[{j}]: {_edges(en)} vs {_edges(tn)}")
                break
            if tc is not None:
                queue.append((ec, tc, f"{path}.{j}"))
    return problems


def _edges(nf):
    return "(" + ", ".join(f"({None if c is None else _name(c)}, {i})" for c, i in nf) + ")"


def _compare_saved(ef, tf, where):
    problems = []
    t_names = _saved_names(tf)
    e_names = _saved_names(ef)
    extra = e_names - t_names
    if extra:
        problems.append(f"{where}: ember has {sorted(extra)} that PyTorch has not")
    missing = t_names - e_names
    if missing:
        problems.append(f"{where}: ember lacks {sorted(missing)}")
    for attr in sorted(t_names & e_names):
        tv, t_err = _read(tf, attr)
        ev, e_err = _read(ef, attr)
        if _unsigned_dim(tv):
            continue  # a negative dim as given, shown unsigned; ember saves it wrapped
        if t_err or e_err:
            if t_err != e_err:
                problems.append(f"{where}.{attr}: raises {e_err} vs {t_err}")
        elif (_name(tf), attr) in PARTLY_WRITTEN and isinstance(tv, torch.Tensor):
            if not _same_written(ev, tv, PARTLY_WRITTEN[_name(tf), attr](tf, tv)):
                problems.append(f"{where}.{attr}: {_show(ev)} vs {_show(tv)} where written")
        elif not _same_value(ev, tv):
            problems.append(f"{where}.{attr}: {_show(ev)} vs {_show(tv)}")
    return problems


def _ctc_written(node, v):
    """The entries of CTC's log-alpha table that PyTorch's kernel writes: each sample's time
    steps up to its input length, its positions up to twice its target length plus one."""
    written = np.zeros(tuple(v.shape), bool)
    for b, (t, s) in enumerate(zip(node._saved_input_lengths, node._saved_target_lengths)):
        written[b, :t, :2 * s + 1] = True
    return written


# saved tensors that PyTorch allocates with empty() and writes only in part: the rest is
# whatever memory held, so the values are compared where written ({(node, field): mask of
# the written entries, from PyTorch's node and value})
PARTLY_WRITTEN = {
    ("CtcLossBackward0", "_saved_result1"): _ctc_written,
    # rrelu outside training passes an empty noise tensor that its kernel never writes
    ("RreluWithNoiseBackward0", "_saved_noise"): lambda node, v: np.zeros(tuple(v.shape), bool),
}


def _same_written(e, t, written):
    if not isinstance(e, ember.Tensor) or tuple(e.shape) != tuple(t.shape) or (
            str(e.dtype)[6:] != str(t.dtype)[6:]):
        return False
    a, b = e.detach().numpy()[written], t.detach().numpy()[written]
    return bool(np.allclose(a, b, equal_nan=True))


def _unsigned_dim(v):
    """PyTorch shows a negative dim argument as its unsigned 64-bit value (2**64 - 1 for -1)."""
    if isinstance(v, (tuple, list)):
        return any(_unsigned_dim(x) for x in v)
    return isinstance(v, int) and v >= 2 ** 63


def _show(v):
    if isinstance(v, (torch.Tensor, ember.Tensor)):
        return f"tensor{tuple(v.shape)} {str(v.dtype)[6:]}"
    return repr(v)


# -- building the op table's inputs on each side (as tests/test_opinfo.py does) ---------------
def _convert(obj, lib, leaves):
    if isinstance(obj, (np.ndarray, np.generic)):
        return _tensor(np.asarray(obj), lib, True, leaves)
    if isinstance(obj, NoGrad):
        return _tensor(np.asarray(obj.array), lib, False, leaves)
    if isinstance(obj, DType):
        return getattr(ember if lib == "ember" else torch, obj.name)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_convert(x, lib, leaves) for x in obj)
    return obj


def _tensor(a, lib, grad, leaves):
    is_float = a.dtype.kind == "f"
    a = a.astype(np.float64, order="K") if is_float else a.copy(order="K")
    t = ember.from_numpy(a) if lib == "ember" else torch.from_numpy(a)
    if is_float and grad:
        t.requires_grad_(True)
        leaves.append(t)
    return t


def _run_op(op, sample, lib):
    leaves = []
    args = _convert(sample.args, lib, leaves)
    kwargs = {k: _convert(v, lib, leaves) for k, v in sample.kwargs.items()}
    out = op.resolve(lib)(*args, **kwargs)
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    return outs, leaves


# Ops whose PyTorch graph ember does not reproduce, with the reason (besides the ops whose
# grad_fn the table itself marks as a known difference: their reason is the table's).
OP_KNOWN = {
    **{name: "PyTorch's conjugate is a lazy view (the conj bit) that resolve_conj copies "
             "(CloneBackward0); ember computes a conjugate at once, so there is nothing to copy"
       for name in ("fft.ifft", "fft.ihfft")},
}


def _op_params():
    params = []
    for op in OP_DB:
        if op.missing() is not None:
            continue
        sample = op.sample_list()[0]
        marks = []
        reason = OP_KNOWN.get(op.name, op.known.get("grad_fn"))
        if reason is not None:
            marks.append(pytest.mark.xfail(strict=False, reason=reason))
        params.append(pytest.param(op, sample, id=op.name, marks=marks))
    return params


@pytest.mark.parametrize("op, sample", _op_params())
def test_op_graph(op, sample):
    e_outs, e_leaves = _run_op(op, sample, "ember")
    t_outs, t_leaves = _run_op(op, sample, "torch")
    assert len(e_outs) == len(t_outs)
    assert compare_graphs(e_outs, t_outs, e_leaves, t_leaves) == []


# -- nn layers and losses -----------------------------------------------------------------------
def _lib(lib):
    return ember if lib == "ember" else torch


def _as(lib, a, grad=False, leaves=None):
    t = (ember.from_numpy if lib == "ember" else torch.from_numpy)(np.array(a, copy=True))
    if grad:
        t.requires_grad_(True)
        leaves.append(t)
    return t


def _layer(make, *inputs, train=True, call=None, input_grad=True):
    """A case: the module ``make(nn)`` (PyTorch's initial values copied into ember's), called
    on ``inputs`` (float arrays require grad, integer arrays do not)."""
    def build(lib):
        torch.manual_seed(0)
        tm = make(torch.nn).double()
        m = tm if lib == "torch" else make(ember.nn).double()
        if lib == "ember":
            m.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                               for k, v in tm.state_dict().items()})
        m.train(train)
        leaves = [p for p in m.parameters()]
        args = [_as(lib, a, input_grad and a.dtype.kind == "f", leaves) for a in inputs]
        out = call(m, *args) if call is not None else m(*args)
        outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
        flat = []
        for o in outs:  # an LSTM's (h, c) state
            flat.extend(o if isinstance(o, tuple) else (o,))
        return flat, leaves

    return build


_rng = np.random.default_rng(0)


def _x(*shape):
    return _rng.uniform(-1, 1, shape)


def _idx(high, *shape):
    return _rng.integers(0, high, shape)


def _rnn(kind, **kw):
    return lambda nn: getattr(nn, kind)(3, 4, **kw)


LAYER_CASES = {
    "Linear": _layer(lambda nn: nn.Linear(4, 3), _x(2, 4)),
    "Linear_nobias": _layer(lambda nn: nn.Linear(4, 3, bias=False), _x(2, 4)),
    "Linear_3d": _layer(lambda nn: nn.Linear(4, 3), _x(2, 5, 4)),
    "Linear_1d": _layer(lambda nn: nn.Linear(4, 3), _x(4)),
    "Linear_nograd_input": _layer(lambda nn: nn.Linear(4, 3), _x(2, 4), input_grad=False),
    "Bilinear": _layer(lambda nn: nn.Bilinear(3, 4, 2), _x(5, 3), _x(5, 4)),
    "Conv1d": _layer(lambda nn: nn.Conv1d(2, 3, 3), _x(2, 2, 7)),
    "Conv2d": _layer(lambda nn: nn.Conv2d(2, 3, 3, padding=1), _x(2, 2, 5, 5)),
    "Conv2d_nobias": _layer(lambda nn: nn.Conv2d(2, 3, 3, bias=False), _x(1, 2, 5, 5)),
    "Conv3d": _layer(lambda nn: nn.Conv3d(2, 3, 2), _x(1, 2, 3, 4, 4)),
    "ConvTranspose1d": _layer(lambda nn: nn.ConvTranspose1d(2, 3, 3), _x(2, 2, 5)),
    "ConvTranspose2d": _layer(lambda nn: nn.ConvTranspose2d(2, 3, 3, stride=2), _x(1, 2, 4, 4)),
    "ConvTranspose3d": _layer(lambda nn: nn.ConvTranspose3d(2, 3, 2), _x(1, 2, 3, 3, 3)),
    "BatchNorm1d": _layer(lambda nn: nn.BatchNorm1d(3), _x(4, 3)),
    "BatchNorm2d": _layer(lambda nn: nn.BatchNorm2d(3), _x(2, 3, 4, 4)),
    "BatchNorm3d": _layer(lambda nn: nn.BatchNorm3d(3), _x(2, 3, 2, 2, 2)),
    "BatchNorm2d_eval": _layer(lambda nn: nn.BatchNorm2d(3), _x(2, 3, 4, 4), train=False),
    "LayerNorm": _layer(lambda nn: nn.LayerNorm(4), _x(2, 3, 4)),
    "GroupNorm": _layer(lambda nn: nn.GroupNorm(2, 4), _x(2, 4, 3)),
    "Embedding": _layer(lambda nn: nn.Embedding(10, 3), _idx(10, 2, 4)),
    "RNN": _layer(_rnn("RNN"), _x(5, 2, 3)),
    "RNN_2layer_bi_batch_first": _layer(
        _rnn("RNN", num_layers=2, bidirectional=True, batch_first=True), _x(2, 5, 3)),
    "LSTM": _layer(_rnn("LSTM"), _x(5, 2, 3)),
    "LSTM_2layer_bi": _layer(_rnn("LSTM", num_layers=2, bidirectional=True), _x(5, 2, 3)),
    "LSTM_batch_first": _layer(_rnn("LSTM", batch_first=True), _x(2, 5, 3)),
    "GRU": _layer(_rnn("GRU"), _x(5, 2, 3)),
    "GRU_2layer_bi_batch_first": _layer(
        _rnn("GRU", num_layers=2, bidirectional=True, batch_first=True), _x(2, 5, 3)),
    "MultiheadAttention": _layer(lambda nn: nn.MultiheadAttention(4, 2), _x(3, 2, 4), _x(5, 2, 4),
                                 _x(5, 2, 4)),
    "MultiheadAttention_self": _layer(lambda nn: nn.MultiheadAttention(4, 2, batch_first=True),
                                      _x(2, 3, 4), call=lambda m, x: m(x, x, x)),
    "TransformerEncoderLayer": _layer(
        lambda nn: nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.0), _x(3, 2, 4)),
    "Dropout_eval": _layer(lambda nn: nn.Dropout(0.5), _x(3, 4), train=False),
    "MLP": _layer(lambda nn: nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)),
                  _x(5, 4), _idx(3, 5),
                  call=lambda m, x, y: type(m[0]).__module__.split(".")[0] == "torch"
                  and torch.nn.functional.cross_entropy(m(x), y)
                  or ember.nn.functional.cross_entropy(m(x), y)),
    "CNN": _layer(lambda nn: nn.Sequential(
        nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 3)),
        _x(2, 1, 6, 6)),
}

_LOSSES = {
    "MSELoss": (_x(3, 4), _x(3, 4)),
    "L1Loss": (_x(3, 4), _x(3, 4)),
    "SmoothL1Loss": (_x(3, 4), _x(3, 4)),
    "HuberLoss": (_x(3, 4), _x(3, 4)),
    "CrossEntropyLoss": (_x(3, 5), _idx(5, 3)),
    "NLLLoss": (_x(3, 5), _idx(5, 3)),
    "BCELoss": (_rng.uniform(0.1, 0.9, (3, 4)), _rng.uniform(0, 1, (3, 4))),
    "BCEWithLogitsLoss": (_x(3, 4), _rng.uniform(0, 1, (3, 4))),
    "KLDivLoss": (_x(3, 4), _rng.uniform(0.1, 1, (3, 4))),
}
for _n, (_inp, _tgt) in _LOSSES.items():
    LAYER_CASES[_n] = _layer(
        lambda nn, _n=_n: getattr(nn, _n)(), _inp, _tgt,
        call=lambda m, x, y: m(x, y.detach()))
_ignored = np.array([0, 2, -100, 1])  # a target PyTorch's label smoothing masks
for _red in ("mean", "sum", "none"):
    LAYER_CASES[f"CrossEntropyLoss_smoothing_{_red}"] = _layer(
        lambda nn, _red=_red: nn.CrossEntropyLoss(label_smoothing=0.1, reduction=_red),
        _x(4, 3), _ignored, call=lambda m, x, y: m(x, y))

# Layers whose PyTorch graph ember does not reproduce, with the reason.
LAYER_KNOWN = {}


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=[pytest.mark.xfail(strict=True, reason=LAYER_KNOWN[n])]
                 if n in LAYER_KNOWN else []) for n in LAYER_CASES])
def test_layer_graph(name):
    build = LAYER_CASES[name]
    e_outs, e_leaves = build("ember")
    t_outs, t_leaves = build("torch")
    assert compare_graphs(e_outs, t_outs, e_leaves, t_leaves) == []


# -- what tutorials print -----------------------------------------------------------------------
def _snippet(fn, *shapes):
    """A case: ``fn(lib, *leaves)`` on leaves of the given shapes (float64, requiring grad)."""
    def build(lib):
        rng = np.random.default_rng(1)
        leaves = []
        args = [_as(lib, rng.uniform(0.5, 1.5, s), True, leaves) for s in shapes]
        out = fn(_lib(lib), *args)
        return (tuple(out) if isinstance(out, tuple) else (out,)), leaves

    return build


def _total(m, x, w):
    total = 0
    for i in range(3):
        loss = ((x * w).sum() - i) ** 2
        total += loss
    return total


def _inplace_view(m, x):
    y = x.clone()
    y[0] = 5
    y[:, 1] *= 2
    return y.sum()


def _inplace_view_method(m, x):
    y = x * 1
    v = y.view(-1)
    v.add_(1)
    y.t()[0].mul_(3)
    return y


SNIPPET_CASES = {
    "chain": _snippet(lambda m, x: ((x * 2 + 1) ** 2).mean(), (3,)),
    "two_inputs": _snippet(lambda m, x, w: (x @ w).relu().sum(), (2, 3), (3, 4)),
    "y_mean": _snippet(lambda m, x: (x * x * 3).mean(), (2, 2)),
    "views": _snippet(lambda m, x: (x.view(6) + x.t().reshape(6) + x[0].repeat(3)
                                    + x[:, 1].repeat(2)).sum(), (3, 2)),
    "expand": _snippet(lambda m, x: x.expand(4, 3).sum(0), (1, 3)),
    "index_int": _snippet(lambda m, x: x[1], (3, 4)),
    "index_slices": _snippet(lambda m, x: x[1:, ::2], (3, 4)),
    "index_step": _snippet(lambda m, x: x[..., None, 1:3], (3, 4)),
    "index_tensor": _snippet(lambda m, x: x[m.tensor([0, 2])], (3, 4)),
    "index_mask": _snippet(lambda m, x: x[x > 1], (3, 4)),
    "squeeze_unsqueeze": _snippet(lambda m, x: x.unsqueeze(0).squeeze(0).flatten(), (2, 3)),
    "permute_contiguous": _snippet(lambda m, x: x.permute(1, 0).contiguous().view(-1), (2, 3)),
    "cat_stack": _snippet(lambda m, x, y: m.stack([m.cat([x, y]), m.cat([y, x])]), (2,), (2,)),
    "split_chunk": _snippet(lambda m, x: (x.split(1)[1], x.chunk(2, 1)[0]), (2, 4)),
    "inplace_leaf_clone": _snippet(_inplace_view, (3, 3)),
    "inplace_view": _snippet(_inplace_view_method, (2, 3)),
    "inplace_relu": _snippet(lambda m, x: (x * 2).relu_().sigmoid_(), (4,)),
    "total_loss": _snippet(_total, (3,), (3,)),
    "scalar_ops": _snippet(lambda m, x: (2 - x) / 3 + 1 / x - x.pow(2) + 2 ** x, (3,)),
    "add_scalar": _snippet(lambda m, x: x + 1 - 2.5, (3,)),
    "softmax_logsoftmax": _snippet(lambda m, x: (x.softmax(-1) + x.log_softmax(1)).sum(), (2, 3)),
    "reductions": _snippet(lambda m, x: (x.sum(1, keepdim=True) + x.mean(0) + x.max()
                                         + x.norm() + x.std() + x.var(1, keepdim=True)), (2, 3)),
    "max_dim": _snippet(lambda m, x: x.max(1)[0] + x.min(0, keepdim=True).values.sum(), (2, 3)),
    "detach_mix": _snippet(lambda m, x, w: x.detach() * w + x, (3,), (3,)),
    "no_grad_input": _snippet(lambda m, x: x * m.ones(3) + m.zeros(3, requires_grad=False), (3,)),
    "matmul_shapes": _snippet(lambda m, a, b, v: (a @ b @ v, v @ b.t(), (a[None] @ b).sum()),
                              (2, 3), (3, 3), (3,)),
}


@pytest.mark.parametrize("name", list(SNIPPET_CASES))
def test_snippet_graph(name):
    build = SNIPPET_CASES[name]
    e_outs, e_leaves = build("ember")
    t_outs, t_leaves = build("torch")
    assert compare_graphs(e_outs, t_outs, e_leaves, t_leaves) == []


# -- after backward: PyTorch frees the saved tensors but keeps the numbers readable ------------
AFTER_BACKWARD = {
    "pow": lambda m, x: x ** 2,
    "softmax": lambda m, x: m.softmax(x, 1),
    "cumsum": lambda m, x: x.cumsum(1),
    "rot90": lambda m, x: m.rot90(x, 1, (0, 1)),
    "renorm": lambda m, x: m.renorm(x, 2, 0, 1.0),
    "pixel_shuffle": lambda m, x: m.nn.functional.pixel_shuffle(x.reshape(1, 4, 1, 2), 2),
    "rrelu": lambda m, x: m.nn.functional.rrelu(x),
    "slice_scatter": lambda m, x: m.slice_scatter(x, x[:, :1] * 2, 1, 0, 1),
    "leaky_relu": lambda m, x: m.nn.functional.leaky_relu(x, 0.2),
    "nll_loss": lambda m, x: m.nn.functional.nll_loss(x, m.tensor([0, 3]),
                                                      weight=m.ones(4, dtype=m.float64)),
}


@pytest.mark.parametrize("name", list(AFTER_BACKWARD))
def test_saved_fields_after_backward(name):
    """Each ``_saved_*`` field of the output's node, read after backward: the same number, or
    the same error (a freed tensor), as PyTorch's."""
    seen = []
    for lib in (ember, torch):
        x = lib.tensor(np.linspace(-1, 1, 8).reshape(2, 4), requires_grad=True)
        y = AFTER_BACKWARD[name](lib, x)
        y.sum().backward()
        node, shown = y.grad_fn, {}
        for attr in sorted(_saved_names(node)):
            value, err = _read(node, attr)
            shown[attr] = err or ("tensor" if isinstance(value, (torch.Tensor, ember.Tensor))
                                  else value)
        seen.append(shown)
    for attr in [a for a, v in seen[1].items() if _unsigned_dim(v)]:
        del seen[0][attr], seen[1][attr]  # a negative number PyTorch shows unsigned
    assert seen[0] == seen[1]


def test_saved_sizes_and_arguments_after_backward():
    """Fields computed from saved tensors (mm's sizes and strides) or a plan (convolution's
    arguments) stay readable after backward, as PyTorch's."""
    seen = []
    for lib in (ember, torch):
        x = lib.tensor(np.ones((2, 3)), requires_grad=True)
        w = lib.tensor(np.ones((4, 3)), requires_grad=True)
        img = lib.tensor(np.ones((1, 1, 5, 5)), requires_grad=True)
        y = x @ w.t()
        c = lib.nn.functional.conv2d(img, lib.tensor(np.ones((1, 1, 3, 3))), padding=1)
        (y.sum() + c.sum()).backward()
        seen.append({a: _read(n, a) for n in (y.grad_fn, c.grad_fn) for a in _saved_names(n)
                     if not isinstance(_read(n, a)[0], (torch.Tensor, ember.Tensor))})
    assert seen[0] == seen[1]
