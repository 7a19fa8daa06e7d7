#!/usr/bin/env python3
"""The measured spectrum of a small network, for `nqm theory --spectrum` and the page.

    python3 examples/mlp_spectrum.py [--out FILE]

A two-layer network f(x) = w2 . tanh(W1 x + b1) + b2 (input 8, 32 tanh units, one output:
321 parameters) is fitted to N = 1000 examples of a synthetic regression task (a random
teacher network of 4 tanh units plus Gaussian label noise) by full-batch gradient descent on

    L = (1/N) sum_n l_n + (WEIGHT_DECAY / 2) |theta|^2,   l_n = (f(x_n) - y_n)^2 / 2,

and the end point is polished to the minimum by Newton steps (|grad L| < 1e-12). The weight
decay (1e-3) is there because the mean squared loss alone has no minimum at finite weights
here: with WEIGHT_DECAY = 0 the Newton steps fit the label noise ever better while |theta|
grows without end. The decay term is the same for every example, so it adds WEIGHT_DECAY to
every h_i and nothing to any c_i. At the minimum the script measures:

- h_i, the eigenvalues of the exact Hessian of L (Gauss-Newton term J^T J / N plus the
  residual term (1/N) sum_n r_n d^2 f(x_n), both analytic; checked against central finite
  differences of the analytic gradient), with eigenvectors u_i;
- c_i = Var_n(u_i . grad l_n), the per-example gradient variance along u_i (population
  variance over the N examples): a minibatch of B examples drawn with replacement has
  gradient variance c_i / B along u_i, (N - B) / (B (N - 1)) c_i without replacement.
  This is the c_i of the noisy quadratic model.

It writes two CSV files that `nqm theory '' --spectrum FILE` and the page read:
- FILE (default examples/mlp_spectrum.csv): `h,c`, the 100 directions of largest h (a
  permalink carries at most 100 rows);
- FILE with `_binned` before the extension: `h,c,count`, every direction with h_i > 0 in at
  most 100 log-spaced bins of h (h and c the means over the bin, count its size).

Directions with h_i <= 1e-9 h_max (negative or zero to the accuracy of the computation) are
left out of both and reported (none with the weight decay). Numpy only; fixed seed; about
20 seconds on one core.
"""

import argparse
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # small matrices: threads only contend

import numpy as np  # noqa: E402

SEED = 0
N_DATA = 1000
D_IN, HIDDEN, TEACHER_HIDDEN = 8, 32, 4
NOISE_STD = 0.3
WEIGHT_DECAY = 1e-3
LR = 0.2
GD_STEPS = 5_000
NEWTON_MAX = 200
GRAD_TOL = 1e-12
TOP_ROWS = 100
BINS = 100
ZERO = 1e-9  # directions with h <= ZERO * h_max are dropped as zero


def unpack(theta):
    """(W1, b1, w2, b2) from the flat parameter vector."""
    i = HIDDEN * D_IN
    w1 = theta[:i].reshape(HIDDEN, D_IN)
    b1 = theta[i : i + HIDDEN]
    w2 = theta[i + HIDDEN : i + 2 * HIDDEN]
    return w1, b1, w2, theta[-1]


def n_params():
    return HIDDEN * D_IN + 2 * HIDDEN + 1


def forward(theta, x):
    """Outputs f(x_n) and hidden activations z = tanh(W1 x + b1)."""
    w1, b1, w2, b2 = unpack(theta)
    z = np.tanh(x @ w1.T + b1)
    return z @ w2 + b2, z


def jacobian(theta, x):
    """J[n, p] = d f(x_n) / d theta_p, in the layout of `unpack`."""
    _, _, w2, _ = unpack(theta)
    _, z = forward(theta, x)
    back = (1.0 - z**2) * w2  # d f / d (hidden pre-activation)
    dw1 = (back[:, :, None] * x[:, None, :]).reshape(len(x), -1)
    return np.hstack([dw1, back, z, np.ones((len(x), 1))])


def residuals(theta, x, y):
    return forward(theta, x)[0] - y


def loss(theta, x, y):
    """L = (1/N) sum_n (f(x_n) - y_n)^2 / 2 + WEIGHT_DECAY |theta|^2 / 2."""
    return 0.5 * np.mean(residuals(theta, x, y) ** 2) + 0.5 * WEIGHT_DECAY * theta @ theta


