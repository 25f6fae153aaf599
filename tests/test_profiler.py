"""ember.profiler against torch.profiler: event names, counts, nesting, the table's layout, the
Chrome trace, the schedule's steps; the recording leaves nothing behind; the HTML view."""

import collections
import json
import re
import subprocess
import sys
import warnings

import pytest
import torch
import torch.profiler as tprof
from torch.autograd import profiler_util as tutil

import ember
import ember.profiler as eprof
from ember.autograd import engine
from ember.profiler import _events as eutil

BACKWARD = "autograd::engine::evaluate_function: "


def _norm(name):
    # ember's AccumulateGrad node calls itself ember::autograd::AccumulateGrad (its name())
    return name.replace("ember::autograd::", "torch::autograd::")


def _roots(prof):
    return [e for e in prof.events() if e.cpu_parent is None]


def _mlp(lib):
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.ReLU(), lib.nn.Linear(8, 2))
    x, t = lib.randn(3, 4), lib.randn(3, 2)
    with _profile(lib)(record_shapes=True) as prof:
        with _record_function(lib)("model_inference"):
            y = model(x)
            loss = ((y - t) ** 2).mean()
        loss.backward()
    return prof


def _profile(lib):
    return tprof.profile if lib is torch else eprof.profile


def _record_function(lib):
    return tprof.record_function if lib is torch else eprof.record_function


def test_mlp_forward_names_and_nesting_match_torch():
    names = {}
    for lib in (torch, ember):
        prof = _mlp(lib)
        block = [e for e in _roots(prof) if e.name == "model_inference"]
        assert len(block) == 1
        names[lib] = [c.name for c in block[0].cpu_children]
        linear = [c for c in block[0].cpu_children if c.name == "aten::linear"]
        assert [c.cpu_children[0].name for c in linear] == ["aten::t", "aten::t"]
        assert linear[0].input_shapes[:3] == [[3, 4], [8, 4], [8]]
        assert block[0].is_user_annotation is True
    assert names[ember] == names[torch] == [
        "aten::linear", "aten::relu", "aten::linear", "aten::sub", "aten::pow", "aten::mean"]


def test_mlp_backward_nodes_match_torch():
    seen = {}
    for lib in (torch, ember):
        prof = _mlp(lib)
        evaluated = [e for e in _roots(prof) if e.name.startswith(BACKWARD)]
        seen[lib] = [_norm(e.name) for e in evaluated]
        for e in evaluated:  # each wraps the node it evaluated, as its first child
            assert _norm(e.cpu_children[0].name) == _norm(e.name)[len(BACKWARD):]
            assert e.cpu_children[0].cpu_parent is e
    assert seen[ember] == seen[torch]
    assert seen[ember][:4] == [BACKWARD + n for n in
                               ("MeanBackward0", "PowBackward0", "SubBackward0",
                                "AddmmBackward0")]
    assert seen[ember].count(BACKWARD + "torch::autograd::AccumulateGrad") == 4


def _conv_names(lib):
    lib.manual_seed(0)
    net = lib.nn.Sequential(lib.nn.Conv2d(1, 2, 3), lib.nn.ReLU(), lib.nn.MaxPool2d(2),
                            lib.nn.Flatten(), lib.nn.Linear(8, 3))
    x = lib.randn(2, 1, 6, 6)
    with _profile(lib)() as prof:
        out = net(x).sum()
        out.backward()
    roots = _roots(prof)
    forward = [e.name for e in roots if not e.name.startswith(BACKWARD)
               and e.name != "aten::ones_like"]
    backward = [_norm(e.name) for e in roots if e.name.startswith(BACKWARD)]
    return forward, backward


def test_conv_net_names_match_torch():
    assert _conv_names(ember) == _conv_names(torch)


def _elementwise(lib):
    w = lib.tensor(2.0, requires_grad=True)
    b = lib.tensor(0.5, requires_grad=True)
    x, t = lib.tensor(3.0), lib.tensor(1.0)
    with _profile(lib)() as prof:
        for _ in range(3):
            y = w * x + b
            loss = (y - t) ** 2
            loss.backward()
        z = (-(2 - x.exp().sin()) / 3).abs()
        z.sum()
        m = lib.ones(2, 3)
        m.T, m.mT, m[0], m[:, 1:], m[None], m.float(), m.t(), m.reshape(3, 2)
    roots = [e.name for e in _roots(prof) if e.name != "aten::ones_like"]
    # the top-level calls (PyTorch's backward formulas call ops; ember's run on arrays)
    counts = collections.Counter(e.name for e in _roots(prof))
    return roots, counts


