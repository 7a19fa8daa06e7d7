//! Queries with panels: a permalink or command-line query names a panel (`panel=`), starts from
//! that panel's defaults, and — on the page — reads and writes only the panel's own keys.
//! Field by field the work is the schema's ([`crate::params::query`]); this module adds the
//! panel: which one, its defaults, its keys, and whether it animates (the frame cap).

use super::{spec, NAMES};
use crate::model::spectrum::Spectrum;
use crate::params::query::{apply_pairs, fields_json, pairs, write_fields};
use crate::params::schema::printable;
use crate::params::spectrum::{from_link, to_link};
use crate::params::{field, Field, ParamError, Params, MAX_QUERY_LEN, SCHEMA_VERSION};

/// Who reads a query: the page takes only the fields its panel shows, the command line all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// The explorer page and its permalinks.
    Page,
    /// The `nqm` command-line tool.
    Cli,
}

/// Whether `f` is read and written for `audience` when `panel` is shown: the command line
/// takes every field, the page the panel's own.
pub fn serves(f: &Field, audience: Audience, panel: &str) -> bool {
    audience == Audience::Cli || spec(panel).is_some_and(|s| s.keys.contains(&f.key))
}

/// The defaults of panel `name`: the general defaults with the panel's own on top (the
/// general defaults alone, as the ellipse panel's, if there is no such panel).
pub fn defaults(name: &str) -> Params {
    let mut p = Params::default();
    if let Some(s) = spec(name) {
        p.panel = s.name.into();
        (s.defaults)(&mut p);
    }
    p
}

/// Parses a query string (`lr=1.5&noise=white`, with or without `?`) on top of the defaults of
/// the panel it names (the ellipse panel if none): unknown keys, and for the page keys its panel
/// does not show, are ignored; a key given twice takes its last value; every rejected field is
/// reported and keeps its default.
pub fn parse(query: &str, audience: Audience) -> (Params, Vec<ParamError>) {
    let mut p = Params::default();
    let errors = apply(&mut p, query, audience);
    (p, errors)
}

/// The state of panel `name` after `query` (its defaults, then the query on top).
pub fn parse_for(name: &str, query: &str, audience: Audience) -> (Params, Vec<ParamError>) {
    let mut p = defaults(name);
    let errors = apply(&mut p, query, audience);
    (p, errors)
}

/// Applies a query string on top of `p` (see [`parse`]). A query that names a valid panel
/// starts again from that panel's defaults, so that a permalink means the same state whatever
/// came before it; then the rules between fields are enforced.
pub fn apply(p: &mut Params, query: &str, audience: Audience) -> Vec<ParamError> {
    let (pairs, mut errors) = pairs(query);
    if let Some((_, raw)) = pairs.iter().rev().find(|(k, _)| k == "panel") {
        let valid = (raw.len() <= 64).then(|| NAMES.iter().find(|n| **n == raw.trim()));
        match valid.flatten() {
            Some(name) => *p = defaults(name),
            None => errors.push(ParamError {
                key: "panel".into(),
                reason: unknown_panel(raw),
                fallback: Some(p.panel.clone()),
            }),
        }
    }
    let panel = p.panel.clone();
    let before = p.clone();
    errors.extend(apply_pairs(p, &pairs, |f| serves(f, audience, &panel)));
    errors.extend(apply_spectrum(p, &pairs, audience));
    errors.extend(refuse_special(p, &before));
    errors.extend(reconcile(p));
    errors.extend(figure_work(p));
    errors
}

/// The rules between fields: the general ones, then those between the fields the panel shows.
fn reconcile(p: &mut Params) -> Vec<ParamError> {
    let mut errors = p.reconcile_all(live(&p.panel));
    let shown = spec(&p.panel).map_or(&[][..], |s| s.keys);
    errors.extend(p.reconcile_shown(shown));
    errors
}

/// Whether panel `name` takes a measured spectrum ([`super::Spec::spectrum`]).
pub fn takes_spectrum(name: &str) -> bool {
    spec(name).is_some_and(|s| s.spectrum.is_some())
}

/// The keys of panel `name` that a measured spectrum replaces (none if it takes none).
pub fn replaced_by_spectrum(name: &str) -> &'static [&'static str] {
    spec(name).and_then(|s| s.spectrum).unwrap_or(&[])
}

/// The panels that take a measured spectrum.
pub fn spectrum_panels() -> Vec<&'static str> {
    NAMES
        .iter()
        .copied()
        .filter(|n| takes_spectrum(n))
        .collect()
}

/// Why panel `name` refuses a spectrum.
fn no_spectrum(name: &str) -> ParamError {
    ParamError {
        key: "spectrum".into(),
        reason: format!(
            "the panel {name} takes no spectrum; the panels that do are {}",
            spectrum_panels().join(", ")
        ),
        fallback: None,
    }
}