def gradient(theta, x, y):
    """grad L = J^T r / N + WEIGHT_DECAY theta, by back-propagation."""
    _, _, w2, _ = unpack(theta)
    f, z = forward(theta, x)
    r = (f - y) / len(x)
    back = (1.0 - z**2) * w2 * r[:, None]
    data = np.concatenate([(back.T @ x).ravel(), back.sum(0), z.T @ r, [r.sum()]])
    return data + WEIGHT_DECAY * theta


def hessian(theta, x, y):
    """The exact Hessian of L: J^T J / N + (1/N) sum_n r_n d^2 f(x_n) / d theta^2 + WEIGHT_DECAY I.

    f = sum_j w2_j tanh(a_j) + b2 with a_j = W1_j . x + b1_j, so d^2 f is zero except on each
    unit's block: d^2 f / d(W1_j, b1_j)^2 = w2_j tanh''(a_j) xt xt^T and
    d^2 f / d(W1_j, b1_j) d w2_j = tanh'(a_j) xt, with xt = (x, 1) and tanh'' = -2 tanh tanh'.
    """
    n = len(x)
    j = jacobian(theta, x)
    r = residuals(theta, x, y)
    _, _, w2, _ = unpack(theta)
    _, z = forward(theta, x)
    xt = np.hstack([x, np.ones((n, 1))])
    h = j.T @ j / n + WEIGHT_DECAY * np.eye(len(theta))
    for unit in range(HIDDEN):
        idx = np.r_[unit * D_IN : (unit + 1) * D_IN, HIDDEN * D_IN + unit]
        tp = 1.0 - z[:, unit] ** 2
        tpp = -2.0 * z[:, unit] * tp
        h[np.ix_(idx, idx)] += (xt.T * (r * w2[unit] * tpp)) @ xt / n
        cross = xt.T @ (r * tp) / n
        k = HIDDEN * D_IN + HIDDEN + unit
        h[idx, k] += cross
        h[k, idx] += cross
    return h


def finite_difference_hessian(theta, x, y, eps=1e-5):
    """Central differences of the analytic gradient, symmetrised (a check of `hessian`)."""
    cols = []
    for p in range(len(theta)):
        e = np.zeros_like(theta)
        e[p] = eps
        cols.append((gradient(theta + e, x, y) - gradient(theta - e, x, y)) / (2 * eps))
    h = np.array(cols).T
    return 0.5 * (h + h.T)


def task(rng):
    """N examples x ~ N(0, I) labelled by a random teacher network plus label noise."""
    x = rng.standard_normal((N_DATA, D_IN))
    t1 = rng.standard_normal((TEACHER_HIDDEN, D_IN)) / np.sqrt(D_IN)
    t2 = rng.standard_normal(TEACHER_HIDDEN)
    y = np.tanh(x @ t1.T) @ t2 + NOISE_STD * rng.standard_normal(N_DATA)
    return x, y


def initial(rng):
    w1 = rng.standard_normal((HIDDEN, D_IN)) / np.sqrt(D_IN)
    w2 = rng.standard_normal(HIDDEN) / np.sqrt(HIDDEN)
    return np.concatenate([w1.ravel(), np.zeros(HIDDEN), w2, [0.0]])


def train(theta, x, y):
    """Full-batch gradient descent at rate LR, then Newton steps (Levenberg-Marquardt
    damping, negative eigenvalues of the Hessian treated as zero) until |grad| < GRAD_TOL."""
    for _ in range(GD_STEPS):
        theta = theta - LR * gradient(theta, x, y)
    gd = (loss(theta, x, y), np.linalg.norm(gradient(theta, x, y)))
    newton, damping = 0, 1e-3
    while newton < NEWTON_MAX and np.linalg.norm(gradient(theta, x, y)) > GRAD_TOL:
        vals, vecs = np.linalg.eigh(hessian(theta, x, y))
        g = vecs.T @ gradient(theta, x, y)
        trial = theta - vecs @ (g / (np.maximum(vals, 0.0) + damping))
        if loss(trial, x, y) <= loss(theta, x, y):
            theta, damping = trial, max(damping / 3, 1e-12)
        else:
            damping *= 4
        newton += 1
    return theta, gd, newton


