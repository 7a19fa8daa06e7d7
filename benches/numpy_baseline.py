"""The 2-D SGD walker update written the way a researcher would in numpy: vectorised over
walkers, Gaussian noise from default_rng().standard_normal. Prints walker-steps per second
as JSON. Same model as the Rust kernel: K = diag(1, 0.1), C = I, lr = 0.5, no momentum."""

import json
import sys
import time

import numpy as np


def run(walkers: int, steps: int) -> float:
    rng = np.random.default_rng(1)
    k = np.diag([1.0, 0.1])
    chol = np.eye(2)
    lr = 0.5
    w = np.zeros((2, walkers))
    start = time.perf_counter()
    for _ in range(steps):
        g = k @ w + chol @ rng.standard_normal((2, walkers))
        w -= lr * g
    elapsed = time.perf_counter() - start
    return walkers * steps / elapsed


if __name__ == "__main__":
    walkers = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
    best = max(run(walkers, steps) for _ in range(3))
    print(json.dumps({"walker_steps_per_second": best, "walkers": walkers, "steps": steps,
                      "numpy": np.__version__}))
