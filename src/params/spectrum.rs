//! Reading a researcher's spectrum ([`Spectrum`]) from what a stranger hands over — a file, a
//! pasted text, a permalink value — and writing it back. Every format names the row and column
//! of the first bad value and gives nothing else: a spectrum is loaded whole or not at all.
//!
//! - **CSV** ([`from_csv`]): a header naming the columns `h` and, optionally, `c` and `count`,
//!   in any order; then one row per direction. Commas, semicolons, tabs or spaces separate the
//!   cells; blank lines and lines starting with `#` are skipped.
//! - **Plain numbers** (pasted, no header): each line `h`, `h c` or `h c count`.
//! - **JSON** ([`from_json`]): an array of numbers (h), of `[h, c]` pairs, or of objects with
//!   the keys `h`, `c`, `count`.
//! - **NumPy** ([`from_npy`]): an `.npy` array of shape (n,) (h) or (n, 2) (h, c), of 4- or
//!   8-byte floats or integers, either byte order, C or Fortran order.
//! - **Link** ([`from_link`], [`to_link`]): rows joined by `_`, cells by `*` (`h*c*count`; `c`
//!   empty without a noise column), numbers written so that they read back exactly; up to
//!   [`MAX_LINK_ROWS`] rows.

use crate::model::spectrum::{shown, Spectrum, SpectrumError, MAX_COUNT, MAX_ROWS};
use std::fmt::Write as _;

/// Most rows a permalink carries; a larger spectrum is shared as a file beside the link.
pub const MAX_LINK_ROWS: usize = 100;
/// Longest link value of a spectrum.
pub const MAX_LINK_CHARS: usize = 6000;
/// Largest file read at all (bytes).
pub const MAX_FILE_BYTES: usize = 64 << 20;

/// The columns a spectrum may have.
const COLUMNS: [&str; 3] = ["h", "c", "count"];

/// Reads a file by its name's extension (`.csv`, `.tsv`, `.txt`, `.json`, `.npy`), or by its
/// first bytes when the name says nothing.
pub fn load(name: &str, bytes: &[u8]) -> Result<Spectrum, SpectrumError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(SpectrumError::whole(format!(
            "the file has {} bytes, more than the {MAX_FILE_BYTES} read",
            bytes.len()
        )));
    }
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".npy") || bytes.starts_with(b"\x93NUMPY") {
        return from_npy(bytes);
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| SpectrumError::whole(format!("the file is not UTF-8 text ({e})")))?;
    if lower.ends_with(".json") {
        from_json(text)
    } else {
        from_text(text)
    }
}

/// Reads pasted or file text: JSON if it starts with `[`, CSV if its first line is a header,
/// plain numbers otherwise.
pub fn from_text(text: &str) -> Result<Spectrum, SpectrumError> {
    let text = text.trim_start_matches('\u{feff}');
    if text.trim_start().starts_with('[') {
        return from_json(text);
    }
    let first = data_lines(text).next().map(|(_, l)| l).unwrap_or("");
    if first
        .chars()
        .any(|ch| ch.is_ascii_alphabetic() && ch != 'e' && ch != 'E')
    {
        from_csv(text)
    } else {
        from_columns(text, &[0, 1, 2], None)
    }
}

/// The lines that hold data: (1-based line number, line), without blanks and `#` comments.
fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    (text.lines().enumerate())
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

/// The cells of one line.
fn cells(line: &str) -> Vec<&str> {
    let sep = |ch: char| ch == ',' || ch == ';' || ch == '\t' || ch == ' ';
    if line.contains([',', ';', '\t']) {
        line.split([',', ';', '\t']).map(str::trim).collect()
    } else {
        line.split(sep).filter(|s| !s.is_empty()).collect()
    }
}

/// Reads a CSV with a header (see the module docs).
pub fn from_csv(text: &str) -> Result<Spectrum, SpectrumError> {
    let mut lines = data_lines(text);
    let Some((_, header)) = lines.next() else {
        return Err(SpectrumError::whole("the file is empty"));
    };
    let names: Vec<String> = cells(header)
        .iter()
        .map(|s| s.trim_matches('"').trim().to_ascii_lowercase())
        .collect();
    let mut at = [usize::MAX; 3];
    for (i, name) in names.iter().enumerate() {
        let Some(k) = COLUMNS.iter().position(|c| c == name) else {
            return Err(SpectrumError::whole(format!(
                "bad header: column {} is '{}', not one of h, c, count",
                i + 1,
                crate::params::schema::printable(name)
            )));
        };
        if at[k] != usize::MAX {
            return Err(SpectrumError::whole(format!(
                "bad header: column '{name}' appears twice"
            )));
        }
        at[k] = i;
    }
    if at[0] == usize::MAX {
        return Err(SpectrumError::whole(
            "bad header: there is no column 'h' (the curvatures)",
        ));
    }
    from_columns(text, &at, Some(names.len()))
}

