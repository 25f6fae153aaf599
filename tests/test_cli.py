"""The command line: `ember run script.py` runs PyTorch scripts on ember, unchanged."""

import importlib.machinery
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import ember

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "linear_regression.py"
# the ember under test: its folder goes first on the children's PYTHONPATH, so they import this
# checkout (installed editable or not) and never a stale copy
EMBER_SRC = str(Path(ember.__file__).resolve().parents[1])


def _env(**extra):
    env = dict(os.environ)
    paths = [EMBER_SRC] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.pop("PYTHONSTARTUP", None)
    env.update(extra)
    return env


def ember_cli(*args, cwd=None, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "ember", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, env=_env(), timeout=timeout,
    )


def python(code, *args, cwd=None, timeout=120):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
        capture_output=True, text=True, cwd=cwd, env=_env(), timeout=timeout,
    )


def write(path, code):
    path.write_text(textwrap.dedent(code))
    return path




def _has_real_torch():
    # run in a clean child: in this process `torch` may be anything
    r = subprocess.run([sys.executable, "-c", "import torch, torch.nn; print(torch.__file__)"],
                       capture_output=True, text=True, timeout=120)
    return r.returncode == 0 and "torch" in r.stdout




# ---------------------------------------------------------------- torch imports resolve to ember


def test_import_torch_is_ember(tmp_path):
    script = write(tmp_path / "s.py", """
        import sys
        import torch
        import torch.autograd
        import torch.autograd as A
        import torch.autograd.grad_mode
        from torch import autograd
        from torch.autograd import Variable, grad
        import ember
        print(torch.__name__)
        print(torch is ember, A is ember.autograd, autograd is ember.autograd,
              torch.autograd.grad_mode is ember.autograd.grad_mode,
              sys.modules["torch"] is ember, sys.modules["torch.autograd"] is ember.autograd,
              Variable is ember.autograd.Variable, grad is ember.autograd.grad)
        # ember's own module metadata is untouched by the alias
        print(ember.__spec__.name, ember.autograd.__spec__.name)
        x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
        (x * x).sum().backward()
        print(x.grad.tolist())
    """)
    r = ember_cli("run", script)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "ember"
    assert lines[1] == " ".join(["True"] * 8)
    assert lines[2] == "ember ember.autograd"
    assert lines[3] == "[2.0, 4.0, 6.0]"


def test_torch_nn_optim_are_ember_modules(tmp_path):
    script = write(tmp_path / "s.py", """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        import torch.optim as optim
        from torch import nn as nn2, optim as optim2
        from torch.nn import Linear
        import ember, ember.nn, ember.nn.functional, ember.optim
        print(nn is ember.nn, nn2 is ember.nn, F is ember.nn.functional, optim is ember.optim,
              optim2 is ember.optim, Linear is ember.nn.Linear, torch.nn is ember.nn)
    """)
    r = ember_cli("run", script)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True"] * 7


def test_torch_utils_data_maps_to_ember_when_present(tmp_path):
    script = write(tmp_path / "s.py", """
        import ember
        try:
            import ember.utils.data as want
            if not hasattr(want, "DataLoader"):
                raise ImportError
        except ImportError:
            print("absent")
        else:
            from torch.utils.data import DataLoader
            import torch.utils.data as got
            print(got is want, DataLoader is want.DataLoader)
    """)
    r = ember_cli("run", script)
    assert r.returncode == 0, r.stderr
    if r.stdout.strip() == "absent":
        pytest.skip("ember.utils.data not available yet")
    assert r.stdout.split() == ["True", "True"]


def test_missing_torch_submodule_is_a_clear_module_not_found(tmp_path):
    script = write(tmp_path / "s.py", """
        try:
            import torch.no_such_thing.deeper
        except ImportError as e:
            print(type(e).__name__, e.name)
            print(e)
        import torch.no_such_thing
    """)
    r = ember_cli("run", script)
    assert r.returncode == 1
    out = r.stdout.splitlines()
    assert out[0] == "ModuleNotFoundError torch.no_such_thing"
    assert "No module named 'torch.no_such_thing'" in out[1]
    assert "ember does not provide" in out[1]
    assert "ModuleNotFoundError: No module named 'torch.no_such_thing'" in r.stderr


