//! Figures as data: the public format that the page's JSON and CSV exports, `nqm figure
//! --json` and the panels' tests all share.
//!
//! A [`Figure`] is one or more plots ([`Plot`], each with its own axes) and a flat list of
//! data series ([`Series`]), each naming the plot it belongs to. The JSON form is
//! `{"panel", "version", "query", "params", "plots", "series": [{"name", "kind", "x", "y",
//! "y_err", …}], "readouts", "complete", "explorer_version"}` (the crate's version) with `kind` one of `monte-carlo`,
//! `theory-discrete`, `theory-continuous`, `theory-other`; `y_err` is the standard error of a
//! Monte Carlo point (`null` elsewhere); a Monte Carlo point that has not finished yet, or
//! has no value (every walker diverged), is `null`.
//!
//! Monte Carlo points arrive as [`Patch`]es (one per finished job, from a worker or a
//! thread), so the same figure fills in on the page and on the command line.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::fmt::Write;

/// What a series is: the public `kind` of the JSON format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SeriesKind {
    /// Monte Carlo estimates with standard errors.
    MonteCarlo,
    /// The exact discrete-time theory.
    TheoryDiscrete,
    /// The continuous-time approximation.
    TheoryContinuous,
    /// Anything else drawn from a formula: expansions, fits, reference lines, contours.
    TheoryOther,
}

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Style {
    /// A solid line (a NaN in x or y breaks it).
    Line,
    /// Long dashes.
    Dashed,
    /// Short dashes.
    Dotted,
    /// Markers with error bars (from `y_err`).
    Markers,
    /// Small dots without error bars (scatter clouds of walkers).
    Dots,
    /// Arrows: points 2i → 2i+1 are the tail and head of arrow i.
    Arrows,
    /// A vertical line at each x (y is ignored).
    Vline,
}

/// One data series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Legend label.
    pub name: String,
    /// Public kind.
    pub kind: SeriesKind,
    /// Index of the plot it is drawn in.
    pub plot: usize,
    /// How it is drawn.
    pub style: Style,
    /// Colour: an index into the Okabe–Ito palette (0 orange, 1 sky blue, 2 bluish green,
    /// 3 yellow, 4 blue, 5 vermillion, 6 reddish purple, 7 grey).
    pub color: usize,
    /// Abscissae.
    #[serde(with = "nan_as_null")]
    pub x: Vec<f64>,
    /// Ordinates (NaN: no value yet).
    #[serde(with = "nan_as_null")]
    pub y: Vec<f64>,
    /// Standard errors of `y` (Monte Carlo only).
    #[serde(with = "opt_nan_as_null")]
    pub y_err: Option<Vec<f64>>,
    /// Shown in the legend (contour families and guides are not).
    pub legend: bool,
}

/// serde for `Vec<f64>` with NaN and infinities written as `null` (JSON has no NaN), and read
/// back as NaN.
mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|x| x.is_finite().then_some(*x)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        let v: Vec<Option<f64>> = Vec::deserialize(d)?;
        Ok(v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
    }
}

mod opt_nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Vec<f64>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => super::nan_as_null::serialize(v, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<f64>>, D::Error> {
        let v: Option<Vec<Option<f64>>> = Option::deserialize(d)?;
        Ok(v.map(|v| v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect()))
    }
}

impl Series {
    /// A series of `kind` in plot 0, drawn in the kind's usual way: Monte Carlo as markers
    /// with error bars (colour 2), discrete theory solid (colour 5), continuous long dashes
    /// (colour 4), other theory short dashes (colour 7).
    pub fn new(name: impl Into<String>, kind: SeriesKind, x: Vec<f64>, y: Vec<f64>) -> Series {
        let (style, color) = match kind {
            SeriesKind::MonteCarlo => (Style::Markers, 2),
            SeriesKind::TheoryDiscrete => (Style::Line, 5),
            SeriesKind::TheoryContinuous => (Style::Dashed, 4),
            SeriesKind::TheoryOther => (Style::Dotted, 7),
        };
        let y_err = (kind == SeriesKind::MonteCarlo).then(|| vec![f64::NAN; y.len()]);
        Series {
            name: name.into(),
            kind,
            plot: 0,
            style,
            color,
            x,
            y,
            y_err,
            legend: true,
        }
    }

    /// Monte Carlo points at `x`, all pending (NaN) until their jobs report.
    pub fn pending(name: impl Into<String>, x: Vec<f64>) -> Series {
        let n = x.len();
        Series::new(name, SeriesKind::MonteCarlo, x, vec![f64::NAN; n])
    }

    /// `y = f(x)` over `x`, NaN where `f` has no value.
    pub fn curve(
        name: impl Into<String>,
        kind: SeriesKind,
        x: &[f64],
        f: impl Fn(f64) -> Option<f64>,
    ) -> Series {
        let y = x.iter().map(|&x| f(x).unwrap_or(f64::NAN)).collect();
        Series::new(name, kind, x.to_vec(), y)
    }

