"""Variable-length sequences for the recurrent layers, as torch.nn.utils.rnn.

A batch of sequences of different lengths can be *padded* to one length (a (T, B, *) tensor,
or (B, T, *) with batch_first) or *packed*: the time steps laid end to end, step t holding the
batch_sizes[t] sequences still running at t, sequences sorted longest first:

    lengths [3, 2, 1]  ->  data = [a0 b0 c0 | a1 b1 | a2],  batch_sizes = [3, 2, 1]

RNN, LSTM and GRU take a PackedSequence and skip the padding. Packing and padding are one
gather and one scatter of rows, each the other's gradient, so gradients of any order flow.
"""

from collections import namedtuple

import numpy as np

from ... import _dtype, _names
from ..._errors import note
from ..._tensor import Tensor, _make
from ...ops._op import FormulaNode, formula_node, record
from ...ops.creation import as_tensor
from ...ops.shape import cat

__all__ = [
    "PackedSequence", "invert_permutation", "pack_padded_sequence", "pack_sequence",
    "pad_packed_sequence", "pad_sequence", "unpack_sequence", "unpad_sequence",
]


# -- the two primitives: rows of a (L1, L2, *) tensor gathered, rows scattered back ------------
def _gather_rows(x, rows):
    """x's two leading dims flattened, then the rows ``rows`` (an int64 array): (len(rows), *)."""
    d = x._data
    flat = d.reshape((-1,) + d.shape[2:])
    return record(np.take(flat, rows, 0), PackPaddedSequenceBackward0, (x,), (d.shape, rows))


def _scatter_rows(data, lead, rows, padding_value):
    """A (lead[0], lead[1], *) tensor of padding_value with data's rows written at ``rows``."""
    d = data._data
    out = np.full((lead[0] * lead[1],) + d.shape[1:], padding_value, dtype=d.dtype)
    out[rows] = d
    return record(out.reshape(tuple(lead) + d.shape[1:]), _PadRows, (data,), (rows,))


PackPaddedSequenceBackward0 = formula_node(
    "PackPaddedSequenceBackward0", lambda g, shape, rows: _scatter_rows(g, shape[:2], rows, 0)
)


class _PadRows(FormulaNode):
    """Rows written into a padded tensor: PyTorch records these copies as CopySlices."""

    __slots__ = ()
    vjps = (lambda g, rows: _gather_rows(g, rows),)

    def name(self):
        return f"{_names.prefix}::autograd::CopySlices"


_PadRows.__name__ = _PadRows.__qualname__ = "CopySlices"


def _packed_rows(lengths, batch, time_major, steps):
    """Rows of the packed elements, in packed order, in a padded (steps, batch) layout (or
    (batch, steps) when not time_major); lengths sorted longest first."""
    t_idx, b_idx = [], []
    for t in range(int(lengths[0])):
        n = int(np.count_nonzero(lengths > t))
        t_idx.append(np.full(n, t, np.int64))
        b_idx.append(np.arange(n, dtype=np.int64))
    t_idx, b_idx = np.concatenate(t_idx), np.concatenate(b_idx)
    return t_idx * batch + b_idx if time_major else b_idx * steps + t_idx


def _batch_sizes(lengths):
    # batch_sizes[t]: how many sequences are longer than t
    counts = np.bincount(lengths, minlength=int(lengths[0]) + 1)
    return len(lengths) - np.cumsum(counts)[:-1]


# -- PackedSequence -----------------------------------------------------------------------------
def invert_permutation(permutation):
    """The permutation that undoes ``permutation`` (None stays None)."""
    if permutation is None:
        return None
    p = permutation._data
    inv = np.empty_like(p)
    inv[p] = np.arange(p.size, dtype=p.dtype)
    return _make(inv)


_PackedSequenceBase = namedtuple(
    "PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"]
)


class PackedSequence(_PackedSequenceBase):
    """Sequences of different lengths packed for RNN, LSTM and GRU (see the module docstring).

    ``data``: (sum of lengths, *) the steps laid end to end; ``batch_sizes``: int64, how many
    sequences run at each step; ``sorted_indices``: which input sequence is at each batch
    position (None when the input was already sorted); ``unsorted_indices``: its inverse.
    Build one with pack_padded_sequence or pack_sequence, not directly.
    """

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            # the old PackedSequence(*(data, batch_sizes)) form
            if not isinstance(data, (list, tuple)) or len(data) != 2:
                raise AssertionError
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data):
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args, **kwargs):
        """data.to(...) (the indices stay int64 on the CPU, ember's only device)."""
        return self._with_data(self.data.to(*args, **kwargs))

    def cuda(self, *args, **kwargs):
        return self._with_data(self.data.cuda(*args, **kwargs))

    def cpu(self, *args, **kwargs):
        return self._with_data(self.data.cpu(*args, **kwargs))

    def double(self):
        return self.to(dtype=_dtype.float64)

    def float(self):
        return self.to(dtype=_dtype.float32)

    def half(self):
        return self.to(dtype=_dtype.float16)

    def long(self):
        return self.to(dtype=_dtype.int64)

    def int(self):
        return self.to(dtype=_dtype.int32)

    def short(self):
        return self.to(dtype=_dtype.int16)

    def char(self):
        return self.to(dtype=_dtype.int8)

    def byte(self):
        return self.to(dtype=_dtype.uint8)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False

    def pin_memory(self):
        return self


