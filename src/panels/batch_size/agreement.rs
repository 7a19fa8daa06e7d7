//! The readouts that depend on the Monte Carlo of the batch-size figure: how far its points
//! lie from the exact theory, in error bars.

use super::Plan;
use crate::figure::{Figure, Readout, Series};

/// Adds (or renews) the readouts `z_steps_max` and `z_loss_max`.
pub(super) fn finish(plan: &Plan, fig: &mut Figure) {
    let mut z_steps: Option<f64> = None;
    let mut z_loss: Option<f64> = None;
    let worst = |z: &mut Option<f64>, y: f64, e: f64, want: f64| {
        if y.is_finite() && e > 0.0 {
            let d = (y - want).abs() / e;
            *z = Some(z.map_or(d, |m| m.max(d)));
        }
    };
    for c in &plan.curves {
        if let Some((id, at)) = &c.mc {
            let s = fig.get(*id);
            for (j, &k) in at.iter().enumerate() {
                if let Some(q) = c.points[k] {
                    worst(&mut z_steps, s.y[j], err(s, j), q.steps as f64);
                }
            }
        }
        if let Some((id, exact)) = &c.loss_mc {
            let s = fig.get(*id);
            for (j, &want) in exact.iter().enumerate() {
                worst(&mut z_loss, s.y[j], err(s, j), want);
            }
        }
    }
    fig.readouts.retain(|r| !r.key.starts_with("z_"));
    fig.readouts.push(Readout::new(
        "z_steps_max",
        "largest |Monte Carlo − exact| steps to target, in error bars",
        z_steps,
    ));
    fig.readouts.push(Readout::new(
        "z_loss_max",
        "largest |walkers' mean − exact| L(t), in standard errors",
        z_loss,
    ));
}

/// The error bar of point `j` of a Monte Carlo series (NaN if none).
fn err(s: &Series, j: usize) -> f64 {
    s.y_err
        .as_ref()
        .and_then(|e| e.get(j).copied())
        .unwrap_or(f64::NAN)
}