/// Sets the spectrum from the last `spectrum=` of `pairs` (`spectrum=none` removes it) if the
/// panel takes one; on the command line a panel that does not is an error, on the page the key
/// is ignored like any key of another panel. A bad value is named and changes nothing.
fn apply_spectrum(
    p: &mut Params,
    pairs: &[(String, String)],
    audience: Audience,
) -> Option<ParamError> {
    let (_, raw) = pairs.iter().rev().find(|(k, _)| k == "spectrum")?;
    if !takes_spectrum(&p.panel) {
        return (audience == Audience::Cli).then(|| no_spectrum(&p.panel));
    }
    if raw.trim() == "none" {
        p.spectrum = None;
        return None;
    }
    match from_link(raw) {
        Ok(s) => {
            p.spectrum = Some(s);
            None
        }
        Err(e) => Some(ParamError {
            key: "spectrum".into(),
            reason: e.to_string(),
            fallback: None,
        }),
    }
}

/// Puts a spectrum read from a file (or `None`: the power law again) into `p`, if its panel
/// takes one, and enforces the rules between fields that depend on it (walkers × directions,
/// the figure's work). A panel that takes none refuses it by name and `p` is unchanged.
pub fn set_spectrum(p: &mut Params, s: Option<Spectrum>) -> Result<Vec<ParamError>, ParamError> {
    if !takes_spectrum(&p.panel) {
        return Err(no_spectrum(&p.panel));
    }
    p.spectrum = s;
    let mut errors = reconcile(p);
    errors.extend(figure_work(p));
    Ok(errors)
}

/// The panels that accept `(key, value)` beyond the general schema ([`super::Spec::accepts`]).
fn accepting(key: &str, value: &str) -> Vec<&'static str> {
    super::all()
        .iter()
        .map(|p| p.spec())
        .filter(|s| s.accepts.contains(&(key, value)))
        .map(|s| s.name)
        .collect()
}

/// Refuses, by name, the values that only some panels accept (`mu=auto`, `n_data=0`) where
/// `p.panel` does not: the field keeps its value from `before`.
fn refuse_special(p: &mut Params, before: &Params) -> Vec<ParamError> {
    let mut errors = Vec::new();
    let mut refuse = |key: &str, value: &str, p: &mut Params| {
        let names = accepting(key, value);
        if names.contains(&p.panel.as_str()) {
            return false;
        }
        errors.push(ParamError {
            key: key.into(),
            reason: format!(
                "'{value}' is accepted only by the panel{} {}",
                if names.len() == 1 { "" } else { "s" },
                names.join(", ")
            ),
            fallback: None,
        });
        true
    };
    if p.mu_auto && refuse("mu", "auto", p) {
        (p.mu, p.mu_auto) = (before.mu, false);
    }
    if p.n_data == 0 && refuse("n_data", "0", p) {
        p.n_data = if before.n_data > 0 {
            before.n_data
        } else {
            defaults(&p.panel).n_data.max(1)
        };
    }
    for e in &mut errors {
        e.fallback = p.get_str(&e.key);
    }
    errors
}

/// Most walker-steps one figure may ask for, all its Monte Carlo jobs together: about a minute
/// of both workers of a browser on a 2-core machine, and more than ten times the largest of
/// any panel's defaults and presets (second-order's 8·10⁸).
pub const MAX_FIGURE_WORK: u64 = 10_000_000_000;

/// The keys that multiply a figure's work, in the order they are lowered when it asks for
/// more than [`MAX_FIGURE_WORK`], with their smallest values.
const WORK_KEYS: [(&str, u64); 3] = [("points", 2), ("walkers", 1), ("steps", 0)];

