//! Support contacts (issue 14, point 2): the admin sets the support email, phone and
//! hours; they appear on the Support tab, the sign-in page's help line and on the
//! customer's payment-refused page, in the reader's language; bad input is refused beside the
//! field; merchant users never reach the form.

use guichet::db::Scope;
use guichet::domain::support_contacts::SupportContacts;
use reqwest::StatusCode;

use crate::fixtures::payments::{new_request, pay, shop};
use crate::support::spawn_app;

const PATH: &str = "/parameters/support";

#[tokio::test]
async fn the_admin_sets_the_contacts_and_they_reach_the_sign_in_and_refused_pages() {
    let app = spawn_app().await;
    let (m, merchant_user) = shop(&app).await;
    // Before any contact: the generic help line, no contact on the refusal.
    let (_, login) = app.client().page("/login").await;
    assert!(
        login.contains("Contactez le support de votre passerelle."),
        "{login}"
    );
    let (status, _) = merchant_user.page(PATH).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, support) = merchant_user.page("/support").await;
    assert!(!support.contains("Contacter le support"), "{support}");
    let admin = app.admin().await;
    let r = admin
        .post(
            PATH,
            &[
                ("email", "support@guichet.ma"),
                ("phone", "0522 48 00 47"),
                ("hours_fr", "du lundi au vendredi de 9 h à 17 h"),
                ("hours_en", "Monday to Friday, 9am to 5pm"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = admin.page(&format!("{PATH}?done=1")).await;
    assert!(page.contains("Contacts enregistrés."), "{page}");
    assert!(
        app.db
            .audit(Scope::Admin, 50)
            .unwrap()
            .iter()
            .any(|e| e.action == "support.contacts")
    );

    // The Support tab: merchants see the contacts, the admin what merchants see.
    let (_, support) = merchant_user.page("/support").await;
    assert!(support.contains("Contacter le support"), "{support}");
    assert!(
        support.contains(r#"href="mailto:support@guichet.ma""#),
        "{support}"
    );
    assert!(support.contains("du lundi au vendredi de 9 h à 17 h"));
    let (_, support) = admin.page("/support").await;
    assert!(
        support.contains("Les marchands voient ces contacts"),
        "{support}"
    );

    let visitor = app.client();
    let (_, fr) = visitor.page("/login").await;
    assert!(fr.contains(r#"href="mailto:support@guichet.ma""#), "{fr}");
    assert!(
        fr.contains(r#"href="tel:0522480047">0522 48 00 47<"#),
        "{fr}"
    );
    assert!(fr.contains("du lundi au vendredi de 9 h à 17 h"), "{fr}");
    visitor
        .post("/lang", &[("lang", "en"), ("next", "/login")])
        .await;
    let (_, en) = visitor.page("/login").await;
    assert!(en.contains("Monday to Friday, 9am to 5pm"), "{en}");

    let (_, token) = new_request(&merchant_user, m, &[]).await;
    let customer = app.client();
    let result = pay(&customer, &token, "4000000000000002", "").await;
    let (_, refused) = customer.page(&result).await;
    assert!(refused.contains("Paiement refusé"), "{refused}");
    assert!(
        refused.contains("Le support de la passerelle")
            && refused.contains("support@guichet.ma")
            && refused.contains("0522 48 00 47"),
        "{refused}"
    );
}

#[tokio::test]
async fn bad_contacts_are_refused_beside_the_field_and_nothing_changes() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let r = admin
        .post(
            PATH,
            &[
                ("email", "support at guichet"),
                ("phone", "appelez-nous"),
                ("hours_fr", "9h\u{202e}17h"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("Adresse e-mail invalide"), "{body}");
    assert!(body.contains("Numéro invalide"), "{body}");
    assert!(body.contains(r#"id="f-hours_fr-err""#), "{body}");
    assert!(
        body.contains("support at guichet"),
        "the typed value comes back"
    );
    assert_eq!(
        app.db.support_contacts().unwrap(),
        SupportContacts::default()
    );
    // Without the CSRF token nothing changes either.
    let r = admin.post_raw(PATH, &[("email", "a@b.ma")]).await;
    assert_ne!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.db.support_contacts().unwrap(),
        SupportContacts::default()
    );
}
