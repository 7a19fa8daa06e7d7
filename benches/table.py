"""Prints one table from a `make bench` run: criterion's estimates (target/criterion), the
numpy baseline and the browser benchmark (JSON files in target/bench/)."""

import json
import pathlib

root = pathlib.Path(__file__).resolve().parent.parent
crit = root / "target" / "criterion"
bench = root / "target" / "bench"


def criterion(name):
    f = crit / name / "new" / "estimates.json"
    if not f.exists():
        return None
    return json.loads(f.read_text())["mean"]["point_estimate"]  # nanoseconds


def load(name):
    f = bench / name
    return json.loads(f.read_text()) if f.exists() else {}


numpy = load("numpy.json")
browser = load("browser.json")
kernel_ns = criterion("sgd_2d_gaussian/walker_steps")
native = 10_000 * 10 / (kernel_ns * 1e-9) if kernel_ns else None
wasm = browser.get("wasm_walker_steps_per_second")
np_rate = numpy.get("walker_steps_per_second")

rows = [
    ("2-D SGD Gaussian, native, 1 core (walker-steps/s)", native, "≥ 3e8"),
    ("2-D SGD Gaussian, wasm in Chromium (walker-steps/s)", wasm, "≥ 1.5e8"),
    ("2-D SGD Gaussian, numpy baseline (walker-steps/s)", np_rate, ""),
    ("wasm / numpy (same run)", wasm / np_rate if wasm and np_rate else None, "≥ 3"),
    ("native / numpy (same run)", native / np_rate if native and np_rate else None, ""),
    ("Fig. 2a sweep 40 λ × 1e4 × 1e3, 2 workers (s)", browser.get("sweep_seconds_2_workers"), "≤ 5"),
    ("Fig. 2a sweep, 1 worker (s)", browser.get("sweep_seconds_1_worker"), ""),
    ("worker-pool speed-up, 2 cores", browser.get("sweep_speedup"), "≥ 1.8"),
    ("frame work p95 while dragging λ, 20 000 walkers (ms)", browser.get("drag_frame_ms_p95"), "≤ 16.7"),
    ("exact 2-D Σ with momentum, one solve (µs)", (criterion("stationary_2d_momentum") or 0) / 1e3 or None, ""),
    ("everything the page shows per slider event (µs)", (criterion("predict_2d_momentum") or 0) / 1e3 or None, ""),
    ("NGD fixed point, 2-D (µs)", (criterion("stationary_2d_ngd_fixed_point") or 0) / 1e3 or None, ""),
]
width = max(len(r[0]) for r in rows)
print(f"{'measure':<{width}}  {'value':>12}  target")
for name, value, target in rows:
    v = "—" if value is None else (f"{value:.3g}" if value < 1e4 else f"{value:.3e}")
    print(f"{name:<{width}}  {v:>12}  {target}")
