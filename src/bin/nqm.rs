//! `nqm`: the explorer's theory and Monte Carlo on the command line, taking the page's query
//! strings. `nqm theory '<query>'` and `nqm simulate '<query>'` print JSON; `nqm figure <panel>
//! '<query>'` renders a panel through the page's drawing code to SVG or PNG, or prints its data
//! series as JSON; `nqm help` lists the keys.

use nqm_explorer::model::spectrum::Spectrum;
use nqm_explorer::panels::query::{self, Audience};
use nqm_explorer::params::{self, Params};
use nqm_explorer::render::{self, Theme};
use nqm_explorer::{figure::Figure, panels, report};
use std::process::ExitCode;

const USAGE: &str = "\
usage: nqm theory   '<query>'   exact discrete and continuous stationary covariance, as JSON
       nqm simulate '<query>'   Monte Carlo of `walkers` SGD runs for `steps` steps, as JSON
                                (chunks of 16384 walkers on every core; the same numbers
                                as on one core and in the browser)
       nqm theory   '<query>' --spectrum FILE
                                the same for a measured spectrum (CSV with a header h[,c,count],
                                JSON array or .npy of shape (n,) or (n, 2)): its stability edge,
                                stationary loss, Bayes-optimal rate, Thm 8 ratio and B_crit
       nqm figure <panel> '<query>' [--out FILE.svg|FILE.png] [--json] [--size WxH]
                  [--threads N] [--dark] [--font FILE.ttf] [--spectrum FILE]
                                the panel's figure, Monte Carlo included: drawn to FILE (the
                                page's drawing code), and/or its data series as JSON (--json,
                                the page's JSON export format; the default without --out);
                                --spectrum FILE: a measured spectrum in place of the power law
                                (panels: SPECTRUM_PANELS)
       nqm figure '<permalink>' [options as above]
                                the same for the panel and state of a page's link (e.g. an
                                embedded panel's src: a static placeholder for PDF output)
       nqm panels               every panel's name, title, claim, keys, presets and
                                default query, as JSON
       nqm help                 this text

Panels (the key `panel`, or the first argument of `figure`): PANELS

A query is the explorer page's permalink query, e.g. 'lr=1.5&h1=1&h2=0.1&noise=white&sigma2=1'.
A measured spectrum can also come in the query, as a link writes it (at most 100 rows):
  spectrum=h*c*count_h*c*count…   (c empty without a noise column: cᵢ = a·hᵢ; count 1 if left out)
Keys not given take their defaults; unknown keys are ignored; an invalid value is an error.
Keys:
";

fn usage() -> String {
    format!(
        "{}{}",
        USAGE
            .replace("SPECTRUM_PANELS", &query::spectrum_panels().join(", "))
            .replace("PANELS", &panels::NAMES.join(", ")),
        params::help_text()
    )
}