def test_elementwise_names_and_counts_match_torch():
    roots, counts = _elementwise(ember)
    troots, tcounts = _elementwise(torch)
    assert [_norm(n) for n in roots] == troots
    for name in ("aten::mul", "aten::add", "aten::sub", "aten::pow", "aten::rsub",
                 "aten::exp", "aten::sin", "aten::div", "aten::neg", "aten::abs", "aten::sum",
                 BACKWARD + "MulBackward0", BACKWARD + "PowBackward0"):
        assert counts.get(name) == tcounts.get(name), name
    assert counts["aten::mul"] == 3


def test_one_event_per_call_and_honest_nesting():
    x = ember.ones(3, requires_grad=True)
    with eprof.profile() as prof:
        y = x * 2  # the operator and the op it calls are one call
        ember.mul(x, 3)
        x.mul(4)
    names = [e.name for e in prof.events()]
    assert names == ["aten::mul"] * 3
    assert all(not e.cpu_children for e in prof.events())
    for e in prof.events():
        assert e.self_cpu_time_total == e.cpu_time_total > 0
        assert e.time_range.end > e.time_range.start
    assert y.grad_fn.name() == "MulBackward0"


def test_key_averages_and_event_fields():
    x = ember.ones(2, 3)
    with eprof.profile(record_shapes=True) as prof:
        with eprof.record_function("block"):
            for _ in range(4):
                x.sum()
            x.sum(0)
    avg = {e.key: e for e in prof.key_averages()}
    assert avg["aten::sum"].count == 5
    assert avg["block"].count == 1
    block = avg["block"]
    assert block.cpu_time_total >= avg["aten::sum"].cpu_time_total
    assert avg["aten::sum"].input_shapes == ""  # not grouped: no shapes (as PyTorch)
    by_shape = prof.key_averages(group_by_input_shape=True)
    sums = {str(e.input_shapes): e.count for e in by_shape if e.key == "aten::sum"}
    assert sums == {"[[2, 3]]": 4, "[[2, 3], []]": 1}
    total = prof.key_averages().total_average()
    assert total.key == "Total" and total.count == 6
    assert prof.key_averages().self_cpu_time_total == pytest.approx(
        sum(e.self_cpu_time_total for e in prof.events()))
    e = prof.events()[1]
    assert e.cpu_parent.name == "block" and e.key == e.name == "aten::sum"
    assert e.cpu_time == e.cpu_time_total == e.time_range.elapsed_us()
    assert e.count == 1 and e.input_shapes == [[2, 3]]


def _fixed_events(util):
    """The same events, with fixed times, built as ember's and as PyTorch's FunctionEvents."""
    spec = [  # id, name, start, end, parent, shapes, memory
        (0, "model_inference", 0.0, 900.0, None, [], 0),
        (1, "aten::linear", 10.0, 400.0, 0, [[3, 4], [8, 4], [8]], 96),
        (2, "aten::t", 20.0, 35.5, 1, [[8, 4]], 0),
        (3, "aten::relu", 410.0, 1450.25, 0, [[3, 8]], 96),
        (4, "autograd::engine::evaluate_function: AddmmBackward0", 2000.0, 2400.0, None, [], 0),
        (5, "AddmmBackward0", 2001.0, 2399.0, 4, [[3, 2]], 2048),
        (6, "aten::linear", 2500.0, 1_500_000.0, None, [[3, 8], [2, 8], [2]], 5_000_000),
    ]
    built = {}
    for i, name, start, end, parent, shapes, mem in spec:
        kw = dict(input_shapes=shapes, cpu_memory_usage=mem, stack=[],
                  is_user_annotation=name == "model_inference")
        e = util.FunctionEvent(i, name, 1, start, end, **kw)
        built[i] = e
        if parent is not None:
            e.set_cpu_parent(built[parent])
            built[parent].append_cpu_child(e)
    events = util.EventList(built.values())
    events._tree_built = True
    return events


@pytest.mark.parametrize("kwargs", [
    dict(), dict(sort_by="cpu_time_total", row_limit=3), dict(max_name_column_width=12),
    dict(sort_by="self_cpu_time_total", header="HEADER"), dict(top_level_events_only=True),
    dict(time_unit="ms"), dict(sort_by="count"),
])
@pytest.mark.parametrize("shapes", [False, True])
def test_table_layout_matches_torch(kwargs, shapes):
    ours = _fixed_events(eutil).key_averages(group_by_input_shapes=shapes).table(**kwargs)
    theirs = _fixed_events(tutil).key_averages(group_by_input_shapes=shapes).table(**kwargs)
    assert ours == theirs


