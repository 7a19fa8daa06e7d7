//! Plots 2 and 3 of `limit-cycles`: the power spectrum of one trajectory at the setting's θ —
//! its trace S₁₁ + S₂₂ beside the first weight's S₁₁ — and its rotational part, Monte Carlo
//! ([`crate::sim::power_spectra::binned_spectra`]) against the exact expected periodogram and
//! beside the exact and continuous-time spectra ([`crate::theory::power_spectra`]).

use super::contours::no_current;
use super::State;
use crate::figure::{Figure, Patch, Series, SeriesId, SeriesKind, Style};
use crate::linalg::logspace;
use crate::panels::kit::largest_z_at;
use crate::sim::power_spectra::binned_spectra;
use crate::theory::power_spectra::{bin_frequency, bins, LinearProcess, Spectra};
use serde::{Deserialize, Serialize};

/// The fewest segments the spectrum's trajectory is cut into (its standard errors come from
/// their spread), whatever `walkers` × `steps`.
const MIN_SEGMENTS: usize = 32;

/// The segments of `len` steps in a trajectory of `steps` steps, at least [`MIN_SEGMENTS`].
pub fn segments(steps: u64, len: usize) -> usize {
    (steps as usize / len).max(MIN_SEGMENTS)
}

/// A Monte Carlo series with the part of [`Spectra`] it shows.
type Part = (SeriesId, fn(&Spectra) -> f64);

/// The Monte Carlo series of the spectra.
#[derive(Clone, Copy, Serialize, Deserialize)]
pub struct Handles {
    /// The trace S₁₁ + S₂₂, the rotational part and the first weight's S₁₁.
    trace: SeriesId,
    rotation: SeriesId,
    first: SeriesId,
}

impl Handles {
    /// Each series with the part of [`Spectra`] it shows.
    fn parts(self) -> [Part; 3] {
        [
            (self.trace, |s| s.trace),
            (self.rotation, |s| s.rotation),
            (self.first, |s| s.first),
        ]
    }
}

/// The spectra's Monte Carlo job, and what its points are checked against.
#[derive(Serialize, Deserialize)]
pub struct Job {
    process: LinearProcess,
    /// Segment length and number of segments.
    len: usize,
    segments: usize,
    /// The exact expectation of each bin.
    expected: Vec<Spectra>,
    series: Handles,
}

impl Job {
    /// The job for `process` with `segments` segments of `len` steps, filling `series`.
    pub fn new(process: LinearProcess, len: usize, segments: usize, series: Handles) -> Job {
        Job {
            expected: process.expected_bins(len),
            process,
            len,
            segments,
            series,
        }
    }

    /// Runs the trajectory from `seed`: each Monte Carlo series' bins with their standard
    /// errors.
    pub fn run(&self, seed: u64) -> Vec<Patch> {
        let bins = binned_spectra(&self.process, self.len, self.segments, seed);
        self.series
            .parts()
            .into_iter()
            .map(|(series, part)| Patch {
                series,
                index: 0,
                x: None,
                y: bins.iter().map(|b| part(&b.mean)).collect(),
                y_err: Some(bins.iter().map(|b| part(&b.se)).collect()),
            })
            .collect()
    }

    /// The largest |Monte Carlo − exact| of any bin so far, in standard errors.
    pub fn largest_z(&self, fig: &Figure) -> Option<f64> {
        self.series
            .parts()
            .into_iter()
            .filter_map(|(id, part)| largest_z_at(fig.get(id), |j| self.expected.get(j).map(part)))
            .reduce(f64::max)
    }
}

/// Adds the series of plots 2 and 3: Monte Carlo (pending, at the bins of segments of `len`
/// steps) and the exact spectra of SGD (`process`) and of the continuous-time process
/// (`continuous`). Returns the Monte Carlo series and the exact rotational curve.
pub fn add(
    fig: &mut Figure,
    process: Option<&LinearProcess>,
    continuous: Option<&LinearProcess>,
    len: usize,
) -> (Handles, SeriesId) {
    let fs = logspace(1.0 / len as f64, 0.5, 300);
    let curve =
        |name: &str, kind: SeriesKind, l: Option<&LinearProcess>, part: fn(&Spectra) -> f64| {
            Series::curve(name, kind, &fs, |f| {
                l.and_then(|l| l.spectrum(f)).map(|s| part(&s))
            })
        };
    let bin_f: Vec<f64> = bins(len)
        .into_iter()
        .map(|b| bin_frequency(len, b))
        .collect();
    let pending = |name: &str, plot| Series::pending(name, bin_f.clone()).in_plot(plot);
    let (disc, cont) = (SeriesKind::TheoryDiscrete, SeriesKind::TheoryContinuous);
    let trace = fig.add(pending("S₁₁ + S₂₂, Monte Carlo", 2).colored(2));
    fig.add(
        curve("S₁₁ + S₂₂, exact discrete", disc, process, |s| {
            s.trace
        })
        .in_plot(2),
    );
    let trace_c = curve("S₁₁ + S₂₂, continuous time", cont, continuous, |s| s.trace);
    fig.add(trace_c.in_plot(2));
    let rotation = fig.add(pending("Monte Carlo (one trajectory)", 3).colored(2));
    let rotation_curve = fig.add(curve("exact discrete", disc, process, |s| s.rotation).in_plot(3));
    fig.add(curve("continuous time", cont, continuous, |s| s.rotation).in_plot(3));
    let first = fig.add(pending("S₁₁ (first weight), Monte Carlo", 2).colored(4));
    let s11 = curve(
        "S₁₁ (first weight), exact discrete",
        SeriesKind::TheoryOther,
        process,
        |s| s.first,
    );
    fig.add(s11.in_plot(2).styled(Style::Line).colored(6));
    let handles = Handles {
        trace,
        rotation,
        first,
    };
    (handles, rotation_curve)
}

/// The frequency where the exact rotational spectrum (`curve`) is largest in size, if the
/// current of the exact state `disc` circulates.
pub fn rotation_peak(curve: &Series, disc: Option<&State>) -> Option<f64> {
    curve
        .x
        .iter()
        .zip(&curve.y)
        .filter(|(_, y)| y.is_finite())
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .filter(|(_, y)| y.abs() > 0.0 && disc.is_some_and(|(_, c)| !no_current(c)))
        .map(|(x, _)| *x)
}
