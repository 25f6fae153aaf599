"""The Module API against torch.nn.Module: registration, traversal, modes, dtype conversion,
state_dict round trips and errors, hooks (forward and full backward), containers, printing,
pickling."""

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn as tnn

import ember
import ember.nn as nn
from parity import assert_same, same_error

LIBS = [(ember, nn), (torch, tnn)]


def _net(lib, nnmod):
    class Block(nnmod.Module):
        def __init__(self):
            super().__init__()
            self.lin = nnmod.Linear(3, 3)
            self.norm = nnmod.BatchNorm1d(3)
            self.register_buffer("steps", lib.zeros(1))
            self.register_buffer("cache", lib.ones(2), persistent=False)

        def forward(self, x):
            return self.norm(self.lin(x)).relu()

    class Net(nnmod.Module):
        def __init__(self):
            super().__init__()
            self.block = Block()
            self.head = nnmod.Sequential(nnmod.Linear(3, 4), nnmod.Tanh(), nnmod.Linear(4, 2))
            self.scale = nnmod.Parameter(lib.ones(2))
            self.empty = None
            self.register_parameter("unused", None)

        def forward(self, x):
            return self.head(self.block(x)) * self.scale

    return Net()


def _pair():
    ember.manual_seed(0)
    me, mt = _net(ember, nn), _net(torch, tnn)
    sd = {k: ember.from_numpy(v.detach().numpy().copy()) for k, v in mt.state_dict().items()}
    me.load_state_dict(sd)
    return me, mt


def test_traversal_matches_torch():
    me, mt = _pair()
    for fn in (lambda m: [n for n, _ in m.named_parameters()],
               lambda m: [n for n, _ in m.named_parameters(prefix="model")],
               lambda m: [n for n, _ in m.named_parameters(recurse=False)],
               lambda m: [n for n, _ in m.named_buffers()],
               lambda m: [n for n, _ in m.named_buffers(recurse=False)],
               lambda m: [n for n, _ in m.named_children()],
               lambda m: [n for n, _ in m.named_modules()],
               lambda m: [n for n, _ in m.named_modules(prefix="root")],
               lambda m: [type(c).__name__ for c in m.children()],
               lambda m: [type(c).__name__ for c in m.modules()],
               lambda m: len(list(m.parameters())), lambda m: len(list(m.buffers())),
               lambda m: list(m.state_dict()), lambda m: repr(m)):
        assert fn(me) == fn(mt)
    assert me.get_submodule("head.2") is me.head[2]
    assert me.get_parameter("head.0.bias") is me.head[0].bias
    assert me.get_buffer("block.norm.running_mean") is me.block.norm.running_mean
    for target in ("x", "head.9", "block.lin.foo"):
        same_error(lambda: me.get_submodule(target), lambda: mt.get_submodule(target))
    same_error(lambda: me.get_parameter("block.lin.in_features"),
               lambda: mt.get_parameter("block.lin.in_features"))
    same_error(lambda: me.get_buffer("block.lin.weight"),
               lambda: mt.get_buffer("block.lin.weight"))


def test_shared_parameters_and_remove_duplicate():
    results = []
    for lib, m in LIBS:
        lin = m.Linear(2, 2)
        seq = m.Sequential(lin, m.ReLU(), lin)
        seq.extra = m.Parameter(lib.ones(1))
        seq.add_module("again", lin)
        results.append((
            [n for n, _ in seq.named_parameters()],
            [n for n, _ in seq.named_parameters(remove_duplicate=False)],
            [n for n, _ in seq.named_modules(remove_duplicate=False)],
            len(list(seq.parameters())),
        ))
    assert results[0] == results[1]


