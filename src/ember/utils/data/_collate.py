"""default_collate / default_convert: turn a list of samples into a batch of tensors."""

import collections.abc
import copy
import re

import numpy as np

from ... import _dtype
from ..._tensor import Tensor
from ...ops.creation import as_tensor, tensor
from ...ops.shape import stack

__all__ = ["default_collate", "default_convert"]

_np_str_obj = re.compile(r"[SaUO]")

_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        "found {}")


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(x, "_fields")


def default_convert(data):
    """Convert NumPy arrays (also inside dicts, tuples and lists) to tensors; keep the rest.

    The DataLoader uses it when batching is off (batch_size=None).
    """
    if isinstance(data, Tensor):
        return data
    elem_type = type(data)
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_",
                                                                        "bytes_"):
        if isinstance(data, np.ndarray) and _np_str_obj.search(data.dtype.str) is not None:
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        if isinstance(data, collections.abc.MutableMapping):
            clone = copy.copy(data)
            clone.update({k: default_convert(v) for k, v in data.items()})
            return clone
        return {k: default_convert(v) for k, v in data.items()}
    if _is_namedtuple(data):
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        converted = [default_convert(d) for d in data]
        if isinstance(data, collections.abc.MutableSequence):
            clone = copy.copy(data)
            for i, d in enumerate(converted):
                clone[i] = d
            return clone
        try:
            return elem_type(converted)
        except TypeError:
            return converted
    return data


def default_collate(batch):
    """Stack a list of samples into one batch, keeping the samples' structure.

    - tensors: stacked along a new first dimension; NumPy arrays and scalars: the same, as
      tensors; Python floats: a float64 tensor, ints: int64, bools: bool (PyTorch's dtypes);
    - strings and bytes: kept as the list;
    - dicts: collated per key; tuples and lists: transposed and collated per position (a
      tuple gives a list, a namedtuple stays one); every sample must have the same length.
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(list(batch), 0)
    elem_type = type(elem)
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_",
                                                                        "bytes_"):
        if isinstance(elem, np.ndarray):
            if _np_str_obj.search(elem.dtype.str) is not None:
                raise TypeError(_ERR.format(elem.dtype))
            return default_collate([as_tensor(b) for b in batch])
        if elem.shape == ():  # NumPy scalar
            return as_tensor(np.asarray(batch))
    elif isinstance(elem, float):
        return tensor(batch, dtype=_dtype.float64)
    elif isinstance(elem, int):
        return tensor(batch)
    elif isinstance(elem, (str, bytes)):
        return batch
    elif isinstance(elem, collections.abc.Mapping):
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update({key: default_collate([d[key] for d in batch]) for key in elem})
            return clone
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    elif _is_namedtuple(elem):
        return elem_type(*(default_collate(samples) for samples in zip(*batch)))
    elif isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        elem_size = len(next(it))
        if not all(len(e) == elem_size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [default_collate(samples) for samples in transposed]
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, samples in enumerate(transposed):
                    clone[i] = default_collate(samples)
                return clone
            return elem_type([default_collate(samples) for samples in transposed])
        except TypeError:
            return [default_collate(samples) for samples in transposed]
    raise TypeError(_ERR.format(elem_type))
