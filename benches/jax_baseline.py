"""The 2-D SGD walker update as a researcher who cares about speed would write it in JAX: the
update of every walker at once, `jax.lax.scan` over the steps, compiled with `jax.jit` for the
CPU, Gaussian noise from `jax.random.normal`. Prints walker-steps per second as JSON, in
float32 and in float64 (the Rust kernel computes in float64). Same model as the Rust kernel:
K = diag(1, 0.1), C = I, lr = 0.5, no momentum. Timed after a compiling warm-up run, best of
three."""

import json
import sys
import time

import jax
import jax.numpy as jnp


def make(walkers: int, steps: int, dtype):
    k = jnp.array([1.0, 0.1], dtype=dtype)[:, None]
    lr = jnp.asarray(0.5, dtype=dtype)

    def step(carry, _):
        w, key = carry
        key, sub = jax.random.split(key)
        g = k * w + jax.random.normal(sub, w.shape, dtype=dtype)
        return (w - lr * g, key), None

    @jax.jit
    def run(key):
        w0 = jnp.zeros((2, walkers), dtype=dtype)
        (w, _), _ = jax.lax.scan(step, (w0, key), None, length=steps)
        return w

    return run


def rate(walkers: int, steps: int, dtype) -> float:
    run = make(walkers, steps, dtype)
    run(jax.random.PRNGKey(0)).block_until_ready()  # compile
    best = 0.0
    for seed in range(1, 4):
        start = time.perf_counter()
        run(jax.random.PRNGKey(seed)).block_until_ready()
        best = max(best, walkers * steps / (time.perf_counter() - start))
    return best


if __name__ == "__main__":
    walkers = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
    f32 = rate(walkers, steps, jnp.float32)
    jax.config.update("jax_enable_x64", True)
    f64 = rate(walkers, steps, jnp.float64)
    print(json.dumps({"walker_steps_per_second_f32": f32, "walker_steps_per_second_f64": f64,
                      "walkers": walkers, "steps": steps, "jax": jax.__version__,
                      "devices": [str(d) for d in jax.devices()]}))