def test_registration_errors():
    me, mt = nn.Linear(2, 2), tnn.Linear(2, 2)
    cases = [
        lambda m, lib: m.add_module("a.b", None), lambda m, lib: m.add_module("", None),
        lambda m, lib: m.add_module(1, None), lambda m, lib: m.add_module("weight", None),
        lambda m, lib: m.add_module("x", 3), lambda m, lib: m.register_buffer("a.b", None),
        lambda m, lib: m.register_buffer("weight", None),
        lambda m, lib: m.register_parameter("bias", lib.ones(2)),
        lambda m, lib: m.register_parameter("", None),
        lambda m, lib: setattr(m, "bias", 3), lambda m, lib: setattr(m, "weight", lib.ones(2, 2)),
        lambda m, lib: m.nope, lambda m, lib: m.to(lib.int64),
        lambda m, lib: m.train("yes"),
    ]
    for fn in cases:
        same_error(lambda: fn(me, ember), lambda: fn(mt, torch))

    class Early(nn.Module):
        def __init__(self):
            self.lin = nn.Linear(1, 1)

    class TEarly(tnn.Module):
        def __init__(self):
            self.lin = tnn.Linear(1, 1)

    same_error(Early, TEarly)
    with pytest.raises(TypeError, match=r"^cannot assign 'int' object to buffer 'w' \(ember "
                       r"Tensor or None required\)$"):
        me.register_buffer("w", 3)
    same_error(lambda: nn.Module(1), lambda: tnn.Module(1))
    same_error(lambda: nn.Module(foo=1), lambda: tnn.Module(foo=1))


def test_setattr_getattr_delattr_semantics():
    for lib, m in LIBS:
        mod = m.Module()
        mod.register_buffer("buf", lib.zeros(2))
        mod.buf = lib.ones(2)  # assigning a tensor to a buffer name keeps it a buffer
        assert [n for n, _ in mod.named_buffers()] == ["buf"]
        mod.buf = None
        assert list(mod.named_buffers()) == [] and "buf" in mod._buffers
        mod.p = m.Parameter(lib.ones(1))
        mod.p = None
        assert list(mod.parameters()) == [] and "p" in mod._parameters
        mod.child = m.Linear(1, 1)
        mod.child = None
        assert list(mod.children()) == []
        mod.x = 5
        mod.x = m.Linear(1, 1)  # a plain attribute becomes a module
        assert [n for n, _ in mod.named_children()] == ["x"] and "x" not in mod.__dict__
        del mod.x
        assert not hasattr(mod, "x")
        mod.register_buffer("b2", lib.ones(1), persistent=False)
        del mod.b2
        assert "b2" not in mod._non_persistent_buffers_set
        names = dir(m.Linear(1, 1))
        assert {"weight", "bias", "forward", "training"} <= set(names)


def test_train_eval_and_overrides():
    calls = []

    class Custom(nn.Module):
        def train(self, mode=True):
            calls.append(mode)
            return super().train(mode)

    for lib, m in LIBS:
        net = m.Sequential(m.Linear(2, 2), m.Sequential(m.Dropout(), m.BatchNorm1d(2)))
        assert net.eval() is net
        assert not any(x.training for x in net.modules())
        net.train()
        assert all(x.training for x in net.modules())
        net[1].eval()
        assert [x.training for x in net.modules()] == [True, True, False, False, False]
    outer = nn.Sequential(Custom())
    outer.eval()
    outer.train()
    assert calls == [False, True]


def test_requires_grad_zero_grad_apply():
    me, mt = _pair()
    assert me.requires_grad_(False) is me
    assert not any(p.requires_grad for p in me.parameters())
    me.requires_grad_()
    x = ember.randn(4, 3)
    me(x).sum().backward()
    assert all(p.grad is not None for p in me.parameters())
    me.zero_grad(set_to_none=False)
    assert all(not p.grad.numpy().any() for p in me.parameters())
    me.zero_grad()
    assert all(p.grad is None for p in me.parameters())
    orders = []
    for lib, m in LIBS:
        seen = []
        net = _net(lib, m)
        assert net.apply(lambda mod: seen.append(type(mod).__name__)) is net
        orders.append(seen)
    assert orders[0] == orders[1]


def test_to_dtype_keeps_parameter_objects():
    me, _ = _pair()
    params = list(me.parameters())
    me(ember.randn(4, 3)).sum().backward()
    assert me.double() is me
    assert [p is q for p, q in zip(params, me.parameters())] == [True] * len(params)
    assert all(p.dtype == ember.float64 and p.grad.dtype == ember.float64 for p in params)
    assert me.block.norm.running_mean.dtype == ember.float64
    assert me.block.norm.num_batches_tracked.dtype == ember.int64  # integers stay
    assert me(ember.randn(4, 3, dtype=ember.float64)).dtype == ember.float64
    me.to(ember.float32)
    assert all(p.dtype == ember.float32 for p in me.parameters())
    me.half()
    assert me.head[0].weight.dtype == ember.float16
    me.float()
    assert me.to("cpu") is me and me.cpu() is me
    me.to(ember.zeros(1, dtype=ember.float64))
    assert me.scale.dtype == ember.float64
    me.to(device="cpu", dtype=ember.float32)
    assert me.scale.dtype == ember.float32


