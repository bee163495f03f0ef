//! Server-side SVG charts: vertical bars, lines and horizontal bars, with their
//! axes, legend, text alternative and per-point tooltips. Pure rendering: the
//! caller brings the buckets and their values, nothing here queries or reads a clock.
//!
//! Geometry is integer arithmetic in tenths of a viewBox unit (`i64`, `i128` where a
//! product could overflow); no floats. Every text goes through maud's escaping and no
//! element carries a `style` attribute (the CSP forbids them): the look lives in the
//! "Charts" block of `static/app.css`, each series taking its colour from the class
//! `series-<style>` through `currentColor`.
//!
//! Lenient input, never a panic:
//! - a series shorter than `x_labels` is padded with zeros, a longer one truncated;
//! - `links` shorter than `x_labels` leaves the missing buckets unlinked, extra links
//!   are ignored;
//! - no labels, no series, or only zeros: the frame with "No data for the period".

use maud::{Markup, html};

use crate::domain::Lang;
use crate::domain::list_row::MINUS;
use crate::domain::money::{Currency, format_count};
use crate::domain::search::format_total;

/// What the values of a chart are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// Amounts in minor units of this currency (1/100 of a MAD, 1/1000 of a TND);
    /// may be negative.
    Money(Currency),
    /// Whole counts.
    Count,
    /// A rate in tenths of a percent, 0..=1000 (923 = 92.3 %).
    PerMille,
}

/// A bucket without a value (see [`ChartSeries::values`]).
pub const GAP: i64 = i64::MIN;

/// One series of values, one value per x label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartSeries {
    /// Legend text, e.g. "Ce mois" / "Mois précédent".
    pub name: String,
    /// One per x label; padded with zeros or truncated to the number of labels.
    /// [`GAP`] marks a bucket without a value (a rate with nothing to divide): a
    /// line chart breaks its line there; bar charts read it as 0.
    pub values: Vec<i64>,
    /// A CSS modifier: "current", "previous", "accepted", "refused" ... becomes class
    /// "series-<x>".
    pub style: &'static str,
}

/// Everything a chart shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chart {
    /// Unique on the page, used for aria ids (`{id}-title`, `{id}-desc`).
    pub id: String,
    pub title: String,
    /// Text alternative: one or two sentences summarising it.
    pub description: String,
    /// Bucket labels, e.g. "3 nov." or "S45".
    pub x_labels: Vec<String>,
    /// Optional link per x label (a bar/point becomes an `<a href>`): the transaction
    /// list of that bucket. Empty = no links.
    pub links: Vec<Option<String>>,
    /// 1..=3 series (hbar_chart draws the first only).
    pub series: Vec<ChartSeries>,
    pub kind: ValueKind,
    pub lang: Lang,
}

/// The viewBox of the vertical charts, in user units.
const W: i64 = 720;
const H: i64 = 260;
/// The plot area of the vertical charts (user units): room for tick labels on the
/// left and x labels below.
const LEFT: i64 = 64;
const RIGHT: i64 = 712;
const TOP: i64 = 28;
const BOTTOM: i64 = 222;
/// At most this many x labels are written under the axis.
const MAX_X_LABELS: usize = 12;
/// At most this many intervals between y ticks.
const Y_TICKS: usize = 5;
/// Horizontal bars: row height, the label column, the bar column, the value column.
const ROW: i64 = 28;
const HB_PAD: i64 = 8;
const HB_LABEL_CHARS: usize = 26;
const HB_BAR_X: i64 = 190;
const HB_BAR_W: i64 = 300;
const HB_VALUE_X: i64 = 500;
/// Height of an empty horizontal chart.
const HB_EMPTY_H: i64 = 80;

/// Vertical bars, series side by side per label (current vs previous period, ...).
pub fn bar_chart(c: &Chart) -> Markup {
    let data = Data::of(c, c.series.len(), false);
    if data.is_empty() {
        return frame(c, &c.series, H, empty_body(c.lang, H));
    }
    let (dmin, dmax) = data.range();
    let ticks = ticks_for(dmin.min(0), dmax.max(0), Y_TICKS, c.kind);
    let scale = Scale::of(&ticks);
    let zero = scale.y(0);
    let count = data.series.len() as i64;
    let body = html! {
        (y_axis(&ticks, &scale, c.kind, c.lang))
        @for i in 0..data.n {
            @let (start, width) = slot(i, data.n);
            @let pad = width / 8;
            @let bar_w = (width - 2 * pad) / count;
            (linked(&data, c, i, true, html! {
                @for (k, (s, values)) in data.series.iter().enumerate() {
                    @let v = values[i];
                    @let y = scale.y(v);
                    @let (top, height) = if y < zero { (y, zero - y) } else { (zero, y - zero) };
                    rect class={ "bar series-" (s.style) } x=(d(start + pad + k as i64 * bar_w))
                        y=(d(top)) width=(d(bar_w)) height=(d(height)) {
                        title { (point_title(&c.x_labels[i], &s.name, v, c.kind, c.lang)) }
                    }
                }
            }))
        }
        line class="zero" x1=(LEFT) x2=(RIGHT) y1=(d(zero)) y2=(d(zero)) {}
        (x_labels(&c.x_labels, data.n))
    };
    frame(c, &c.series, H, body)
}

