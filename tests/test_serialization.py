"""ember.save / ember.load: exact round trips, PyTorch checkpoints, hostile files."""

import io
import json
import os
import pickle
import struct
import sys
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember
import ember.nn as nn
import ember.optim as optim
from ember.serialization import load, save
from parity import assert_same

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
          "complex64", "complex128"]


def _sample(name, shape=(3, 4)):
    rng = np.random.default_rng(0)
    dt = np.dtype(name)
    if dt.kind == "b":
        return rng.random(shape) < 0.5
    if dt.kind in "iu":
        info = np.iinfo(dt)
        a = rng.integers(info.min, info.max, shape, dtype=dt, endpoint=True)
        a.flat[0], a.flat[1] = info.min, info.max
        return a
    a = rng.standard_normal(shape).astype(dt)
    if dt.kind == "c":
        a = a + 1j * rng.standard_normal(shape).astype(dt)
    flat = a.reshape(-1)
    flat[0], flat[1], flat[2], flat[3] = np.nan, np.inf, -np.inf, -0.0
    # a NaN with a payload: bit-exact means the payload survives too
    if dt == np.float32:
        flat.view(np.uint32)[4] = 0x7FC0_1234
    if dt == np.float64:
        flat.view(np.uint64)[4] = 0x7FF8_0000_DEAD_BEEF
    return a


def _bits_equal(x, y):
    assert x.dtype == y.dtype and x.shape == y.shape
    assert x.tobytes() == y.tobytes()


@pytest.mark.parametrize("name", DTYPES)
def test_round_trip_every_dtype_bit_for_bit(name, tmp_path):
    a = _sample(name)
    obj = {
        "t": ember.from_numpy(a.copy()),
        "scalar": ember.from_numpy(np.array(a.reshape(-1)[5])),
        "empty": ember.from_numpy(np.zeros((0, 2), dtype=name)),
        "strided": ember.from_numpy(a.copy()).t()[::2],  # non-contiguous view
    }
    path = tmp_path / "c.pt"
    save(obj, path)
    back = load(path)
    assert list(back) == list(obj)
    for k in obj:
        assert isinstance(back[k], ember.Tensor) and back[k].dtype is obj[k].dtype
        _bits_equal(back[k].numpy(), obj[k].numpy().copy(order="C"))


def test_nested_checkpoint_model_and_optimizer(tmp_path):
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    opt = optim.Adam(model.parameters(), lr=0.01, amsgrad=True)
    for _ in range(3):
        opt.zero_grad()
        model(ember.randn(5, 4)).pow(2).sum().backward()
        opt.step()
    ckpt = {
        "model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3,
        "loss": 0.25, "best": float("inf"), "bad": float("nan"), "big": 2**70,
        "flags": [True, False, None], "shape": (2, 3), "names": ("a", ["b", ("c",)]),
        "empty": {}, "nested": {1: {"x": [ember.ones(2)]}, "s": "text"},
        "dtype": ember.float64, "size": ember.Size([2, 3]), "z": 1 + 2j,
    }
    buf = io.BytesIO()
    save(ckpt, buf)
    buf.seek(0)
    back = load(buf)
    assert list(back) == list(ckpt)
    assert isinstance(back["model"], OrderedDict) and list(back["model"]) == list(ckpt["model"])
    for k, v in ckpt["model"].items():
        _bits_equal(back["model"][k].numpy(), v.numpy())
    so, sb = ckpt["optimizer"], back["optimizer"]
    assert sb["param_groups"] == so["param_groups"]
    assert list(sb["state"]) == list(so["state"]) == [0, 1, 2, 3]  # int keys stay ints
    for i in so["state"]:
        for key, v in so["state"][i].items():
            _bits_equal(sb["state"][i][key].numpy(), v.numpy())
    for key in ("epoch", "loss", "best", "big", "flags", "shape", "names", "empty", "z"):
        assert back[key] == ckpt[key] and type(back[key]) is type(ckpt[key])
    assert back["bad"] != back["bad"]
    assert type(back["shape"]) is tuple and type(back["names"][1][1]) is tuple
    assert back["nested"][1]["x"][0].tolist() == [1.0, 1.0] and back["nested"]["s"] == "text"
    assert back["dtype"] is ember.float64 and back["size"] == ember.Size([2, 3])
    assert type(back["size"]) is ember.Size
    # resuming from the checkpoint continues exactly where the saved run was
    model2 = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    model2.load_state_dict(back["model"])
    opt2 = optim.Adam(model2.parameters(), lr=0.01, amsgrad=True)
    opt2.load_state_dict(back["optimizer"])
    x = ember.randn(5, 4)
    for m, o in ((model, opt), (model2, opt2)):
        o.zero_grad()
        m(x).pow(2).sum().backward()
        o.step()
    for p, q in zip(model.parameters(), model2.parameters()):
        _bits_equal(p.detach().numpy(), q.detach().numpy())