def noise_along(theta, x, y, vectors):
    """c_i = Var_n(u_i . grad l_n) (population variance) for each column u_i of `vectors`."""
    per_example = residuals(theta, x, y)[:, None] * jacobian(theta, x)
    return np.var(per_example @ vectors, axis=0)


def binned(h, c, bins):
    """Means of h and c over at most `bins` log-spaced bins of h, with their counts."""
    edges = np.geomspace(h.min(), h.max(), bins + 1)
    which = np.clip(np.searchsorted(edges, h, side="right") - 1, 0, bins - 1)
    rows = []
    for b in range(bins):
        inside = which == b
        if inside.any():
            rows.append((h[inside].mean(), c[inside].mean(), inside.sum()))
    return rows


def write(path, header, rows, note):
    with open(path, "w") as f:
        f.write(f"# {note}\n{header}\n")
        for row in rows:
            f.write(",".join(f"{v:.6e}" if isinstance(v, float) else str(v) for v in row) + "\n")


def binned_name(path):
    stem, ext = os.path.splitext(path)
    return f"{stem}_binned{ext or '.csv'}"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(here, "mlp_spectrum.csv"))
    out = parser.parse_args().out

    rng = np.random.default_rng(SEED)
    x, y = task(rng)
    start = initial(rng)
    theta, (gd_loss, gd_grad), newton = train(start, x, y)
    h_mat = hessian(theta, x, y)
    fd_gap = np.abs(h_mat - finite_difference_hessian(theta, x, y)).max()
    h_all, u = np.linalg.eigh(h_mat)
    h_all, u = h_all[::-1], u[:, ::-1]
    c_all = noise_along(theta, x, y, u)

    keep = h_all > ZERO * h_all[0]
    h, c = h_all[keep], c_all[keep]
    dropped = h_all[~keep]
    a = float(h @ c / (h @ h))
    corr = np.corrcoef(h, c)[0, 1]
    log_corr = np.corrcoef(np.log(h), np.log(c))[0, 1]

    note = f"made by examples/mlp_spectrum.py (seed {SEED}): h = Hessian eigenvalues, c = per-example gradient variance along each"
    write(out, "h,c", [(float(a_), float(b_)) for a_, b_ in zip(h[:TOP_ROWS], c[:TOP_ROWS])], note)
    rows = [(float(m), float(v), int(k)) for m, v, k in binned(h, c, BINS)]
    write(binned_name(out), "h,c,count", rows, note + " (log-spaced bins of h)")

    r = residuals(theta, x, y)
    print(f"network: {D_IN} -> {HIDDEN} tanh -> 1, {n_params()} parameters, N = {N_DATA}")
    print(f"gradient descent: {GD_STEPS} steps at lr = {LR}: loss {gd_loss:.6g}, |grad| {gd_grad:.3g}")
    print(f"then {newton} Newton steps: loss {loss(theta, x, y):.6g}, |grad| {np.linalg.norm(gradient(theta, x, y)):.3g}")
    print(f"  of the loss: mean squared error / 2 = {0.5 * np.mean(r**2):.6g} (label noise variance / 2 = {NOISE_STD**2 / 2:.4g}),"
          f" weight decay term {0.5 * WEIGHT_DECAY * theta @ theta:.4g}")
    print(f"distance from the start: {np.linalg.norm(theta - start):.4g}, root mean square per parameter {np.sqrt(np.mean((theta - start) ** 2)):.4g}")
    print(f"Hessian: exact vs finite differences, largest entry gap {fd_gap:.2g}")
    print(f"top eigenvalue h_max = {h_all[0]:.6g}  (gradient descent is stable for lr < 2/h_max = {2 / h_all[0]:.6g}),"
          f" smallest {h_all[-1]:.4g}"
          f" (without the weight decay's {WEIGHT_DECAY:g}: {h_all[-1] - WEIGHT_DECAY:.4g})")
    print(f"kept {keep.sum()} directions with h > {ZERO:g} h_max; dropped {len(dropped)}"
          + (f" (from {dropped.min():.3g} to {dropped.max():.3g})" if len(dropped) else ""))
    print(f"c ~ a h: least-squares a = {a:.6g}; correlation of c and h {corr:.4f}, of log c and log h {log_corr:.4f}")
    print(f"wrote {os.path.relpath(out)} ({min(TOP_ROWS, len(h))} rows) and {os.path.relpath(binned_name(out))} ({len(rows)} bins)")


if __name__ == "__main__":
    main()
