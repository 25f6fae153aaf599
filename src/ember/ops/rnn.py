"""Recurrent networks: the math of nn.RNN, nn.LSTM, nn.GRU and their cells, and PyTorch's
functions over flat weight lists that those layers call (torch.lstm, torch.gru, torch.rnn_tanh,
torch.rnn_relu, with their packed-sequence forms, and the one-step lstm_cell, gru_cell,
rnn_tanh_cell, rnn_relu_cell).

- LSTM gates (rows of w_ih / w_hh): input i, forget f, cell g, output o
      c' = f * c + i * g,  h' = o * tanh(c')   (then h' = w_hr @ h' with a projection)
- GRU gates: reset r, update z, new n
      n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h

The input projections of a whole sequence are one matmul per layer and direction; only the
hidden-state part runs step by step. Everything is built from differentiable ops, so
gradients of any order flow through.

A packed input (data, batch_sizes) runs on its packed steps: at step t only the first
batch_sizes[t] sequences advance; a sequence's final state is the one after its own last step,
and the reverse direction starts each sequence at its own end.

``params`` is PyTorch's flat list: for each layer, then each direction, w_ih, w_hh, then b_ih,
b_hh when has_biases, then w_hr when the LSTM projects its hidden state.
"""

from .._tensor import Tensor
from . import dropout as _dropout
from . import linear as _linear
from . import shape as _shape

# The ops are called through their modules (``_linear.linear``): the public forms, which the
# layers in nn also reach through run_layers, so vmap's seam and NumPy's silence apply.

__all__ = ["gru", "gru_cell", "lstm", "lstm_cell", "rnn_relu", "rnn_relu_cell", "rnn_tanh",
           "rnn_tanh_cell"]
TENSOR_METHODS = {}


# -- one time step (shared by the layers and the cells) ----------------------------------------
# ``xg``: the input's part of the gates at this step, x W_ih^T + b_ih (for a layer, one matmul
# over the whole sequence, cut into steps). The steps compute as PyTorch's CPU cells do, in the
# same order, so the graph has PyTorch's nodes (the gates cut by unsafe_chunk) and the sums
# round as PyTorch's. PyTorch changes the gates in place (add_, sigmoid_, ...); the same ops
# out of place record the same nodes without copying each gate first.

def _rnn_step(xg, h, w_hh, b_hh, relu):
    pre = _linear.linear(h, w_hh, b_hh) + xg
    return pre.relu() if relu else pre.tanh()


def _lstm_step(xg, h, c, w_hh, b_hh, w_hr):
    return _lstm_gates(_linear.linear(h, w_hh, b_hh) + xg, c, w_hr)