/// A line chart (acceptance rate per day); points linked when links are given.
/// The y axis spans the data (not forced to zero); a zero line is drawn when it
/// crosses zero.
pub fn line_chart(c: &Chart) -> Markup {
    let data = Data::of(c, c.series.len(), true);
    if data.is_empty() {
        return frame(c, &c.series, H, empty_body(c.lang, H));
    }
    let (dmin, dmax) = data.range();
    let ticks = ticks_for(dmin, dmax, Y_TICKS, c.kind);
    let scale = Scale::of(&ticks);
    let x_of = |i: usize| {
        let (start, width) = slot(i, data.n);
        start + width / 2
    };
    let body = html! {
        (y_axis(&ticks, &scale, c.kind, c.lang))
        @if scale.lo < 0 {
            line class="zero" x1=(LEFT) x2=(RIGHT) y1=(d(scale.y(0))) y2=(d(scale.y(0))) {}
        }
        @for (s, values) in &data.series {
            // One polyline per run of buckets with a value.
            @for run in values.iter().enumerate().collect::<Vec<_>>().split(|(_, v)| **v == GAP) {
                @if !run.is_empty() {
                    @let points: Vec<String> = run.iter()
                        .map(|(i, v)| format!("{},{}", d(x_of(*i)), d(scale.y(**v)))).collect();
                    polyline class={ "line series-" (s.style) } points=(points.join(" ")) {}
                }
            }
        }
        @for i in 0..data.n {
            (linked(&data, c, i, true, html! {
                @for (s, values) in data.series.iter().filter(|(_, v)| v[i] != GAP) {
                    circle class={ "point series-" (s.style) } cx=(d(x_of(i)))
                        cy=(d(scale.y(values[i]))) r="3.5" {
                        title { (point_title(&c.x_labels[i], &s.name, values[i], c.kind, c.lang)) }
                    }
                }
            }))
        }
        (x_labels(&c.x_labels, data.n))
    };
    frame(c, &c.series, H, body)
}

/// Horizontal bars for a breakdown: one series (the first; others are ignored),
/// labels on the left, value and share on the right. The share is written only when
/// no value is negative. The height grows with the rows (28 units each).
pub fn hbar_chart(c: &Chart) -> Markup {
    let shown = &c.series[..c.series.len().min(1)];
    let data = Data::of(c, 1, false);
    if data.is_empty() {
        return frame(c, shown, HB_EMPTY_H, empty_body(c.lang, HB_EMPTY_H));
    }
    let Some((s, values)) = data.series.first() else {
        return frame(c, shown, HB_EMPTY_H, empty_body(c.lang, HB_EMPTY_H));
    };
    let height = 2 * HB_PAD + ROW * data.n as i64;
    let widest: i128 = values
        .iter()
        .map(|v| i128::from(*v).abs())
        .max()
        .unwrap_or(0);
    let total: i128 = values.iter().map(|v| i128::from(*v)).sum();
    let shares = total > 0 && values.iter().all(|v| *v >= 0);
    let value_text = |v: i64| {
        let text = format_value(v, c.kind, c.lang);
        if shares {
            let share = format_value(
                crate::domain::figures::share_per_mille(i128::from(v), total),
                ValueKind::PerMille,
                c.lang,
            );
            format!("{text} ({share})")
        } else {
            text
        }
    };
    let body = html! {
        line class="axis" x1=(HB_BAR_X) x2=(HB_BAR_X) y1=(HB_PAD) y2=(height - HB_PAD) {}
        @for (i, v) in values.iter().enumerate() {
            @let top = (HB_PAD + ROW * i as i64) * 10;
            @let width = i128::from(*v).abs() * i128::from(HB_BAR_W * 10) / widest.max(1);
            @let width = i64::try_from(width).unwrap_or(0);
            @let text = value_text(*v);
            (linked(&data, c, i, false, html! {
                text class="label" x="0" y=(d(top + 180)) { (shorten(&c.x_labels[i], HB_LABEL_CHARS)) }
                rect class={ "bar series-" (s.style) @if *v < 0 { " neg" } } x=(HB_BAR_X)
                    y=(d(top + 40)) width=(d(width)) height=(d(ROW * 10 - 80)) {
                    title { (c.x_labels[i]) " — " (s.name) (c.lang.pick(" : ", ": ")) (text) }
                }
                text class="value" x=(HB_VALUE_X) y=(d(top + 180)) { (text) }
            }))
        }
    };
    frame(c, shown, height, body)
}

/// Round tick values covering `min..=max`: steps of 1, 2 or 5 × 10^n, at most
/// `max_ticks` intervals (so at most `max_ticks + 1` ticks; `max_ticks` below 2 counts
/// as 2), always at least two ticks. Zero is a tick whenever the range touches or
/// crosses it; a single value other than zero is shown from zero. Ticks beyond the
/// range of `i64` (near its extremes) are clamped to it, and are then not round.
pub fn nice_ticks(min: i64, max: i64, max_ticks: usize) -> Vec<i64> {
    ticks_with_least_step(min, max, max_ticks, 1)
}

/// [`nice_ticks`] in the units of a kind: money steps are whole currency units
/// (multiples of 100 minor units in MAD, 1000 in TND, 1 in JPY).
pub fn ticks_for(min: i64, max: i64, max_ticks: usize, kind: ValueKind) -> Vec<i64> {
    let least = match kind {
        ValueKind::Money(currency) => i128::from(currency.minor_per_unit()),
        ValueKind::Count | ValueKind::PerMille => 1,
    };
    ticks_with_least_step(min, max, max_ticks, least)
}