def test_error_inside_ember_module_is_not_disguised(tmp_path, monkeypatch):
    # a missing import *inside* an ember module is a bug to show as is, not "not provided"
    from ember._import_hook import _TorchAliasLoader

    write(tmp_path / "ember_cli_broken_mod.py", "import ember_cli_no_such_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = importlib.machinery.ModuleSpec("torch.broken", _TorchAliasLoader("ember_cli_broken_mod"))
    module = type(sys)("torch.broken")
    with pytest.raises(ModuleNotFoundError) as info:
        spec.loader.exec_module(module)
    assert info.value.name == "ember_cli_no_such_dependency"
    sys.modules.pop("ember_cli_broken_mod", None)


def test_install_torch_alias_in_process():
    r = python("""
        import sys
        import ember
        from ember._import_hook import install_torch_alias
        install_torch_alias()
        install_torch_alias()  # twice is harmless
        import torch
        from torch import autograd
        finders = [f for f in sys.meta_path if type(f).__name__ == "_TorchAliasFinder"]
        print(torch is ember, autograd is ember.autograd, len(finders), sys.meta_path[0] is finders[0])
        exported = getattr(ember, "install_torch_alias", install_torch_alias)
        print(exported is install_torch_alias)
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True", "True", "1", "True", "True"]


def test_install_torch_alias_after_real_torch_refuses():
    if not _has_real_torch():
        pytest.skip("PyTorch is not installed")
    r = python("""
        import torch
        from ember._import_hook import install_torch_alias
        try:
            install_torch_alias()
        except RuntimeError as e:
            print("RuntimeError", "already imported" in str(e))
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["RuntimeError", "True"]


# ---------------------------------------------------------------- running a script like python


def test_script_sees_main_argv_file_and_path(tmp_path):
    (tmp_path / "pkg").mkdir()
    # a module the script imports sees the alias too
    write(tmp_path / "pkg" / "helper_mod_for_cli.py", "import torch\nVALUE = 41 + (torch.__name__ != 'ember')\n")
    script = write(tmp_path / "pkg" / "s.py", """
        import json, sys
        import helper_mod_for_cli  # a sibling module: the script's folder is on sys.path
        print(json.dumps({"name": __name__, "argv": sys.argv, "file": __file__,
                          "path0": sys.path[0], "value": helper_mod_for_cli.VALUE + 1}))
    """)
    args = ["--flag", "-h", "a b", "--", "--version", "x=1"]
    r = ember_cli("run", "pkg/s.py", *args, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["name"] == "__main__"
    assert got["argv"] == [str(script.resolve()), *args]
    assert got["file"] == str(script.resolve())
    assert got["path0"] == str((tmp_path / "pkg").resolve())
    assert got["value"] == 42


def test_if_name_main_block_runs(tmp_path):
    script = write(tmp_path / "s.py", """
        def main():
            print("main ran")
        if __name__ == "__main__":
            main()
    """)
    r = ember_cli("run", script)
    assert (r.returncode, r.stdout) == (0, "main ran\n")


def test_classes_defined_in_the_script_pickle(tmp_path):
    # pickle finds a script's classes through sys.modules["__main__"], as under plain python
    script = write(tmp_path / "s.py", """
        import pickle
        class Point:
            def __init__(self, x):
                self.x = x
        p = pickle.loads(pickle.dumps(Point(7)))
        print(type(p).__module__, type(p) is Point, p.x)
    """)
    r = ember_cli("run", script)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["__main__", "True", "7"]


def test_exception_gives_traceback_and_exit_1(tmp_path):
    script = write(tmp_path / "s.py", """
        def f():
            raise ValueError("boom")
        print("before")
        f()
    """)
    r = ember_cli("run", script)
    assert r.returncode == 1
    assert r.stdout == "before\n"
    err = r.stderr
    assert err.startswith("Traceback (most recent call last):\n")
    assert f'File "{script}", line 5, in <module>' in err
    assert f'File "{script}", line 3, in f' in err
    assert err.rstrip().endswith("ValueError: boom")
    # the runner's own frames are trimmed, as `python s.py` would show it
    assert "runpy" not in err and "__main__.py" not in err


def test_syntax_error_exit_1(tmp_path):
    script = write(tmp_path / "s.py", "x = (\n")
    r = ember_cli("run", script)
    assert r.returncode == 1
    assert "SyntaxError" in r.stderr and str(script) in r.stderr
    assert "runpy" not in r.stderr


@pytest.mark.parametrize("code, rc, err", [
    ("import sys; sys.exit(3)", 3, ""),
    ("import sys; sys.exit(0)", 0, ""),
    ("raise SystemExit", 0, ""),
    ("import sys; sys.exit('bad input')", 1, "bad input\n"),
    ("raise KeyboardInterrupt", 130, "KeyboardInterrupt"),
])
def test_exit_codes(tmp_path, code, rc, err):
    script = write(tmp_path / "s.py", code + "\n")
    r = ember_cli("run", script)
    assert r.returncode == rc
    assert err in r.stderr
    if rc in (0, 3):
        assert r.stderr == ""


def test_missing_script_exit_2(tmp_path):
    r = ember_cli("run", "no_such_script.py", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stdout == ""
    assert "can't open file" in r.stderr
    assert str(tmp_path / "no_such_script.py") in r.stderr
    assert "Traceback" not in r.stderr


def test_directory_instead_of_script_exit_2(tmp_path):
    r = ember_cli("run", tmp_path)
    assert r.returncode == 2
    assert "can't open file" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("args, rc, where, text", [
    ([], 2, "stderr", "missing command"),
    (["frobnicate"], 2, "stderr", "unknown command 'frobnicate'"),
    (["run"], 2, "stderr", "missing SCRIPT"),
    (["--help"], 0, "stdout", "ember run"),
    (["-h"], 0, "stdout", "ember run"),
    (["run", "--help"], 0, "stdout", "usage: ember run SCRIPT"),
])
def test_usage(args, rc, where, text):
    r = ember_cli(*args)
    assert r.returncode == rc
    assert text in getattr(r, where)
    assert "Traceback" not in r.stderr


def test_version():
    r = ember_cli("--version")
    assert r.returncode == 0
    assert r.stdout == f"ember {ember.__version__}\n"
    assert re.fullmatch(r"ember \d+\.\d+\.\d+\S*\n", r.stdout)


def test_console_script_when_installed(tmp_path):
    exe = Path(sys.executable).parent / ("ember.exe" if os.name == "nt" else "ember")
    if not exe.exists():
        pytest.skip("the `ember` console script is not installed in this environment")
    script = write(tmp_path / "s.py", "import sys, torch; print(torch.__name__, sys.argv[1:])\n")
    r = subprocess.run([str(exe), "run", str(script), "a", "--b"], capture_output=True,
                       text=True, env=_env(), timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "ember ['a', '--b']\n"
    r = subprocess.run([str(exe), "--version"], capture_output=True, text=True, env=_env())
    assert r.stdout == f"ember {ember.__version__}\n"


def test_cli_stays_light():
    # `ember --version` must not pull in the example's or PyTorch's heavy modules
    r = python("""
        import sys
        from ember.__main__ import main
        main(["--version"])
        print(sorted(m for m in ("torch", "matplotlib", "scipy", "runpy") if m in sys.modules))
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "[]"


# ---------------------------------------------------------------- the example


def _parse_example(stdout):
    losses = [float(v) for v in re.findall(r"^epoch +\d+ +loss ([\d.]+)$", stdout, re.M)]
    m = re.search(r"learned w = (-?[\d.]+), b = (-?[\d.]+)", stdout)
    final = re.search(r"^final loss ([\d.]+)$", stdout, re.M)
    assert m and final, stdout
    return losses, float(m.group(1)), float(m.group(2)), float(final.group(1))


def test_example_linear_regression_trains(tmp_path):
    out = tmp_path / "fit.png"
    r = ember_cli("run", EXAMPLE, "--epochs", 100, "--out", out, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    losses, w, b, final = _parse_example(r.stdout)
    assert len(losses) == 5  # every 20 epochs
    assert losses == sorted(losses, reverse=True) and losses[0] > 2 * losses[-1]
    # noise has std 0.3, so the best reachable mean squared error is about 0.09
    assert final < 0.15
    assert abs(w - 2) < 0.15 and abs(b - 1) < 0.15
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "matplotlib is not installed" in r.stdout
    else:
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_example_without_matplotlib_skips_the_plot(tmp_path):
    r = python(f"""
        import sys
        sys.modules["matplotlib"] = None  # as if it were not installed
        from ember.__main__ import main
        sys.exit(main(["run", {str(EXAMPLE)!r}, "--epochs", "5", "--out", "x.png"]))
    """, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "matplotlib is not installed" in r.stdout
    assert not (tmp_path / "x.png").exists()


def test_example_runs_on_real_pytorch(tmp_path):
    if not _has_real_torch():
        pytest.skip("PyTorch is not installed")
    out = tmp_path / "fit.png"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the real torch
    r = subprocess.run([sys.executable, str(EXAMPLE), "--epochs", "100", "--out", str(out)],
                       capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    losses, w, b, final = _parse_example(r.stdout)
    assert len(losses) == 5 and final < 0.15
    assert abs(w - 2) < 0.15 and abs(b - 1) < 0.15