def _lstm_gates(gates, c, w_hr):
    i, f, g, o = gates.unsafe_chunk(4, 1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    if w_hr is not None:
        h = _linear.linear(h, w_hr)
    return h, c


def _gru_step(xg, h, w_hh, b_hh):
    ir, iz, in_ = xg.unsafe_chunk(3, 1)
    hr, hz, hn = _linear.linear(h, w_hh, b_hh).unsafe_chunk(3, 1)
    r = (hr + ir).sigmoid()
    z = (hz + iz).sigmoid()
    n = (in_ + hn * r).tanh()
    return (h - n) * z + n


def _step(mode, w_hh, b_hh, w_hr):
    """step(xg, h, c) -> (h, c) of one layer and direction (c is None but for LSTM)."""
    if mode == "LSTM":
        return lambda xg, h, c: _lstm_step(xg, h, c, w_hh, b_hh, w_hr)
    if mode == "GRU":
        return lambda xg, h, c: (_gru_step(xg, h, w_hh, b_hh), None)
    relu = mode == "RNN_RELU"
    return lambda xg, h, c: (_rnn_step(xg, h, w_hh, b_hh, relu), None)


# -- packed sequences: step t advances only the first sizes[t] rows ---------------------------
# ``step(inp, h, c) -> (h, c)`` is one time step of the layer (c is None but for LSTM).

def _packed_forward(xs, sizes, h, c, step):
    """Forward in time; rows whose sequence has ended are set aside with their last state."""
    hs, done_h, done_c = [], [], []
    for xg, n in zip(xs, sizes):
        if n < h.shape[0]:
            done_h.append(h[n:])
            h = h[:n]
            if c is not None:
                done_c.append(c[n:])
                c = c[:n]
        h, c = step(xg, h, c)
        hs.append(h)
    # the rows set aside last are the earliest ones: put them back in row order
    if done_h:
        h = _shape.cat([h, *reversed(done_h)], 0)
        if c is not None:
            c = _shape.cat([c, *reversed(done_c)], 0)
    return hs, h, c


def _packed_reverse(xs, sizes, h0, c0, step):
    """Backward in time; a sequence joins (with its initial state) at its own last step."""
    n = sizes[-1]
    h = h0[:n]
    c = c0[:n] if c0 is not None else None
    hs = []
    for t in range(len(sizes) - 1, -1, -1):
        m = sizes[t]
        if m > n:
            h = _shape.cat([h, h0[n:m]], 0)
            if c is not None:
                c = _shape.cat([c, c0[n:m]], 0)
            n = m
        h, c = step(xs[t], h, c)
        hs.append(h)
    hs.reverse()
    return hs, h, c


# -- a layer in one direction -----------------------------------------------------------------
def _run_direction(mode, x, reverse, h, c, w_ih, w_hh, b_ih, b_hh, w_hr):
    """One layer in one direction over a time-major batched input x: (output, h_n, c_n)."""
    step = _step(mode, w_hh, b_hh, w_hr)
    steps = _linear.linear(x, w_ih, b_ih).unbind(0)
    hs = []
    for xg in (reversed(steps) if reverse else steps):
        h, c = step(xg, h, c)
        hs.append(h)
    if reverse:
        hs.reverse()
    return _shape.stack(hs, 0), h, c


def _packed_direction(sizes):
    """run_direction for packed data x (sum(sizes), features), sizes[t] rows at step t."""
    def run(mode, x, reverse, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr):
        xs = _linear.linear(x, w_ih, b_ih).split(sizes, 0)
        walk = _packed_reverse if reverse else _packed_forward
        hs, h, c = walk(xs, sizes, h0, c0, _step(mode, w_hh, b_hh, w_hr))
        return _shape.cat(hs, 0), h, c

    return run


def _group(params, has_biases, has_proj, count):
    """The flat params cut into count tuples (w_ih, w_hh, b_ih, b_hh, w_hr), None where
    absent."""
    stride = 2 + 2 * bool(has_biases) + bool(has_proj)
    params = list(params)
    if len(params) != stride * count:
        raise RuntimeError("got an incorrect number of RNN parameters")
    out = []
    for k in range(count):
        p = params[k * stride:(k + 1) * stride]
        b_ih, b_hh = (p[2], p[3]) if has_biases else (None, None)
        out.append((p[0], p[1], b_ih, b_hh, p[-1] if has_proj else None))
    return out


def run_layers(mode, x, hx, cx, weights, num_layers, dropout, train, bidirectional,
               sizes=None):
    """Every layer and direction in turn, each on the previous layer's output (with dropout
    between layers when train); ``weights`` holds one (w_ih, w_hh, b_ih, b_hh, w_hr) per
    layer and direction. x is time-major, or packed data when ``sizes`` (its batch sizes) is
    given. Returns (output, h_n, c_n), c_n None but for LSTM."""
    nd = 2 if bidirectional else 1
    run_direction = _run_direction if sizes is None else _packed_direction(sizes)
    cat_dim = 2 if sizes is None else 1
    h0s = hx.unbind(0)
    c0s = cx.unbind(0) if cx is not None else None
    h_n, c_n = [], []
    for layer in range(num_layers):
        if layer > 0 and dropout > 0 and train:
            x = _dropout.dropout(x, dropout, True)
        outs = []
        for direction in range(nd):
            idx = layer * nd + direction
            c0 = c0s[idx] if c0s is not None else None
            out, h, c = run_direction(mode, x, direction == 1, h0s[idx], c0, *weights[idx])
            h_n.append(h)
            if c is not None:
                c_n.append(c)
            outs.append(out)
        x = outs[0] if nd == 1 else _shape.cat(outs, cat_dim)
    return x, _shape.stack(h_n, 0), (_shape.stack(c_n, 0) if c_n else None)


# -- torch.lstm, torch.gru, torch.rnn_tanh, torch.rnn_relu ------------------------------------
def _padded(mode, input, hx, cx, params, has_biases, num_layers, dropout, train, bidirectional,
            batch_first):
    if input.dim() < 3:
        d = input.dim()
        raise IndexError(f"Dimension out of range (expected to be in range of [{-d}, {d - 1}], "
                         "but got 2)")
    has_proj = cx is not None and hx.shape[-1] != cx.shape[-1]
    weights = _group(params, has_biases, has_proj, num_layers * (2 if bidirectional else 1))
    if batch_first:
        input = input.transpose(0, 1)
    out, h, c = run_layers(mode, input, hx, cx, weights, num_layers, dropout, train,
                           bidirectional)
    if batch_first:  # PyTorch's LSTM transposes out of place, RNN and GRU in place
        out = out.transpose(0, 1) if mode == "LSTM" else out.transpose_(0, 1)
    return out, h, c


def _packed(mode, data, batch_sizes, hx, cx, params, has_biases, num_layers, dropout, train,
            bidirectional):
    has_proj = cx is not None and hx.shape[-1] != cx.shape[-1]
    weights = _group(params, has_biases, has_proj, num_layers * (2 if bidirectional else 1))
    sizes = [int(n) for n in batch_sizes._data]
    return run_layers(mode, data, hx, cx, weights, num_layers, dropout, train, bidirectional,
                      sizes)


def _lstm_state(hx, name):
    if isinstance(hx, Tensor) or len(hx) != 2:
        raise RuntimeError(f"{name} expects two hidden states")
    return hx[0], hx[1]


def lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
         batch_first=None):
    """lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
    batch_first) -> (output, h_n, c_n), hx = (h_0, c_0); or the packed form
    lstm(data, batch_sizes, hx, params, has_biases, num_layers, dropout, train,
    bidirectional)."""
    if isinstance(hx, Tensor):  # the packed form: (data, batch_sizes, hx, params, ...)
        h0, c0 = _lstm_state(params, "lstm")
        return _packed("LSTM", input, hx, h0, c0, has_biases, num_layers, dropout, train,
                       bidirectional, batch_first)
    h0, c0 = _lstm_state(hx, "lstm")
    return _padded("LSTM", input, h0, c0, params, has_biases, num_layers, dropout, train,
                   bidirectional, batch_first)