fn ticks_with_least_step(min: i64, max: i64, max_ticks: usize, least: i128) -> Vec<i64> {
    let (mut lo, mut hi) = (i128::from(min.min(max)), i128::from(min.max(max)));
    if lo == hi {
        lo = lo.min(0);
        hi = hi.max(0);
        if hi == 0 && lo == 0 {
            hi = least;
        }
    }
    let intervals = max_ticks.max(2) as i128;
    let step = nice_step(lo, hi, intervals, least);
    let first = lo.div_euclid(step);
    let last = -(-hi).div_euclid(step);
    let mut ticks: Vec<i64> = (first..=last)
        .map(|k| {
            let t = k * step;
            i64::try_from(t).unwrap_or(if t < 0 { i64::MIN } else { i64::MAX })
        })
        .collect();
    ticks.dedup();
    ticks
}

/// The smallest 1/2/5 × 10^n step, not below `least`, that covers lo..=hi in at most
/// `intervals` intervals.
fn nice_step(lo: i128, hi: i128, intervals: i128, least: i128) -> i128 {
    let mut power: i128 = 1;
    for _ in 0..=21 {
        for m in [1, 2, 5] {
            let step = m * power;
            if step < least {
                continue;
            }
            let n = -(-hi).div_euclid(step) - lo.div_euclid(step);
            if n <= intervals {
                return step;
            }
        }
        power *= 10;
    }
    power
}

/// A value written in full for reading: "−1 250,50 MAD" / "1,250.50 MAD",
/// "247 790" / "247,790", "92,3 %" / "92.3%".
pub fn format_value(v: i64, kind: ValueKind, lang: Lang) -> String {
    let sign = if v < 0 {
        MINUS.to_string()
    } else {
        String::new()
    };
    let abs = v.unsigned_abs();
    match kind {
        ValueKind::Money(currency) => format_total(i128::from(v), currency, lang),
        ValueKind::Count => format!("{sign}{}", format_count(abs, lang)),
        ValueKind::PerMille => format!(
            "{sign}{}{}{}{}",
            format_count(abs / 10, lang),
            lang.pick(",", "."),
            abs % 10,
            lang.pick(" %", "%")
        ),
    }
}

/// A y-axis tick, short: money in whole units and counts compacted ("12 k", "1,2 M" /
/// "12k", "1.2M"), whole percents without decimals ("90 %").
pub fn format_tick(v: i64, kind: ValueKind, lang: Lang) -> String {
    match kind {
        ValueKind::Money(currency) => {
            compact(i128::from(v) / i128::from(currency.minor_per_unit()), lang)
        }
        ValueKind::Count => compact(i128::from(v), lang),
        ValueKind::PerMille if v % 10 == 0 => {
            let sign = if v < 0 {
                MINUS.to_string()
            } else {
                String::new()
            };
            let whole = format_count(v.unsigned_abs() / 10, lang);
            format!("{sign}{whole}{}", lang.pick(" %", "%"))
        }
        ValueKind::PerMille => format_value(v, kind, lang),
    }
}

/// 950, 1,5 k, 12 k, 1,2 M, 3 Md (French) / 950, 1.5k, 12k, 1.2M, 3B (English); at
/// most two decimals, cut (not rounded) — ticks are round numbers.
fn compact(v: i128, lang: Lang) -> String {
    let sign = if v < 0 {
        MINUS.to_string()
    } else {
        String::new()
    };
    let abs = v.unsigned_abs();
    let (unit, digits, suffix): (u128, usize, &str) = if abs >= 1_000_000_000 {
        (1_000_000_000, 9, lang.pick(" Md", "B"))
    } else if abs >= 1_000_000 {
        (1_000_000, 6, lang.pick(" M", "M"))
    } else if abs >= 1_000 {
        (1_000, 3, lang.pick(" k", "k"))
    } else {
        (1, 0, "")
    };
    let whole = format_count(u64::try_from(abs / unit).unwrap_or(u64::MAX), lang);
    let mut frac = if digits == 0 {
        String::new()
    } else {
        format!("{:0digits$}", abs % unit)
    };
    frac.truncate(2);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        format!("{sign}{whole}{suffix}")
    } else {
        format!("{sign}{whole}{}{frac}{suffix}", lang.pick(",", "."))
    }
}

/// The series cut or padded to the labels, and the links.
struct Data<'a> {
    n: usize,
    zero_is_value: bool,
    series: Vec<(&'a ChartSeries, Vec<i64>)>,
    links: &'a [Option<String>],
}

impl<'a> Data<'a> {
    /// The chart's values, [`GAP`]s kept when `gaps` (line charts), else read as 0.
    fn of(c: &'a Chart, max_series: usize, gaps: bool) -> Data<'a> {
        let n = c.x_labels.len();
        let series = c
            .series
            .iter()
            .take(max_series)
            .map(|s| {
                let mut values: Vec<i64> = s
                    .values
                    .iter()
                    .map(|v| if *v == GAP && !gaps { 0 } else { *v })
                    .take(n)
                    .collect();
                values.resize(n, 0);
                (s, values)
            })
            .collect();
        Data {
            n,
            zero_is_value: gaps && c.kind == ValueKind::PerMille,
            series,
            links: &c.links,
        }
    }

    fn is_empty(&self) -> bool {
        // On a rate's line a 0 is a value (nothing accepted); elsewhere all zeros
        // is no data.
        let nothing = if self.zero_is_value { GAP } else { 0 };
        self.n == 0
            || self
                .series
                .iter()
                .all(|(_, v)| v.iter().all(|x| *x == nothing || *x == GAP))
    }

    fn range(&self) -> (i64, i64) {
        let all = self
            .series
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .filter(|v| *v != GAP);
        let min = all.clone().min().unwrap_or(0);
        let max = all.max().unwrap_or(0);
        (min, max)
    }

    fn link(&self, i: usize) -> Option<&'a str> {
        self.links.get(i).and_then(|l| l.as_deref())
    }
}

