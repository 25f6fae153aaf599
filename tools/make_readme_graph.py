"""Draw the picture README.md shows under "See your graph" (docs/images/autograd_graph.svg).

    python tools/make_readme_graph.py
"""

from pathlib import Path

import ember as torch
from ember.viz import make_dot

OUT = Path(__file__).resolve().parents[1] / "docs" / "images" / "autograd_graph.svg"


def main():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    x, target = torch.randn(16, 4), torch.randn(16, 1)
    loss = torch.nn.functional.mse_loss(model(x), target)
    dot = make_dot(loss, params=dict(model.named_parameters()))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(dot.pipe(format="svg").decode())
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