# -- padding --------------------------------------------------------------------------------
def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors of shapes (L_i, *) into one (T, B, *) tensor (T = max L_i), or (B, T, *)
    with batch_first, filling the missing steps with padding_value on the right (the end of
    each sequence) or the left. The result has the first sequence's dtype."""
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    sequences = tuple(sequences)
    if padding_side not in ("left", "right"):
        raise RuntimeError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    first = sequences[0]
    dtype, rest = first.dtype, tuple(first.shape[1:])
    lengths = np.array([s.shape[0] for s in sequences], dtype=np.int64)
    steps, batch = int(lengths.max()), len(sequences)
    parts = []
    for s in sequences:
        if tuple(s.shape[1:]) != rest:
            s = _broadcast_steps(s, rest)
        parts.append(s if s.dtype == dtype else s.to(dtype))
    # row of step t of sequence b in the padded result
    starts = steps - lengths if padding_side == "left" else np.zeros_like(lengths)
    b_idx = np.repeat(np.arange(batch, dtype=np.int64), lengths)
    t_idx = np.concatenate([np.arange(s, s + n, dtype=np.int64)
                            for s, n in zip(starts, lengths)])
    if batch_first:
        rows, lead = b_idx * steps + t_idx, (batch, steps)
    else:
        rows, lead = t_idx * batch + b_idx, (steps, batch)
    data = parts[0] if batch == 1 else cat(parts, 0)
    return _scatter_rows(data, lead, rows, padding_value)


def _broadcast_steps(s, rest):
    """A sequence whose trailing dims differ from the first one's: broadcast it as PyTorch's
    copy does, or raise its error."""
    from ...ops._op import broadcast_shapes_error

    target = (s.shape[0],) + rest
    exc = broadcast_shapes_error(target, tuple(s.shape))
    if exc is not None or len(s.shape) > len(target):
        raise exc if exc is not None else RuntimeError(
            f"expand: the number of sizes provided ({len(target)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({len(s.shape)})"
        )
    return s.expand(*target)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The inverse of pad_sequence: a list of the (L_i, *) sequences (right padding)."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    steps = padded_sequences.shape[1]
    idx = as_tensor(np.arange(steps))
    return [seq[idx < length] for seq, length in zip(padded_sequences, lengths)]


# -- packing ----------------------------------------------------------------------------------
def _lengths_array(lengths):
    if isinstance(lengths, Tensor):
        lengths = lengths.to(_dtype.int64)
    else:
        lengths = as_tensor(lengths, dtype=_dtype.int64)
    if lengths.dim() != 1:
        raise RuntimeError("'lengths' argument should be a 1D CPU int64 tensor, but got "
                           f"{lengths.dim()}D cpu Long tensor")
    return lengths._data


_UNSORTED = (
    "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can "
    "pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this "
    "requirement if you do not need ONNX exportability."
)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (T, B, *) (or (B, T, *) with batch_first) of sequences of the given
    lengths into a PackedSequence.

    With enforce_sorted=True the lengths must already be in decreasing order; with False the
    sequences are sorted here (longest first) and the permutation is kept, so that the RNN's
    outputs and pad_packed_sequence come back in the original order.
    """
    lens = _lengths_array(lengths)
    sorted_indices = None
    if not enforce_sorted:
        # a stable sort: ties keep their order (PyTorch's sort does too for up to 16 items)
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
        sorted_indices = _make(order.astype(np.int64))
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    data, batch_sizes = _pack(input, lens, batch_first)
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def _pack(input, lens, batch_first):
    shape = tuple(input.shape)
    if len(shape) < 2 or input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    steps, batch = (shape[1], shape[0]) if batch_first else (shape[0], shape[1])
    if lens.size != batch:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {lens.size} "
            f"(batch_size={batch})"
        )
    if lens[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if np.any(lens[1:] > lens[:-1]):
        exc = RuntimeError(_UNSORTED)
        note(exc, "Sort the batch by length (longest first), or pass enforce_sorted=False and "
                  "the outputs come back in your original order.")
        raise exc
    if lens[0] > steps:
        # PyTorch reads past the padded tensor here; a clear error is kinder
        raise RuntimeError(
            f"Expected every length to be at most the padded sequence length ({steps}), but "
            f"got a length of {int(lens[0])}"
        )
    rows = _packed_rows(lens, batch, not batch_first, steps)
    return _gather_rows(input, rows), _make(_batch_sizes(lens).astype(np.int64))


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """The inverse of pack_padded_sequence: (padded, lengths), padded of shape (T, B, *) (or
    (B, T, *) with batch_first), T = total_length or the longest length; lengths int64, both
    in the original order of the sequences."""
    data, batch_sizes, _, unsorted_indices = sequence
    bs = batch_sizes._data.astype(np.int64)
    steps = len(bs)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{steps}"
            )
        steps = total_length
    batch = int(bs[0])
    # lengths[b]: how many steps have more than b sequences running
    lens = np.array([np.count_nonzero(bs > b) for b in range(batch)], dtype=np.int64)
    rows = _packed_rows(lens, batch, True, steps)
    padded = _scatter_rows(data, (steps, batch), rows, padding_value)
    if batch_first:
        padded = padded.transpose(0, 1)
    lengths = _make(lens)
    if unsorted_indices is not None:
        padded = padded.index_select(0 if batch_first else 1, unsorted_indices)
        lengths = _make(lens[unsorted_indices._data])
    return padded, lengths


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of (L_i, *) tensors (longest first unless enforce_sorted=False)."""
    lengths = as_tensor([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The inverse of pack_sequence: the list of (L_i, *) tensors in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