/// Maps values to y (tenths of a unit) between the first and last tick.
struct Scale {
    lo: i128,
    hi: i128,
}

impl Scale {
    fn of(ticks: &[i64]) -> Scale {
        let lo = ticks.first().map_or(0, |t| i128::from(*t));
        let hi = ticks.last().map_or(1, |t| i128::from(*t));
        Scale {
            lo,
            hi: hi.max(lo + 1),
        }
    }

    fn y(&self, v: i64) -> i64 {
        let v = i128::from(v).clamp(self.lo, self.hi);
        let height = i128::from((BOTTOM - TOP) * 10);
        let y = i128::from(TOP * 10) + (self.hi - v) * height / (self.hi - self.lo);
        i64::try_from(y).unwrap_or(BOTTOM * 10)
    }
}

/// The x start and width (tenths of a unit) of bucket `i` of `n`.
fn slot(i: usize, n: usize) -> (i64, i64) {
    let width = (RIGHT - LEFT) * 10;
    let n = n.max(1) as i64;
    let at = |k: i64| LEFT * 10 + k * width / n;
    let i = i as i64;
    (at(i), at(i + 1) - at(i))
}

/// Tenths of a unit as an SVG number: 1234 → "123.4", 1230 → "123".
fn d(tenths: i64) -> String {
    let sign = if tenths < 0 { "-" } else { "" };
    let abs = tenths.unsigned_abs();
    if abs.is_multiple_of(10) {
        format!("{sign}{}", abs / 10)
    } else {
        format!("{sign}{}.{}", abs / 10, abs % 10)
    }
}

fn point_title(label: &str, series: &str, v: i64, kind: ValueKind, lang: Lang) -> String {
    let value = format_value(v, kind, lang);
    format!("{label} — {series}{}{value}", lang.pick(" : ", ": "))
}

/// Wraps a bucket's marks in its link, if any, named for assistive technologies by
/// the bucket's label and values when it shows no text of its own (`named`; a
/// horizontal bar's link holds its label and value as text). A bucket without any
/// value gets no link.
fn linked(data: &Data, c: &Chart, i: usize, named: bool, inner: Markup) -> Markup {
    let values: Vec<String> = data
        .series
        .iter()
        .filter(|(_, v)| v[i] != GAP)
        .map(|(s, v)| {
            format!(
                "{}{}{}",
                s.name,
                c.lang.pick(" : ", ": "),
                format_value(v[i], c.kind, c.lang)
            )
        })
        .collect();
    let href = data.link(i).filter(|_| !values.is_empty());
    html! {
        @if let Some(href) = href {
            @if named {
                a class="chart-link" href=(href) aria-label={ (c.x_labels[i]) " — " (values.join(", ")) } { (inner) }
            } @else {
                a class="chart-link" href=(href) { (inner) }
            }
        } @else {
            (inner)
        }
    }
}

/// Gridlines and tick labels, and the currency above the axis for money.
fn y_axis(ticks: &[i64], scale: &Scale, kind: ValueKind, lang: Lang) -> Markup {
    html! {
        @if let ValueKind::Money(currency) = kind {
            text class="unit" x=(LEFT - 8) y=(TOP - 14) text-anchor="end" { (currency.code()) }
        }
        @for t in ticks {
            @let y = scale.y(*t);
            line class="grid" x1=(LEFT) x2=(RIGHT) y1=(d(y)) y2=(d(y)) {}
            text class="tick" x=(LEFT - 8) y=(d(y + 40)) text-anchor="end" { (format_tick(*t, kind, lang)) }
        }
    }
}

/// Labels under the plot: every k-th, so that at most [`MAX_X_LABELS`] are written
/// and they do not run into each other (about 7 units a character at 12 px).
fn x_labels(labels: &[String], n: usize) -> Markup {
    let longest = labels
        .iter()
        .take(n)
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(1);
    let room = usize::try_from((RIGHT - LEFT) / (i64::try_from(longest).unwrap_or(64) * 7 + 12))
        .unwrap_or(1)
        .clamp(2, MAX_X_LABELS);
    let every = n.div_ceil(room).max(1);
    html! {
        @for (i, label) in labels.iter().enumerate().take(n).step_by(every) {
            @let (start, width) = slot(i, n);
            text class="xlabel" x=(d(start + width / 2)) y=(BOTTOM + 20) text-anchor="middle" { (label) }
        }
    }
}

fn empty_body(lang: Lang, height: i64) -> Markup {
    html! {
        line class="axis" x1=(LEFT) x2=(RIGHT) y1=(height - 16) y2=(height - 16) {}
        text class="empty" x=(W / 2) y=(height / 2) text-anchor="middle" {
            (lang.pick("Aucune donnée sur la période", "No data for the period"))
        }
    }
}

