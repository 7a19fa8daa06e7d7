//! What the page shows of a measured spectrum ([`PanelView::load_spectrum`]): its summary, its
//! histogram, and the key that tells plans with different spectra apart when the link leaves
//! the spectrum out.
//!
//! [`PanelView::load_spectrum`]: super::PanelView::load_spectrum

use crate::panels::query::{self, Audience};
use crate::params::Params;
use std::hash::{DefaultHasher, Hash, Hasher};

/// Bins of the page's histogram of a spectrum (directions per bin of log h).
const HISTOGRAM_BINS: usize = 30;

/// The query of `p`, and when `p` has a spectrum the query leaves out, a fingerprint of it
/// (`#spectrum:` and 16 hex digits): equal keys, equal plans.
pub fn plan_key(p: &Params) -> String {
    let q = query::to_query(p, Audience::Page);
    match p.spectrum.as_ref().filter(|_| !q.contains("&spectrum=")) {
        Some(s) => {
            let mut hasher = DefaultHasher::new();
            for (h, n) in s.h().iter().zip(s.counts()) {
                (h.to_bits(), n).hash(&mut hasher);
            }
            s.c()
                .map(|c| c.iter().map(|x| x.to_bits()).collect::<Vec<_>>())
                .hash(&mut hasher);
            format!("{q}#spectrum:{:016x}", hasher.finish())
        }
        None => q,
    }
}

/// The spectrum of `p` as the page shows it, `null` without one (see
/// [`super::PanelView::spectrum_json`]).
pub fn summary(p: &Params) -> serde_json::Value {
    let Some(s) = p.spectrum.as_ref() else {
        return serde_json::Value::Null;
    };
    let note = query::spectrum_link_note(p);
    let replaces = query::replaced_by_spectrum(&p.panel);
    let histogram: Vec<_> = (s.histogram(HISTOGRAM_BINS).into_iter())
        .map(|(lo, hi, n)| serde_json::json!([lo, hi, n]))
        .collect();
    serde_json::json!({
        "rows": s.rows(),
        "directions": s.dims(),
        "h_max": s.h_max(),
        "noise_column": s.c().is_some(),
        "fits_link": note.is_none(),
        "link_note": note,
        "histogram": histogram,
        "replaces": replaces,
    })
}
