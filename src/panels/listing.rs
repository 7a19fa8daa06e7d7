//! The landing view's list of panels as JSON, with each panel's reading notes
//! (`reading.json`): what the page needs to build a panel's controls and text.

use super::{query, Spec, PANELS};

/// The landing view's list: name, title, claim and source of every panel, as JSON; and for
/// each panel its keys, presets, caption and default query, for building its controls.
pub fn specs_json() -> serde_json::Value {
    serde_json::Value::Array(
        PANELS
            .iter()
            .map(|p| {
                let s = p.spec();
                serde_json::json!({
                    "name": s.name, "title": s.title, "claim": s.claim, "caption": s.caption,
                    "source": s.source, "keys": s.keys, "live": s.live, "heavy": s.heavy, "spectrum": s.spectrum.is_some(), "replaced_by_spectrum": s.spectrum,
                    "presets": s.presets.iter().map(|(l, q)| serde_json::json!({"label": l, "query": q})).collect::<Vec<_>>(),
                    "defaults": query::to_query(&query::defaults(s.name), query::Audience::Page),
                    "reading": reading(s),
                })
            })
            .collect(),
    )
}

/// A panel's `reading.json` ([`Spec::reading`]) as JSON.
pub fn reading(s: &Spec) -> serde_json::Value {
    serde_json::from_str(s.reading).expect("reading.json is JSON (tested)")
}