fn parse(query: &str) -> Result<Params, String> {
    let (p, errors) = query::parse(query, Audience::Cli);
    if errors.is_empty() {
        Ok(p)
    } else {
        Err(errors
            .iter()
            .map(|e| format!("invalid query: {e}"))
            .collect::<Vec<_>>()
            .join("\n"))
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cmd = args.first().map(String::as_str);
    if matches!(cmd, None | Some("help" | "--help" | "-h")) || args.iter().any(|a| a == "--help") {
        print!("{}", usage());
        return if cmd.is_none() {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    if cmd == Some("panels") {
        println!(
            "{}",
            serde_json::to_string_pretty(&panels::specs_json()).expect("JSON serialises")
        );
        return ExitCode::SUCCESS;
    }
    if cmd == Some("figure") {
        return match figure_command(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("nqm: {e}");
                ExitCode::from(2)
            }
        };
    }
    let (query, p) = match query_args(cmd.unwrap_or(""), &args[1..]) {
        Ok(q) => q,
        Err(e) => {
            eprintln!("nqm: {e}");
            return ExitCode::from(2);
        }
    };
    let query = query.as_str();
    let out = match cmd {
        Some("theory") => report::theory_json(&p, &query::given_keys(query, Audience::Cli)),
        Some("simulate") => report::simulate_json_on(
            &p,
            std::thread::available_parallelism().map_or(1, |n| n.get()),
        ),
        Some(other) => {
            eprintln!("nqm: unknown command '{other}'\n\n{}", usage());
            return ExitCode::from(2);
        }
        None => unreachable!(),
    };
    if let Some(e) = out.get("error").and_then(|e| e.as_str()) {
        eprintln!("nqm: {e}");
        return ExitCode::from(2);
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&out).expect("JSON serialises")
    );
    ExitCode::SUCCESS
}

/// The query of `nqm theory` and `nqm simulate` (`command`), and its state with `--spectrum
/// FILE` applied (theory only: the walkers of `simulate` are the 2-D model's).
fn query_args(command: &str, args: &[String]) -> Result<(String, Params), String> {
    let (mut query, mut spectrum) = (None, None);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--spectrum" => spectrum = Some(it.next().ok_or("--spectrum needs a file")?),
            s if s.starts_with("--") => return Err(format!("unknown option {s}\n\n{}", usage())),
            _ if query.is_some() => {
                return Err(format!("expected one query argument\n\n{}", usage()))
            }
            _ => query = Some(arg.clone()),
        }
    }
    let query = query.unwrap_or_default();
    let mut p = parse(&query)?;
    if spectrum.is_some() && command == "simulate" {
        return Err(
            "--spectrum: nqm simulate runs the 2-D model's walkers and takes no \
                    spectrum; use nqm figure <panel> '<query>' --spectrum FILE"
                .into(),
        );
    }
    if let Some(file) = spectrum {
        p.spectrum = Some(read_spectrum(file)?);
    }
    Ok((query, p))
}

/// The spectrum in `file`; every error names the file, and the row and column to blame.
fn read_spectrum(file: &str) -> Result<Spectrum, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("--spectrum {file}: {e}"))?;
    params::spectrum::load(file, &bytes).map_err(|e| format!("--spectrum {file}: {e}"))
}

/// Reads the spectrum in `file` into the figure state `p` (its panel must take one).
fn with_spectrum(p: &mut Params, file: &str) -> Result<(), String> {
    let s = read_spectrum(file)?;
    let notes = query::set_spectrum(p, Some(s)).map_err(|e| format!("--spectrum: {e}"))?;
    for e in notes {
        eprintln!("nqm: note: {}", e.message());
    }
    Ok(())
}

/// Options of `nqm figure`.
struct FigureArgs {
    panel: String,
    query: String,
    out: Option<String>,
    json: bool,
    size: (u32, u32),
    threads: usize,
    dark: bool,
    font: Option<String>,
    spectrum: Option<String>,
}

fn figure_args(args: &[String]) -> Result<FigureArgs, String> {
    let mut a = FigureArgs {
        panel: String::new(),
        query: String::new(),
        out: None,
        json: false,
        size: (900, 600),
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        dark: false,
        font: None,
        spectrum: None,
    };
    let mut positional = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--out" | "-o" => a.out = Some(value("--out")?),
            "--json" => a.json = true,
            "--dark" => a.dark = true,
            "--font" => a.font = Some(value("--font")?),
            "--spectrum" => a.spectrum = Some(value("--spectrum")?),
            "--threads" => {
                a.threads = value("--threads")?
                    .parse()
                    .ok()
                    .filter(|n| (1..=256).contains(n))
                    .ok_or("--threads takes a whole number from 1 to 256")?
            }
            "--size" => {
                let v = value("--size")?;
                let (w, h) = v
                    .split_once('x')
                    .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
                    .filter(|&(w, h): &(u32, u32)| {
                        (100..=8000).contains(&w) && (100..=8000).contains(&h)
                    })
                    .ok_or("--size takes WxH, each from 100 to 8000 pixels, e.g. 900x600")?;
                a.size = (w, h);
            }
            s if s.starts_with("--") => return Err(format!("unknown option {s}\n\n{}", usage())),
            _ => positional.push(arg.clone()),
        }
    }
    match positional.as_slice() {
        // A permalink (or its query), as the page's "Copy link" or an iframe's src gives it:
        // the panel is the one it names.
        [link] if link.contains('=') => {
            let query = link.split_once('?').map_or(link.as_str(), |(_, q)| q);
            let query = query.split('#').next().unwrap_or("");
            a.panel = query::parse(query, Audience::Page).0.panel;
            a.query = query.to_string();
        }
        [panel] => a.panel = panel.clone(),
        [panel, query] => {
            a.panel = panel.clone();
            a.query = query.clone();
        }
        _ => return Err(format!("figure takes a panel and one query\n\n{}", usage())),
    }
    if panels::find(&a.panel).is_none() {
        return Err(format!(
            "unknown panel '{}'; the panels are {}",
            a.panel,
            panels::NAMES.join(", ")
        ));
    }
    if a.out.is_none() {
        a.json = true;
    }
    Ok(a)
}