/// The figure: caption with title and legend, the svg with its text alternative.
fn frame(c: &Chart, legend: &[ChartSeries], height: i64, body: Markup) -> Markup {
    let title_id = format!("{}-title", c.id);
    let desc_id = format!("{}-desc", c.id);
    let caption_id = format!("{}-caption", c.id);
    html! {
        figure class="chart" {
            figcaption {
                span class="chart-title" id=(caption_id) { (c.title) }
                @if !legend.is_empty() {
                    ul class="legend" {
                        @for s in legend {
                            li { span class={ "swatch series-" (s.style) } aria-hidden="true" {} (s.name) }
                        }
                    }
                }
            }
            // A narrow screen scrolls the chart sideways inside this box (its text
            // would be too small to read scaled down): keyboard users can focus it
            // to scroll.
            div class="chart-scroll" tabindex="0" role="group" aria-labelledby=(caption_id) {
                // An image, unless it holds links: then a group, so that its links
                // stay links for assistive technologies.
                svg role=(if c.links.iter().any(Option::is_some) { "group" } else { "img" })
                    aria-labelledby={ (title_id) " " (desc_id) }
                    viewBox={ "0 0 " (W) " " (height) } preserveAspectRatio="xMidYMid meet" {
                    title id=(title_id) { (c.title) }
                    desc id=(desc_id) { (c.description) }
                    (body)
                }
            }
        }
    }
}

