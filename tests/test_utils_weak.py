"""torch.utils.weak against PyTorch: identity-keyed weak dictionaries and references."""

import gc

import pytest
import torch

import ember


@pytest.mark.parametrize("lib", [ember, torch], ids=["ember", "torch"])
def test_weak_id_key_dictionary(lib):
    weak = lib.utils.weak
    a, b = lib.ones(2), lib.ones(2)  # equal values, different tensors
    d = weak.WeakTensorKeyDictionary()
    d[a] = "a"
    d[b] = "b"
    assert len(d) == 2 and d[a] == "a" and d[b] == "b" and a in d
    assert lib.ones(2) not in d and d.get(lib.zeros(1), 5) == 5
    assert d.setdefault(a, "x") == "a" and [k is a or k is b for k in d] == [True, True]
    c = d.copy()
    del b
    gc.collect()
    assert len(d) == 1 and list(d.values()) == ["a"] and len(c) == 1
    assert d.pop(a) == "a" and len(d) == 0
    r1, r2 = weak.WeakIdRef(a), weak.WeakIdRef(a)
    assert r1 == r2 and hash(r1) == id(a) and r1() is a
    t = weak.TensorWeakRef(a)
    assert t() is a
    del a, r1, r2
    gc.collect()
    assert t() is None
    with pytest.raises(AssertionError, match=r"expected (torch|ember)\.Tensor, got <class 'int'>"):
        weak.TensorWeakRef(3)
