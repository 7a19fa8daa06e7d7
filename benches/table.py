"""Prints the tables of a `make bench` run, all measured in that run: the kernel against its
peers (criterion's estimates in target/criterion; numpy, JAX and the browser in target/bench/),
and the time each panel's default figure takes in Chromium (target/bench/panels.json), with
the CPU model."""

import json
import pathlib
import platform

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


def rate(name, elements):
    ns = criterion(name)
    return elements / (ns * 1e-9) if ns else None


def ratio(a, b):
    return a / b if a and b else None


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


numpy = load("numpy.json")
jax = load("jax.json")
browser = load("browser.json")
panels = load("panels.json")
native = rate("sgd_2d_gaussian/walker_steps", 10_000 * 10)
native_all = rate("sgd_2d_gaussian_all_cores/walker_steps", 100_000 * 10)
wasm = browser.get("wasm_walker_steps_per_second")
np_rate = numpy.get("walker_steps_per_second")
jax32 = jax.get("walker_steps_per_second_f32")
jax64 = jax.get("walker_steps_per_second_f64")

print(f"CPU: {cpu_model()}; numpy {numpy.get('numpy')} (BLAS {numpy.get('blas')}, "
      f"environment {numpy.get('env')}); JAX {jax.get('jax')} on {jax.get('devices')}")
print()
rows = [
    ("2-D SGD Gaussian, native, 1 core (walker-steps/s)", native, ""),
    ("2-D SGD Gaussian, native, all cores, 10⁵ walkers in chunks", native_all, ""),
    ("2-D SGD Gaussian, wasm in Chromium, 1 thread, warm", wasm, ""),
    ("2-D SGD Gaussian, numpy (float64)", np_rate, ""),
    ("2-D SGD Gaussian, JAX jit + lax.scan, float32", jax32, ""),
    ("2-D SGD Gaussian, JAX jit + lax.scan, float64", jax64, ""),
    ("native 1 core / numpy", ratio(native, np_rate), ""),
    ("native all cores / numpy", ratio(native_all, np_rate), "≥ 12"),
    ("wasm / numpy", ratio(wasm, np_rate), "≥ 5"),
    ("native 1 core / JAX float64", ratio(native, jax64), ""),
    ("native all cores / JAX float64", ratio(native_all, jax64), ""),
    ("native all cores / JAX float32", ratio(native_all, jax32), ""),
    ("wasm / JAX float64", ratio(wasm, jax64), ""),
    ("wasm / JAX float32", ratio(wasm, jax32), ""),
    ("1-D SGD Gaussian noise, native, 1 core", rate("sgd_1d_noise/gauss", 10_000 * 10), ""),
    ("1-D SGD Student-t (ν = 4) noise, native, 1 core", rate("sgd_1d_noise/student4", 10_000 * 10), ""),
    ("1-D SGD χ² (3 dof) noise, native, 1 core", rate("sgd_1d_noise/chi2_3", 10_000 * 10), ""),
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

if panels:
    print()
    print("Each panel's default figure in Chromium (best of two tours; CPU-seconds of Chromium's")
    print("processes in that tour, ÷ 2 = the time on both cores of an idle machine):")
    times, cpu = panels.get("panels", {}), panels.get("cpu_seconds", {})
    w = max(len(n) for n in times)
    print(f"{'panel':<{w}}  {'seconds':>8}  {'CPU-s':>6}  {'CPU-s/2':>7}  target")
    for name, t in times.items():
        if not isinstance(t, (int, float)):
            continue
        c = cpu.get(name)
        cs = "—" if c is None else f"{c:.2f}"
        half = "—" if c is None else f"{c / 2:.2f}"
        mark = "✔" if t < 2 else "✘"
        print(f"{name:<{w}}  {t:>8.2f}  {cs:>6}  {half:>7}  < 2 s {mark}")
    if panels.get("console_errors"):
        print("console errors:", panels["console_errors"])
