//! Reading and writing the fields of a query string (`lr=1.5&noise=white`): the schema version
//! and its migrations, validation field by field with every rejection named, and the query and
//! JSON forms of a [`Params`]. Which fields a panel reads and writes is decided a floor up, by
//! the panels (`crate::panels::query`); here every function takes that choice as a filter.

use super::schema::{printable, Field, Value, FIELDS};
use super::Params;
use serde::Serialize;
use std::fmt::Write as _;

/// Version of the permalink schema, written as `v=` in every query this build produces.
/// Version 2 added panels (`panel=`); a version-1 link is the ellipse explorer's. Version 3
/// changed what a seed draws: Student-t and χ² noise come from cheaper exact samplers, and an
/// ensemble of more than `sim::CHUNK` walkers draws from one stream per chunk (see
/// [`migrate`]). A link gives the same Monte Carlo points within a version.
pub const SCHEMA_VERSION: u32 = 3;

/// Longest query string that is parsed at all; a longer one is rejected whole.
pub const MAX_QUERY_LEN: usize = 8192;

/// A query field that was rejected, and why; the field kept its previous (default) value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParamError {
    /// The key that was rejected (`query` for the query string as a whole).
    pub key: String,
    /// Why, in words.
    pub reason: String,
    /// The value used instead, as written in a query (absent when nothing replaces it).
    pub fallback: Option<String>,
}

impl ParamError {
    /// The whole message for the page: the key, why, and the value used instead.
    pub fn message(&self) -> String {
        match &self.fallback {
            Some(v) => format!("{}: {}; using {v} instead", self.key, self.reason),
            None => format!("{}: {}", self.key, self.reason),
        }
    }
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.reason)
    }
}

/// The `key=value` pairs of a query of schema version `version`, rewritten as the current
/// version writes them. Version 1 (before panels) described the ellipse explorer with the
/// same keys, so its links gain `panel=ellipses` and are otherwise read as they are. Version 2
/// has the keys of version 3 and opens the same setting, but its Monte Carlo draws are not
/// those it gave under version 2 wherever the noise is Student-t or χ² (`dist=student`,
/// `dist=chi2`, and the noise-shape panel) or an ensemble has more than `sim::CHUNK` = 16 384
/// walkers: version 3 samples those with other (exact) algorithms. Every other seed draws
/// the same numbers as before.
pub fn migrate(version: u32, mut pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    if version == 1 {
        pairs.retain(|(k, _)| k != "panel");
        pairs.insert(0, ("panel".into(), "ellipses".into()));
    }
    pairs
}

/// The `key=value` pairs of a query string (with or without a leading `?`), its version read
/// from `v=` and migrated to the current one; the errors say what was refused (a query longer
/// than [`MAX_QUERY_LEN`] is refused whole and gives no pairs).
pub fn pairs(query: &str) -> (Vec<(String, String)>, Vec<ParamError>) {
    let query = query.strip_prefix('?').unwrap_or(query);
    if query.len() > MAX_QUERY_LEN {
        let e = ParamError {
            key: "query".into(),
            reason: format!(
                "the query is {} characters long, more than the {MAX_QUERY_LEN} allowed, \
                 so none of it was read",
                query.len()
            ),
            fallback: None,
        };
        return (Vec::new(), vec![e]);
    }
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut errors = Vec::new();
    let mut version = SCHEMA_VERSION;
    if let Some((_, raw)) = pairs.iter().rev().find(|(k, _)| k == "v") {
        match raw.trim().parse::<u32>() {
            Ok(v) if (1..=SCHEMA_VERSION).contains(&v) => version = v,
            _ => errors.push(ParamError {
                key: "v".into(),
                reason: format!(
                    "'{}' is not a known schema version; the other fields were read as \
                     v={SCHEMA_VERSION}",
                    printable(raw)
                ),
                fallback: Some(SCHEMA_VERSION.to_string()),
            }),
        }
    }
    pairs.retain(|(k, _)| k != "v");
    (migrate(version, pairs), errors)
}

/// Sets every pair whose key is a field that `accept` takes (others are ignored); a key given
/// twice takes its last valid value, and every rejected value is reported and keeps the value
/// `p` had.
pub fn apply_pairs(
    p: &mut Params,
    pairs: &[(String, String)],
    accept: impl Fn(&Field) -> bool,
) -> Vec<ParamError> {
    let mut errors: Vec<ParamError> = Vec::new();
    for (key, raw) in pairs {
        let Some(f) = super::field(key).filter(|f| accept(f)) else {
            continue;
        };
        errors.retain(|e| e.key != f.key);
        if let Err(why) = f.set_str(p, raw) {
            errors.push(ParamError {
                key: f.key.into(),
                reason: why,
                fallback: Some(f.get(p).to_query_string()),
            });
        }
    }
    errors
}

/// `&key=value` for every field that `accept` takes, in schema order.
pub fn write_fields(p: &Params, accept: impl Fn(&Field) -> bool) -> String {
    let mut out = String::new();
    for f in FIELDS.iter().filter(|f| accept(f)) {
        let _ = write!(out, "&{}={}", f.key, f.get(p).to_query_string());
    }
    out
}

/// The fields that `accept` takes as a JSON object keyed as in the query (numbers as
/// numbers, yes/no as 1 or 0).
pub fn fields_json(p: &Params, accept: impl Fn(&Field) -> bool) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for f in FIELDS.iter().filter(|f| accept(f)) {
        let v = match f.get(p) {
            Value::Real(x) => serde_json::json!(x),
            Value::Int(n) => serde_json::json!(n),
            Value::Bool(b) => serde_json::json!(u8::from(b)),
            Value::Word(w) => serde_json::json!(w),
        };
        map.insert(f.key.into(), v);
    }
    serde_json::Value::Object(map)
}