/// Reads the data lines of `text`, the columns h, c, count at the cell positions `at`
/// (`usize::MAX`: absent). With a header (`header` = its number of cells) every row has that
/// many cells; without one, every row has as many as the first (1 to 3).
fn from_columns(
    text: &str,
    at: &[usize; 3],
    header: Option<usize>,
) -> Result<Spectrum, SpectrumError> {
    let (mut h, mut c, mut count) = (Vec::new(), Vec::new(), Vec::new());
    let mut width = header;
    for (row, (_, line)) in data_lines(text)
        .skip(usize::from(header.is_some()))
        .enumerate()
    {
        let row = row + 1;
        if row > MAX_ROWS {
            return Err(SpectrumError::whole(format!(
                "more than the {MAX_ROWS} rows allowed"
            )));
        }
        let cells = cells(line);
        let expected = *width.get_or_insert(cells.len());
        if cells.len() != expected || expected > 3 && header.is_none() {
            let why = format!("has {} cells, expected {}", cells.len(), expected.min(3));
            return Err(SpectrumError::at_row(row, why));
        }
        let get = |k: usize| (at[k] < expected).then(|| cells[at[k]]);
        h.push(number(get(0).unwrap_or(""), row, "h")?);
        if let Some(s) = get(1) {
            c.push(number(s, row, "c")?);
        }
        if let Some(s) = get(2) {
            count.push(whole(s, row)?);
        }
    }
    let c = (!c.is_empty()).then_some(c);
    let count = (!count.is_empty()).then_some(count);
    Spectrum::new(h, c, count)
}

/// One real cell.
fn number(s: &str, row: usize, column: &str) -> Result<f64, SpectrumError> {
    let s = s.trim().trim_matches('"');
    if s.is_empty() {
        return Err(SpectrumError::at(row, column, "the cell is empty"));
    }
    let x: f64 = s.parse().map_err(|_| {
        let shown = crate::params::schema::printable(s);
        SpectrumError::at(row, column, format!("'{shown}' is not a number"))
    })?;
    if !x.is_finite() {
        return Err(SpectrumError::at(row, column, "not a finite number"));
    }
    Ok(x)
}

/// One multiplicity cell: a whole number (written as such, or as a real with no fraction).
fn whole(s: &str, row: usize) -> Result<u64, SpectrumError> {
    whole_value(number(s, row, "count")?, row)
}

/// A multiplicity: a whole number of at least 1.
fn whole_value(x: f64, row: usize) -> Result<u64, SpectrumError> {
    let n = x as u64;
    if x < 1.0 || x > MAX_COUNT as f64 || n as f64 != x {
        return Err(SpectrumError::at(
            row,
            "count",
            format!("{} is not a whole number in [1, {MAX_COUNT}]", shown(x)),
        ));
    }
    Ok(n)
}

/// Reads a JSON array (see the module docs).
pub fn from_json(text: &str) -> Result<Spectrum, SpectrumError> {
    use serde_json::Value as J;
    let value: J = serde_json::from_str(text)
        .map_err(|e| SpectrumError::whole(format!("not valid JSON: {e}")))?;
    let J::Array(rows) = value else {
        return Err(SpectrumError::whole("the JSON is not an array"));
    };
    let (mut h, mut c, mut count) = (Vec::new(), Vec::new(), Vec::new());
    for (i, v) in rows.iter().enumerate() {
        let row = i + 1;
        let cell = |v: Option<&J>, column: &str| -> Result<Option<f64>, SpectrumError> {
            match v {
                None | Some(J::Null) => Ok(None),
                Some(J::Number(n)) => Ok(n.as_f64()),
                Some(_) => Err(SpectrumError::at(row, column, "not a number")),
            }
        };
        let (hv, cv, nv) = match v {
            J::Number(_) => (cell(Some(v), "h")?, None, None),
            J::Array(a) if (1..=3).contains(&a.len()) => (
                cell(a.first(), "h")?,
                cell(a.get(1), "c")?,
                cell(a.get(2), "count")?,
            ),
            J::Object(o) => {
                if let Some(k) = o.keys().find(|k| !COLUMNS.contains(&k.as_str())) {
                    let why = format!("has the key '{k}', not one of h, c, count");
                    return Err(SpectrumError::at_row(row, why));
                }
                (
                    cell(o.get("h"), "h")?,
                    cell(o.get("c"), "c")?,
                    cell(o.get("count"), "count")?,
                )
            }
            _ => {
                let why = "is not a number, an array [h, c] or an object {\"h\": …}";
                return Err(SpectrumError::at_row(row, why));
            }
        };
        h.push(hv.ok_or_else(|| SpectrumError::at(row, "h", "missing"))?);
        push_optional(&mut c, cv, row, "c")?;
        push_optional(&mut count, nv, row, "count")?;
    }
    let count: Vec<u64> = (count.iter().enumerate())
        .map(|(i, x)| whole_value(*x, i + 1))
        .collect::<Result<_, _>>()?;
    let c = (!c.is_empty()).then_some(c);
    let count = (!count.is_empty()).then_some(count);
    Spectrum::new(h, c, count)
}

