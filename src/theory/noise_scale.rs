//! The gradient noise scale and the steps–examples trade-off of McCandlish, Kaplan, Amodei et
//! al. (2018), *An empirical model of large-batch training*: B_noise = tr(HΣ)/(GᵀHG) and its
//! simple form B_simple = tr(Σ)/|G|² (their Sec. 2.2), with Σ the per-example gradient
//! covariance and G the true gradient; and the trade-off between steps S and examples E = B·S,
//! S = S_min(1 + B_crit/B), E = E_min(1 + B/B_crit), B_crit = E_min/S_min (Sec. 2.3), fitted to
//! steps against batch size.

use serde::{Deserialize, Serialize};

/// B_noise and B_simple for a diagonal model: curvatures hᵢ with weights wᵢ, per-example noise
/// variances cᵢ (Σ = diag c) and the gradient Gᵢ = hᵢθᵢ at the point θ; `None` at the minimum.
pub fn noise_scales(h: &[f64], weight: &[f64], c: &[f64], theta: &[f64]) -> Option<(f64, f64)> {
    let (mut tr_hs, mut tr_s, mut ghg, mut gg) = (0.0, 0.0, 0.0, 0.0);
    for (((h, w), c), th) in h.iter().zip(weight).zip(c).zip(theta) {
        let g = h * th;
        tr_hs += w * h * c;
        tr_s += w * c;
        ghg += w * h * g * g;
        gg += w * g * g;
    }
    (gg > 0.0 && ghg > 0.0).then(|| (tr_hs / ghg, tr_s / gg))
}

/// McCandlish et al.'s trade-off fitted to (B, S) points.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tradeoff {
    /// The fewest steps, at infinite batch.
    pub s_min: f64,
    /// The critical batch size B_crit = E_min/S_min.
    pub b_crit: f64,
    /// The fewest examples, at batch size → 0.
    pub e_min: f64,
}

impl Tradeoff {
    /// S(B) = S_min(1 + B_crit/B).
    pub fn steps(&self, b: f64) -> f64 {
        self.s_min * (1.0 + self.b_crit / b)
    }
}

/// The least-squares fit of S = S_min + E_min/B to the points (B, S), in relative error (each
/// residual divided by its S, so that the small steps of large batches count as much as the
/// many of small ones); `None` with fewer than two points or a fit without positive S_min and
/// E_min.
pub fn fit_tradeoff(points: &[(f64, f64)]) -> Option<Tradeoff> {
    // Minimise Σ ((S − a − e/B)/S)²: weighted linear least squares in (1, 1/B), weights 1/S².
    let (mut s00, mut s01, mut s11, mut r0, mut r1) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let mut n = 0;
    for &(b, s) in points {
        if !(b > 0.0 && s > 0.0 && s.is_finite()) {
            continue;
        }
        let w = 1.0 / (s * s);
        let x = 1.0 / b;
        s00 += w;
        s01 += w * x;
        s11 += w * x * x;
        r0 += w * s;
        r1 += w * x * s;
        n += 1;
    }
    let det = s00 * s11 - s01 * s01;
    if n < 2 || det.is_nan() || det <= 0.0 {
        return None;
    }
    let s_min = (r0 * s11 - r1 * s01) / det;
    let e_min = (s00 * r1 - s01 * r0) / det;
    (s_min > 0.0 && e_min > 0.0).then(|| Tradeoff {
        s_min,
        b_crit: e_min / s_min,
        e_min,
    })
}

/// The batch size at which the steps first come within `factor` × `s_min` along the curve of
/// (B, S) points (B ascending), interpolated log-linearly between neighbours; `None` if they
/// never do.
pub fn batch_within(points: &[(f64, f64)], s_min: f64, factor: f64) -> Option<f64> {
    let goal = factor * s_min;
    let pts: Vec<_> = points.iter().filter(|p| p.1.is_finite()).collect();
    for (k, &&(b, s)) in pts.iter().enumerate() {
        if s <= goal {
            if k == 0 {
                return Some(b);
            }
            let (b0, s0) = *pts[k - 1];
            let x = (s0.ln() - goal.ln()) / (s0.ln() - s.ln());
            return Some((b0.ln() + x * (b.ln() - b0.ln())).exp());
        }
    }
    None
}
