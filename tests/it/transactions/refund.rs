//! Issue 10, safer money screens: a refused amount stays as typed under its field, the
//! refund confirmation says it is the only one and what stays unrefundable for ever,
//! the refunded part shows on the sale, and the rebill sits apart.

use guichet::clock::Clock;
use guichet::domain::user::Permissions;
use reqwest::StatusCode;

use crate::fixtures::rows::{sale, write};
use crate::support::html::{get_htmx, urlencode};
use crate::support::{Client, TestApp, spawn_app};

/// A merchant's manager and one accepted sale of 1 250,50 MAD paid through payment
/// link 7; returns the sale's id and the manager's client.
async fn shop(app: &TestApp) -> (u64, Client) {
    let m = app.merchant("Riad Fès Médina");
    app.merchant_user("riad.manager", m.id, Permissions::ALL);
    let mut paid = sale(m.id, app.clock.now(), 125_050, "Imane Filali");
    // Paid through payment link 7.
    paid.initiator.point_of_sale = "LINK-7".into();
    let rows = write(app, vec![paid]);
    (rows[0].id, app.signed_in("riad.manager").await)
}

/// The `<div class="field">` holding the refund amount.
fn refund_field(page: &str) -> &str {
    let start = page
        .find(r#"<input id="f-amount-refund""#)
        .unwrap_or_else(|| panic!("no refund field: {page}"));
    let end = start + page[start..].find("</div>").unwrap();
    &page[start..end]
}

#[tokio::test]
async fn a_refused_refund_amount_comes_back_as_typed_with_the_reason_under_its_field() {
    let app = spawn_app().await;
    let (id, c) = shop(&app).await;
    for (typed, message) in [
        ("2000", "Le montant ne peut pas dépasser 1 250,50 MAD."),
        ("12,5x", "n'est pas un montant"),
        ("0", "Le montant doit être supérieur à zéro."),
    ] {
        let get = c
            .get(&format!(
                "/transactions/{id}/operations/refund?amount={}",
                urlencode(typed)
            ))
            .await;
        let post = c
            .post(
                &format!("/transactions/{id}/operations/refund"),
                &[("amount", typed)],
            )
            .await;
        for r in [get, post] {
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
            let page = r.text().await.unwrap();
            let field = refund_field(&page);
            assert!(
                field.contains(&format!(r#"value="{typed}""#)),
                "{typed} not kept: {field}"
            );
            assert!(field.contains(r#"aria-invalid="true""#), "{field}");
            assert!(
                field.contains(
                    r#"aria-describedby="f-amount-refund-hint refund-rest f-amount-refund-err""#
                ),
                "{field}"
            );
            assert!(
                field.contains(r#"<small class="error" id="f-amount-refund-err">"#)
                    && field.contains(message),
                "{typed}: {field}"
            );
            // In place, not as a banner over the tab.
            assert!(
                !page.contains(r#"<div class="flash err""#),
                "{typed}: a banner"
            );
        }
    }
    // A fresh tab proposes the most, in the page's own number format.
    let (_, page) = c.page(&format!("/transactions/{id}?tab=operations")).await;
    let field = refund_field(&page);
    assert!(field.contains(r#"value="1 250,50""#), "{field}");
    assert!(!field.contains("aria-invalid"), "{field}");
    // In English, the same.
    c.post("/lang", &[("lang", "en")]).await;
    let r = c
        .get(&format!(
            "/transactions/{id}/operations/refund?amount=1300.00"
        ))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    let field = refund_field(&page);
    assert!(
        field.contains(r#"value="1300.00""#)
            && field.contains("The amount cannot exceed 1,250.50 MAD.")
    );
    let (_, page) = c.page(&format!("/transactions/{id}?tab=operations")).await;
    assert!(refund_field(&page).contains(r#"value="1,250.50""#));
}

#[tokio::test]
async fn the_refund_confirmation_says_it_is_the_only_one_and_what_can_never_be_refunded() {
    let app = spawn_app().await;
    let (id, c) = shop(&app).await;
    let (status, half) = c
        .page(&format!(
            "/transactions/{id}/operations/refund?amount=625,25"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        half.contains(r#"<div class="callout warn" id="refund-once">Un seul remboursement est possible par transaction : après celui-ci, les <span class="nowrap">625,25 MAD</span> restants ne pourront plus jamais être remboursés.</div>"#),
        "{half}"
    );
    let (_, all) = c
        .page(&format!(
            "/transactions/{id}/operations/refund?amount=1250,50"
        ))
        .await;
    assert!(all.contains(
        "Un seul remboursement est possible par transaction : celui-ci rembourse la totalité."
    ));
    assert!(!all.contains("ne pourront plus jamais"));
    c.post("/lang", &[("lang", "en")]).await;
    let (_, half) = c
        .page(&format!("/transactions/{id}/operations/refund?amount=1000"))
        .await;
    assert!(
        half.contains(r#"Only one refund is allowed per transaction: after this one, the remaining <span class="nowrap">250.50 MAD</span> can never be refunded."#),
        "{half}"
    );
    // The button says what it does, the amount on one line; going back is not
    // « Annuler », the name of an operation.
    assert!(half.contains("<h1>Confirm the refund</h1>"), "{half}");
    assert!(
        half.contains(r#"<button class="primary" type="submit">Refund <span class="nowrap">1,000.00 MAD</span></button>"#),
        "{half}"
    );
    assert!(half.contains(">Go back</a>"), "{half}");
    c.post("/lang", &[("lang", "fr")]).await;
    let (_, half) = c
        .page(&format!("/transactions/{id}/operations/refund?amount=100"))
        .await;
    assert!(
        half.contains("<h1>Confirmer le remboursement</h1>"),
        "{half}"
    );
    assert!(
        half.contains(r#"<button class="primary" type="submit">Rembourser <span class="nowrap">100,00 MAD</span></button>"#),
        "{half}"
    );
    assert!(half.contains(">Ne rien faire</a>"), "{half}");
    assert!(!half.contains("Annuler"), "{half}");
    assert!(!half.contains("Confirmer :"), "{half}");
}

#[tokio::test]
async fn after_a_partial_refund_the_sale_shows_the_refunded_part_and_offers_no_second_refund() {
    let app = spawn_app().await;
    let (id, c) = shop(&app).await;
    let (_, before) = c.page(&format!("/transactions/{id}")).await;
    assert!(before.contains(&format!(
        r##"<a class="button" href="/transactions/{id}?tab=operations#op-refund">Rembourser</a>"##
    )));
    assert!(!before.contains("Remboursée partiellement"));
    // The payment request it paid, one click away.
    assert!(before.contains(
        r#"<dt>Demande de paiement</dt><dd><a href="/payment-requests/7">Demande 7</a></dd>"#
    ));
    let r = c
        .post(
            &format!("/transactions/{id}/operations/refund"),
            &[("amount", "625.25")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let (_, done) = c.page(&location).await;
    assert!(
        done.contains(r#"<div class="flash ok" role="status">Remboursement de 625,25 MAD accepté : <a href="/transactions/2">transaction 2</a>.</div>"#),
        "{done}"
    );
    assert!(!done.contains("enregistré(e)"));
    assert!(done.contains(
        r#"<p class="sum-refunded">Remboursée partiellement <span class="nowrap">625,25 / 1 250,50 MAD</span></p>"#
    ));
    // No more refund: no quick action, and the tab says why in its muted list.
    assert!(!done.contains("#op-refund\""), "{done}");
    assert!(!done.contains(r#"id="f-amount-refund""#));
    assert!(
        done.contains("<strong>Remboursement</strong> — Cette transaction a déjà été remboursée")
    );
    // The sale's history: the action in words, the amount in French, the refund linked.
    let (_, history) = c.page(&format!("/transactions/{id}?tab=history")).await;
    assert!(
        history.contains(r#"<td><span data-code="refund">Remboursement</span></td><td>625,25 MAD → <a href="/transactions/2">transaction 2</a> (000 – Transaction terminée avec succès)</td>"#),
        "{history}"
    );
    // The refund itself: money going back, so negative, and the sale it follows.
    let (_, refund) = c.page("/transactions/2").await;
    assert!(
        refund.contains("<strong class=\"sum-amount\">\u{2212}625,25 MAD</strong>"),
        "{refund}"
    );
    assert!(refund.contains(&format!(r#"<a href="/transactions/{id}">Vente {id}</a>"#)));
    assert!(!refund.contains("sum-refunded"));
}

#[tokio::test]
async fn the_rebill_sits_apart_as_charge_the_card_again() {
    let app = spawn_app().await;
    let (id, c) = shop(&app).await;
    let (_, tab) = c.page(&format!("/transactions/{id}?tab=operations")).await;
    // Refund in the operations on this payment; capture and cancel in one muted list;
    // then, after both, the rebill in its own box.
    let ops = tab.find(r#"<div class="ops">"#).expect("the operations");
    let off = tab
        .find(r#"<div class="ops-off">"#)
        .expect("the unavailable ones");
    let rebill = tab
        .find(r#"<section class="card op rebill" id="op-rebill""#)
        .expect("the rebill box");
    assert!(ops < off && off < rebill, "order: {ops} {off} {rebill}");
    assert!(tab[ops..off].contains(r#"id="op-refund""#));
    assert!(
        !tab[ops..off].contains("rebill"),
        "the rebill is not among them"
    );
    assert!(
        tab[off..rebill].contains(
            "<strong>Capture</strong> — Impossible sur une transaction de type « Vente »."
        )
    );
    // Its box says what it does and the name it has in the list and the filter.
    assert!(tab[rebill..].contains(">Débiter à nouveau la carte (refacturation)</h2>"));
    let (_, confirm) = c
        .page(&format!("/transactions/{id}/operations/rebill?amount=100"))
        .await;
    assert!(
        confirm.contains("<h1>Confirmer : débiter à nouveau la carte (refacturation)</h1>"),
        "{confirm}"
    );
    assert!(
        confirm.contains(r#"<button class="primary" type="submit">Débiter à nouveau <span class="nowrap">100,00 MAD</span></button>"#),
        "{confirm}"
    );
    assert!(!confirm.contains("refund-once"));
    c.post("/lang", &[("lang", "en")]).await;
    let (_, tab) = c.page(&format!("/transactions/{id}?tab=operations")).await;
    assert!(tab.contains(">Charge the card again (rebill)</h2>"));
    assert!(tab.contains(
        "Charges the customer's stored card (its token) again, without the customer having to enter it: a new payment, not a correction of this one."
    ));
    assert!(!tab.contains("without them"));
    assert!(tab.contains("<strong>Not available here:</strong>"));
    let (_, confirm) = c
        .page(&format!("/transactions/{id}/operations/rebill?amount=100"))
        .await;
    assert!(
        confirm.contains("<h1>Confirm: charge the card again (rebill)</h1>"),
        "{confirm}"
    );
    assert!(
        confirm.contains(r#"<button class="primary" type="submit">Charge <span class="nowrap">100.00 MAD</span> again</button>"#),
        "{confirm}"
    );
}

#[tokio::test]
async fn as_a_refund_amount_is_typed_htmx_says_what_will_never_be_refundable() {
    let app = spawn_app().await;
    let (id, c) = shop(&app).await;
    // The field asks for the line again as the amount is typed.
    let (_, tab) = c.page(&format!("/transactions/{id}?tab=operations")).await;
    assert!(
        tab.contains(&format!(
            r##"hx-get="/transactions/{id}/operations/refund" hx-trigger="input changed delay:250ms" hx-target="#refund-rest" hx-swap="outerHTML""##
        )),
        "{tab}"
    );
    // Proposed: everything, so nothing stays.
    assert!(tab.contains(
        r#"<small class="hint rest" id="refund-rest" aria-live="polite">Remboursement total.</small>"#
    ));
    let line = |typed: &str| {
        let c = &c;
        let path = format!(
            "/transactions/{id}/operations/refund?amount={}",
            urlencode(typed)
        );
        async move { get_htmx(c, &path, true).await }
    };
    let (status, vary, half) = line("625,25").await;
    assert_eq!(status, StatusCode::OK);
    assert!(vary.contains("HX-Request"), "{vary}");
    assert_eq!(
        half,
        concat!(
            r#"<small class="hint rest" id="refund-rest" aria-live="polite">Ne pourra plus jamais être remboursé : <strong class="nowrap">625,25 MAD</strong></small>"#,
            // An acceptable amount clears an earlier refusal under the field.
            r#"<small class="error" id="f-amount-refund-err" hx-swap-oob="true"></small>"#
        )
    );
    let (_, _, all) = line("1 250,50").await;
    assert!(all.contains(">Remboursement total.</small>"), "{all}");
    // Not an amount, or above the most: nothing (Continue says why).
    for typed in ["", "abc", "0", "1250,51"] {
        let (status, _, empty) = line(typed).await;
        assert_eq!(status, StatusCode::OK, "{typed}");
        assert_eq!(
            empty, r#"<small class="hint rest" id="refund-rest" aria-live="polite"></small>"#,
            "{typed}"
        );
    }
    // Without htmx the same URL is still the confirmation step.
    let (status, _, confirm) = get_htmx(
        &c,
        &format!("/transactions/{id}/operations/refund?amount=100"),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("refund-once"));
    assert!(
        app.db
            .children(guichet::db::Scope::Admin, id)
            .unwrap()
            .is_empty(),
        "nothing written"
    );
    // In English.
    c.post("/lang", &[("lang", "en")]).await;
    let (_, _, half) = line("1000").await;
    assert!(
        half.contains(
            r#"Can never be refunded afterwards: <strong class="nowrap">250.50 MAD</strong>"#
        ),
        "{half}"
    );
}