/// Adds an optional cell to a column that every row must have once one row has it.
fn push_optional(
    col: &mut Vec<f64>,
    v: Option<f64>,
    row: usize,
    name: &str,
) -> Result<(), SpectrumError> {
    match v {
        Some(x) if col.len() + 1 == row => col.push(x),
        Some(_) => return Err(SpectrumError::at(1, name, "missing (row 1 has none)")),
        None if !col.is_empty() => return Err(SpectrumError::at(row, name, "missing")),
        None => {}
    }
    Ok(())
}

impl SpectrumError {
    fn at_row(row: usize, reason: impl Into<String>) -> SpectrumError {
        SpectrumError {
            row: Some(row),
            column: None,
            reason: reason.into(),
        }
    }
}

/// Reads a NumPy `.npy` file (format versions 1–3) of shape (n,) or (n, 2).
pub fn from_npy(bytes: &[u8]) -> Result<Spectrum, SpectrumError> {
    let bad = |why: &str| SpectrumError::whole(format!("not a usable .npy file: {why}"));
    let rest = bytes
        .strip_prefix(b"\x93NUMPY")
        .ok_or_else(|| bad("it does not start with \\x93NUMPY"))?;
    let (major, rest) = rest.split_at_checked(2).ok_or_else(|| bad("truncated"))?;
    let (len, rest) = match major[0] {
        1 => rest
            .split_at_checked(2)
            .map(|(l, r)| (u16::from_le_bytes([l[0], l[1]]) as usize, r)),
        2 | 3 => rest
            .split_at_checked(4)
            .map(|(l, r)| (u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize, r)),
        v => return Err(bad(&format!("format version {v} is unknown"))),
    }
    .ok_or_else(|| bad("truncated"))?;
    let (header, data) = rest.split_at_checked(len).ok_or_else(|| bad("truncated"))?;
    let header = std::str::from_utf8(header).map_err(|_| bad("the header is not text"))?;
    let h = NpyHeader::parse(header).map_err(|why| bad(&why))?;
    let values = h.decode(data).map_err(|why| bad(&why))?;
    let n = h.rows;
    let (hs, cs) = match (h.cols, h.fortran) {
        (1, _) => (values, None),
        (_, false) => (
            values.iter().step_by(2).copied().collect(),
            Some(values.iter().skip(1).step_by(2).copied().collect()),
        ),
        (_, true) => (values[..n].to_vec(), Some(values[n..].to_vec())),
    };
    Spectrum::new(hs, cs, None)
}

/// The parts of an `.npy` header this reader uses.
struct NpyHeader {
    /// Bytes per value, whether a float, whether a signed integer, and whether little-endian.
    size: usize,
    float: bool,
    signed: bool,
    little: bool,
    fortran: bool,
    rows: usize,
    cols: usize,
}