/// Enforces [`MAX_FIGURE_WORK`] on the figure of `p`'s panel ([`super::Panel::work`]): lowers
/// the first of its keys `points`, `walkers`, `steps` that can bring the work under the cap
/// to the largest value that does, and names in the error the keys a link must lower.
pub fn figure_work(p: &mut Params) -> Option<ParamError> {
    let panel = super::find(&p.panel)?;
    let work = panel.work_any(p);
    if work <= MAX_FIGURE_WORK {
        return None;
    }
    let keys: Vec<(&str, u64)> = (WORK_KEYS.into_iter())
        .filter(|(k, _)| panel.spec().keys.contains(k))
        .collect();
    let names: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
    let get = |p: &Params, k: &str| match k {
        "points" => p.points,
        "walkers" => p.walkers,
        _ => p.steps,
    };
    let with = |p: &Params, k: &str, v: u64| {
        let mut q = p.clone();
        match k {
            "points" => q.points = v,
            "walkers" => q.walkers = v,
            _ => q.steps = v,
        }
        q
    };
    for (key, min) in keys {
        // The work grows with each key: bisect for the largest value under the cap.
        let (mut lo, mut hi) = (min, get(p, key));
        if panel.work_any(&with(p, key, lo)) > MAX_FIGURE_WORK {
            continue;
        }
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if panel.work_any(&with(p, key, mid)) <= MAX_FIGURE_WORK {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        *p = with(p, key, lo);
        return Some(ParamError {
            key: key.into(),
            reason: format!(
                "the figure would take {work} walker-steps, more than the {MAX_FIGURE_WORK} \
                 one figure may take: a link asking for more must lower {}",
                names.join(", ")
            ),
            fallback: Some(lo.to_string()),
        });
    }
    None
}

/// Why a `panel=` value is refused, in the schema's words for a choice that is not one.
fn unknown_panel(raw: &str) -> String {
    if raw.len() > 64 {
        "value is longer than 64 characters".into()
    } else if raw.trim().is_empty() {
        "value is empty".into()
    } else {
        format!(
            "'{}' is not one of {}",
            printable(raw.trim()),
            NAMES.join(", ")
        )
    }
}

/// Whether panel `name` animates its walkers (and so has a per-frame work cap).
pub fn live(name: &str) -> bool {
    spec(name).is_some_and(|s| s.live)
}

/// Sets one field of the page's panel from its query-string form: a key the panel does not
/// show, or a value that is not valid, is refused with the reason and changes nothing; a
/// valid one is set and the rules between fields are enforced.
pub fn set(p: &mut Params, key: &str, raw: &str) -> Result<(), String> {
    let f = field(key)
        .filter(|f| serves(f, Audience::Page, &p.panel))
        .ok_or_else(|| format!("'{key}' is not a parameter of this panel"))?;
    let mut q = p.clone();
    f.set_str(&mut q, raw)?;
    if let Some(e) = refuse_special(&mut q, p).first() {
        return Err(e.reason.clone());
    }
    let _ = reconcile(&mut q);
    let _ = figure_work(&mut q);
    *p = q;
    Ok(())
}

/// The keys of `query` that are fields for `audience` with a valid value (for results that
/// are printed only when their inputs are given, such as `t`).
pub fn given_keys(query: &str, audience: Audience) -> Vec<&'static str> {
    let query = query.strip_prefix('?').unwrap_or(query);
    if query.len() > MAX_QUERY_LEN {
        return Vec::new();
    }
    let (p, _) = parse(query, audience);
    let mut keys: Vec<&'static str> = form_urlencoded::parse(query.as_bytes())
        .filter_map(|(k, v)| {
            field(&k)
                .filter(|f| serves(f, audience, &p.panel) && f.validate(&v).is_ok())
                .map(|f| f.key)
        })
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// `v=`, `panel=` and every field of `p` for `audience` (for the page: its panel's fields), in
/// schema order. Reading it back with [`parse`] gives the same state.
/// A spectrum that does not fit in a link ([`crate::params::spectrum::MAX_LINK_ROWS`]) is
/// left out: the page says so and offers the spectrum as a file ([`spectrum_link_note`]).
pub fn to_query(p: &Params, audience: Audience) -> String {
    let spectrum = match p.spectrum.as_ref().map(to_link) {
        Some(Ok(s)) if takes_spectrum(&p.panel) => format!("&spectrum={s}"),
        _ => String::new(),
    };
    format!(
        "v={SCHEMA_VERSION}&panel={}{}{spectrum}",
        p.panel,
        write_fields(p, |f| serves(f, audience, &p.panel))
    )
}

/// Why the link of `p` leaves its spectrum out (`None`: it has none, or the link holds it).
pub fn spectrum_link_note(p: &Params) -> Option<String> {
    let why = to_link(p.spectrum.as_ref()?).err()?;
    Some(format!(
        "{why}, so this link does not hold it: share the spectrum file with the link"
    ))
}

/// The panel and the fields of `p` for `audience`, as a JSON object keyed as in the query,
/// and a summary of its spectrum if it has one (with its link value when it fits in a link).
pub fn to_json(p: &Params, audience: Audience) -> serde_json::Value {
    let mut v = fields_json(p, |f| serves(f, audience, &p.panel));
    v["panel"] = serde_json::json!(p.panel);
    if let Some(s) = p.spectrum.as_ref().filter(|_| takes_spectrum(&p.panel)) {
        v["spectrum"] = serde_json::json!({
            "rows": s.rows(),
            "directions": s.dims(),
            "h_max": s.h_max(),
            "noise_column": s.c().is_some(),
            "link": to_link(s).ok(),
        });
    }
    v
}
