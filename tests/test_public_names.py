"""PyTorch's public names against ember's: every name ember lacks is listed, with its reason.

For each namespace in NAMESPACES, the public names of PyTorch (``dir()`` without ``_`` names,
read in a fresh interpreter so that what other tests imported does not change them) are
compared with ember's (``hasattr``, so lazily loaded modules count). The names ember lacks
must be exactly those listed in docs/pytorch_coverage.md (and, for torch.nn and
torch.nn.functional, docs/nn_coverage.md): a missing name nobody listed fails, and so does a
listed name that ember now provides.

The page is the one list. After adding names to ember (or a new PyTorch), regenerate it:

    .venv/bin/python tests/test_public_names.py

which keeps every listed name in its group, drops the names ember now provides, sorts new
missing names (and ``todo`` names a rule now matches) into groups by the rules in RULES (or
into ``todo``), and rewrites the counts.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "pytorch_coverage.md"
NN_DOC = ROOT / "docs" / "nn_coverage.md"

NAMESPACES = [
    "torch", "torch.Tensor", "torch.nn", "torch.nn.functional", "torch.nn.init",
    "torch.nn.utils", "torch.linalg", "torch.fft", "torch.special", "torch.autograd",
    "torch.autograd.functional", "torch.optim", "torch.optim.lr_scheduler", "torch.utils.data",
    "torch.func", "torch.distributed", "torch.jit", "torch.futures", "torch.compiler",
    "torch.backends", "torch.cuda", "torch.distributions", "torch.testing", "torch.amp",
    "torch.utils", "torch.profiler", "torch.random",
]

# names kept out of the comparison in the nn namespaces' own page (docs/nn_coverage.md)
NN_NAMESPACES = ("torch.nn", "torch.nn.functional")

_TORCH_PROBE = r"""
import importlib, json, sys, types
import torch
out = {}
for ns in sys.argv[1:]:
    obj = torch.Tensor if ns == "torch.Tensor" else importlib.import_module(ns)
    names = {}
    for n in dir(obj):
        if n.startswith("_"):
            continue
        v = getattr(obj, n, None)
        kind = ""
        if isinstance(v, types.ModuleType):
            kind = "torch-module" if v.__name__.startswith("torch") else "module"
            if v is torch and ns != "torch":
                kind = "module"  # `import torch` inside a submodule
        elif n == "TYPE_CHECKING" or type(v).__module__ in ("typing", "typing_extensions",
                                                             "__future__"):
            kind = "typing"
        elif getattr(v, "__module__", None) in ("typing", "typing_extensions", "contextlib",
                                                "collections.abc", "functools", "dataclasses"):
            kind = "typing"
        elif v is torch.Tensor and ns != "torch":
            kind = "module"  # `from torch import Tensor`
        elif isinstance(v, (str, dict)) and ("notes" in n or "args" in n or "common" in n):
            kind = "docstring"
        names[n] = kind
    out[ns] = names