def test_state_dict_contents():
    me, mt = _pair()
    sd, st = me.state_dict(), mt.state_dict()
    assert type(sd) is OrderedDict and list(sd) == list(st)
    assert dict(sd._metadata) == dict(st._metadata)
    assert "block.cache" not in sd  # non-persistent buffer
    for k in sd:
        assert_same(sd[k], st[k], 1e-6, 1e-7)
        assert not sd[k].requires_grad
    # detached views of the live tensors (same memory), as in PyTorch
    sd["scale"][0] = 7.0
    assert me.scale[0].item() == 7.0
    kv = me.state_dict(keep_vars=True)
    assert kv["scale"] is me.scale and kv["block.steps"] is me.block.steps
    pref = me.state_dict(prefix="model.")
    assert list(pref) == ["model." + k for k in sd]


def test_load_state_dict_round_trip_and_results():
    me, mt = _pair()
    other = _net(ember, nn)
    res = other.load_state_dict(me.state_dict())
    assert repr(res) == "<All keys matched successfully>" and res.missing_keys == []
    x = ember.randn(5, 3)
    me.eval()
    other.eval()
    assert np.array_equal(me(x).detach().numpy(), other(x).detach().numpy())
    # weights from torch give torch's outputs
    mt.eval()
    assert_same(me(x), mt(torch.from_numpy(x.numpy().copy())), 1e-5, 1e-6)
    assert other.scale.is_leaf and other.scale.requires_grad


def test_load_state_dict_errors_match_torch():
    le, lt = nn.Linear(3, 3), tnn.Linear(3, 3)
    cases = [
        {"weight": (3, 3)},
        {"weight": (3, 3), "bias": (3,), "extra": (1,), "more.x": (2,)},
        {"weight": (2, 3), "bias": (3,)},
        {"weight": (2, 3), "bias": (4,), "foo": (1,)},
    ]
    for case in cases:
        same_error(lambda: le.load_state_dict({k: ember.ones(s) for k, s in case.items()}),
                   lambda: lt.load_state_dict({k: torch.ones(s) for k, s in case.items()}))
        if any(s != (3, 3) and s != (3,) and k in ("weight", "bias") for k, s in case.items()):
            continue
        re = le.load_state_dict({k: ember.ones(s) for k, s in case.items()}, strict=False)
        rt = lt.load_state_dict({k: torch.ones(s) for k, s in case.items()}, strict=False)
        assert repr(re) == repr(rt) and re.missing_keys == rt.missing_keys
    same_error(lambda: le.load_state_dict([1]), lambda: lt.load_state_dict([1]))
    same_error(lambda: le.load_state_dict({"weight": 1, "bias": ember.ones(3)}),
               lambda: lt.load_state_dict({"weight": 1, "bias": torch.ones(3)}))
    me, mt = _pair()
    bad_e = me.state_dict()
    bad_t = mt.state_dict()
    for sd in (bad_e, bad_t):
        del sd["head.0.bias"]
        sd["head.0.weight"] = sd["head.0.weight"][:2]
        sd["block.lin.extra"] = sd["scale"]
    same_error(lambda: me.load_state_dict(bad_e), lambda: mt.load_state_dict(bad_t))


