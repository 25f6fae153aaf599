"""The digits example, shortened, run as a user would: `python -m ember run examples/digits.py`."""

import os
import re
import subprocess
import sys

import pytest

import ember
from ember.serialization import load

pytest.importorskip("sklearn")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "examples", "digits.py")


def _run(args, tmp_path, block=()):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([os.path.join(ROOT, "src"), env.get("PYTHONPATH", "")])
    # `block`: optional packages to hide, to check the script's fallbacks
    code = ("import sys\n"
            f"for name in {list(block)!r}: sys.modules[name] = None\n"
            "from ember.__main__ import main\n"
            "sys.exit(main(sys.argv[1:]))\n")
    out = subprocess.run(
        [sys.executable, "-c", code, "run", SCRIPT, *args, "--out-dir", str(tmp_path)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def _accuracy(stdout):
    found = re.search(r"test accuracy: ([0-9.]+)", stdout)
    assert found, stdout
    return float(found.group(1))


def test_cnn_learns_the_digits(tmp_path):
    stdout = _run(["--epochs", "5", "--model", "cnn"], tmp_path)
    acc = _accuracy(stdout)
    # chance is 0.1; a model that does not learn (or learns wrongly) stays far below this
    assert acc >= 0.85, stdout
    reloaded = float(re.search(r"reloaded model's test accuracy: ([0-9.]+)", stdout).group(1))
    assert reloaded == acc
    # torch.save wrote an ember checkpoint: a safetensors file, no pickle inside
    ckpt = tmp_path / "digits_cnn.pt"
    assert ckpt.read_bytes()[8:9] == b"{"
    sd = load(ckpt)
    assert list(sd) == ["0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias",
                        "9.weight", "9.bias"]
    assert tuple(sd["0.weight"].shape) == (16, 1, 3, 3) and sd["0.weight"].dtype is ember.float32
    assert (tmp_path / "digits_cnn_loss.png").stat().st_size > 1000


def test_mlp_without_tqdm_and_matplotlib(tmp_path):
    stdout = _run(["--epochs", "8", "--model", "mlp"], tmp_path, block=("tqdm", "matplotlib"))
    assert _accuracy(stdout) >= 0.85, stdout
    assert "epoch   8  loss" in stdout  # plain progress lines instead of a bar
    assert "matplotlib is not installed" in stdout
    assert not (tmp_path / "digits_mlp_loss.png").exists()