def test_tensor_identity_flags_and_plain_objects(tmp_path):
    w = ember.randn(3, requires_grad=True)
    p = nn.Parameter(ember.randn(2))
    path = str(tmp_path / "x.safetensors")
    save({"a": w, "b": w, "p": p, "plain": ember.ones(2)}, path)
    back = load(path)
    assert back["a"] is back["b"]  # a tensor saved twice is stored once and comes back once
    assert back["a"].requires_grad and back["a"].is_leaf
    assert isinstance(back["p"], nn.Parameter) and back["p"].requires_grad
    assert not back["plain"].requires_grad
    save(ember.arange(5), path)  # a bare tensor
    assert load(path).tolist() == [0, 1, 2, 3, 4]
    save([1, "two", None], path)  # no tensors at all
    assert load(path) == [1, "two", None]


def test_unsupported_objects_are_refused(tmp_path):
    with pytest.raises(TypeError, match="ember never pickles"):
        save({"model": nn.Linear(2, 2)}, tmp_path / "m.pt")
    with pytest.raises(TypeError, match="cannot store an object of type object"):
        save([object()], tmp_path / "m.pt")


def test_file_is_a_standard_safetensors_file(tmp_path):
    from safetensors import safe_open
    from safetensors.numpy import save_file

    model = nn.Linear(3, 2)
    path = str(tmp_path / "model.safetensors")
    save(model.state_dict(), path)
    with safe_open(path, "np") as f:
        assert sorted(f.keys()) == ["bias", "weight"]
        np.testing.assert_array_equal(f.get_tensor("weight"), model.weight.detach().numpy())
    # and a file written by the safetensors library loads as a dict of tensors
    arrays = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "i": np.arange(3),
              "h": np.ones(2, np.float16), "b": np.array([True, False])}
    other = str(tmp_path / "other.safetensors")
    save_file(arrays, other)
    back = load(other)
    assert sorted(back) == sorted(arrays)
    for k, a in arrays.items():
        _bits_equal(back[k].numpy(), a)


def test_map_location(tmp_path):
    path = tmp_path / "t.pt"
    save({"x": ember.ones(2)}, path)
    for loc in ("cpu", ember.device("cpu"), None):
        assert load(path, map_location=loc)["x"].tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="CUDA device"):
        load(path, map_location="cuda")


# -- PyTorch checkpoints ------------------------------------------------------------------------
def _torch_mlp(lib):
    return lib.nn.Sequential(lib.nn.Linear(4, 16), lib.nn.Tanh(), lib.nn.Linear(16, 3))


def test_torch_state_dict_loads_into_ember_module(tmp_path):
    torch.manual_seed(0)
    tm = _torch_mlp(torch)
    path = tmp_path / "model.pt"
    torch.save(tm.state_dict(), path)
    sd = load(path)
    assert isinstance(sd, OrderedDict) and list(sd) == list(tm.state_dict())
    em = _torch_mlp(ember)
    em.load_state_dict(sd)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    assert_same(em(ember.from_numpy(x)), tm(torch.from_numpy(x)), rtol=1e-6, atol=1e-6)
    for (k, v), (k2, v2) in zip(em.state_dict().items(), tm.state_dict().items()):
        assert k == k2
        _bits_equal(v.numpy(), v2.numpy())


def test_torch_optimizer_checkpoint_resumes(tmp_path):
    torch.manual_seed(0)
    tm = _torch_mlp(torch)
    topt = torch.optim.AdamW(tm.parameters(), lr=0.01)
    x = torch.randn(8, 4)
    for _ in range(3):
        topt.zero_grad()
        tm(x).pow(2).mean().backward()
        topt.step()
    path = tmp_path / "ckpt.pth"
    torch.save({"model": tm.state_dict(), "opt": topt.state_dict(), "epoch": 3}, path)
    ck = load(path)
    assert ck["epoch"] == 3
    assert ck["opt"]["param_groups"] == topt.state_dict()["param_groups"]
    em = _torch_mlp(ember)
    em.load_state_dict(ck["model"])
    eopt = optim.AdamW(em.parameters(), lr=0.01)
    eopt.load_state_dict(ck["opt"])
    assert eopt.state[next(em.parameters())]["step"].item() == 3.0
    xe = ember.from_numpy(x.numpy().copy())
    for _ in range(5):
        topt.zero_grad()
        tm(x).pow(2).mean().backward()
        topt.step()
        eopt.zero_grad()
        em(xe).pow(2).mean().backward()
        eopt.step()
    for p, q in zip(em.parameters(), tm.parameters()):
        assert_same(p, q, rtol=1e-5, atol=1e-6)