def test_table_memory_columns_match_torch():
    ours = _fixed_events(eutil)
    ours._profile_memory = True
    theirs = tutil.EventList(_fixed_events(tutil), profile_memory=True)
    theirs._tree_built = True
    assert ours.table(sort_by="cpu_memory_usage") == theirs.table(sort_by="cpu_memory_usage")
    assert " CPU Mem  Self CPU Mem" in ours.table()


def test_formatting_helpers_match_torch():
    for n in (0, 100, 1023, 1024, 1500, -2048, 5 * 1024 ** 2, 3 * 1024 ** 3):
        assert eutil._format_memory(n) == tutil._format_memory(n)
    for t in (0, 1.5, 999.9994, 1000, 1234567, -5):
        assert eutil._format_time(t) == tutil._format_time(t)
    assert eutil._format_time_share(1, 3) == tutil._format_time_share(1, 3)
    assert eutil._format_time_share(0, 0) == "NaN"


def test_real_table_columns_match_torch():
    def header(lib, **kw):
        x = lib.ones(2, 2)
        with _profile(lib)(record_shapes=True, profile_memory=True) as prof:
            x.mul(2)
        table = prof.key_averages(**kw).table(row_limit=1)
        lines = table.splitlines()
        return [re.split(r"\s{2,}", lines[1].strip()), lines[-1].split(":")[0]]

    assert header(ember) == header(torch)
    assert header(ember, group_by_input_shape=True) == header(torch, group_by_input_shape=True)
    assert header(ember)[0][-1] == "# of Calls"


def test_chrome_trace_has_torchs_fields(tmp_path):
    fields = {}
    for lib in (torch, ember):
        x = lib.ones(2, requires_grad=True)
        with _profile(lib)(record_shapes=True) as prof:
            with _record_function(lib)("label"):
                (x * 2).sum().backward()
        path = tmp_path / f"{lib.__name__}.json"
        prof.export_chrome_trace(str(path))
        doc = json.loads(path.read_text())
        ops = [e for e in doc["traceEvents"] if e.get("cat") == "cpu_op"]
        user = [e for e in doc["traceEvents"] if e.get("cat") == "user_annotation"]
        assert [e["name"] for e in user] == ["label"]
        assert any(e["name"] == "aten::mul" for e in ops)
        assert all(e["ph"] == "X" and e["dur"] >= 0 for e in ops + user)
        mul = next(e for e in ops if e["name"] == "aten::mul")
        label = user[0]
        assert label["ts"] <= mul["ts"] and mul["ts"] + mul["dur"] <= label["ts"] + label["dur"]
        assert mul["args"]["Input Dims"][0] == [2]
        fields[lib] = (sorted(doc), sorted(mul), sorted(label),
                       {k for k in mul["args"] if k in ("External id", "Input Dims", "Ev Idx",
                                                         "Sequence number")})
    assert fields[ember] == fields[torch]


@pytest.mark.parametrize("args", [
    dict(wait=1, warmup=1, active=2), dict(wait=1, warmup=1, active=2, repeat=2),
    dict(wait=0, warmup=0, active=1, repeat=1, skip_first=1),
    dict(wait=2, warmup=1, active=2, repeat=2, skip_first_wait=1),
    dict(wait=1, warmup=1, active=2, repeat=1, skip_first=1, skip_first_wait=1),
    dict(wait=3, warmup=2, active=3, repeat=0, skip_first=4),
])
def test_schedule_matches_torch(args):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = eprof.schedule(**args)
        ours_warned = [str(w.message) for w in caught]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        theirs = tprof.schedule(**args)
        assert ours_warned == [str(w.message) for w in caught]
    assert [ours(i).name for i in range(30)] == [theirs(i).name for i in range(30)]


def test_schedule_rejects_what_torch_rejects():
    for args in (dict(wait=-1, warmup=0, active=1), dict(wait=0, warmup=0, active=0),
                 dict(wait=0, warmup=0, active=1, repeat=-1)):
        with pytest.raises(AssertionError) as ours:
            eprof.schedule(**args)
        with pytest.raises(AssertionError) as theirs:
            tprof.schedule(**args)
        assert str(ours.value) == str(theirs.value)