fn figure_command(args: &[String]) -> Result<(), String> {
    let a = figure_args(args)?;
    let (mut p, errors) = query::parse_for(&a.panel, &a.query, Audience::Cli);
    if !errors.is_empty() {
        return Err(errors
            .iter()
            .map(|e| format!("invalid query: {e}"))
            .collect::<Vec<_>>()
            .join("\n"));
    }
    if p.panel != a.panel {
        return Err(format!(
            "the query names panel '{}' but the command names '{}'",
            p.panel, a.panel
        ));
    }
    if let Some(file) = &a.spectrum {
        with_spectrum(&mut p, file)?;
    }
    let fig = panels::build(&p, a.threads).expect("the panel exists");
    let theme = if a.dark { Theme::DARK } else { Theme::LIGHT };
    if let Some(out) = &a.out {
        write_figure(&fig, out, a.size, &theme, a.font.as_deref())?;
    }
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&fig.to_json()).expect("JSON serialises")
        );
    }
    Ok(())
}

fn write_figure(
    fig: &Figure,
    out: &str,
    (w, h): (u32, u32),
    theme: &Theme,
    font: Option<&str>,
) -> Result<(), String> {
    let lower = out.to_ascii_lowercase();
    if lower.ends_with(".svg") {
        let svg = render::svg(fig, w, h, theme)?;
        std::fs::write(out, svg).map_err(|e| format!("cannot write {out}: {e}"))
    } else if lower.ends_with(".png") {
        load_font(font)?;
        use plotters::prelude::*;
        let root = BitMapBackend::new(out, (w, h)).into_drawing_area();
        let look = render::Look {
            theme: *theme,
            scale: 1.0,
            bitmap_dots: true,
        };
        render::draw_figure(&root, fig, &look).map_err(|e| format!("drawing failed: {e}"))?;
        root.present()
            .map_err(|e| format!("cannot write {out}: {e}"))
    } else {
        Err(format!(
            "--out {out}: the file name must end in .svg or .png"
        ))
    }
}

/// Registers a TrueType font for bitmap text: `--font`, `$NQM_FONT`, or a common system font.
fn load_font(explicit: Option<&str>) -> Result<(), String> {
    const CANDIDATES: &[&str] = &[
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/Library/Fonts/Arial.ttf",
        "C:\\Windows\\Fonts\\arial.ttf",
    ];
    let env = std::env::var("NQM_FONT").ok();
    let paths: Vec<&str> = match explicit {
        Some(p) => vec![p],
        None => env
            .iter()
            .map(String::as_str)
            .chain(CANDIDATES.iter().copied())
            .collect(),
    };
    for path in &paths {
        if let Ok(bytes) = std::fs::read(path) {
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            return plotters::style::register_font(
                "sans-serif",
                plotters::style::FontStyle::Normal,
                bytes,
            )
            .map_err(|_| format!("{path} is not a TrueType font"));
        }
    }
    Err(format!(
        "PNG output needs a TrueType font and none was found (looked in {}); pass --font \
         FILE.ttf, set NQM_FONT, or install one (Debian: apt-get install fonts-dejavu-core). \
         SVG output needs no font.",
        paths.join(", ")
    ))
}