def test_torch_file_every_dtype_views_and_parameters(tmp_path):
    base = torch.arange(24, dtype=torch.float64).reshape(4, 6)
    objs = {name: torch.from_numpy(_sample(name)) for name in DTYPES}
    objs.update({
        "t_view": base.t(), "offset_view": base[1:, 2:], "shared": base,
        "param": torch.nn.Parameter(torch.ones(2)), "scalar": torch.tensor(3.5),
        "empty": torch.zeros(0, 3), "size": torch.Size([2, 3]), "dt": torch.int16,
        "lst": [1, 2.5, "s", None, True], "tup": (1, (2, 3)), "set": {1, 2},
    })
    path = tmp_path / "all.pt"
    torch.save(objs, path)
    back = load(path)
    for name in DTYPES:
        _bits_equal(back[name].numpy(), objs[name].numpy())
    for k in ("t_view", "offset_view", "shared", "scalar", "empty"):
        _bits_equal(back[k].numpy(), objs[k].numpy().copy(order="C"))
    assert isinstance(back["param"], nn.Parameter) and back["param"].requires_grad
    assert back["size"] == ember.Size([2, 3]) and back["dt"] is ember.int16
    assert back["lst"] == objs["lst"] and back["tup"] == objs["tup"]
    assert back["set"] == {1, 2}
    # bfloat16 storages load as ember.bfloat16, bit for bit
    torch.save({"h": torch.tensor([1.5, -2.25, 3e38], dtype=torch.bfloat16)}, path)
    h = load(path)["h"]
    assert h.dtype is ember.bfloat16
    np.testing.assert_array_equal(h.float().numpy(), torch.tensor(
        [1.5, -2.25, 3e38], dtype=torch.bfloat16).float().numpy())