print(json.dumps(out))
"""


def torch_names():
    """{namespace: {name: kind}} of PyTorch, in a fresh interpreter."""
    res = subprocess.run([sys.executable, "-W", "ignore", "-c", _TORCH_PROBE, *NAMESPACES],
                         capture_output=True, text=True, check=True, cwd="/")
    return json.loads(res.stdout)


def ember_namespace(ns):
    import importlib

    import ember

    if ns == "torch.Tensor":
        return ember.Tensor
    try:
        return importlib.import_module("ember" + ns[len("torch"):])
    except ImportError:
        return None


def missing_names(torch_side):
    """{namespace: (PyTorch's names, ember's count, sorted missing names)}."""
    out = {}
    for ns, names in torch_side.items():
        obj = ember_namespace(ns)
        missing = sorted(n for n in names if obj is None or not hasattr(obj, n))
        out[ns] = (names, len(names) - len(missing), missing)
    return out


# -- the page ------------------------------------------------------------------------------------
_NS_HEAD = re.compile(r"^## `(torch[\w.]*)`")
_GROUP = re.compile(r"^- \*\*([\w-]+)\*\*")
_REASON = re.compile(r"^### `([\w-]+)`: (.*)")
_NAME = re.compile(r"`([A-Za-z]\w*)`")


def parse_doc(text):
    """({namespace: {group: [names]}}, {group: (title, reason lines)}) from the page."""
    listed, reasons = {}, {}
    ns = group = reason = None
    for line in text.split("\n"):
        m = _NS_HEAD.match(line)
        if m:
            ns, group, reason = m.group(1), None, None
            listed.setdefault(ns, {})
            continue
        if line.startswith("## "):
            ns = group = reason = None
            continue
        m = _REASON.match(line)
        if m:
            reason = m.group(1)
            reasons[reason] = (m.group(2), [])
            continue
        if reason is not None and ns is None:
            reasons[reason][1].append(line)
            continue
        if ns is None:
            continue
        m = _GROUP.match(line)
        if m:
            group = m.group(1)
            rest = line[m.end():].split(":", 1)[-1]
            listed[ns].setdefault(group, []).extend(_NAME.findall(rest))
        elif group is not None and line.startswith("  "):
            listed[ns][group].extend(_NAME.findall(line))
        else:
            group = None
    return listed, reasons


def nn_doc_names():
    """{namespace: names} listed in docs/nn_coverage.md (a bullet's first backticked name)."""
    out, ns = {}, None
    for line in NN_DOC.read_text().split("\n"):
        if line.startswith("## "):
            name = line[3:].strip()
            ns = name if name in NN_NAMESPACES else None
            continue
        m = re.match(r"^- `(\w+)`", line)
        if ns and m:
            out.setdefault(ns, set()).add(m.group(1))
    return out


# -- sorting new missing names into groups (regeneration only) --------------------------------
_DISTRIBUTED_BACKEND = {
    "AllToAllOptions", "AllreduceCoalescedOptions", "AllreduceOptions", "BackendConfig",
    "BarrierOptions", "BroadcastOptions", "BuiltinCommHookType", "DebugLevel", "FileStore",
    "GatherOptions", "GradBucket", "HashStore", "Logger", "PrefixStore", "ProcessGroupGloo",
    "ReduceOptions", "ReduceScatterOptions", "Reducer", "ScatterOptions", "Store", "TCPStore",
    "c10d_logger", "logging_handlers", "log", "record_comm", "get_debug_level",
    "set_debug_level", "set_debug_level_from_env", "is_ucc_available", "is_xccl_available",
    "register_rendezvous_handler", "rendezvous", "remote_device", "constants", "config",
    "get_backend_config", "rpc", "autograd", "algorithms", "DeviceMesh", "device_mesh",
    "init_device_mesh", "shrink_group", "split_group", "RankType", "timedelta", "utils",
    "all_gather_coalesced", "all_reduce_coalesced", "reduce_op", "breakpoint",
    "get_pg_count", "supports_complex", "QueueEmptyError",
}
_CAPTURE = {
    "fx", "export", "package", "library", "overrides", "classes", "ops", "jagged", "nested",
    "compiled_with_cxx11_abi", "cond", "while_loop", "SymBool", "SymFloat", "SymInt",
}
_TORCHSCRIPT_JIT = {
    "CompilationUnit", "ONNXTracedModule", "RecursiveScriptClass", "export_opnames",
    "jit_module_from_flatbuffer", "last_executed_optimized_graph", "run_frozen_optimizations",
    "save_jit_module_to_flatbuffer",
}

RULES = [
    ("imports", lambda ns, n, kind: kind in ("module", "typing") or (ns, n) in {
        ("torch.autograd.functional", "fwAD"), ("torch.optim.lr_scheduler", "ref"),
        ("torch.nn.functional", "DType"), ("torch", "torch"), ("torch.profiler", "Optimizer"),
        ("torch.profiler", "register_optimizer_step_post_hook")}),
    ("docstrings", lambda ns, n, kind: kind == "docstring"),
    ("quantization", lambda ns, n, kind: re.search(
        r"quantiz|fake_quant|^q_|^qint|^quint|^qscheme$|^int_repr$|^per_(channel|tensor)|"
        r"qparams|^ao$|^(qat|intrinsic)$", n)),
    ("sparse", lambda ns, n, kind: ns != "torch.distributed" and re.search(
        r"sparse|^(c?col|crow|row)_indices|^coalesce$|^is_coalesced$|^to_dense$|"
        r"^(dense|sparse)_dim$|^[sdh]s?mm$|^hspmm$|^spmm$|^saddmm$|^sspaddmm$|"
        r"^indices(_copy)?$|^values(_copy)?$", n)),
    ("accelerators", lambda ns, n, kind: ns in ("torch.cuda", "torch.backends") or re.search(
        r"cuda|cudnn|miopen|mkldnn|^mps$|^xpu$|^mtia|^is_mtia|^ipu$|^is_ipu|^is_xla|^is_maia|"
        r"vulkan|fbgemm|^Stream$|^Event$|^record_stream$|cusparselt|kleidiai|nnpack|xnnpack|"
        r"^is_vulkan|^(ExecutionTraceObserver|KinetoStepTracker|RecordScope|itt|is_fbcode)$|"
        r"^(AcceleratorError|OutOfMemoryError|get_device_module|empty_permuted)$",
        n)),
    ("storage", lambda ns, n, kind: re.search(r"Storage$|^(untyped_)?storage(_type)?$|"
                                              r"^from_file$|^is_storage$", n)),
    ("removed", lambda ns, n, kind: ns in ("torch", "torch.Tensor") and n in (
        "eig", "lstsq", "solve", "symeig", "matrix_rank")),
    ("deprecated", lambda ns, n, kind: ns == "torch.utils.data" and re.search(
        r"[Dd]ata[Pp]ipe|datapipe|^DataChunk$|^graph(_settings)?$|validation|"
        r"^non_deterministic$|^guaranteed_datapipes_determinism$", n)),
    ("distributed-backend", lambda ns, n, kind: ns == "torch.distributed"
        and n in _DISTRIBUTED_BACKEND),
    ("graph-capture", lambda ns, n, kind: ns == "torch" and n in _CAPTURE or
        re.search(r"^(handle|has)_torch_function", n) or
        ns == "torch.compiler" and n != "config" or ns == "torch.func" and n in (
            "functionalize", "debug_unwrap")),
    ("torchscript", lambda ns, n, kind: ns == "torch.jit" and n in _TORCHSCRIPT_JIT or
        ns == "torch.nn.functional" and re.search(r"^BroadcastingList|^boolean_dispatch$", n)
        or ns == "torch.testing" and n == "FileCheck" or
        ns == "torch" and re.search(
        r"Type$|^Script|^(Graph|Node|Block|Value|Use|Argument|FunctionSchema|Code|"
        r"CompilationUnit|ErrorReport|FileCheck|Gradient|Capsule|CallStack|AliasDb|"
        r"ArgumentSpec|CompleteArgumentSpec|ExecutionPlan|GraphExecutorState|IODescriptor|"
        r"InferredType|ConcreteModuleType|ConcreteModuleTypeBuilder|DeepCopyMemoTable|"
        r"LiteScriptModule|StaticModule|TracingState|JITException|OperatorInfo|"
        r"AggregationType|BenchmarkConfig|BenchmarkExecutionStats|ThroughputBenchmark|"
        r"LockingLogger|LoggerBase|NoopLogger|PyTorchFileReader|PyTorchFileWriter|"
        r"ScriptModuleSerializer|ScriptObjectProperty|Tag|DispatchKey|DispatchKeySet|"
        r"ExcludeDispatchKeyGuard|DisableTorchFunction|DisableTorchFunctionSubclass|"
        r"PRIVATE_OPS|parse_ir|parse_schema|parse_type_comment|import_ir_module.*|"
        r"merge_type_from_type_comment|unify_type_list|AVG|SUM|ModuleDict|ParameterDict|"
        r"BufferDict|FatalError|StorageBase|legacy_contiguous_format)$", n)),
    ("internals", lambda ns, n, kind: ns in ("torch", "torch.Tensor", "torch.utils",
                                             "torch.jit", "torch.autograd",
                                             "torch.random") and re.search(
        r"^sym_|_copy$|^native_|^batch_norm_(backward|elemt|gather|stats|update)|^USE_|"
        r"^cpp$|^classproperty$|^thread_safe_generator$|^prepare_multiprocessing_environment$|"
        r"^init_num_threads$|^get_file_path$|^autocast_(in|de)crement_nesting$|"
        r"^thread_safe_generator$|"
        r"^segment_reduce$|^slice_inverse$|^hash_tensor$|^norm_except_dim$|^is_distributed$|"
        r"^functional$|^types$|^set_module$|^backcompat$|^backend_registration$|"
        r"privateuse1|^cmake_prefix_path$|^cpp_backtrace$|^get_cpp_backtrace$|^collect_env$|"
        r"^handle_torch_function$|^has_torch_function|^profiler_(legacy|util)$|"
        r"^DeviceType$|^Profiler(Activity|Config|Event|State)$|^kineto_available$|"
        r"^grad_dtype$|^module_load$|^reinforce$|^volatile$", n)
        or ns == "torch.jit" and n == "annotations"),
]


def classify(ns, name, kind):
    for group, rule in RULES:
        if rule(ns, name, kind):
            return group
    return "todo"


def render(listed, reasons, counts, preamble):
    """The page's text: preamble, the reasons, then one section per namespace."""
    out = [preamble.rstrip("\n"), "", "## Summary", "",
           "| namespace | PyTorch | ember | missing |", "|---|---:|---:|---:|"]
    total = [0, 0, 0]
    for ns in NAMESPACES:
        p, e, m = counts[ns]
        total = [total[0] + p, total[1] + e, total[2] + m]
        out.append(f"| `{ns}` | {p} | {e} | {m} |")
    out.append(f"| all | {total[0]} | {total[1]} | {total[2]} |")
    out += ["", "## Why names are missing", ""]
    for group, (title, lines) in reasons.items():
        out.append(f"### `{group}`: {title}")
        body = "\n".join(lines).strip("\n")
        out += [body, ""] if body else [""]
    for ns in NAMESPACES:
        p, e, m = counts[ns]
        out += [f"## `{ns}`", "", f"PyTorch {p}, ember {e}, missing {m}."]
        if ns in NN_NAMESPACES:
            out.append("The exclusions beyond the imported helpers are in "
                       "docs/nn_coverage.md, with their reasons.")
        out.append("")
        groups = listed.get(ns, {})
        for group in reasons:
            names = sorted(set(groups.get(group, ())))
            if not names:
                continue
            lines, line = [], f"- **{group}** ({len(names)}):"
            for n in names:
                item = f" `{n}`"
                if len(line) + len(item) > 98:
                    lines.append(line)
                    line = " "
                line += item
            lines.append(line)
            out += [lines[0]] + ["  " + x.lstrip() for x in lines[1:]]
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def regenerate():
    text = DOC.read_text()
    listed, reasons = parse_doc(text)
    preamble = text.split("\n## ", 1)[0]
    torch_side = torch_names()
    nn_listed = nn_doc_names()
    new_listed, counts = {}, {}
    for ns, (names, ember_count, missing) in missing_names(torch_side).items():
        old = {n: g for g, ns_names in listed.get(ns, {}).items() for n in ns_names}
        groups = {}
        for n in missing:
            if n in nn_listed.get(ns, ()):
                continue
            group = old.get(n)
            if group in (None, "todo"):  # a rule may have learnt where a todo name belongs
                group = classify(ns, n, names[n])
            groups.setdefault(group, []).append(n)
        new_listed[ns] = groups
        counts[ns] = (len(names), ember_count, len(missing))
    for group in {g for groups in new_listed.values() for g in groups}:
        reasons.setdefault(group, ("(reason to write)", []))
    DOC.write_text(render(new_listed, reasons, counts, preamble))


# -- the test ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def comparison():
    return missing_names(torch_names())


def test_every_missing_name_is_listed_with_a_reason(comparison):
    listed, reasons = parse_doc(DOC.read_text())
    nn_listed = nn_doc_names()
    unlisted, stale, report = {}, {}, []
    for ns, (names, ember_count, missing) in comparison.items():
        documented = {n for group in listed.get(ns, {}).values() for n in group}
        documented |= nn_listed.get(ns, set())
        report.append(f"{ns}: PyTorch {len(names)}, ember {ember_count}, missing "
                      f"{len(missing)}: {' '.join(missing)}")
        if set(missing) - documented:
            unlisted[ns] = sorted(set(missing) - documented)
        if documented - set(missing):
            stale[ns] = sorted(documented - set(missing))
    print("\n".join(report))
    for ns, groups in listed.items():
        assert ns in NAMESPACES, f"docs/pytorch_coverage.md has a section for {ns}"
        for group in groups:
            assert group in reasons, f"{ns}: group {group!r} has no reason on the page"
    hint = " (regenerate the page: .venv/bin/python tests/test_public_names.py)"
    assert not unlisted, f"missing from ember and not listed in the page: {unlisted}{hint}"
    assert not stale, f"listed as missing but ember provides them: {stale}{hint}"


def test_counts_on_the_page_are_current(comparison):
    text = DOC.read_text()
    for ns, (names, ember_count, missing) in comparison.items():
        line = f"| `{ns}` | {len(names)} | {ember_count} | {len(missing)} |"
        assert line in text, f"{line} (regenerate: .venv/bin/python tests/test_public_names.py)"


def test_torch_submodules_answer_hasattr_without_import_errors():
    """Every public module path of PyTorch: hasattr on ember answers True or False (never
    ModuleNotFoundError), and a missing attribute raises PyTorch's AttributeError text."""
    import ember

    torch_dir = Path(__import__("torch").__file__).parent
    paths = set()
    for f in torch_dir.rglob("*.py"):
        parts = f.relative_to(torch_dir).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts and not any(p.startswith("_") for p in parts):
            paths.add(parts)
    assert len(paths) > 300
    for parts in sorted(paths):
        obj = ember
        for p in parts:
            try:
                if not hasattr(obj, p):
                    break
            except Exception as exc:  # noqa: BLE001 - the failure is the result
                raise AssertionError(f"hasattr(torch.{'.'.join(parts[:-1])}, {p!r}) raised "
                                     f"{type(exc).__name__}: {exc}") from exc
            obj = getattr(obj, p)
    with pytest.raises(AttributeError, match=r"^module '(ember|torch)' has no attribute "
                                             r"'no_such_name'$"):
        ember.no_such_name  # noqa: B018


def test_namespaces_ember_provides_are_attributes_as_in_pytorch():
    import ember

    for path in ("autograd.functional", "fft", "linalg", "jit", "special", "nn.functional",
                 "nn.init", "optim.lr_scheduler", "utils.data", "func", "futures",
                 "backends.mps", "backends.cudnn", "cuda", "compiler", "testing", "amp",
                 "random", "utils.checkpoint", "distributions"):
        obj, ok = ember, True
        for p in path.split("."):
            if not hasattr(obj, p):
                ok = False
                break
            obj = getattr(obj, p)
        listed = parse_doc(DOC.read_text())[0]
        head, _, last = ("torch." + path).rpartition(".")
        documented = {n for g in listed.get(head, {}).values() for n in g}
        assert ok or last in documented, f"torch.{path} is neither provided nor listed"


if __name__ == "__main__":
    regenerate()
    print(f"wrote {DOC.relative_to(ROOT)}")