    /// The same series in plot `plot`.
    pub fn in_plot(mut self, plot: usize) -> Series {
        self.plot = plot;
        self
    }

    /// The same series drawn with `style`.
    pub fn styled(mut self, style: Style) -> Series {
        self.style = style;
        self
    }

    /// The same series in palette colour `color`.
    pub fn colored(mut self, color: usize) -> Series {
        self.color = color;
        self
    }

    /// The same series left out of the legend.
    pub fn unlabelled(mut self) -> Series {
        self.legend = false;
        self
    }

    /// Points with a finite value.
    pub fn finite_points(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.x
            .iter()
            .zip(&self.y)
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .map(|(x, y)| (*x, *y))
    }
}

/// One set of axes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plot {
    /// Title above the axes (may be empty).
    pub title: String,
    /// Label of the x axis.
    pub x_label: String,
    /// Label of the y axis.
    pub y_label: String,
    /// Logarithmic x axis.
    pub x_log: bool,
    /// Logarithmic y axis.
    pub y_log: bool,
    /// Equal units on both axes (contours, ellipses).
    pub equal: bool,
    /// Fixed x range (else fitted to the data).
    pub x_range: Option<(f64, f64)>,
    /// Fixed y range (else fitted to the data).
    pub y_range: Option<(f64, f64)>,
    /// A short message written on the plot (a divergence, no stationary state).
    pub note: Option<String>,
}

impl Plot {
    /// Axes with these labels, linear, ranges fitted to the data.
    pub fn new(x_label: impl Into<String>, y_label: impl Into<String>) -> Plot {
        Plot {
            title: String::new(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            x_log: false,
            y_log: false,
            equal: false,
            x_range: None,
            y_range: None,
            note: None,
        }
    }
}

/// One number shown beside a figure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Readout {
    /// Stable key (for scripts and tests).
    pub key: String,
    /// What it is, in words.
    pub label: String,
    /// The value (`null`: not available).
    pub value: Option<f64>,
    /// Its standard error, for Monte Carlo estimates.
    pub se: Option<f64>,
}

impl Readout {
    /// A readout; a non-finite value becomes "not available".
    pub fn new(key: &str, label: &str, value: Option<f64>) -> Readout {
        Readout {
            key: key.into(),
            label: label.into(),
            value: value.filter(|v| v.is_finite()),
            se: None,
        }
    }

    /// The same readout with a standard error.
    pub fn with_se(mut self, se: Option<f64>) -> Readout {
        self.se = se.filter(|v| v.is_finite());
        self
    }
}

/// Where a series sits in its figure: the handle [`Figure::add`] returns, by which a plan
/// remembers its series and a job's [`Patch`] names the one it fills in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SeriesId(usize);

impl SeriesId {
    /// The series' index in [`Figure::series`].
    pub fn index(self) -> usize {
        self.0
    }
}

/// A finished Monte Carlo job's contribution: values for points `index ..` of one series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Patch {
    /// The series it fills in.
    pub series: SeriesId,
    /// First point it sets.
    pub index: usize,
    /// New abscissae, when the job decides them (else the plan's are kept).
    #[serde(default, with = "opt_nan_as_null")]
    pub x: Option<Vec<f64>>,
    /// Values.
    #[serde(with = "nan_as_null")]
    pub y: Vec<f64>,
    /// Standard errors.
    #[serde(default, with = "opt_nan_as_null")]
    pub y_err: Option<Vec<f64>>,
}

impl Patch {
    /// One Monte Carlo point: value `y` ± `se` at point `index` of series `series`.
    pub fn point(series: SeriesId, index: usize, y: Option<f64>, se: Option<f64>) -> Patch {
        Patch {
            series,
            index,
            x: None,
            y: vec![y.unwrap_or(f64::NAN)],
            y_err: Some(vec![se.unwrap_or(f64::NAN)]),
        }
    }
}

impl Patch {
    /// A whole series replaced by new points (a cloud of walkers, an ellipse).
    pub fn whole(series: SeriesId, (x, y): (Vec<f64>, Vec<f64>)) -> Patch {
        Patch {
            series,
            index: 0,
            x: Some(x),
            y,
            y_err: None,
        }
    }
}

/// A figure: plots, series, readouts, and the state it was made from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// Panel name.
    pub panel: String,
    /// Schema version of `query`.
    pub version: u32,
    /// The permalink query of the state (without `?`).
    pub query: String,
    /// The parameters, keyed as in the query.
    pub params: Value,
    /// The axes.
    pub plots: Vec<Plot>,
    /// The data.
    pub series: Vec<Series>,
    /// Key numbers.
    pub readouts: Vec<Readout>,
    /// Structured values beside the readouts, where a panel has them (the ellipse panel's
    /// covariance matrices, as `nqm theory` names them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
    /// Monte Carlo jobs in the plan, and how many have reported.
    pub jobs: usize,
    /// Jobs finished.
    pub jobs_done: usize,
}

impl Figure {
    /// Whether every Monte Carlo job has reported.
    pub fn complete(&self) -> bool {
        self.jobs_done >= self.jobs
    }

