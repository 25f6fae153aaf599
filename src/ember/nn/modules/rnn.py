"""Recurrent layers: RNN, LSTM, GRU and their single-step cells.

Parameter names, shapes, gate order and initialisation follow PyTorch, so a PyTorch
state_dict loads unchanged:

- LSTM gates (rows of weight_ih / weight_hh): input i, forget f, cell g, output o
      c' = f * c + i * g,  h' = o * tanh(c')   (then h' = weight_hr @ h' with proj_size)
- GRU gates: reset r, update z, new n
      n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h

The math (one matmul per layer and direction for the input part, then the steps) is in
ops/rnn.py, beside torch.lstm, torch.gru, ... which these layers call through its run_layers.

A PackedSequence input (nn.utils.rnn) runs on its packed steps: at step t only the first
batch_sizes[t] sequences advance; a sequence's final state is the one after its own last step,
and the reverse direction starts each sequence at its own end.
"""

import math
import numbers
import warnings

from ..._errors import note
from ..._tensor import Tensor
from ...ops import creation as _creation
from ...ops import rnn as _rnn
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}
_NAMES = {"LSTM": "LSTM", "GRU": "GRU", "RNN_TANH": "RNN", "RNN_RELU": "RNN"}  # in messages


def _is_packed(x):
    return not isinstance(x, Tensor) and hasattr(x, "batch_sizes")


