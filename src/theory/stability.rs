//! Where a stationary state stops existing as the learning rate grows: the largest stable λ
//! below a known bound (the necessary condition of Liu et al. Sec. 4.5, λk* < 2(1+μ) for
//! heavy ball), found by bisection on the exact theory's own test — a stationary state exists.
//! With constant noise the bound itself is the limit; with noise that grows with the
//! fluctuations (minibatch, Fisher) the mean-square limit can lie below it.

/// The largest λ ∈ (0, `top`] at which `stable(λ)` holds, for a stable set of the form
/// (0, λ*]: `top` when λ just below it (top·(1 − 10⁻⁹)) is stable, else λ* by 60 halvings
/// of (0, top).
pub fn limit_below(top: f64, stable: impl Fn(f64) -> bool) -> f64 {
    if stable(top * (1.0 - 1e-9)) {
        return top;
    }
    let (mut lo, mut hi) = (0.0, top);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if stable(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The midpoints of `points` equal cells of (0, `top`): a sweep that never sits on the edge.
pub fn midpoints(top: f64, points: u64) -> Vec<f64> {
    (0..points)
        .map(|i| top * (i as f64 + 0.5) / points as f64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_found_to_rounding() {
        assert_eq!(limit_below(2.0, |lr| lr < 3.0), 2.0);
        let l = limit_below(2.0, |lr| lr <= 1.25);
        assert!((l - 1.25).abs() < 1e-15, "{l}");
        assert_eq!(midpoints(1.0, 4), vec![0.125, 0.375, 0.625, 0.875]);
    }
}