    /// Applies a finished job's patches (out-of-range parts are ignored, never a panic).
    pub fn apply(&mut self, patches: &[Patch]) {
        for p in patches {
            let Some(s) = self.series.get_mut(p.series.index()) else {
                continue;
            };
            let end = p.index.saturating_add(p.y.len());
            if let Some(x) = &p.x {
                if s.x.len() < end {
                    s.x.resize(end, f64::NAN);
                }
                for (dst, src) in s.x[p.index..].iter_mut().zip(x) {
                    *dst = *src;
                }
            }
            if s.y.len() < end && p.x.is_some() {
                s.y.resize(end, f64::NAN);
            }
            for (dst, src) in s.y.iter_mut().skip(p.index).zip(&p.y) {
                *dst = *src;
            }
            if let Some(dst) = &mut s.y_err {
                dst.resize(s.y.len(), f64::NAN);
                for (d, e) in dst.iter_mut().skip(p.index).zip(p.y_err.iter().flatten()) {
                    *d = *e;
                }
            }
        }
        self.jobs_done += 1;
    }

    /// Adds a series; the handle names it from now on.
    pub fn add(&mut self, s: Series) -> SeriesId {
        self.series.push(s);
        SeriesId(self.series.len() - 1)
    }

    /// The series a handle names.
    pub fn get(&self, id: SeriesId) -> &Series {
        &self.series[id.0]
    }

    /// The series a handle names, to change it.
    pub fn get_mut(&mut self, id: SeriesId) -> &mut Series {
        &mut self.series[id.0]
    }

    /// The series with this name, if any.
    pub fn series_named(&self, name: &str) -> Option<&Series> {
        self.series.iter().find(|s| s.name == name)
    }

    /// The readout with this key, if any.
    pub fn readout(&self, key: &str) -> Option<&Readout> {
        self.readouts.iter().find(|r| r.key == key)
    }

    /// The public JSON form (see the module documentation).
    pub fn to_json(&self) -> Value {
        let mut v = serde_json::to_value(self).expect("a figure serialises");
        v["complete"] = json!(self.complete());
        v["explorer_version"] = json!(env!("CARGO_PKG_VERSION"));
        v
    }

    /// CSV of every series, one row per point: `series,kind,plot,x,y,y_err`, after a header
    /// of `#` lines that records the version and the full state (`# query: …` reads back to
    /// the same parameters). Missing values are empty fields.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# nqm-explorer figure: panel {}", self.panel);
        let _ = writeln!(out, "# version: {}", self.version);
        let _ = writeln!(out, "# query: {}", self.query);
        if let Value::Object(map) = &self.params {
            for (k, v) in map {
                let _ = writeln!(out, "# param {k} = {v}");
            }
        }
        out.push_str("series,kind,plot,x,y,y_err\n");
        let num = |x: f64| {
            if x.is_finite() {
                format!("{x}")
            } else {
                String::new()
            }
        };
        for s in &self.series {
            let kind = serde_json::to_value(s.kind).expect("kind serialises");
            let name = csv_field(&s.name);
            for (i, (&x, &y)) in s.x.iter().zip(&s.y).enumerate() {
                let e = s.y_err.as_ref().and_then(|e| e.get(i)).copied();
                let _ = writeln!(
                    out,
                    "{name},{},{},{},{},{}",
                    kind.as_str().unwrap_or(""),
                    s.plot,
                    num(x),
                    num(y),
                    e.map(num).unwrap_or_default()
                );
            }
        }
        out
    }
}

/// A CSV field, quoted when it holds a comma, quote or newline.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_writes_missing_values_as_null_and_reads_them_back() {
        let s = Series::pending("mc", vec![1.0, 2.0]);
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["y"], json!([null, null]));
        assert_eq!(v["kind"], json!("monte-carlo"));
        let back: Series = serde_json::from_value(v).unwrap();
        assert!(back.y[0].is_nan());
    }

    #[test]
    fn patches_fill_points_and_ignore_out_of_range() {
        let mut f = Figure {
            panel: "t".into(),
            version: 2,
            query: String::new(),
            params: json!({}),
            plots: vec![Plot::new("x", "y")],
            series: vec![],
            readouts: vec![],
            jobs: 2,
            jobs_done: 0,
            details: None,
        };
        let mc = f.add(Series::pending("mc", vec![1.0, 2.0, 3.0]));
        f.apply(&[Patch::point(mc, 1, Some(5.0), Some(0.5))]);
        f.apply(&[
            Patch::point(SeriesId(7), 1, Some(5.0), None),
            Patch::point(mc, 9, Some(1.0), None),
        ]);
        assert_eq!(f.series[0].y[1], 5.0);
        assert_eq!(f.series[0].y_err.as_ref().unwrap()[1], 0.5);
        assert!(f.series[0].y[0].is_nan());
        assert!(f.complete());
        let csv = f.to_csv();
        assert!(csv.contains("mc,monte-carlo,0,2,5,0.5"), "{csv}");
        assert!(csv.contains("mc,monte-carlo,0,1,,\n"), "{csv}");
    }
}