class RNNBase(Module):
    """What RNN, LSTM and GRU share: parameters, checks and the layer/direction loop."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1

        if (not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1
                or isinstance(dropout, bool)):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}",
                stacklevel=2,
            )
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(
                f"batch_first should be of type bool, got: {type(batch_first).__name__}"
            )
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(
                f"hidden_size should be of type int, got: {type(hidden_size).__name__}"
            )
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections"
            )
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size

        def empty(*shape):
            return Parameter(_creation.empty(shape, dtype=dtype, device=device))

        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else real_hidden * num_directions
            for direction in range(num_directions):
                sfx = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                names = ["weight_ih" + sfx, "weight_hh" + sfx]
                params = [empty(gate_size, layer_input), empty(gate_size, real_hidden)]
                if bias:
                    names += ["bias_ih" + sfx, "bias_hh" + sfx]
                    params += [empty(gate_size), empty(gate_size)]
                if proj_size > 0:
                    names.append("weight_hr" + sfx)
                    params.append(empty(proj_size, hidden_size))
                for name, p in zip(names, params):
                    setattr(self, name, p)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def _flat_weights(self):
        params = self._parameters
        return [params.get(n) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self):
        """A no-op (PyTorch packs the weights for cuDNN here)."""

    # -- checks -----------------------------------------------------------------------------
    def check_input(self, input, batch_sizes):
        wdt = self._flat_weights[0].dtype
        if input.dtype != wdt:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({wdt}). Convert "
                f"input: input.to({wdt}), or convert model: model.to({input.dtype})"
            )
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            exc = RuntimeError(
                "input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {input.size(-1)}"
            )
            note(exc, "The last dimension of the input holds the features of one time step; "
                      "it must equal the layer's input_size.")
            raise exc

    def _num_states(self):
        """How many layer-and-direction states: num_layers, times 2 when bidirectional."""
        return self.num_layers * (2 if self.bidirectional else 1)

    def _state_size(self):
        """The size of the hidden state h: proj_size if set, hidden_size otherwise."""
        return self.proj_size if self.proj_size > 0 else self.hidden_size

    def _mini_batch(self, input, batch_sizes):
        if batch_sizes is not None:
            return int(batch_sizes[0])
        return input.size(0) if self.batch_first else input.size(1)

    def get_expected_hidden_size(self, input, batch_sizes):
        return (self._num_states(), self._mini_batch(input, batch_sizes), self._state_size())

    def check_hidden_size(self, hx, expected, msg="Expected hidden size {}, got {}"):
        if tuple(hx.size()) != expected:
            raise RuntimeError(msg.format(expected, list(hx.size())))

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        return hx if permutation is None else hx.index_select(1, permutation)

    # -- the computation ----------------------------------------------------------------------
    def _layer_weights(self, idx):
        """(w_ih, w_hh, b_ih, b_hh, w_hr) of layer-and-direction idx, None where absent."""
        params = self._parameters
        names = self._all_weights[idx]
        b_ih = b_hh = w_hr = None
        if self.bias:
            b_ih, b_hh = params[names[2]], params[names[3]]
        if self.proj_size > 0:
            w_hr = params[names[-1]]
        return params[names[0]], params[names[1]], b_ih, b_hh, w_hr

    def _run(self, input, hx, cx, sizes=None):
        """Every layer and direction over a time-major input, or over packed data with
        batch sizes ``sizes``; returns (output, h_n, c_n)."""
        weights = [self._layer_weights(i) for i in range(len(self._all_weights))]
        return _rnn.run_layers(self.mode, input, hx, cx, weights, self.num_layers, self.dropout,
                               self.training, self.bidirectional, sizes)

    def _zero_state(self, batch, dtype):
        """The initial state when none is given: zeros; (h_0, c_0) for LSTM."""
        h0 = _creation.zeros((self._num_states(), batch, self._state_size()), dtype=dtype)
        if self.mode != "LSTM":
            return h0
        return h0, _creation.zeros((self._num_states(), batch, self.hidden_size), dtype=dtype)

    def _split_state(self, hx):
        """(h, c) of a state: LSTM's pair, or (h, None)."""
        return (hx[0], hx[1]) if self.mode == "LSTM" else (hx, None)

    def _forward(self, input, hx):
        """forward() of RNN, GRU and LSTM: (output, h_n), or (output, (h_n, c_n)) for LSTM."""
        if _is_packed(input):
            return self._forward_packed(input, hx)
        input, hx, batched = self._prepare(input, hx)
        if self.batch_first:
            input = input.transpose(0, 1)  # the layers run time-major, as PyTorch's do
        output, h_n, c_n = self._run(input, *self._split_state(hx))
        if self.batch_first:  # PyTorch's LSTM transposes out of place, RNN and GRU in place
            output = output.transpose(0, 1) if self.mode == "LSTM" else output.transpose_(0, 1)
        if not batched:
            output = output.squeeze(0 if self.batch_first else 1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        return output, (h_n if c_n is None else (h_n, c_n))

    def _forward_packed(self, input, hx):
        """forward() for a PackedSequence: (PackedSequence output, h_n or (h_n, c_n)), the
        states in the order of the sequences given to pack_padded_sequence."""
        data, batch_sizes, sorted_indices, unsorted_indices = input
        if hx is None:
            hx = self._zero_state(int(batch_sizes[0]), data.dtype)
        else:
            hx = self.permute_hidden(hx, sorted_indices)
        self.check_forward_args(data, hx, batch_sizes)
        sizes = [int(n) for n in batch_sizes._data]
        out, h_n, c_n = self._run(data, *self._split_state(hx), sizes)
        output = PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices)
        return output, self.permute_hidden(h_n if c_n is None else (h_n, c_n), unsorted_indices)

    def _prepare(self, input, hx):
        """The front of forward(): an unbatched input (and state) becomes a batch of one, a
        missing state zeros; all checked. Returns (input, hx, batched)."""
        if input.dim() not in (2, 3):
            name = _NAMES[self.mode]
            end = " tensor instead" if name == "RNN" else " instead"
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D{end}")
        batched = input.dim() == 3
        if not batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
        if hx is None:
            hx = self._zero_state(input.size(0 if self.batch_first else 1), input.dtype)
        else:
            hx = self._batch_state(hx, batched)
        self.check_forward_args(input, hx, None)
        return input, hx, batched

    def _batch_state(self, hx, batched):
        """A given state, checked against the input's batchedness (a batch of one if not)."""
        if batched:
            if hx.dim() != 3:
                raise RuntimeError(
                    f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
            return hx
        if hx.dim() != 2:
            raise RuntimeError("For unbatched 2-D input, hx should also be 2-D but got "
                               f"{hx.dim()}-D tensor")
        return hx.unsqueeze(1)

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)


