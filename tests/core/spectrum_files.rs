//! A researcher's spectrum file (`params::spectrum`): every format reads back what was written
//! (CSV, JSON in its three shapes, NumPy `.npy` in 8- and 4-byte floats, C and Fortran order,
//! the permalink form); every kind of bad input is refused whole, naming the row and column (or
//! the header, the key, the dtype or shape to blame); a 10⁵-row CSV loads quickly.

use nqm_explorer::model::spectrum::{Spectrum, SpectrumError};
use nqm_explorer::params::spectrum::{
    from_csv, from_json, from_link, from_npy, from_text, load, to_csv, to_link,
};

fn spectrum(h: &[f64], c: Option<&[f64]>, count: Option<&[u64]>) -> Spectrum {
    Spectrum::new(
        h.to_vec(),
        c.map(<[f64]>::to_vec),
        count.map(<[u64]>::to_vec),
    )
    .unwrap()
}

/// Spectra with and without a noise column and counts, with numbers that need all 17 digits.
fn examples() -> Vec<Spectrum> {
    let h = [2.0, 1.0 / 3.0, 1e-7, 0.0, 123_456.789];
    let c = [0.1, 2.0 / 7.0, 0.0, 5e-12, 1e3];
    let n = [1, 4, 1_000_000, 1, 7];
    vec![
        spectrum(&h, None, None),
        spectrum(&h, Some(&c), None),
        spectrum(&h, None, Some(&n)),
        spectrum(&h, Some(&c), Some(&n)),
    ]
}

#[test]
fn csv_and_links_round_trip() {
    for s in examples() {
        let csv = to_csv(&s);
        assert_eq!(from_csv(&csv).unwrap(), s, "{csv}");
        assert_eq!(load("spectrum.csv", csv.as_bytes()).unwrap(), s);
        assert_eq!(load("spectrum", csv.as_bytes()).unwrap(), s);
        let link = to_link(&s).unwrap();
        assert_eq!(from_link(&link).unwrap(), s, "{link}");
    }
}

#[test]
fn csv_columns_in_any_order_with_other_separators_and_comments() {
    let want = spectrum(&[1.0, 0.5], Some(&[0.25, 0.125]), Some(&[3, 1]));
    for text in [
        "count;c;h\n3;0.25;1\n1;0.125;0.5\n",
        "# my network\n\"h\"\t\"c\"\t\"count\"\n1\t0.25\t3\n\n0.5\t0.125\t1\n",
        "\u{feff}H C Count\n1 0.25 3\n0.5 0.125 1\n",
    ] {
        assert_eq!(from_text(text).unwrap(), want, "{text}");
    }
    // pasted numbers without a header: h, h c, h c count
    assert_eq!(from_text("1 0.25 3\n0.5 0.125 1").unwrap(), want);
    let h_only = spectrum(&[1.0, 0.5], None, None);
    assert_eq!(from_text("1\n0.5\n").unwrap(), h_only);
}

#[test]
fn json_in_each_shape_round_trips() {
    let with_c = spectrum(&[1.0, 0.5], Some(&[0.25, 0.125]), None);
    let cases = [
        (
            r#"[{"h": 1, "c": 0.25}, {"c": 0.125, "h": 0.5}]"#,
            with_c.clone(),
        ),
        ("[[1, 0.25], [0.5, 0.125]]", with_c),
        ("[1, 0.5]", spectrum(&[1.0, 0.5], None, None)),
        (
            r#"[{"h": 1, "count": 2}, {"h": 0.5, "count": 1e3}]"#,
            spectrum(&[1.0, 0.5], None, Some(&[2, 1000])),
        ),
    ];
    for (text, want) in cases {
        assert_eq!(from_json(text).unwrap(), want, "{text}");
        assert_eq!(load("s.json", text.as_bytes()).unwrap(), want, "{text}");
        assert_eq!(from_text(text).unwrap(), want, "{text}");
    }
}

/// An `.npy` file (format 1.0) with this dtype, order and shape, and these data bytes, as
/// NumPy writes it: the header padded with spaces to a multiple of 64 bytes, ending in `\n`.
fn npy(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
    let order = if fortran { "True" } else { "False" };
    let mut header =
        format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header.as_bytes());
    out.extend(data);
    out
}

