//! Escape over a barrier, exactly: the mean first-passage time of discrete-time SGD out of one
//! well of a double-well loss into the next — the rate that Liu et al.'s Thm 9 (Eq. 23) and
//! Xie et al.'s continuous-time Kramers rate (Eq. 24, [`super::kramers`]) approximate — solved
//! numerically for the SGD chain itself rather than for its Fokker–Planck limit.
//!
//! **The loss** ([`Landscape`]): a symmetric double well made of parabolas joined with a
//! continuous slope,
//! ```text
//! L(w) = ½ k_a w²                     for w ≤ w_l,
//!        ΔL − ½ |k_b| (w − w_b)²      for w_l ≤ w ≤ 2w_b − w_l,
//!        ½ k_a (w − 2w_b)²            for w ≥ 2w_b − w_l,
//! ```
//! with w_l = √(2lΔL/k_a), w_b = w_l + √(2(1−l)ΔL/|k_b|) and l = |k_b|/(k_a + |k_b|), the one
//! value for which L′ is continuous at w_l. So the curvature is k_a on the path a → l and −|k_b|
//! on l → b exactly, as Thm 9 assumes.
//!
//! **The chain** ([`Chain`]): SGD on the loss scaled by r (L → rL) with the paper's
//! minibatch-like noise (Sec. 4.3; Thm 9's proof: "C = k_a/S"), Gaussian gradient noise of
//! variance a·r·|L″(w)| at the current weight (a = 1/S):
//! w ← w − λ(r L′(w) + √(a r |L″(w)|) ξ), ξ ~ N(0, 1). It has escaped when it first reaches
//! the neighbouring minimum 2w_b. Its Monte Carlo counterpart is
//! [`crate::sim::first_passage`].

use crate::linalg::erf;
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// The double well of the module documentation (unscaled: r = 1).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Landscape {
    /// Curvature of the well.
    pub ka: f64,
    /// Curvature |k_b| of the barrier top.
    pub kb: f64,
    /// Barrier height ΔL.
    pub dl: f64,
    /// Fraction of ΔL climbed at curvature k_a: |k_b|/(k_a + |k_b|).
    pub l: f64,
    /// Where the curvature changes sign, w_l.
    pub wl: f64,
    /// The barrier top, w_b.
    pub wb: f64,
}

impl Landscape {
    /// The landscape with these curvatures and barrier height (all positive).
    pub fn new(ka: f64, kb: f64, dl: f64) -> Landscape {
        let kb = kb.abs();
        let l = kb / (ka + kb);
        let wl = (2.0 * l * dl / ka).sqrt();
        let wb = wl + (2.0 * (1.0 - l) * dl / kb).sqrt();
        Landscape {
            ka,
            kb,
            dl,
            l,
            wl,
            wb,
        }
    }

    /// L(w).
    pub fn loss(&self, w: f64) -> f64 {
        let u = self.fold(w);
        if u <= self.wl {
            0.5 * self.ka * u * u
        } else {
            self.dl - 0.5 * self.kb * (u - self.wb) * (u - self.wb)
        }
    }

    /// The mirror image of w about the barrier top for w past it.
    fn fold(&self, w: f64) -> f64 {
        if w > self.wb {
            2.0 * self.wb - w
        } else {
            w
        }
    }

    /// (L′(w), |L″(w)|).
    #[inline(always)]
    pub fn slope_and_curvature(&self, w: f64) -> (f64, f64) {
        if w <= self.wl {
            (self.ka * w, self.ka)
        } else if w <= 2.0 * self.wb - self.wl {
            (-self.kb * (w - self.wb), self.kb)
        } else {
            (self.ka * (w - 2.0 * self.wb), self.ka)
        }
    }

    /// The neighbouring minimum, 2w_b: reaching it is an escape.
    pub fn exit(&self) -> f64 {
        2.0 * self.wb
    }
}

/// SGD on a [`Landscape`] scaled by r, with gradient noise of variance a·r·|L″(w)|:
/// w ← w − λ(r L′(w) + √(a r |L″(w)|) ξ), ξ ~ N(0, 1) (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chain {
    /// The unscaled loss.
    pub land: Landscape,
    /// Learning rate λ.
    pub lr: f64,
    /// Noise strength a = 1/S.
    pub a: f64,
    /// Loss scale r.
    pub r: f64,
}

/// Φ(z), the standard normal distribution function, from [`erf`].
fn normal_cdf(z: f64) -> f64 {
    if z < -9.0 {
        0.0
    } else if z > 9.0 {
        1.0
    } else {
        0.5 * (1.0 + erf(z * std::f64::consts::FRAC_1_SQRT_2))
    }
}

impl Chain {
    /// The law of one step from w: the mean w − λrL′(w) and the standard deviation
    /// λ√(ar|L″(w)|) of the next weight.
    fn step_from(&self, w: f64) -> (f64, f64) {
        let (g, k) = self.land.slope_and_curvature(w);
        let mu = w - self.lr * self.r * g;
        let s = self.lr * (self.a * self.r * k).sqrt();
        (mu, s)
    }

    /// The probabilities Q_ij that one step from the centre of cell i lands in cell j, on the
    /// cells between `edges` (the lowest cell also takes everything below it; what lands past
    /// the last edge has escaped).
    fn transitions(&self, edges: &[f64]) -> DMatrix<f64> {
        let cells = edges.len() - 1;
        let mut q = DMatrix::<f64>::zeros(cells, cells);
        for i in 0..cells {
            let (mu, s) = self.step_from(0.5 * (edges[i] + edges[i + 1]));
            let cdf = |e: f64| normal_cdf((e - mu) / s);
            // Only the cells within 9 s of μ carry probability.
            let first = edges
                .partition_point(|&e| e < mu - 9.0 * s)
                .saturating_sub(1)
                .min(cells - 1);
            let last = edges
                .partition_point(|&e| e <= mu + 9.0 * s)
                .clamp(first + 1, cells);
            let mut prev = if first == 0 { 0.0 } else { cdf(edges[first]) };
            for j in first..last {
                let f = cdf(edges[j + 1]);
                q[(i, j)] = f - prev;
                prev = f;
            }
        }
        q
    }