def _stepped(lib, acc_events=False):
    x = lib.ones(2)
    ready = []

    def on_ready(p):
        events = p.events()
        ready.append((p.step_num, sum(e.name == "aten::add" for e in events),
                      sum(e.name == "ProfilerStep*" for e in events)))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = (tprof if lib is torch else eprof).schedule(wait=1, warmup=1, active=2,
                                                            repeat=2)
        with _profile(lib)(schedule=sched, on_trace_ready=on_ready,
                           acc_events=acc_events) as p:
            for i in range(9):
                x.add(i)
                p.step()
    return ready, p.step_num, p.current_action.name


@pytest.mark.parametrize("acc_events", [False, True])
def test_profile_steps_match_torch(acc_events):
    assert _stepped(ember, acc_events) == _stepped(torch, acc_events)


def test_step_without_schedule_records_everything():
    x = ember.ones(2)
    with eprof.profile() as p:
        x.add(1)
        p.step()
        x.mul(2)
    assert [e.name for e in p.events()] == ["aten::add", "aten::mul"]


def test_activities_as_torch():
    x = ember.ones(2)
    with pytest.warns(UserWarning, match="CUDA is not available, disabling CUDA profiling"):
        with eprof.profile(activities=[eprof.ProfilerActivity.CPU,
                                       eprof.ProfilerActivity.CUDA]) as p:
            x.add(1)
    assert [e.name for e in p.events()] == ["aten::add"]
    with pytest.raises(AssertionError, match="No valid profiler activities found"):
        eprof.profile(activities=[])
    assert eprof.supported_activities() == {eprof.ProfilerActivity.CPU}
    assert ({k: v.value for k, v in eprof.ProfilerActivity.__members__.items()}
            == {k: v.value for k, v in tprof.ProfilerActivity.__members__.items()})
    assert list(eprof.ProfilerAction.__members__) == list(tprof.ProfilerAction.__members__)
    with pytest.raises(AssertionError, match="Profiler must be initialized before getting key"):
        eprof.profile().key_averages()


def _device_activity(module, names):
    acts = [getattr(module.ProfilerActivity, n) for n in names]
    lib = torch if module is tprof else ember
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with module.profile(activities=acts) as p:
                lib.ones(1).add(1)
            outcome = [e.name for e in p.events() if e.cpu_parent is None]
        except AssertionError as exc:
            outcome = str(exc)
    return outcome, [str(w.message) for w in caught]


@pytest.mark.parametrize("names", [("CPU", "XPU"), ("CPU", "MTIA"), ("CPU", "HPU"),
                                   ("CPU", "PrivateUse1"), ("CPU", "CUDA", "XPU"),
                                   ("CPU", "CUDA")])
def test_device_activities_as_torch_without_devices(names):
    assert _device_activity(eprof, names) == _device_activity(tprof, names)


def test_record_function_decorator_and_manual():
    @eprof.record_function("deco")
    def f(a):
        return a * 2

    x = ember.ones(2)
    f(x)  # no profile: records nothing, runs the same
    with eprof.profile() as prof:
        f(x)
        r = eprof.record_function("manual")
        r.__enter__()
        x.add(1)
        r.__exit__(None, None, None)
    pairs = [(e.name, e.cpu_parent.name if e.cpu_parent else None) for e in prof.events()]
    assert pairs == [("deco", None), ("aten::mul", "deco"), ("manual", None),
                     ("aten::add", "manual")]
    assert eprof.record_function("a", "args").args == "args"


def _snapshot():
    state = {name: dict(vars(mod)) for name, mod in list(sys.modules.items())
             if name.startswith("ember") and mod is not None}
    return state, dict(vars(ember.Tensor))


def test_stopping_restores_every_original():
    before = _snapshot()
    mul = ember.Tensor.__mul__
    x = ember.ones(2, requires_grad=True)
    with eprof.profile(record_shapes=True, profile_memory=True, with_stack=True) as prof:
        assert ember.Tensor.__mul__ is not mul
        assert engine.observer is not None
        (x * 2).sum().backward()
    assert ember.Tensor.__mul__ is mul
    assert engine.observer is None
    after = _snapshot()
    assert after[1] == before[1]
    for name, d in before[0].items():
        now = after[0][name]
        changed = [k for k, v in d.items() if k in now and now[k] is not v
                   and not k.startswith("__")]
        assert not changed, (name, changed)
    assert prof.events()