fn f8(xs: &[f64]) -> Vec<u8> {
    xs.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn f4(xs: &[f32]) -> Vec<u8> {
    xs.iter().flat_map(|x| x.to_le_bytes()).collect()
}

#[test]
fn npy_vectors_and_pairs_in_both_orders_and_widths() {
    let h = [2.0, 0.5, 0.25];
    let c = [1.0, 0.125, 3.0];
    let h_only = spectrum(&h, None, None);
    let both = spectrum(&h, Some(&c), None);
    let c_order: Vec<f64> = h.iter().zip(&c).flat_map(|(h, c)| [*h, *c]).collect();
    let f_order: Vec<f64> = h.iter().chain(&c).copied().collect();
    let as_f32 = |xs: &[f64]| xs.iter().map(|x| *x as f32).collect::<Vec<_>>();
    let cases = [
        (npy("<f8", false, "(3,)", &f8(&h)), &h_only),
        (npy("<f4", false, "(3,)", &f4(&as_f32(&h))), &h_only),
        (npy("<f8", false, "(3, 2)", &f8(&c_order)), &both),
        (npy("<f4", false, "(3, 2)", &f4(&as_f32(&c_order))), &both),
        (npy("<f8", true, "(3, 2)", &f8(&f_order)), &both),
        (npy("<f4", true, "(3, 2)", &f4(&as_f32(&f_order))), &both),
    ];
    for (bytes, want) in cases {
        assert_eq!(&from_npy(&bytes).unwrap(), want);
        assert_eq!(&load("eigenvalues.npy", &bytes).unwrap(), want);
        assert_eq!(&load("eigenvalues", &bytes).unwrap(), want, "by its magic");
    }
    // big-endian floats, and integers of either signedness
    let be: Vec<u8> = h.iter().flat_map(|x| x.to_be_bytes()).collect();
    assert_eq!(from_npy(&npy(">f8", false, "(3,)", &be)).unwrap(), h_only);
    let u: Vec<u8> = [3_000_000_000u32, 1]
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    let want = spectrum(&[3e9, 1.0], None, None);
    assert_eq!(from_npy(&npy("<u4", false, "(2,)", &u)).unwrap(), want);
    let u: Vec<u8> = [u64::MAX / 2 + 1, 1]
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    let e = from_npy(&npy("<u8", false, "(2,)", &u)).unwrap_err();
    assert!(
        e.to_string().contains("larger than"),
        "unsigned, not negative: {e}"
    );
}

/// The error of `r`, which must be one.
fn refused(r: Result<Spectrum, SpectrumError>, what: &str) -> SpectrumError {
    match r {
        Ok(s) => panic!("{what}: accepted as {s:?}"),
        Err(e) => e,
    }
}

/// `text` is refused by the CSV reader at this row and column, with `words` in the reason.
fn at(text: &str, row: usize, column: Option<&str>, words: &str) {
    let e = refused(from_text(text), text);
    assert_eq!(e.row, Some(row), "{text}: {e}");
    assert_eq!(e.column.as_deref(), column, "{text}: {e}");
    assert!(e.to_string().contains(words), "{text}: {e}");
    let shown = format!("row {row}");
    assert!(e.to_string().starts_with(&shown), "{e}");
}

#[test]
fn bad_cells_are_named_by_row_and_column() {
    at("h,c\n1,0.5\n-2,1\n", 2, Some("h"), "negative");
    at("h,c\n1,0.5\n2,-1e-3\n", 2, Some("c"), "negative");
    at("h,c\n1,0.5\n2,nan\n", 2, Some("c"), "not a finite number");
    at("h\n1\ninf\n", 2, Some("h"), "not a finite number");
    at("h\n1\n-Infinity\n", 2, Some("h"), "not a finite number");
    at("h,c\n1,0.5\n2,\n", 2, Some("c"), "empty");
    at("h,c\n,0.5\n", 1, Some("h"), "empty");
    at("h,c\n1,0.5\n2,abc\n", 2, Some("c"), "'abc' is not a number");
    at(
        "h,count\n1,1\n2,0\n",
        2,
        Some("count"),
        "0 is not a whole number",
    );
    at(
        "h,count\n1,1.5\n",
        1,
        Some("count"),
        "1.5 is not a whole number",
    );
    at("h,count\n1,-3\n", 1, Some("count"), "not a whole number");
    at("h\n1\n2e13\n", 2, Some("h"), "larger than");
    at(
        "h,c,count\n1,1,1\n1,1\n",
        2,
        None,
        "has 2 cells, expected 3",
    );
    at("h,c\n1,1\n1,1,1\n", 2, None, "has 3 cells, expected 2");
    at("1 2\n3\n", 2, None, "has 1 cells, expected 2");
    at("1 2 3 4\n", 1, None, "has 4 cells, expected 3");
    at("h\n0\n0\n", 1, Some("h"), "every curvature is 0");
}

/// `r` is refused as a whole with `words` in the reason.
fn whole(r: Result<Spectrum, SpectrumError>, words: &str) {
    let e = refused(r, words);
    assert!(e.to_string().contains(words), "wanted '{words}': {e}");
}

#[test]
fn bad_headers_and_files_are_named() {
    whole(from_text("c,count\n1,1\n"), "no column 'h'");
    whole(from_text("h,x\n1,1\n"), "column 2 is 'x'");
    whole(from_text("h,c,h\n1,1,1\n"), "'h' appears twice");
    whole(from_text("h,c\n"), "no rows");
    whole(from_text(""), "no rows");
    whole(load("s.csv", &[0xff, 0xfe, b'h']), "not UTF-8");
}

#[test]
fn bad_json_is_named() {
    whole(from_json(r#"{"h": [1, 2]}"#), "not an array");
    whole(from_json("[1, 2"), "not valid JSON");
    let e = refused(from_json(r#"[{"h": 1}, {"h": 2, "x": 3}]"#), "key");
    assert_eq!(e.row, Some(2));
    assert!(e.to_string().contains("the key 'x'"), "{e}");
    let e = refused(from_json(r#"[{"h": 1, "c": 1}, {"h": 2}]"#), "missing c");
    assert_eq!((e.row, e.column.as_deref()), (Some(2), Some("c")), "{e}");
    let e = refused(from_json(r#"[{"c": 1}]"#), "missing h");
    assert_eq!((e.row, e.column.as_deref()), (Some(1), Some("h")), "{e}");
    let e = refused(from_json(r#"[[1, "a"]]"#), "a string");
    assert_eq!((e.row, e.column.as_deref()), (Some(1), Some("c")), "{e}");
    let e = refused(from_json("[1, -1]"), "negative");
    assert_eq!((e.row, e.column.as_deref()), (Some(2), Some("h")), "{e}");
    let e = refused(from_json(r#"[{"h": 1, "count": 2.5}]"#), "count");
    assert_eq!(
        (e.row, e.column.as_deref()),
        (Some(1), Some("count")),
        "{e}"
    );
    let e = refused(from_json("[[1, 2, 3, 4]]"), "four cells");
    assert_eq!(e.row, Some(1), "{e}");
}

#[test]
fn bad_npy_is_named() {
    let data = f8(&[1.0, 2.0, 3.0]);
    whole(from_npy(&npy("<c16", false, "(3,)", &data)), "dtype");
    whole(from_npy(&npy("<i2", false, "(3,)", &data)), "dtype");
    whole(from_npy(&npy("<f8", false, "(3, 3)", &data)), "shape");
    whole(from_npy(&npy("<f8", false, "(1, 1, 3)", &data)), "shape");
    whole(
        from_npy(&npy("<f8", false, "(4,)", &data)),
        "the header promises 32",
    );
    let full = npy("<f8", false, "(3,)", &data);
    whole(from_npy(&full[..20]), "truncated");
    whole(from_npy(&full[..7]), "truncated");
    whole(from_npy(b"PK\x03\x04 not npy"), "\\x93NUMPY");
    whole(load("s.npy", b"h\n1\n"), "\\x93NUMPY");
    // a bad value in the data is named by row and column
    let e = refused(
        from_npy(&npy(
            "<f8",
            false,
            "(2, 2)",
            &f8(&[1.0, 0.5, 2.0, f64::NAN]),
        )),
        "NaN",
    );
    assert_eq!((e.row, e.column.as_deref()), (Some(2), Some("c")), "{e}");
}

#[test]
fn bad_links_are_named() {
    let e = refused(from_link("1*0.5_2"), "c in one row only");
    assert_eq!((e.row, e.column.as_deref()), (Some(2), Some("c")), "{e}");
    let e = refused(from_link("1_2**0"), "count 0");
    assert_eq!(
        (e.row, e.column.as_deref()),
        (Some(2), Some("count")),
        "{e}"
    );
    let e = refused(from_link("1_x"), "not a number");
    assert_eq!((e.row, e.column.as_deref()), (Some(2), Some("h")), "{e}");
    let many = vec!["1"; 101].join("_");
    whole(from_link(&many), "at most 100");
}

#[test]
fn nothing_is_half_loaded() {
    // 999 good rows and a bad last one: an error, and no spectrum of 999 rows
    let mut text = String::from("h,c\n");
    for i in 1..1000 {
        text.push_str(&format!("{},{}\n", 1.0 / i as f64, 0.5));
    }
    text.push_str("0.001,-1\n");
    let e = refused(from_text(&text), "last row");
    assert_eq!((e.row, e.column.as_deref()), (Some(1000), Some("c")), "{e}");
}

#[test]
fn a_hundred_thousand_rows_load_quickly() {
    let mut text = String::from("h,c,count\n");
    for i in 1..=100_000u64 {
        let h = 2.0 * (i as f64).powf(-1.3);
        text.push_str(&format!("{h},{},{}\n", 0.7 * h, 1 + i % 3));
    }
    let t0 = std::time::Instant::now();
    let s = load("big.csv", text.as_bytes()).unwrap();
    let seconds = t0.elapsed().as_secs_f64();
    eprintln!(
        "10⁵-row CSV ({} bytes): loaded in {seconds:.3} s",
        text.len()
    );
    assert_eq!(s.rows(), 100_000);
    assert_eq!(s.dims(), 200_000);
    // optimised builds only (the test-fast profile): an unoptimised one takes longer
    if !cfg!(debug_assertions) {
        assert!(seconds < 1.0, "{seconds} s");
    }
}

#[test]
fn a_non_ascii_dtype_is_refused_not_a_panic() {
    let bytes = npy("‹é", false, "(1,)", &1.0f64.to_le_bytes());
    let e = from_npy(&bytes).unwrap_err();
    assert!(e.to_string().contains("dtype is unreadable"), "{e}");
}

#[test]
fn huge_values_are_named_briefly() {
    let e = from_csv("h\n1e308\n").unwrap_err();
    assert_eq!(e.to_string(), "row 1, column h: 1e308 is larger than 1e12");
    let e = from_csv("h,count\n1,1e30\n").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("row 1, column count: 1e30 is not"),
        "{e}"
    );
}

/// A curvature below the rounding of 1 − λh (Lanczos returns ~10⁻¹⁶·h_max) once made the B_crit
/// search run forever: the direction is stable, and simply does not move.
#[test]
fn curvatures_below_rounding_are_stable_directions() {
    use nqm_explorer::theory::measured::{summarise, Setting};
    let setting = Setting {
        lr: 0.5,
        mu: 0.0,
        a: 1.0,
        batch: 32,
        n_data: 0,
        theta0: 1.0,
        target: 0.02,
        max_steps: 100_000,
        batch_max: 4096,
    };
    for tiny in [1e-16, 1e-30] {
        let s = spectrum(&[1.0, tiny], None, None);
        let summary = summarise(&s, &setting);
        assert!(summary.tradeoff.is_some(), "{tiny}: {:?}", summary.notes);
        let ratio = summary.loss_ratio.unwrap();
        assert!(ratio >= 1.0, "{tiny}: ratio {ratio}");
    }
    // A flat direction (h = 0) adds to neither stationary loss.
    let flat = spectrum(&[1.0, 0.0], Some(&[1.0, 1.0]), None);
    let alone = spectrum(&[1.0], Some(&[1.0]), None);
    let (a, b) = (summarise(&flat, &setting), summarise(&alone, &setting));
    assert_eq!(a.loss_discrete, b.loss_discrete);
    assert_eq!(a.loss_continuous, b.loss_continuous);
}
