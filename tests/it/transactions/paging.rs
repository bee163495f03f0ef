//! §2 Page boundaries and malformed values.

use reqwest::StatusCode;

use crate::fixtures::dataset::{FROM, TO, period_pairs, seed};
use crate::support::html::{Listing, ids_in, info_in, link, listing};
use crate::support::spawn_app;
use crate::transactions::oracle::{F, brute_force, fmt_count, query};

#[tokio::test]
async fn the_last_page_has_the_remainder_and_a_page_beyond_the_end_links_to_the_last() {
    let app = spawn_app().await;
    let d = seed(&app);
    let admin = app.admin().await;
    // Every row the list shows (3-D Secure checks are hidden by default).
    let all: Vec<u64> = brute_force(&d.rows, &[], None);
    let n = all.len();
    for per_page in [10usize, 20, 40, 60, 100] {
        let last = n.div_ceil(per_page);
        let pp = per_page.to_string();
        let l = listing(
            &admin,
            &period_pairs(&[("per_page", &pp), ("page", &last.to_string())]),
        )
        .await;
        assert_eq!(l.status, StatusCode::OK);
        let remainder = n - (last - 1) * per_page;
        assert_eq!(l.ids, all[(last - 1) * per_page..], "per_page {per_page}");
        assert_eq!(l.ids.len(), remainder);
        assert_eq!(
            l.info,
            format!(
                "Affichage de l'élément {} à {} sur {} éléments",
                fmt_count(((last - 1) * per_page + 1) as u64),
                fmt_count(n as u64),
                fmt_count(n as u64)
            )
        );
        // The page size is kept selected, and the pager has no "next" link.
        assert!(
            l.body
                .contains(&format!(r#"<option value="{pp}" selected>"#))
        );
        assert!(!l.body.contains(r#"rel="next""#));
        // One page further: no rows, no error, a way back to the last page.
        let beyond = (last + 1).to_string();
        let l = listing(
            &admin,
            &period_pairs(&[("per_page", &pp), ("page", &beyond)]),
        )
        .await;
        assert_eq!(l.status, StatusCode::OK, "per_page {per_page}");
        assert!(l.ids.is_empty());
        assert_eq!(l.total(), n as u64);
        let mut to_last = vec![("from", FROM.to_string()), ("to", TO.to_string())];
        if last > 1 {
            to_last.push(("page", last.to_string()));
        }
        if per_page != 10 {
            to_last.push(("per_page", pp.clone()));
        }
        let href = format!(
            r#"href="/transactions?{}""#,
            serde_urlencoded::to_string(&to_last)
                .unwrap()
                .replace('&', "&amp;")
        );
        assert!(l.body.contains(&href), "{href}");
        assert!(l.body.contains("Aller à la dernière page"));
    }
    // Far beyond the end too.
    let l = listing(&admin, &period_pairs(&[("page", "1000000")])).await;
    assert_eq!(l.status, StatusCode::OK);
    assert!(l.ids.is_empty());
    // The pager's links keep the filters (accents included) and the page size.
    let fes = [F::Holder("Fès".into())];
    let expected = brute_force(&d.rows, &fes, None);
    assert!(expected.len() > 20);
    let mut pairs = query(&fes);
    pairs.push(("per_page", "20".into()));
    let mut l = listing(&admin, &pairs).await;
    let mut got = l.ids.clone();
    while let Some(next) = link(&l.body, "next") {
        assert!(
            next.contains("holder=F%C3%A8s") && next.contains("per_page=20"),
            "{next}"
        );
        let (status, body) = admin.page(&next).await;
        assert_eq!(status, StatusCode::OK);
        l = Listing {
            status,
            ids: ids_in(&body),
            info: info_in(&body),
            body,
        };
        got.extend(&l.ids);
    }
    assert_eq!(got, expected);
    let first = link(&l.body, "prev").unwrap();
    assert!(first.contains("holder=F%C3%A8s"));
    // Nothing found: page 2 is empty, with no link to a "last page".
    let l = listing(&admin, &period_pairs(&[("holder", "Z"), ("page", "2")])).await;
    assert_eq!(l.status, StatusCode::OK);
    assert_eq!(l.total(), 0);
    assert!(!l.body.contains("Aller à la dernière page"));
    // Page 2 of 10 shows rows 11 to 20 and links both ways.
    let l = listing(&admin, &period_pairs(&[("page", "2")])).await;
    assert_eq!(l.ids, all[10..20]);
    assert!(l.info.starts_with("Affichage de l'élément 11 à 20 sur "));
    assert!(l.body.contains(r#"rel="prev""#) && l.body.contains(r#"rel="next""#));
}

#[tokio::test]
async fn the_info_line_beyond_the_last_page_counts_no_row_that_is_not_there() {
    let app = spawn_app().await;
    let d = seed(&app);
    let admin = app.admin().await;
    let n = brute_force(&d.rows, &[], None).len() as u64;
    let beyond = (n.div_ceil(10) + 1).to_string();
    let l = listing(&admin, &period_pairs(&[("page", &beyond)])).await;
    assert_eq!(l.status, StatusCode::OK);
    let numbers: Vec<u64> = l
        .info
        .replace(' ', "")
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    assert!(
        numbers.iter().all(|x| *x <= n) && numbers[0] <= numbers[1],
        "{}",
        l.info
    );
}

#[tokio::test]
async fn a_huge_page_number_never_answers_500() {
    let app = spawn_app().await;
    seed(&app);
    let admin = app.admin().await;
    for page in [
        "184467440737095516",
        "10000000000000000000",
        "18446744073709551615",
    ] {
        for per_page in ["10", "100"] {
            let l = listing(
                &admin,
                &period_pairs(&[("page", page), ("per_page", per_page)]),
            )
            .await;
            assert!(
                l.status == StatusCode::OK || l.status == StatusCode::BAD_REQUEST,
                "page={page}&per_page={per_page}: {}",
                l.status
            );
            assert!(l.ids.is_empty());
        }
    }
}

#[tokio::test]
async fn malformed_paging_values_are_refused_with_400_and_a_clear_message() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for per_page in ["7", "0", "15", "1000", "abc", "-10", "10.5", "101"] {
        let l = listing(&admin, &period_pairs(&[("per_page", per_page)])).await;
        assert_eq!(l.status, StatusCode::BAD_REQUEST, "per_page={per_page}");
        assert!(
            l.body.contains(&format!(
                "« {per_page} » : choisissez 10, 20, 40, 60 ou 100 éléments par page."
            )),
            "per_page={per_page}"
        );
        assert!(l.ids.is_empty() && l.info.is_empty());
    }
    for page in ["0", "abc", "-1", "1.5", "2e3"] {
        let l = listing(&admin, &period_pairs(&[("page", page)])).await;
        assert_eq!(l.status, StatusCode::BAD_REQUEST, "page={page}");
        assert!(
            l.body
                .contains(&format!("« {page} » : numéro de page invalide.")),
            "page={page}"
        );
    }
    // Every allowed size is accepted.
    for per_page in ["10", "20", "40", "60", "100", " 20 "] {
        let l = listing(&admin, &period_pairs(&[("per_page", per_page)])).await;
        assert_eq!(l.status, StatusCode::OK, "per_page={per_page}");
    }
}

#[tokio::test]
async fn malformed_dates_and_amounts_are_refused_with_400_quoting_the_value() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let l = listing(
        &admin,
        &[("from", "2026-05-25".into()), ("to", "2026-05-24".into())],
    )
    .await;
    assert_eq!(l.status, StatusCode::BAD_REQUEST);
    assert!(
        l.body
            .contains("La date de début doit être antérieure à la date de fin.")
    );
    assert!(l.body.contains(
        r#"id="q-from" name="from" value="2026-05-25" placeholder="JJ/MM/AAAA" aria-invalid="true""#
    ));
    let l = listing(
        &admin,
        &[
            ("from", "2026-05-25T10:01".into()),
            ("to", "2026-05-25T09:59".into()),
        ],
    )
    .await;
    assert_eq!(l.status, StatusCode::BAD_REQUEST);
    assert!(l.body.contains("La date de début doit être antérieure"));
    for (field, value) in [
        ("from", "31/02/2026"),
        ("from", "2026-02-30"),
        ("to", "2026-05-21T25:00"),
        ("to", "2026-05-21 10:00"),
        ("from", "aujourd'hui"),
        ("to", "2026-5-1"),
    ] {
        let l = listing(&admin, &[(field, value.into())]).await;
        assert_eq!(l.status, StatusCode::BAD_REQUEST, "{field}={value}");
        assert!(
            l.body.contains(&format!(
                "« {value} » : date attendue au format JJ/MM/AAAA ou AAAA-MM-JJ, heure facultative (JJ/MM/AAAA HH:MM)."
            )),
            "{field}={value}"
        );
    }
    for (field, value) in [
        ("amount", "1e3"),
        ("amount", "12,345"),
        ("amount_min", "-5"),
        ("amount_max", "abc"),
        ("amount", "1,2,3"),
        ("amount_min", "10,123"),
        ("amount_max", "1.005"),
    ] {
        let l = listing(&admin, &period_pairs(&[(field, value)])).await;
        assert_eq!(l.status, StatusCode::BAD_REQUEST, "{field}={value}");
        assert!(l.body.contains(&format!("« {value} »")), "{field}={value}");
        assert!(
            l.body.contains(&format!(
                r#"id="q-{field}" name="{field}" value="{value}" aria-invalid="true""#
            )),
            "{field}={value}"
        );
    }
    let l = listing(
        &admin,
        &period_pairs(&[("amount_min", "100"), ("amount_max", "99,99")]),
    )
    .await;
    assert_eq!(l.status, StatusCode::BAD_REQUEST);
    assert!(l.body.contains("Le montant minimum dépasse le maximum."));
    for (field, value, message) in [
        ("bin", "41111", "6 chiffres attendus"),
        ("last4", "12a4", "4 chiffres attendus"),
        ("merchant", "uber", "un nombre entier est attendu"),
        ("terminal", "-3", "un nombre entier est attendu"),
        ("ref", "12x", "un nombre entier est attendu"),
        ("operation", "steal", "valeur inconnue"),
        ("status", "pending", "valeur inconnue"),
        ("code", "123", "valeur inconnue"),
        ("brand", "bitcoin", "valeur inconnue"),
    ] {
        let l = listing(&admin, &period_pairs(&[(field, value)])).await;
        assert_eq!(l.status, StatusCode::BAD_REQUEST, "{field}={value}");
        assert!(
            l.body.contains(&format!("« {value} » : {message}")),
            "{field}={value}"
        );
    }
    // All errors at once, each with its message.
    let l = listing(
        &admin,
        &[
            ("from", "demain".into()),
            ("amount", "1e3".into()),
            ("per_page", "7".into()),
        ],
    )
    .await;
    assert_eq!(l.status, StatusCode::BAD_REQUEST);
    for v in ["« demain »", "« 1e3 »", "« 7 »"] {
        assert!(l.body.contains(v), "{v}");
    }
}

#[tokio::test]
async fn the_info_line_follows_the_users_language() {
    let app = spawn_app().await;
    let d = seed(&app);
    let admin = app.admin().await;
    let n = brute_force(&d.rows, &[], None).len() as u64;
    let l = listing(&admin, &period_pairs(&[])).await;
    assert_eq!(
        l.info,
        format!(
            "Affichage de l'élément 1 à 10 sur {} éléments",
            fmt_count(n)
        )
    );
    let r = admin.post("/lang", &[("lang", "en")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let l = listing(&admin, &period_pairs(&[("page", "2"), ("per_page", "20")])).await;
    assert_eq!(l.info, format!("Showing 21 to 40 of {n} items"));
    assert!(l.body.contains("Next ›"));
    let l = listing(&admin, &period_pairs(&[("per_page", "7")])).await;
    assert_eq!(l.status, StatusCode::BAD_REQUEST);
    assert!(
        l.body
            .contains("&quot;7&quot;: choose 10, 20, 40, 60 or 100 items per page.")
    );
}