def test_load_state_dict_assign_and_batchnorm_version():
    le = nn.Linear(2, 2)
    w = ember.ones(2, 2)
    le.load_state_dict({"weight": w, "bias": ember.zeros(2)}, assign=True)
    assert isinstance(le.weight, nn.Parameter) and le.weight.requires_grad
    w[0, 0] = 5.0
    assert le.weight[0, 0].item() == 5.0  # assign=True keeps the given tensor's memory
    # a plain dict (no version metadata) without num_batches_tracked loads, as in PyTorch
    for lib, m in LIBS:
        bn = m.BatchNorm1d(2)
        plain = {k: v for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
        assert list(bn.load_state_dict(plain)) == [[], []]
    be, bt = nn.BatchNorm1d(2), tnn.BatchNorm1d(2)
    se, st = be.state_dict(), bt.state_dict()
    del se["num_batches_tracked"], st["num_batches_tracked"]
    same_error(lambda: be.load_state_dict(se), lambda: bt.load_state_dict(st))


def test_forward_hooks():
    for lib, m in LIBS:
        lin = m.Linear(2, 2)
        log = []
        h1 = lin.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
        h2 = lin.register_forward_hook(lambda mod, args, out: log.append("a"))
        lin.register_forward_hook(lambda mod, args, out: log.append("b"), prepend=True)
        lin.register_forward_hook(lambda mod, args, kwargs, out: log.append(("kw", kwargs)),
                                  with_kwargs=True)
        y = lin(lib.ones(1, 2))
        assert np.allclose(y.detach().numpy(), lin.bias.detach().numpy())
        assert log == ["b", "a", ("kw", {})]
        h1.remove()
        h2.remove()
        h2.remove()  # removing twice is harmless
        log.clear()
        lin(lib.ones(1, 2))
        assert log == ["b", ("kw", {})]

    class Scaled(nn.Module):
        def forward(self, x, scale=1.0):
            return x * scale

    class TScaled(tnn.Module):
        def forward(self, x, scale=1.0):
            return x * scale

    for mod, lib in ((Scaled(), ember), (TScaled(), torch)):
        mod.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"scale": 3.0}),
                                      with_kwargs=True)
        assert mod(lib.ones(1)).item() == 3.0
    se, st = Scaled(), TScaled()
    se.register_forward_pre_hook(lambda mod, a, k: 5, with_kwargs=True)
    st.register_forward_pre_hook(lambda mod, a, k: 5, with_kwargs=True)
    same_error(lambda: se(ember.ones(1)), lambda: st(torch.ones(1)))


class _TwoIn:
    @staticmethod
    def make(m):
        class TwoIn(m.Module):
            def __init__(self):
                super().__init__()
                self.lin = m.Linear(3, 2)

            def forward(self, a, flag, b):
                h = self.lin(a) * b
                return h, h.sum(1)

        return TwoIn()


def test_full_backward_hook_matches_torch():
    records = []
    state = {}
    for lib, m in LIBS[::-1]:  # torch first: its weights go into ember's module
        mod = _TwoIn.make(m)
        if lib is ember:
            mod.load_state_dict({k: ember.from_numpy(v.numpy().copy()) for k, v in state.items()})
        else:
            state = {k: v.detach() for k, v in mod.state_dict().items()}
        seen = []

        def hook(module, grad_input, grad_output, seen=seen):
            seen.append((grad_input, grad_output))

        mod.register_full_backward_hook(hook)
        rng = np.random.default_rng(0)
        a = lib.from_numpy(rng.standard_normal((4, 3)).astype(np.float32)).requires_grad_()
        b = lib.from_numpy(rng.standard_normal((4, 2)).astype(np.float32))  # no grad
        h, s = mod(a, "flag", b)
        assert type(h.grad_fn).__name__ == "BackwardHookFunctionBackward" or lib is torch
        (h.sum() * 2 + (s * s).sum()).backward()
        records.append((seen, a.grad))
    (st, gt), (se, ge) = records
    assert len(se) == len(st) == 1
    (gi_e, go_e), (gi_t, go_t) = se[0], st[0]
    assert len(gi_e) == len(gi_t) == 3 and gi_e[1] is None and not gi_e[2].numpy().any()
    assert_same(gi_e, gi_t, 1e-5, 1e-6)
    assert_same(go_e, go_t, 1e-5, 1e-6)
    assert_same(ge, gt, 1e-5, 1e-6)


