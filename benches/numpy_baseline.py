"""The 2-D SGD walker update written the way a researcher would in numpy: vectorised over
walkers, Gaussian noise from default_rng().standard_normal. Prints walker-steps per second
as JSON, with the BLAS numpy runs (threadpoolctl: its kernel architecture and threads) and
whether OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE were set. Same model as the Rust kernel:
K = diag(1, 0.1), C = I, lr = 0.5, no momentum.

`make bench` runs it in its own process with both variables unset for that command alone
(`env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`): some machines set them for older OpenBLAS
builds, and they slow a current numpy."""

import json
import os
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
    try:
        from threadpoolctl import threadpool_info

        blas = [{k: i.get(k) for k in ("internal_api", "architecture", "num_threads", "version")}
                for i in threadpool_info()]
    except ImportError:
        blas = "threadpoolctl not installed"
    env = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    print(json.dumps({"walker_steps_per_second": best, "walkers": walkers, "steps": steps,
                      "numpy": np.__version__, "blas": blas, "env": env}))
