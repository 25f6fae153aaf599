"""Fit a line to noisy points with gradient descent: the "hello world" of PyTorch.

This is plain PyTorch code. Run it on ember (no PyTorch needed) or on PyTorch:

    ember run examples/linear_regression.py
    python examples/linear_regression.py

Options: --epochs N (default 200), --lr LR (default 0.02), --out PATH (default
linear_regression.png; the plot needs matplotlib: pip install matplotlib).
"""

import argparse

import torch
from torch import nn, optim


def main():
    parser = argparse.ArgumentParser(description="Linear regression with nn.Linear and SGD.")
    parser.add_argument("--epochs", type=int, default=200, help="training epochs (default 200)")
    parser.add_argument("--lr", type=float, default=0.02, help="learning rate (default 0.02)")
    parser.add_argument("--out", default="linear_regression.png", help="where to save the plot")
    args = parser.parse_args()

    torch.manual_seed(0)

    # data: y = 2x + 1, plus noise; one feature per row, shape (100, 1)
    x = torch.randn(100, 1)
    y = 2 * x + 1 + 0.3 * torch.randn(100, 1)

    # model: y_hat = w * x + b, with w and b learned
    model = nn.Linear(1, 1)
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(model.parameters(), lr=args.lr)

    for epoch in range(1, args.epochs + 1):
        y_hat = model(x)           # forward pass
        loss = loss_fn(y_hat, y)   # how far off are we?
        optimizer.zero_grad()      # clear last step's gradients
        loss.backward()            # d(loss)/d(w), d(loss)/d(b)
        optimizer.step()           # w -= lr * w.grad, b -= lr * b.grad
        if epoch % 20 == 0 or epoch == args.epochs:
            print(f"epoch {epoch:4d}  loss {loss.item():.6f}")

    w = model.weight.item()
    b = model.bias.item()
    print(f"learned w = {w:.4f}, b = {b:.4f}  (true w = 2, b = 1)")
    with torch.no_grad():
        print(f"final loss {loss_fn(model(x), y).item():.6f}")

    plot(x, y, model, args.out)


def plot(x, y, model, path):
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed, so no plot (pip install matplotlib)")
        return
    matplotlib.use("Agg")  # draw to a file; no window needed
    import matplotlib.pyplot as plt

    xs = torch.linspace(x.min().item(), x.max().item(), 50).unsqueeze(1)
    with torch.no_grad():
        ys = model(xs)

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.scatter(x.numpy().ravel(), y.numpy().ravel(), s=12, alpha=0.6, label="data")
    w, b = model.weight.item(), model.bias.item()
    label = f"fit: y = {w:.2f}x + {b:.2f}"
    ax.plot(xs.numpy().ravel(), ys.numpy().ravel(), color="C1", linewidth=2, label=label)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title("Linear regression: y = 2x + 1 + noise")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"saved plot to {path}")


if __name__ == "__main__":
    main()