def test_backward_hooks_replace_gradients():
    grads = []
    for lib, m in LIBS:
        lin = m.Linear(2, 2)
        lin.register_full_backward_pre_hook(lambda mod, go: (go[0] * 10,))
        lin.register_full_backward_hook(lambda mod, gi, go: (gi[0] + 1,))
        x = lib.ones(3, 2, requires_grad=True)
        with torch.no_grad(), ember.no_grad():
            lin.weight.fill_(0.5)
        lin(x).sum().backward()
        grads.append((x.grad, lin.bias.grad))
    assert_same(grads[0], grads[1])
    # no input requires grad: the hook fires with None inputs, with PyTorch's warning
    for lib, m in LIBS:
        lin = m.Linear(2, 2)
        seen = []
        lin.register_full_backward_hook(lambda mod, gi, go: seen.append((gi, go[0].shape)))
        with pytest.warns(UserWarning, match="Full backward hook is firing"):
            lin(lib.ones(3, 2)).sum().backward()
        assert seen == [((None,), (3, 2))]
    le, lt = nn.Linear(2, 2), tnn.Linear(2, 2)
    le.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
    lt.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
    same_error(lambda: le(ember.ones(1, 2, requires_grad=True)).sum().backward(),
               lambda: lt(torch.ones(1, 2, requires_grad=True)).sum().backward())
    same_error(lambda: le.register_backward_hook(lambda *a: None),
               lambda: lt.register_backward_hook(lambda *a: None))


def test_hook_handles_and_no_hooks_after_removal():
    lin = nn.Linear(2, 2)
    h = lin.register_full_backward_hook(lambda *a: None)
    x = ember.ones(1, 2, requires_grad=True)
    assert type(lin(x).grad_fn).__name__ == "BackwardHookFunctionBackward"
    h.remove()
    assert type(lin(x).grad_fn).__name__ == "AddmmBackward0"
    with lin.register_forward_hook(lambda *a: ember.zeros(1)):
        assert lin(x).shape == (1,)
    assert lin(x).shape == (1, 2)


# -- containers ---------------------------------------------------------------------------------
def test_sequential_operations():
    def build(m):
        return m.Sequential(m.Linear(2, 3), m.ReLU(), m.Linear(3, 1), m.Sigmoid())

    def ops(m):
        s = build(m)
        out = [repr(s[1:3]), repr(s[-1]), repr(s[::2]), len(s), type(s[0:1]).__name__]
        s.append(m.Tanh())
        s.insert(1, m.ELU())
        s.insert(-1, m.Identity())
        s.extend([m.ReLU6()])
        del s[2]
        out += [repr(s), len(s), [k for k, _ in s.named_children()]]
        s.pop(0)
        out.append(repr(s))
        out.append(repr(s + m.Sequential(m.Tanh())))
        out.append(repr(m.Sequential(m.ReLU()) * 2))
        out.append(repr(m.Sequential(OrderedDict([("fc", m.Linear(1, 1)), ("act", m.Tanh())]))))
        return out

    assert ops(nn) == ops(tnn)
    se, st = build(nn), build(tnn)
    for fn in (lambda s: s[4], lambda s: s[-5], lambda s: s.insert(9, s[0]),
               lambda s: s + 1, lambda s: s.insert(0, 3)):
        same_error(lambda: fn(se), lambda: fn(st))
    x = np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32)
    st_sd = {k: ember.from_numpy(v.numpy().copy()) for k, v in st.state_dict().items()}
    se.load_state_dict(st_sd)
    assert_same(se(ember.from_numpy(x)), st(torch.from_numpy(x)), 1e-6, 1e-6)
    assert [type(c).__name__ for c in se] == [type(c).__name__ for c in st]


def test_module_list_and_dict():
    def ops(m):
        ml = m.ModuleList([m.Linear(2, 2) for _ in range(3)])
        ml.append(m.ReLU())
        ml.extend([m.Tanh(), m.Tanh()])
        ml.insert(1, m.ELU())
        ml += [m.Sigmoid()]
        out = [repr(ml), len(ml), repr(ml[1:3]), repr(ml[-1])]
        del ml[0]
        out += [repr(ml), [n for n, _ in ml.named_parameters()]]
        md = m.ModuleDict({"a": m.ReLU(), "b": m.Linear(1, 2)})
        md["c"] = m.Tanh()
        md.update([("d", m.ELU())])
        out += [repr(md), list(md.keys()), "a" in md, len(md), [type(v).__name__
                                                                 for v in md.values()]]
        md.pop("a")
        out += [list(md), [n for n, _ in md.named_parameters()]]
        return out

    assert ops(nn) == ops(tnn)
    same_error(lambda: nn.ModuleList()(1), lambda: tnn.ModuleList()(1))
    same_error(lambda: nn.ModuleList([nn.ReLU()])[3], lambda: tnn.ModuleList([tnn.ReLU()])[3])


