//! A weighted least-squares straight line through points with known standard errors, with an
//! honest error of its slope (the textbook χ² fit, e.g. Press et al., *Numerical Recipes*,
//! Sec. 15.2, with the slope's error scaled by √(χ²/dof) when the points scatter more than
//! their errors say).

/// A fitted line y = a + b x.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LineFit {
    /// Intercept a.
    pub intercept: f64,
    /// Slope b.
    pub slope: f64,
    /// Standard error of the slope, scaled up by √(χ²/dof) when that exceeds 1.
    pub slope_se: f64,
    /// χ² per degree of freedom.
    pub chi2_dof: f64,
    /// The weighted centre (x̄, ȳ) of the points, with weights 1/se²: the line passes through it.
    pub centre: (f64, f64),
}

/// The weighted least-squares line y = a + b x through the points (x, y) with standard errors
/// `se` of y (weights 1/se²), minimising χ² = Σ (y − a − b x)²/se². Points with a non-finite
/// value or a standard error that is not positive are left out; `None` with fewer than 3 left
/// or when their x are all equal.
pub fn fit_line(x: &[f64], y: &[f64], se: &[f64]) -> Option<LineFit> {
    let pts: Vec<(f64, f64, f64)> = x
        .iter()
        .zip(y)
        .zip(se)
        .filter(|((x, y), s)| x.is_finite() && y.is_finite() && s.is_finite() && **s > 0.0)
        .map(|((x, y), s)| (*x, *y, 1.0 / (s * s)))
        .collect();
    if pts.len() < 3 {
        return None;
    }
    let sw: f64 = pts.iter().map(|p| p.2).sum();
    let sx: f64 = pts.iter().map(|p| p.2 * p.0).sum();
    let sy: f64 = pts.iter().map(|p| p.2 * p.1).sum();
    let (mx, my) = (sx / sw, sy / sw);
    let sxx: f64 = pts.iter().map(|p| p.2 * (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| p.2 * (p.0 - mx) * (p.1 - my)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let b = sxy / sxx;
    let a = my - b * mx;
    let chi2: f64 = pts.iter().map(|p| p.2 * (p.1 - a - b * p.0).powi(2)).sum();
    let dof = (pts.len() - 2) as f64;
    let red = chi2 / dof;
    Some(LineFit {
        intercept: a,
        slope: b,
        slope_se: (1.0 / sxx).sqrt() * red.max(1.0).sqrt(),
        chi2_dof: red,
        centre: (mx, my),
    })
}

impl LineFit {
    /// The line's value at `x`.
    pub fn at(&self, x: f64) -> f64 {
        self.intercept + self.slope * x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_fitted_exactly() {
        let x = [0.0, 1.0, 2.0, 3.0];
        let y: Vec<f64> = x.iter().map(|x| 1.0 - 2.0 * x).collect();
        let f = fit_line(&x, &y, &[0.1; 4]).unwrap();
        assert!((f.intercept - 1.0).abs() < 1e-12 && (f.slope + 2.0).abs() < 1e-12);
        assert!(f.slope_se > 0.0 && f.chi2_dof < 1e-20);
        assert!((f.centre.0 - 1.5).abs() < 1e-12 && (f.at(f.centre.0) - f.centre.1).abs() < 1e-12);
    }

    #[test]
    fn unusable_points_are_left_out() {
        let (x, y) = ([0.0, 1.0, 2.0, 3.0, 4.0], [0.0, 1.0, f64::NAN, 3.0, 100.0]);
        let f = fit_line(&x, &y, &[1.0, 1.0, 1.0, 1.0, 0.0]).unwrap();
        assert!((f.slope - 1.0).abs() < 1e-12);
        assert!(fit_line(&x[..2], &y[..2], &[1.0; 2]).is_none());
    }
}