# -- hostile and broken files -------------------------------------------------------------------
class _Payload:
    """Unpickling this runs code: it creates the marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').close()",))


def test_planted_pickle_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    raw = pickle.dumps({"weight": _Payload(marker)}, protocol=2)
    pt = tmp_path / "model.pt"
    pt.write_bytes(raw)
    with pytest.raises(ValueError, match="never unpickles"):
        load(pt)
    assert not marker.exists()
    # the same payload inside torch.save's zip format
    zpt = tmp_path / "zipped.pt"
    torch.save({"weight": torch.ones(2), "x": _Payload(marker)}, zpt)
    with pytest.raises(ValueError, match="refusing to load the global '(__builtin__|builtins).exec'"):
        load(zpt)
    assert not marker.exists()
    for target in ("os.system", "posix.system", "subprocess.Popen", "torch.load",
                   "torch._utils._rebuild_tensor_v3", "torch.nn.Module", "numpy.load"):
        mod, name = target.rsplit(".", 1)
        data = b"\x80\x02c" + f"{mod}\n{name}\n".encode() + b"X\x04\x00\x00\x00echo\x85R."
        with pytest.raises(ValueError, match="refusing to load the global"):
            load(_zip_with_pickle(tmp_path, data))
    # BUILD may not set attributes on anything but a loaded OrderedDict: not on ember's dtypes
    # (shared objects), not on the allow-listed callables
    for target in (b"ctorch\nfloat32\n", b"ccollections\nOrderedDict\n",
                   b"ctorch._utils\n_rebuild_tensor_v2\n"):
        data = b"\x80\x02" + target + b"}X\x04\x00\x00\x00nameX\x04\x00\x00\x00evilsb."
        with pytest.raises(ValueError, match="BUILD"):
            load(_zip_with_pickle(tmp_path, data))
    assert ember.float32.name == "float32"
    # the payload is live: plain pickle does run it (so the checks above can fail)
    pickle.loads(raw)
    assert marker.exists()


def _zip_with_pickle(tmp_path, data, records=None, name="archive"):
    path = tmp_path / "hostile.pt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(f"{name}/data.pkl", data)
        z.writestr(f"{name}/byteorder", "little")
        for key, rec in (records or {}).items():
            z.writestr(f"{name}/data/{key}", rec)
    return path


def _torch_pickle(offset, size, stride, numel, key="0"):
    """One float tensor pickled as torch.save lays it out, written opcode by opcode."""

    def s(text):
        b = text.encode()
        return b"X" + struct.pack("<I", len(b)) + b

    def tup(items):
        return b"(" + b"".join(items) + b"t"

    def i(v):
        return b"J" + struct.pack("<i", v)

    pid = tup([s("storage"), b"ctorch\nFloatStorage\n", s(key), s("cpu"), i(numel)])
    args = tup([pid + b"Q", i(offset), tup([i(v) for v in size]), tup([i(v) for v in stride]),
                b"\x89", b"ccollections\nOrderedDict\n)R"])
    return b"\x80\x02}" + s("w") + b"ctorch._utils\n_rebuild_tensor_v2\n" + args + b"Rs."


def test_torch_zip_lying_about_storage(tmp_path):
    good = np.arange(6, dtype=np.float32).tobytes()
    # a well-formed file of this kind loads (so the failures below are about the lies)
    path = _zip_with_pickle(tmp_path, _torch_pickle(0, (2, 3), (3, 1), 6), {"0": good})
    assert load(path)["w"].tolist() == [[0, 1, 2], [3, 4, 5]]
    cases = [
        (_torch_pickle(0, (2, 3), (3, 1), 600), {"0": good}),  # numel larger than the record
        (_torch_pickle(4, (2, 3), (3, 1), 6), {"0": good}),  # offset pushes past the end
        (_torch_pickle(0, (2, 3), (300, 1), 6), {"0": good}),  # stride past the end
        (_torch_pickle(0, (2, 3), (-3, 1), 6), {"0": good}),  # negative stride
        (_torch_pickle(0, (2, 3), (3, 1), 6), {}),  # missing record
        (_torch_pickle(0, (2, 3), (3, 1), 6)[:-5], {"0": good}),  # truncated pickle
    ]
    for data, records in cases:
        with pytest.raises(ValueError, match="not a valid checkpoint"):
            load(_zip_with_pickle(tmp_path, data, records))


def test_truncated_and_random_files(tmp_path):
    path = tmp_path / "c.pt"
    save({"w": ember.randn(4, 4), "meta": {"epoch": 1}}, path)
    data = path.read_bytes()
    rng = np.random.default_rng(0)
    bad = {
        "truncated": data[: len(data) - 7],
        "header only": data[:40],
        "empty": b"",
        "random": rng.integers(0, 256, 4096, dtype=np.uint8).tobytes(),
        "random with a brace": b"\x10\x00\x00\x00\x00\x00\x00\x00{" + bytes(50),
        "huge header length": struct.pack("<Q", 2**62) + b"{}",
    }
    for why, content in bad.items():
        path.write_bytes(content)
        with pytest.raises(ValueError, match="not a valid checkpoint"):
            load(path)
    # a torch zip cut short
    torch.save({"w": torch.ones(3)}, path)
    zdata = path.read_bytes()
    path.write_bytes(zdata[: len(zdata) // 2])
    with pytest.raises(ValueError, match="not a valid checkpoint"):
        load(path)


def _rewrite_header(data, edit):
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    edit(header)
    hb = json.dumps(header).encode()
    return struct.pack("<Q", len(hb)) + hb + data[8 + n:]


def test_header_lies(tmp_path):
    path = tmp_path / "c.pt"
    save({"w": ember.randn(4, 4), "v": ember.randn(3)}, path)
    data = path.read_bytes()

    def offsets(h):
        h["w"]["data_offsets"] = [0, 10**6]

    def overlap(h):
        h["v"]["data_offsets"] = h["w"]["data_offsets"]

    def shape(h):
        h["w"]["shape"] = [400, 400]

    def dtype(h):
        h["w"]["dtype"] = "F64"

    def missing_ref(h):
        meta = json.loads(h["__metadata__"]["ember.checkpoint"])
        meta["structure"]["dict"][0][1] = {"tensor": "nope"}
        h["__metadata__"]["ember.checkpoint"] = json.dumps(meta)

    def unknown_tag(h):
        meta = json.loads(h["__metadata__"]["ember.checkpoint"])
        meta["structure"] = {"pickle": "cos\nsystem\n"}
        h["__metadata__"]["ember.checkpoint"] = json.dumps(meta)

    def bad_json(h):
        h["__metadata__"]["ember.checkpoint"] = "{not json"

    def deep(h):
        h["__metadata__"]["ember.checkpoint"] = (
            '{"format": "ember.checkpoint", "structure": ' + '{"list": [' * 100000
            + "]}" * 100000 + "}")

    for edit in (offsets, overlap, shape, dtype, missing_ref, unknown_tag, bad_json, deep):
        path.write_bytes(_rewrite_header(data, edit))
        with pytest.raises(ValueError, match="not a valid checkpoint"):
            load(path)


def test_missing_safetensors_gives_install_hint(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "safetensors", None)
    with pytest.raises(ImportError, match=r'pip install "ember\[checkpoints\]"'):
        save({"x": ember.ones(1)}, tmp_path / "x.pt")
    # PyTorch files need no safetensors
    torch.save({"x": torch.ones(1)}, tmp_path / "t.pt")
    assert load(tmp_path / "t.pt")["x"].tolist() == [1.0]


def test_core_import_does_not_need_safetensors():
    import subprocess

    code = ("import sys; sys.modules['safetensors'] = None; import ember, ember.serialization; "
            "import ember.optim, ember.utils.data; print('ok')")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip() == "ok", out.stderr
