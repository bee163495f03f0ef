//! The design system's tokens (top of `static/app.css`, issue 10): every text colour
//! reads on its background at WCAG AA (4.5:1), field borders at 3:1, and body text is
//! at least 14 px.

use std::collections::HashMap;

const CSS: &str = include_str!("../../static/app.css");

/// The `--name: #rrggbb` custom properties of the first `:root` block.
fn tokens() -> HashMap<String, [u8; 3]> {
    let start = CSS.find(":root {").expect("a :root block");
    let block = &CSS[start..start + CSS[start..].find("\n}").unwrap()];
    let mut out = HashMap::new();
    let mut rest = block;
    while let Some(at) = rest.find("--") {
        rest = &rest[at..];
        let name_end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(rest.len());
        let (name, after) = rest.split_at(name_end);
        rest = after;
        let Some(value) = after.strip_prefix(':') else {
            continue;
        };
        let value = value[..value.find(';').unwrap_or(value.len())].trim();
        if value.starts_with('#') {
            out.insert(name.to_string(), hex(value));
        }
    }
    out
}

fn hex(v: &str) -> [u8; 3] {
    let v = v.trim_start_matches('#');
    let v: String = if v.len() == 3 {
        v.chars().flat_map(|c| [c, c]).collect()
    } else {
        v.to_string()
    };
    let n = u32::from_str_radix(&v, 16).unwrap_or_else(|_| panic!("not a colour: #{v}"));
    [(n >> 16) as u8, (n >> 8) as u8, n as u8]
}

/// WCAG 2 relative luminance.
fn luminance(c: [u8; 3]) -> f64 {
    let lin = |u: u8| {
        let s = f64::from(u) / 255.0;
        if s <= 0.039_28 {
            s / 12.92
        } else {
            ((s + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])
}

fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[test]
fn the_contrast_formula_gives_the_known_ratios() {
    assert!((contrast([0, 0, 0], [255, 255, 255]) - 21.0).abs() < 0.01);
    assert!((contrast(hex("#777"), hex("#fff")) - 4.48).abs() < 0.01);
}

#[test]
fn every_text_and_background_pair_of_the_design_tokens_reads_at_aa() {
    let t = tokens();
    let get = |n: &str| {
        *t.get(n)
            .unwrap_or_else(|| panic!("no token {n} in app.css"))
    };
    let white = [255, 255, 255];
    let text_pairs = [
        ("--fg", "--bg"),
        ("--fg", "--surface"),
        ("--muted", "--surface"),
        ("--muted", "--bg"),
        ("--muted", "--neutral-bg"),
        ("--accent", "--surface"),
        ("--accent", "--bg"),
        ("--accent-dark", "--accent-soft"),
        ("--on-accent", "--accent"),
        ("--ok", "--ok-bg"),
        ("--err", "--err-bg"),
        ("--err", "--surface"),
        ("--warn", "--warn-bg"),
        ("--info", "--info-bg"),
        ("--neutral", "--neutral-bg"),
        ("--th-fg", "--th-bg"),
        ("--top-fg", "--top"),
    ];
    let mut low = Vec::new();
    for (fg, bg) in text_pairs {
        let r = contrast(get(fg), get(bg));
        if r < 4.5 {
            low.push(format!("{fg} on {bg}: {r:.2}:1"));
        }
    }
    // White text on the danger button, the field borders against the page.
    for (what, r, min) in [
        ("white on --err", contrast(white, get("--err")), 4.5),
        (
            "--border-input on --surface",
            contrast(get("--border-input"), get("--surface")),
            3.0,
        ),
        (
            "--top-line on --top",
            contrast(get("--top-line"), get("--top")),
            3.0,
        ),
    ] {
        if r < min {
            low.push(format!("{what}: {r:.2}:1 (needs {min}:1)"));
        }
    }
    assert!(low.is_empty(), "below WCAG AA:\n{}", low.join("\n"));
}

#[test]
fn body_text_is_at_least_14_px_and_the_type_scale_starts_from_it() {
    assert!(CSS.contains("html { font-size: 14px;"), "html is 14 px");
    let t = CSS;
    let scale = |name: &str| -> f64 {
        let at = t
            .find(&format!("{name}: "))
            .unwrap_or_else(|| panic!("no {name}"));
        let rest = &t[at + name.len() + 2..];
        rest[..rest.find("rem").unwrap()].parse().unwrap()
    };
    assert_eq!(scale("--fs-base"), 1.0, "body text is the 14 px root");
    assert!(
        scale("--fs-sm") * 14.0 >= 13.0,
        "small text is 13 px or more"
    );
    for (small, big) in [
        ("--fs-base", "--fs-md"),
        ("--fs-md", "--fs-lg"),
        ("--fs-lg", "--fs-xl"),
    ] {
        assert!(scale(small) < scale(big), "{small} < {big}");
    }
}