impl NpyHeader {
    fn parse(header: &str) -> Result<NpyHeader, String> {
        let item = |key: &str| -> Result<&str, String> {
            let at = header
                .find(&format!("'{key}'"))
                .ok_or_else(|| format!("the header has no '{key}'"))?;
            let after = header[at + key.len() + 2..].trim_start();
            Ok(after.strip_prefix(':').unwrap_or(after).trim_start())
        };
        let descr = item("descr")?;
        let descr = (descr.get(1..4))
            .filter(|d| d.is_ascii())
            .ok_or("the dtype is unreadable")?;
        let (little, kind, size) = (
            !descr.starts_with('>'),
            &descr[1..2],
            descr[2..3].parse::<usize>().unwrap_or(0),
        );
        if !matches!(descr.as_bytes()[0], b'<' | b'>' | b'|' | b'=') {
            return Err(format!("the dtype '{descr}' is unreadable"));
        }
        if !matches!((kind, size), ("f", 4 | 8) | ("i", 4 | 8) | ("u", 4 | 8)) {
            return Err(format!(
                "the dtype '{descr}' is not a 4- or 8-byte float or integer"
            ));
        }
        let fortran = item("fortran_order")?.starts_with("True");
        let shape = item("shape")?;
        let inside = shape
            .strip_prefix('(')
            .and_then(|s| s.split(')').next())
            .ok_or("the shape is unreadable")?;
        let dims: Vec<usize> = inside
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<usize>().map_err(|_| "the shape is unreadable"))
            .collect::<Result<_, _>>()?;
        let (rows, cols) = match dims[..] {
            [n] => (n, 1),
            [n, 2] => (n, 2),
            _ => return Err(format!("the shape is {dims:?}; it must be (n,) or (n, 2)")),
        };
        Ok(NpyHeader {
            size,
            float: kind == "f",
            signed: kind == "i",
            little,
            fortran,
            rows,
            cols,
        })
    }

    fn decode(&self, data: &[u8]) -> Result<Vec<f64>, String> {
        let n = self
            .rows
            .checked_mul(self.cols)
            .filter(|n| *n <= 2 * MAX_ROWS)
            .ok_or("the array is larger than allowed")?;
        if data.len() < n * self.size {
            return Err(format!(
                "the data is {} bytes, the header promises {}",
                data.len(),
                n * self.size
            ));
        }
        let signed = self.signed;
        Ok(data[..n * self.size]
            .chunks_exact(self.size)
            .map(|b| {
                let mut a = [0u8; 8];
                a[..self.size].copy_from_slice(b);
                if !self.little {
                    a[..self.size].reverse();
                }
                match (self.size, self.float) {
                    (8, true) => f64::from_le_bytes(a),
                    (4, true) => f32::from_le_bytes([a[0], a[1], a[2], a[3]]) as f64,
                    (8, false) if signed => i64::from_le_bytes(a) as f64,
                    (4, false) if signed => i32::from_le_bytes([a[0], a[1], a[2], a[3]]) as f64,
                    _ => u64::from_le_bytes(a) as f64,
                }
            })
            .collect())
    }
}

/// The permalink value of `s` (see the module docs), or why it does not fit in a link.
pub fn to_link(s: &Spectrum) -> Result<String, String> {
    if s.rows() > MAX_LINK_ROWS {
        return Err(format!(
            "the spectrum has {} rows; a link holds at most {MAX_LINK_ROWS}",
            s.rows()
        ));
    }
    let mut out = String::new();
    for i in 0..s.rows() {
        if i > 0 {
            out.push('_');
        }
        out.push_str(&shown(s.h()[i]));
        let n = s.counts()[i];
        match s.c() {
            Some(c) => write!(out, "*{}", shown(c[i])).expect("to a string"),
            None if n != 1 => out.push('*'),
            None => {}
        }
        if n != 1 {
            write!(out, "*{n}").expect("to a string");
        }
    }
    if out.len() > MAX_LINK_CHARS {
        return Err(format!(
            "the spectrum takes {} characters; a link holds at most {MAX_LINK_CHARS}",
            out.len()
        ));
    }
    Ok(out)
}

/// Reads a permalink value written by [`to_link`].
pub fn from_link(raw: &str) -> Result<Spectrum, SpectrumError> {
    if raw.len() > MAX_LINK_CHARS {
        return Err(SpectrumError::whole(format!(
            "the value is longer than {MAX_LINK_CHARS} characters"
        )));
    }
    let rows: Vec<&str> = raw.trim().split('_').collect();
    if rows.len() > MAX_LINK_ROWS {
        return Err(SpectrumError::whole(format!(
            "{} rows; a link holds at most {MAX_LINK_ROWS}",
            rows.len()
        )));
    }
    let (mut h, mut c, mut count) = (Vec::new(), Vec::new(), Vec::new());
    let with_c = rows
        .first()
        .is_some_and(|r| r.split('*').nth(1).is_some_and(|s| !s.is_empty()));
    for (i, r) in rows.iter().enumerate() {
        let row = i + 1;
        let cells: Vec<&str> = r.split('*').collect();
        if cells.len() > 3 {
            return Err(SpectrumError::at_row(row, "has more than 3 cells"));
        }
        h.push(number(cells[0], row, "h")?);
        match cells.get(1).filter(|s| !s.is_empty()) {
            Some(s) if with_c => c.push(number(s, row, "c")?),
            None if !with_c => {}
            _ => return Err(SpectrumError::at(row, "c", "every row or none has c")),
        }
        count.push(match cells.get(2) {
            Some(s) => whole(s, row)?,
            None => 1,
        });
    }
    Spectrum::new(h, with_c.then_some(c), Some(count))
}

/// The spectrum as a CSV file with a header, numbers written to read back exactly: what the
/// page offers to download when a spectrum does not fit in a link.
pub fn to_csv(s: &Spectrum) -> String {
    let mut out = String::from(match s.c() {
        Some(_) => "h,c,count\n",
        None => "h,count\n",
    });
    for i in 0..s.rows() {
        out.push_str(&shown(s.h()[i]));
        if let Some(c) = s.c() {
            write!(out, ",{}", shown(c[i])).expect("to a string");
        }
        writeln!(out, ",{}", s.counts()[i]).expect("to a string");
    }
    out
}