def test_parameter_list_and_dict():
    def ops(lib, m):
        pl = m.ParameterList([m.Parameter(lib.ones(2, 3)), lib.zeros(3), "abc"])
        pl.append(lib.ones(1, dtype=lib.float64))
        out = [repr(pl), [n for n, _ in pl.named_parameters()], len(pl), type(pl[1]).__name__,
               pl[1].requires_grad, repr(pl[0:2])]
        pd = m.ParameterDict({"a": m.Parameter(lib.ones(2)),
                              "b": lib.zeros(2, dtype=lib.float64)})
        pd["c"] = lib.ones(1)
        out += [repr(pd), list(pd.keys()), [n for n, _ in pd.named_parameters()],
                "a" in pd, len(pd), type(pd["b"]).__name__]
        del pd["a"]
        out += [list(pd), repr(m.ParameterList()), repr(m.ParameterDict())]
        return [str(o).replace("torch.", "ember.") for o in out]

    assert ops(ember, nn) == ops(torch, tnn)

    class WithList(nn.Module):
        def __init__(self):
            super().__init__()
            self.ws = nn.ParameterList([nn.Parameter(ember.ones(2)) for _ in range(2)])

    assert [n for n, _ in WithList().named_parameters()] == ["ws.0", "ws.1"]


# -- printing, pickling, deepcopy --------------------------------------------------------------
def test_extra_repr_and_nested_repr():
    def build(m):
        class Custom(m.Module):
            def __init__(self):
                super().__init__()
                self.inner = m.Sequential(m.Linear(1, 2), m.ModuleList([m.ReLU(), m.ReLU()]))

            def extra_repr(self):
                return "alpha=1,\nbeta=2"

        return Custom()

    assert repr(build(nn)) == repr(build(tnn))
    me, mt = _pair()
    assert repr(me) == repr(mt)


class PicklableBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 3)
        self.norm = nn.BatchNorm1d(3)
        self.scale = nn.Parameter(ember.ones(3))
        self.register_buffer("cache", ember.ones(2), persistent=False)

    def forward(self, x):
        return self.norm(self.lin(x)) * self.scale


def test_pickle_and_deepcopy_modules():
    me = nn.Sequential(PicklableBlock(), nn.ReLU())
    me(ember.randn(4, 3))
    me.eval()
    x = ember.randn(3, 3)
    for clone in (pickle.loads(pickle.dumps(me)), copy.deepcopy(me)):
        assert type(clone[0]) is PicklableBlock and not clone.training
        assert np.array_equal(clone(x).detach().numpy(), me(x).detach().numpy())
        assert clone[0].scale is not me[0].scale and isinstance(clone[0].scale, nn.Parameter)
        assert list(clone.state_dict()) == list(me.state_dict())
        assert "cache" in clone[0]._buffers and "0.cache" not in clone.state_dict()
        assert clone[0].norm.num_batches_tracked.item() == 1
    lin = nn.Linear(2, 2)
    lin.register_forward_hook(_record_hook)
    clone = pickle.loads(pickle.dumps(lin))
    assert len(clone._forward_hooks) == 1
    c2 = copy.deepcopy(nn.Sequential(lin, lin))
    assert c2[0] is c2[1]  # sharing survives deepcopy


def _record_hook(module, args, output):
    return None


def test_module_call_fast_path_has_no_hook_overhead():
    lin = nn.Linear(2, 2)
    x = ember.ones(1, 2)
    y = lin(x)
    assert type(y.grad_fn).__name__ == "AddmmBackward0"
    assert lin._call_impl(x).shape == (1, 2)


def test_activation_classes_as_pytorch_defines_them():
    import inspect

    import torch

    for lib in (torch, ember):
        assert issubclass(lib.nn.ReLU6, lib.nn.Hardtanh)
        assert (lib.nn.ReLU6().min_val, lib.nn.ReLU6().max_val) == (0.0, 6.0)
    for make in (lambda nn: nn.ReLU6(True), lambda nn: nn.ReLU6(), lambda nn: nn.Hardsigmoid(True),
                 lambda nn: nn.Hardswish(True), lambda nn: nn.Hardtanh(-2.0, 3.0, True)):
        assert repr(make(ember.nn)) == repr(make(torch.nn))
    assert list(inspect.signature(ember.nn.Sequential.extend).parameters) == \
        list(inspect.signature(torch.nn.Sequential.extend).parameters)