def _check_no_projection(name, kwargs):
    """RNN and GRU take no proj_size, and no keyword beyond their parameters."""
    if "proj_size" in kwargs:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
    if kwargs:
        raise TypeError(
            f"{name}.__init__() got an unexpected keyword argument '{next(iter(kwargs))}'"
        )


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu), per layer.

    forward(input, hx=None) -> (output, h_n); input is (seq, batch, feature), or (batch, seq,
    feature) with batch_first=True, or (seq, feature) unbatched."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None,
                 **kwargs):
        _check_no_projection("RNN", kwargs)
        self.nonlinearity = nonlinearity
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)

    def forward(self, input, hx=None):
        return self._forward(input, hx)


class GRU(RNNBase):
    """Gated recurrent unit (PyTorch's formulation); forward(input, hx=None) -> (output, h_n).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None, **kwargs):
        _check_no_projection("GRU", kwargs)
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)

    def forward(self, input, hx=None):
        return self._forward(input, hx)


class LSTM(RNNBase):
    """Long short-term memory; forward(input, (h_0, c_0)=None) -> (output, (h_n, c_n)).

    With proj_size > 0 the hidden state is projected to proj_size features (weight_hr)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)

    def get_expected_cell_size(self, input, batch_sizes):
        return (self._num_states(), self._mini_batch(input, batch_sizes), self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return hx[0].index_select(1, permutation), hx[1].index_select(1, permutation)

    def _batch_state(self, hx, batched):
        h0, c0 = hx[0], hx[1]
        if batched:
            if h0.dim() != 3 or c0.dim() != 3:
                raise RuntimeError("For batched 3-D input, hx and cx should also be 3-D but "
                                   f"got ({h0.dim()}-D, {c0.dim()}-D) tensors")
            return hx
        if h0.dim() != 2 or c0.dim() != 2:
            raise RuntimeError("For unbatched 2-D input, hx and cx should also be 2-D "
                               f"but got ({h0.dim()}-D, {c0.dim()}-D) tensors")
        return h0.unsqueeze(1), c0.unsqueeze(1)

    def forward(self, input, hx=None):
        return self._forward(input, hx)


# -- cells --------------------------------------------------------------------------------------
class RNNCellBase(Module):
    """What the one-step cells share: weight_ih, weight_hh, bias_ih, bias_hh and their init."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        g = num_chunks * hidden_size
        self.weight_ih = Parameter(_creation.empty((g, input_size), dtype=dtype, device=device))
        self.weight_hh = Parameter(_creation.empty((g, hidden_size), dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(_creation.empty(g, dtype=dtype, device=device))
            self.bias_hh = Parameter(_creation.empty(g, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _batch(self, input, hx, name, what="hidden"):
        """Unbatched (1-D) input and state become a batch of one; checks the sizes."""
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        states = () if hx is None else (hx if isinstance(hx, (tuple, list)) else (hx,))
        for i, s in enumerate(states):
            if s.dim() not in (1, 2):
                label = f"hx[{i}]" if what == "hx" else "hidden"
                raise ValueError(f"{name}: Expected {label} to be 1D or 2D, got {s.dim()}D "
                                 "instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
            states = tuple(s.unsqueeze(0) for s in states)
        if input.size(1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} "
                               f"expected {self.input_size}")
        for i, s in enumerate(states):
            if s.size(0) != input.size(0):
                raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{i} "
                                   f"batch size {s.size(0)}")
            if s.size(1) != self.hidden_size:
                raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {s.size(1)}, "
                                   f"expected {self.hidden_size}")
        return input, states, batched

    def _zeros(self, input):
        return _creation.zeros((input.size(0), self.hidden_size), dtype=input.dtype)


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        input, states, batched = self._batch(input, hx, "RNNCell")
        h = states[0] if states else self._zeros(input)
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        cell = _rnn.rnn_relu_cell if self.nonlinearity == "relu" else _rnn.rnn_tanh_cell
        out = cell(input, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return out if batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: forward(input, (h, c)=None) -> (h', c')."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        input, states, batched = self._batch(input, hx, "LSTMCell", "hx")
        if states:
            h, c = states
        else:
            h = c = self._zeros(input)
        h, c = _rnn.lstm_cell(input, (h, c), self.weight_ih, self.weight_hh, self.bias_ih,
                              self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: forward(input, hx=None) -> h'."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        input, states, batched = self._batch(input, hx, "GRUCell")
        h = states[0] if states else self._zeros(input)
        out = _rnn.gru_cell(input, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return out if batched else out.squeeze(0)