def test_an_op_that_raises_still_restores():
    mul = ember.Tensor.__mul__
    with pytest.raises(RuntimeError):
        with eprof.profile():
            ember.ones(2) * ember.ones(3)
    assert ember.Tensor.__mul__ is mul and engine.observer is None


def test_import_ember_does_not_load_the_profiler():
    code = ("import sys, ember; print('ember.profiler' in sys.modules, "
            "'ember.autograd.profiler' in sys.modules); "
            "ember.autograd.profiler.profile; print('ember.autograd.profiler' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False", "True"]


def test_legacy_autograd_profiler():
    x = ember.ones(2, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with ember.autograd.profiler.profile(use_cuda=True, record_shapes=True) as prof:
            (x * 2).sum().backward()
    assert [f"{w.category.__name__}: {w.message}" for w in caught] == [
        "FutureWarning: The attribute `use_cuda` will be deprecated soon, please use "
        "``use_device = 'cuda'`` instead.",
        "UserWarning: CUDA is not available, disabling CUDA profiling"]
    names = [e.name for e in prof.function_events]
    assert names[:2] == ["aten::mul", "aten::sum"]
    assert "Self CPU time total" in str(prof)
    assert prof.self_cpu_time_total > 0
    assert prof.key_averages().table().splitlines()[1].split()[0] == "Name"
    with ember.autograd.profiler.profile(enabled=False) as off:
        x * 2
    assert off is None
    assert ember.autograd.profiler.profile().table() == ""
    with ember.autograd.profiler.record_function("r"):
        pass


def test_memory_and_flops():
    a, b = ember.ones(8, 4), ember.ones(4, 5)
    with eprof.profile(profile_memory=True, with_flops=True) as prof:
        c = a.mm(b)
        c.t()  # a view: no new memory
    mm, t = prof.events()
    assert mm.cpu_memory_usage == mm.self_cpu_memory_usage == 8 * 5 * 4
    assert t.cpu_memory_usage == 0
    assert mm.flops == 2 * 8 * 4 * 5
    table = prof.key_averages().table()
    assert "Total FLOPs" in table and "CPU Mem" in table


def _memory_rows(lib, tmp_path):
    x = lib.ones(100, 100)
    with _profile(lib)(profile_memory=True) as p:
        y = x * 2
        z = y.sum()
        del y
    assert z.item() == 20000
    rows = {e.key: e.cpu_memory_usage for e in p.key_averages()}
    path = tmp_path / f"{lib.__name__}.json"
    p.export_chrome_trace(str(path))
    instants = [e for e in json.loads(path.read_text())["traceEvents"]
                if e.get("name") == "[memory]"]
    assert instants and all(e["ph"] == "i" and e["cat"] == "cpu_instant_event"
                            for e in instants)
    return rows["aten::mul"], rows["aten::sum"], rows["[memory]"]


def test_memory_frees_as_torch_counts_them(tmp_path):
    # the product's 40000 bytes, made in aten::mul and freed by `del y` outside any op
    assert _memory_rows(ember, tmp_path) == _memory_rows(torch, tmp_path) == (40000, 4, -40000)


def test_with_stack_and_export_stacks(tmp_path):
    x = ember.ones(2)
    with eprof.profile(with_stack=True) as prof:
        x.add(1)
    (add,) = prof.events()
    assert add.stack and "test_profiler.py" in add.stack[0]
    path = tmp_path / "stacks.txt"
    prof.export_stacks(str(path))
    line = path.read_text().splitlines()[0]
    assert line.rsplit(" ", 1)[0].endswith("test_with_stack_and_export_stacks")
    with eprof.profile() as plain:
        x.add(1)
    with pytest.raises(AssertionError, match="requires with_stack=True"):
        plain.export_stacks(str(path))


def test_tensorboard_trace_handler(tmp_path):
    x = ember.ones(2)
    handler = eprof.tensorboard_trace_handler(str(tmp_path / "logs"), worker_name="w0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = eprof.schedule(wait=0, warmup=0, active=2, repeat=1)
    with eprof.profile(schedule=sched, on_trace_ready=handler) as p:
        for i in range(3):
            x.add(i)
            p.step()
    files = list((tmp_path / "logs").iterdir())
    assert len(files) == 1 and files[0].name.startswith("w0.")
    assert files[0].name.endswith(".pt.trace.json")
    doc = json.loads(files[0].read_text())
    assert sum(e.get("name") == "aten::add" for e in doc["traceEvents"]) == 2
    assert {e["name"] for e in doc["traceEvents"] if e.get("cat") == "user_annotation"} == {
        "ProfilerStep#0", "ProfilerStep#1"}


def _optimizer_labels(lib):
    lib.manual_seed(0)
    m = lib.nn.Linear(2, 2)
    sgd, adam = lib.optim.SGD(m.parameters(), lr=0.1), lib.optim.Adam(m.parameters())
    with _profile(lib)() as p:
        m(lib.ones(1, 2)).sum().backward()
        sgd.step()
        sgd.zero_grad()
        adam.step()
    return [(e.name, e.is_user_annotation) for e in _roots(p) if e.name.startswith("Optim")]


def test_optimizer_steps_are_labelled_as_in_torch():
    step = ember.optim.SGD.step
    assert _optimizer_labels(ember) == _optimizer_labels(torch) == [
        ("Optimizer.step#SGD.step", True), ("Optimizer.zero_grad#SGD.zero_grad", True),
        ("Optimizer.step#Adam.step", True)]
    assert ember.optim.SGD.step is step and "zero_grad" not in vars(ember.optim.SGD)


def test_custom_trace_id_and_unsupported_options(tmp_path):
    x = ember.ones(2)
    with eprof.profile(custom_trace_id_callback=lambda: "my-id") as p:
        x.add(1)
    p.export_chrome_trace(str(tmp_path / "t.json"))
    assert json.loads((tmp_path / "t.json").read_text())["trace_id"] == "my-id"
    with pytest.raises(NotImplementedError, match="experimental_config"):
        eprof.profile(experimental_config=object())


def test_nested_profile_takes_over_as_in_torch():
    x = ember.ones(2)
    with eprof.profile() as outer:
        with eprof.profile() as inner:
            x.add(1)
    assert [e.name for e in inner.events()] == ["aten::add"]
    assert [e.name for e in outer.events()] == []
    assert engine.observer is None


# -- the HTML view and the graph coloured by backward time -------------------------------------
def _profiled_mlp():
    ember.manual_seed(0)
    model = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.ReLU(), ember.nn.Linear(8, 2))
    x = ember.randn(3, 4)
    with eprof.profile() as prof:
        with eprof.record_function("step"):
            loss = model(x).sum()
            loss.backward()
    return prof, loss, model


def test_export_html_is_one_self_contained_page(tmp_path):
    prof, _, _ = _profiled_mlp()
    path = tmp_path / "profile.html"
    prof.export_html(str(path))
    page = path.read_text()
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page and "<link" not in page and " src=" not in page
    payload = re.search(r'<script type="application/json" id="events">(.*?)</script>', page,
                        re.S).group(1)
    data = json.loads(payload)
    names = [e["name"] for e in data["events"]]
    assert names == [e.name for e in prof.events()]
    kinds = {e["name"]: e["kind"] for e in data["events"]}
    assert kinds["step"] == "annotation" and kinds["aten::linear"] == "forward"
    assert kinds["AddmmBackward0"] == "backward"
    assert kinds[BACKWARD + "AddmmBackward0"] == "evaluate"
    assert data["fill"]["backward"] == "#d3d3d3"  # the grad_fn boxes' grey
    assert [e["row"] for e in data["events"]][:2] == [0, 1]  # nesting depth is the row
    assert "<th>Self CPU %</th>" in page and "Self CPU time total:" in page
    rows = re.findall(r'<td class="name" data-v="([^"]+)"', page)
    assert sorted(rows) == sorted({e.name for e in prof.events()})


def test_make_dot_colours_nodes_by_backward_time():
    from ember.viz import make_dot

    prof, loss, model = _profiled_mlp()
    dot = make_dot(loss, params=dict(model.named_parameters()), profile=prof)
    ops = {k: v for k, v in dot._info.items() if v.get("kind") == "op"}
    timed = [v for v in ops.values() if any("backward time" in s for s in v.get("lines", ()))]
    assert len(timed) == len(ops) == 6  # Sum, Addmm, T, Relu, Addmm, T: each ran once
    fills = {dot._nodes[k].get("fillcolor") for k in ops}
    assert len(fills) > 1 and "#c0392b" in fills  # the slowest is the deepest red
    assert "coloured by their time" in dot.source
    plain = make_dot(loss)
    assert all("lines" not in v for v in plain._info.values())