/// At most `max` characters, the last one "…" when cut (the whole label is in the
/// bar's title).
fn shorten(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        return label.to_string();
    }
    let mut out: String = label.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_gap_breaks_the_line_and_draws_no_point() {
        let c = super::Chart {
            id: "g".into(),
            title: "t".into(),
            description: "d".into(),
            x_labels: vec!["a".into(), "b".into(), "c".into(), "d".into()],
            links: Vec::new(),
            series: vec![super::ChartSeries {
                name: "s".into(),
                values: vec![500, super::GAP, 0, 900],
                style: "accepted",
            }],
            kind: super::ValueKind::PerMille,
            lang: crate::domain::Lang::En,
        };
        let svg = super::line_chart(&c).into_string();
        assert_eq!(svg.matches("<polyline").count(), 2, "{svg}");
        assert_eq!(svg.matches("<circle").count(), 3, "{svg}");
        let all_gaps = super::Chart {
            series: vec![super::ChartSeries {
                name: "s".into(),
                values: vec![super::GAP; 4],
                style: "accepted",
            }],
            ..c
        };
        assert!(
            super::line_chart(&all_gaps)
                .into_string()
                .contains("No data for the period")
        );
    }

    use super::*;
    use proptest::prelude::*;

    fn series(name: &str, values: &[i64], style: &'static str) -> ChartSeries {
        ChartSeries {
            name: name.to_string(),
            values: values.to_vec(),
            style,
        }
    }

    fn chart(labels: &[&str], series: Vec<ChartSeries>, kind: ValueKind, lang: Lang) -> Chart {
        Chart {
            id: "c1".to_string(),
            title: "Volume".to_string(),
            description: "Volume per day.".to_string(),
            x_labels: labels.iter().map(|l| l.to_string()).collect(),
            links: Vec::new(),
            series,
            kind,
            lang,
        }
    }

    const MAD: ValueKind = ValueKind::Money(Currency::Mad);

    /// The opening tags of the elements whose tag starts with `start`, e.g. `<rect class="bar`.
    fn tags<'a>(html: &'a str, start: &str) -> Vec<&'a str> {
        html.match_indices(start)
            .map(|(at, _)| {
                let end = html[at..].find('>').map_or(html.len(), |e| at + e);
                &html[at..end]
            })
            .collect()
    }

    /// An attribute of an opening tag, in tenths of a unit ("123.4" → 1234).
    fn tenths(tag: &str, name: &str) -> i64 {
        let key = format!(" {name}=\"");
        let at = tag.find(&key).map(|a| a + key.len()).unwrap();
        let value = &tag[at..at + tag[at..].find('"').unwrap()];
        let (whole, frac) = value.split_once('.').unwrap_or((value, "0"));
        let sign = if whole.starts_with('-') { -1 } else { 1 };
        let whole: i64 = whole.trim_start_matches('-').parse().unwrap();
        sign * (whole * 10 + frac.parse::<i64>().unwrap())
    }

    fn is_round(step: i64) -> bool {
        let mut s = step;
        while s % 10 == 0 {
            s /= 10;
        }
        matches!(s, 1 | 2 | 5)
    }

    proptest! {
        #[test]
        fn ticks_are_round_numbers_covering_the_data(
            a in -1_000_000_000_000_000i64..1_000_000_000_000_000,
            b in -1_000_000_000_000_000i64..1_000_000_000_000_000,
            max_ticks in 2usize..12,
        ) {
            let ticks = nice_ticks(a, b, max_ticks);
            let (lo, hi) = (a.min(b), a.max(b));
            prop_assert!(ticks.len() >= 2 && ticks.len() <= max_ticks + 1, "{ticks:?}");
            prop_assert!(ticks[0] <= lo && *ticks.last().unwrap() >= hi, "{ticks:?}");
            let step = ticks[1] - ticks[0];
            prop_assert!(step > 0 && is_round(step), "{ticks:?}");
            prop_assert!(ticks.windows(2).all(|w| w[1] - w[0] == step), "{ticks:?}");
            prop_assert!(ticks.iter().all(|t| t % step == 0), "{ticks:?}");
            if lo <= 0 && hi >= 0 {
                prop_assert!(ticks.contains(&0), "{ticks:?}");
            }
        }

        #[test]
        fn money_ticks_step_in_whole_currency_units(
            a in -10_000_000_000i64..10_000_000_000,
            b in -10_000_000_000i64..10_000_000_000,
        ) {
            let ticks = ticks_for(a, b, 5, MAD);
            prop_assert!(ticks.iter().all(|t| t % 100 == 0), "{ticks:?}");
            prop_assert!(ticks[0] <= a.min(b) && *ticks.last().unwrap() >= a.max(b));
        }

        #[test]
        fn any_chart_renders_without_style_attributes_or_nan(
            n in 0usize..40,
            values in prop::collection::vec(prop::collection::vec(any::<i64>(), 0..45), 0..4),
            kind in prop_oneof![Just(MAD), Just(ValueKind::Count), Just(ValueKind::PerMille)],
            links in prop::collection::vec(prop::option::of("[a-z/?=<>\"&]{0,8}"), 0..45),
            label in ".{0,12}",
        ) {
            let styles = ["current", "previous", "accepted", "refused"];
            let mut c = chart(&[], Vec::new(), kind, Lang::En);
            c.x_labels = (0..n).map(|i| format!("{label}{i}")).collect();
            c.series = values.iter().enumerate()
                .map(|(k, v)| series(&label, v, styles[k % 4])).collect();
            c.links = links;
            for lang in Lang::ALL {
                c.lang = lang;
                for html in [bar_chart(&c), line_chart(&c), hbar_chart(&c)] {
                    let html = html.into_string();
                    prop_assert!(!html.contains("style="));
                    prop_assert!(!html.contains("NaN"));
                    prop_assert!(!html.contains("<script"));
                }
            }
        }
    }

    #[test]
    fn ticks_survive_the_extremes_of_i64() {
        for (a, b) in [
            (i64::MIN, i64::MAX),
            (i64::MAX, i64::MAX),
            (i64::MIN, i64::MIN),
            (0, 0),
            (i64::MIN, 0),
        ] {
            let ticks = nice_ticks(a, b, 5);
            assert!(ticks.len() >= 2, "{a}..{b}: {ticks:?}");
            assert!(ticks[0] <= a.min(b) && *ticks.last().unwrap() >= a.max(b));
            assert!(ticks.windows(2).all(|w| w[0] < w[1]), "{ticks:?}");
        }
        let html = bar_chart(&chart(
            &["a", "b"],
            vec![series("s", &[i64::MIN, i64::MAX], "current")],
            MAD,
            Lang::Fr,
        ))
        .into_string();
        assert_eq!(tags(&html, "<rect class=\"bar").len(), 2);
    }

    #[test]
    fn a_single_value_is_shown_from_zero_and_all_zeros_get_one_step() {
        assert_eq!(nice_ticks(5, 5, 5), vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(nice_ticks(-30, -30, 3), vec![-30, -20, -10, 0]);
        assert_eq!(nice_ticks(0, 0, 5), vec![0, 1]);
        assert_eq!(ticks_for(0, 0, 5, MAD), vec![0, 100]);
        assert_eq!(ticks_for(0, 3_000, 5, MAD), vec![0, 1_000, 2_000, 3_000]);
        // Whole units of each currency: 1000 minor units of TND, 1 of JPY.
        let (tnd, jpy) = (
            ValueKind::Money(Currency::Tnd),
            ValueKind::Money(Currency::Jpy),
        );
        assert_eq!(ticks_for(0, 0, 5, tnd), vec![0, 1_000]);
        assert_eq!(ticks_for(0, 0, 5, jpy), vec![0, 1]);
        assert_eq!(format_tick(12_000_000, tnd, Lang::Fr), "12 k");
        assert_eq!(format_tick(12_000, jpy, Lang::En), "12k");
        assert_eq!(nice_ticks(0, 95, 5), vec![0, 20, 40, 60, 80, 100]);
        assert_eq!(nice_ticks(912, 987, 5), vec![900, 920, 940, 960, 980, 1000]);
    }

    #[test]
    fn bar_heights_are_proportional_to_the_values() {
        let html = bar_chart(&chart(
            &["lun.", "mar.", "mer."],
            vec![series("Ce mois", &[100, 50, 25], "current")],
            ValueKind::Count,
            Lang::Fr,
        ))
        .into_string();
        let bars = tags(&html, "<rect class=\"bar");
        let heights: Vec<i64> = bars.iter().map(|b| tenths(b, "height")).collect();
        assert_eq!(heights.len(), 3);
        assert_eq!(heights[0], (BOTTOM - TOP) * 10, "100 is the top tick");
        assert_eq!(heights[0], 2 * heights[1]);
        assert_eq!(heights[1], 2 * heights[2]);
        // All stand on the zero line.
        let zero = tenths(tags(&html, "<line class=\"zero")[0], "y1");
        assert!(
            bars.iter()
                .all(|b| tenths(b, "y") + tenths(b, "height") == zero)
        );
        // Two series side by side: six bars, the second of each pair to the right.
        let html = bar_chart(&chart(
            &["a", "b", "c"],
            vec![
                series("now", &[1, 2, 3], "current"),
                series("before", &[3, 2, 1], "previous"),
            ],
            ValueKind::Count,
            Lang::En,
        ))
        .into_string();
        let bars = tags(&html, "<rect class=\"bar");
        assert_eq!(bars.len(), 6);
        assert!(bars[1].contains("series-previous"));
        assert!(tenths(bars[0], "x") < tenths(bars[1], "x"));
        assert!(tenths(bars[1], "x") < tenths(bars[2], "x"));
    }

    #[test]
    fn a_negative_value_draws_below_the_zero_line() {
        let html = bar_chart(&chart(
            &["a", "b"],
            vec![series("net", &[10_000, -5_000], "current")],
            MAD,
            Lang::Fr,
        ))
        .into_string();
        let zero = tenths(tags(&html, "<line class=\"zero")[0], "y1");
        let bars = tags(&html, "<rect class=\"bar");
        assert_eq!(tenths(bars[0], "y") + tenths(bars[0], "height"), zero);
        assert_eq!(tenths(bars[1], "y"), zero);
        // Proportional, to the tenth of a unit each end is rounded to.
        let (h0, h1) = (tenths(bars[0], "height"), tenths(bars[1], "height"));
        assert!((h0 - 2 * h1).abs() <= 2, "{h0} {h1}");
        assert!(html.contains("−50,00 MAD"), "{html}");
        // Negative only: the bars hang from the zero line at the top.
        let html = bar_chart(&chart(
            &["a"],
            vec![series("net", &[-5_000], "refused")],
            MAD,
            Lang::En,
        ))
        .into_string();
        let zero = tenths(tags(&html, "<line class=\"zero")[0], "y1");
        assert_eq!(zero, TOP * 10);
        assert_eq!(tenths(tags(&html, "<rect class=\"bar")[0], "y"), zero);
    }

    #[test]
    fn titles_and_descriptions_are_present_and_escaped() {
        let mut c = chart(
            &["<script>alert(1)</script>"],
            vec![series("<b>now</b>", &[1_250_050], "current")],
            MAD,
            Lang::Fr,
        );
        c.title = "Ventes & remboursements".to_string();
        c.description = "Le \"total\" <i>monte</i>.".to_string();
        for html in [bar_chart(&c), line_chart(&c), hbar_chart(&c)] {
            let html = html.into_string();
            assert!(
                html.starts_with("<figure class=\"chart\"><figcaption>"),
                "{html}"
            );
            assert!(html.contains(r#"role="img" aria-labelledby="c1-title c1-desc""#));
            assert!(html.contains(r#"<title id="c1-title">Ventes &amp; remboursements</title>"#));
            assert!(html.contains(
                "<desc id=\"c1-desc\">Le &quot;total&quot; &lt;i&gt;monte&lt;/i&gt;.</desc>"
            ));
            assert!(html.contains(
                "<title>&lt;script&gt;alert(1)&lt;/script&gt; — &lt;b&gt;now&lt;/b&gt; : 12 500,50 MAD"
            ), "{html}");
            assert!(!html.contains("<script>") && !html.contains("<b>") && !html.contains("<i>"));
            assert!(html.contains(
                r#"<span class="swatch series-current" aria-hidden="true"></span>&lt;b&gt;now"#
            ));
        }
    }

    #[test]
    fn values_and_ticks_read_in_french_and_in_english() {
        assert_eq!(format_value(123_456, MAD, Lang::Fr), "1 234,56 MAD");
        assert_eq!(format_value(123_456, MAD, Lang::En), "1,234.56 MAD");
        assert_eq!(format_value(-5_000, MAD, Lang::Fr), "−50,00 MAD");
        assert_eq!(format_value(247_790, ValueKind::Count, Lang::Fr), "247 790");
        assert_eq!(format_value(247_790, ValueKind::Count, Lang::En), "247,790");
        assert_eq!(format_value(923, ValueKind::PerMille, Lang::Fr), "92,3 %");
        assert_eq!(format_value(923, ValueKind::PerMille, Lang::En), "92.3%");
        assert_eq!(format_value(1000, ValueKind::PerMille, Lang::Fr), "100,0 %");
        assert_eq!(format_tick(1_200_000, MAD, Lang::Fr), "12 k");
        assert_eq!(format_tick(1_200_000, MAD, Lang::En), "12k");
        assert_eq!(format_tick(120_000_000, MAD, Lang::Fr), "1,2 M");
        assert_eq!(format_tick(120_000_000, MAD, Lang::En), "1.2M");
        assert_eq!(format_tick(50_000, MAD, Lang::Fr), "500");
        assert_eq!(format_tick(-250_000, MAD, Lang::Fr), "−2,5 k");
        assert_eq!(format_tick(0, MAD, Lang::En), "0");
        assert_eq!(
            format_tick(3_000_000_000, ValueKind::Count, Lang::Fr),
            "3 Md"
        );
        assert_eq!(format_tick(3_000_000_000, ValueKind::Count, Lang::En), "3B");
        assert_eq!(format_tick(900, ValueKind::PerMille, Lang::Fr), "90 %");
        assert_eq!(format_tick(925, ValueKind::PerMille, Lang::En), "92.5%");
        let html = bar_chart(&chart(
            &["S45"],
            vec![series("s", &[1_200_000], "current")],
            MAD,
            Lang::Fr,
        ))
        .into_string();
        assert!(
            html.contains(">10 k</text>") && html.contains(">MAD</text>"),
            "{html}"
        );
        assert!(html.contains("<title>S45 — s : 12 000,00 MAD</title>"));
    }

    #[test]
    fn an_empty_chart_says_there_is_no_data() {
        let zeros = chart(
            &["a", "b"],
            vec![series("s", &[0, 0], "current")],
            MAD,
            Lang::Fr,
        );
        let no_labels = chart(&[], vec![series("s", &[5], "current")], MAD, Lang::En);
        let no_series = chart(&["a"], Vec::new(), ValueKind::Count, Lang::En);
        for render in [bar_chart, line_chart, hbar_chart] {
            let html = render(&zeros).into_string();
            assert!(html.contains("Aucune donnée sur la période"), "{html}");
            assert!(html.contains("<title id=\"c1-title\">"));
            assert!(!html.contains("class=\"bar"));
            for c in [&no_labels, &no_series] {
                assert!(render(c).into_string().contains("No data for the period"));
            }
        }
    }

    #[test]
    fn links_become_anchors_around_their_bucket() {
        let mut c = chart(
            &["a", "b", "c"],
            vec![series("s", &[3, 2, 1], "current")],
            ValueKind::Count,
            Lang::En,
        );
        c.links = vec![Some("/transactions?day=1&x=<".to_string()), None];
        for html in [bar_chart(&c), line_chart(&c), hbar_chart(&c)] {
            let html = html.into_string();
            assert_eq!(html.matches("<a ").count(), 1, "{html}");
            assert!(
                html.contains(r#"<a class="chart-link" href="/transactions?day=1&amp;x=&lt;""#),
                "{html}"
            );
        }
        // Bars and points carry no text: their link is named by label and value.
        for html in [bar_chart(&c), line_chart(&c)] {
            assert!(html.into_string().contains(r#"aria-label="a — s: 3""#));
        }
    }

    #[test]
    fn mismatched_series_are_padded_with_zeros_or_cut() {
        let html = bar_chart(&chart(
            &["a", "b", "c"],
            vec![
                series("short", &[5], "current"),
                series("long", &[1, 2, 3, 4, 5], "previous"),
            ],
            ValueKind::Count,
            Lang::En,
        ))
        .into_string();
        assert_eq!(tags(&html, "<rect class=\"bar").len(), 6);
        assert!(html.contains("<title>b — short: 0</title>"));
        assert!(!html.contains("long: 4"));
    }

    #[test]
    fn many_labels_are_thinned_under_the_axis_but_all_stay_in_the_titles() {
        let labels: Vec<String> = (1..=31).map(|d| format!("{d} déc.")).collect();
        let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        let values: Vec<i64> = (1..=31).collect();
        let c = chart(
            &refs,
            vec![series("s", &values, "current")],
            ValueKind::Count,
            Lang::Fr,
        );
        for html in [bar_chart(&c), line_chart(&c)] {
            let html = html.into_string();
            let written = tags(&html, "<text class=\"xlabel").len();
            assert!((2..=MAX_X_LABELS).contains(&written), "{written}");
            assert!(html.contains(">1 déc.</text>"));
            assert!(
                refs.iter()
                    .all(|l| html.contains(&format!("<title>{l} — s : ")))
            );
        }
    }

    #[test]
    fn a_line_joins_the_points_of_each_series() {
        let c = chart(
            &["1", "2", "3", "4"],
            vec![
                series("accepted", &[923, 950, 1000, 880], "accepted"),
                series("other", &[900, 900, 900, 900], "previous"),
            ],
            ValueKind::PerMille,
            Lang::En,
        );
        let html = line_chart(&c).into_string();
        assert_eq!(tags(&html, "<polyline class=\"line").len(), 2);
        let points = tags(&html, "<circle class=\"point series-accepted");
        assert_eq!(points.len(), 4);
        let ys: Vec<i64> = points.iter().map(|p| tenths(p, "cy")).collect();
        assert!(ys[2] < ys[1] && ys[1] < ys[0] && ys[0] < ys[3], "{ys:?}");
        assert!(html.contains("<title>3 — accepted: 100.0%</title>"));
        assert!(!html.contains("class=\"zero"), "no zero line above zero");
    }

    #[test]
    fn horizontal_bars_show_each_share_and_grow_with_the_rows() {
        let c = chart(
            &[
                "Visa",
                "Mastercard",
                "Un libellé beaucoup trop long pour sa colonne",
            ],
            vec![series("Montant", &[30_000, 10_000, 0], "current")],
            MAD,
            Lang::Fr,
        );
        let html = hbar_chart(&c).into_string();
        assert!(html.contains(&format!("viewBox=\"0 0 {W} {}\"", 2 * HB_PAD + 3 * ROW)));
        assert!(html.contains(">300,00 MAD (75,0 %)</text>"), "{html}");
        assert!(html.contains(">100,00 MAD (25,0 %)</text>"));
        let bars = tags(&html, "<rect class=\"bar");
        assert_eq!(tenths(bars[0], "width"), HB_BAR_W * 10);
        assert_eq!(tenths(bars[0], "width"), 3 * tenths(bars[1], "width"));
        assert!(html.contains(">Un libellé beaucoup trop …</text>"));
        assert!(html.contains("<title>Un libellé beaucoup trop long pour sa colonne — "));
    }
}
