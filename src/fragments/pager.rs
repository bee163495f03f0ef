//! The pager of PROC-3: `« First < Previous 1 2 3 4 5 … 24779 Next > Last »`
//! and `Showing 1 to 10 of 247,790 items`.

use maud::{Markup, html};

use crate::domain::Lang;
use crate::domain::money::format_count;

/// The page numbers to show around `current` (1-based), with `None` for a gap.
pub fn window(current: u64, last: u64) -> Vec<Option<u64>> {
    let mut pages: Vec<u64> = Vec::new();
    let current = current.min(last);
    let start = current.saturating_sub(2).max(1);
    let end = start.saturating_add(4).min(last);
    let start = end.saturating_sub(4).max(1);
    pages.extend(start..=end);
    let mut out: Vec<Option<u64>> = Vec::new();
    if start > 1 {
        out.push(Some(1));
        if start > 2 {
            out.push(None);
        }
    }
    out.extend(pages.into_iter().map(Some));
    if end < last {
        if end + 1 < last {
            out.push(None);
        }
        out.push(Some(last));
    }
    out
}

/// The pager; `href(page)` builds each link. Links swap `target` in place with htmx.
/// A page with a second pager under the results marks it `bottom`: the two navigation
/// landmarks then have distinct names.
pub fn pager(
    lang: Lang,
    bottom: bool,
    current: u64,
    last: u64,
    target: &str,
    href: &dyn Fn(u64) -> String,
) -> Markup {
    // "First" and "Last" are `edge`: phones hide them (pages 1 and last stay).
    let link = |page: u64, label: String, rel: Option<&str>, edge: bool| {
        let url = href(page);
        html! { a href=(url) class=[edge.then_some("edge")] hx-get=(url) hx-target=(target) hx-swap="outerHTML" hx-push-url="true" rel=[rel] { (label) } }
    };
    let off = |label: String, edge: bool| html! { span class=(if edge { "disabled edge" } else { "disabled" }) { (label) } };
    let (first, prev, next, lastl, name) = match lang {
        Lang::Fr => (
            "« Premier",
            "‹ Précédent",
            "Suivant ›",
            "Dernier »",
            "Pages de résultats",
        ),
        Lang::En => ("« First", "‹ Previous", "Next ›", "Last »", "Result pages"),
    };
    let name = match (bottom, lang) {
        (false, _) => name,
        (true, Lang::Fr) => "Pages de résultats (bas de liste)",
        (true, Lang::En) => "Result pages (end of list)",
    };
    html! {
        nav class="pager" aria-label=(name) {
            @if current > 1 { (link(1, first.into(), None, true)) (link(current - 1, prev.into(), Some("prev"), false)) }
            @else { (off(first.into(), true)) (off(prev.into(), false)) }
            @for p in window(current, last.max(1)) {
                @match p {
                    Some(p) if p == current => { a href=(href(p)) aria-current="page" { (format_count(p, lang)) } }
                    Some(p) => { (link(p, format_count(p, lang), None, false)) }
                    None => { span class="gap" { "…" } }
                }
            }
            @if current < last { (link(current + 1, next.into(), Some("next"), false)) (link(last, lastl.into(), None, true)) }
            @else { (off(next.into(), false)) (off(lastl.into(), true)) }
        }
    }
}

/// `Showing 1 to 10 of 247,790 items` / `Affichage de l'élément 1 à 10 sur 247 790 éléments`;
/// `No items` / `Aucun élément` when nothing matches, and the singular for one.
pub fn info(lang: Lang, first: u64, last: u64, total: u64) -> String {
    let (a, b, t) = (
        format_count(first, lang),
        format_count(last, lang),
        format_count(total, lang),
    );
    let items = lang.plural(total, ("élément", "éléments"), ("item", "items"));
    match (lang, total) {
        (Lang::Fr, 0) => "Aucun élément".into(),
        (Lang::En, 0) => "No items".into(),
        (Lang::Fr, _) => format!("Affichage de l'élément {a} à {b} sur {t} {items}"),
        (Lang::En, _) => format!("Showing {a} to {b} of {t} {items}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_shows_five_pages_and_the_ends() {
        assert_eq!(
            window(1, 24779),
            vec![
                Some(1),
                Some(2),
                Some(3),
                Some(4),
                Some(5),
                None,
                Some(24779)
            ]
        );
        assert_eq!(
            window(100, 24779),
            vec![
                Some(1),
                None,
                Some(98),
                Some(99),
                Some(100),
                Some(101),
                Some(102),
                None,
                Some(24779)
            ]
        );
        assert_eq!(window(3, 3), vec![Some(1), Some(2), Some(3)]);
        assert_eq!(window(24779, 24779).last(), Some(&Some(24779)));
    }

    #[test]
    fn the_info_line_uses_the_language_grouping() {
        assert_eq!(
            info(Lang::En, 1, 10, 247_790),
            "Showing 1 to 10 of 247,790 items"
        );
        assert_eq!(
            info(Lang::Fr, 1, 10, 247_790),
            "Affichage de l'élément 1 à 10 sur 247 790 éléments"
        );
    }

    #[test]
    fn the_info_line_says_none_and_uses_the_singular_for_one() {
        assert_eq!(info(Lang::Fr, 0, 0, 0), "Aucun élément");
        assert_eq!(info(Lang::En, 0, 0, 0), "No items");
        assert_eq!(
            info(Lang::Fr, 1, 1, 1),
            "Affichage de l'élément 1 à 1 sur 1 élément"
        );
        assert_eq!(info(Lang::En, 1, 1, 1), "Showing 1 to 1 of 1 item");
    }
}