    /// The mean first-passage time E[T] (in steps) of the chain to the neighbouring minimum,
    /// on the cells between `edges` (increasing; the last edge is the exit 2w_b) started from
    /// cell `start`, whose centre must be w = 0. `None` if the solve fails.
    ///
    /// The chain's mean exit time m(w) solves m(w) = 1 + ∫ K(w, w′) m(w′) dw′ over w′ < 2w_b,
    /// with the Gaussian kernel K(w, ·) = N(w − λrL′(w), λ²ar|L″(w)|) of one step. With m
    /// constant on each cell, m_i its value at the cell's centre, and the kernel's exact cell
    /// probabilities Q_ij = Φ((e_{j+1} − μ_i)/s_i) − Φ((e_j − μ_i)/s_i), this is (I − Q) m = 1:
    /// the midpoint rule, with an O(h²) error as long as m is smooth inside every cell — which
    /// is why the cells have edges at w_l and 2w_b − w_l, where the drift has a kink (and the
    /// noise a jump when k_a ≠ |k_b|) and so m too.
    pub fn mfpt_on_cells(&self, edges: &[f64], start: usize) -> Option<f64> {
        let cells = edges.len().checked_sub(1).filter(|&n| n > start)?;
        let m = DMatrix::<f64>::identity(cells, cells) - self.transitions(edges);
        let ones = DVector::<f64>::from_element(cells, 1.0);
        let t = m.lu().solve(&ones)?;
        let v = t[start];
        (v.is_finite() && v >= 1.0).then_some(v)
    }

    /// The coarse cells of [`Chain::exact_mfpt`]: width a third of the smallest noise step
    /// s = λ√(ark) (capped so that the fine cells number at most 900), down to 8 stationary
    /// standard deviations √(λa/(2 − λrk_a)) below the minimum. `None` where the chain has no
    /// stationary well (λrk_a ≥ 2) or no noise.
    pub fn coarse_cells(&self) -> Option<(Vec<f64>, usize)> {
        let (land, lr, a, r) = (&self.land, self.lr, self.a, self.r);
        let x = lr * r * land.ka;
        if !(x > 0.0 && x < 2.0 && a > 0.0 && land.wb.is_finite() && land.wb > 0.0) {
            return None;
        }
        let lo = -8.0 * (lr * a / (2.0 - x)).sqrt();
        let s = lr * (a * r * land.ka.min(land.kb)).sqrt();
        let h = (s / 3.0).max((land.exit() - lo) / 300.0);
        Some(cells(land, h, lo))
    }

    /// The exact mean first-passage time (steps) of the chain from the minimum to the
    /// neighbouring minimum, and an estimate of its discretisation error:
    /// [`Chain::mfpt_on_cells`] on the cells of [`Chain::coarse_cells`] and on those cells
    /// split in three, combined by Richardson extrapolation of the O(h²) error,
    /// (9 m_{h/3} − m_h)/8. The error estimate returned is the size of that correction, i.e.
    /// the error of the finer grid alone: a conservative bound (one more refinement moves the
    /// extrapolated value by far less).
    pub fn exact_mfpt(&self) -> Option<(f64, f64)> {
        let (edges, start) = self.coarse_cells()?;
        let coarse = self.mfpt_on_cells(&edges, start)?;
        let (edges, start) = refine(&edges, start);
        let finer = self.mfpt_on_cells(&edges, start)?;
        let m = (9.0 * finer - coarse) / 8.0;
        Some((m, (finer - coarse).abs() / 8.0))
    }
}

/// Cells of width about `h` for [`Chain::mfpt_on_cells`]: a cell centred on w = 0 (of width
/// min(h, w_l)), edges at w_l, 2w_b − w_l and the exit 2w_b, and cells down to `lo`; with the
/// index of the cell at w = 0. At most about (2w_b − lo)/h + 4 cells.
pub fn cells(land: &Landscape, h: f64, lo: f64) -> (Vec<f64>, usize) {
    let exit = land.exit();
    // The cell at w = 0 is narrower when w_l is close to the minimum.
    let c = 0.5 * h.min(land.wl);
    let below = ((-c - lo) / h).ceil().max(1.0) as usize;
    let mut edges: Vec<f64> = (0..=below).map(|j| -c - (below - j) as f64 * h).collect();
    edges.push(c);
    for (a, b) in [
        (c, land.wl),
        (land.wl, exit - land.wl),
        (exit - land.wl, exit),
    ] {
        let n = ((b - a) / h).round().max(1.0) as usize;
        edges.extend((1..=n).map(|j| {
            if j == n {
                b
            } else {
                a + (b - a) * j as f64 / n as f64
            }
        }));
    }
    (edges, below)
}

/// Every cell split in three: the cell at w = 0 keeps w = 0 at its middle third's centre.
pub fn refine(edges: &[f64], start: usize) -> (Vec<f64>, usize) {
    let mut out = vec![edges[0]];
    for w in edges.windows(2) {
        let d = (w[1] - w[0]) / 3.0;
        out.extend([w[0] + d, w[0] + 2.0 * d, w[1]]);
    }
    (out, 3 * start + 1)
}