def _single(mode, input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
            batch_first):
    if isinstance(params, Tensor):  # the packed form: (data, batch_sizes, hx, params, ...)
        out, h, _ = _packed(mode, input, hx, params, None, has_biases, num_layers, dropout,
                            train, bidirectional, batch_first)
    else:
        out, h, _ = _padded(mode, input, hx, None, params, has_biases, num_layers, dropout,
                            train, bidirectional, batch_first)
    return out, h


def gru(input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
        batch_first=None):
    """gru(input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
    batch_first) -> (output, h_n); or the packed form gru(data, batch_sizes, hx, params,
    has_biases, num_layers, dropout, train, bidirectional)."""
    return _single("GRU", input, hx, params, has_biases, num_layers, dropout, train,
                   bidirectional, batch_first)


def rnn_tanh(input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
             batch_first=None):
    """An Elman RNN with tanh over flat weights: (output, h_n) (packed form as gru's)."""
    return _single("RNN_TANH", input, hx, params, has_biases, num_layers, dropout, train,
                   bidirectional, batch_first)


def rnn_relu(input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
             batch_first=None):
    """An Elman RNN with relu over flat weights: (output, h_n) (packed form as gru's)."""
    return _single("RNN_RELU", input, hx, params, has_biases, num_layers, dropout, train,
                   bidirectional, batch_first)


# -- the one-step cells ---------------------------------------------------------------------
def _check_cell(input, states, w_ih, w_hh):
    """PyTorch's checks of a cell's input and states (2-D: a batch)."""
    if input.size(1) != w_ih.size(1):
        raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} "
                           f"expected {w_ih.size(1)}")
    for i, s in enumerate(states):
        if s.size(0) != input.size(0):
            raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{i} "
                               f"batch size {s.size(0)}")
        if s.size(1) != w_hh.size(1):
            raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {s.size(1)}, "
                               f"expected {w_hh.size(1)}")


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step: (h', c') from input and hx = (h, c)."""
    h, c = _lstm_state(hx, "lstm_cell")
    _check_cell(input, (h, c), w_ih, w_hh)
    # the hidden part first, as PyTorch's cell computes it
    gates = _linear.linear(h, w_hh, b_hh) + _linear.linear(input, w_ih, b_ih)
    return _lstm_gates(gates, c, None)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step: h' from input and h."""
    _check_cell(input, (hx,), w_ih, w_hh)
    return _gru_step(_linear.linear(input, w_ih, b_ih), hx, w_hh, b_hh)


def _rnn_cell(input, hx, w_ih, w_hh, b_ih, b_hh, relu):
    _check_cell(input, (hx,), w_ih, w_hh)
    pre = _linear.linear(hx, w_hh, b_hh) + _linear.linear(input, w_ih, b_ih)
    return pre.relu() if relu else pre.tanh()


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One Elman step: tanh(input W_ih^T + b_ih + hx W_hh^T + b_hh)."""
    return _rnn_cell(input, hx, w_ih, w_hh, b_ih, b_hh, False)


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One Elman step: relu(input W_ih^T + b_ih + hx W_hh^T + b_hh)."""
    return _rnn_cell(input, hx, w_ih, w_hh, b_ih, b_hh, True)
