//! Emails against a real SMTP server (aiosmtpd, from the `.venv-smtp` that `make test` creates), with the real `guichet`
//! binary as a child process: the message arrives in the chosen language and its
//! link opens the payment page; with the server down it waits, and leaves once the
//! server is back, across a restart of Guichet. (The scan of the data file,
//! the logs and the emails for card numbers is in `no_full_card_number`.)

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::fixtures::payments::token_in_link;
use crate::support::free_port;
use crate::support::smtp::{Guichet, Smtp, seed_data_file, send_request, sign_in};

fn parse(raw: &[u8]) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default().parse(raw).unwrap()
}

#[tokio::test]
async fn emails_arrive_in_their_language_wait_while_smtp_is_down_and_leave_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("g.redb");
    let log = dir.path().join("guichet.log");
    let merchant = seed_data_file(&data);
    let (smtp_port, port) = (free_port(), free_port());
    let mut smtp = Smtp::start(smtp_port, &dir.path().join("maildir")).await;
    let mut g = Guichet::start(&data, port, smtp_port, &log).await;
    let c = sign_in(&g).await;

    send_request(&c, merchant, "en", "ORDER-EN-1").await;
    let mail = &smtp.wait_for(1).await[0];
    let msg = parse(mail);
    let token = token_in_link(msg.body_text(0).unwrap().as_ref());
    assert_eq!(
        msg.subject(),
        Some("Payment request – order ORDER-EN-1 – Riad Atlas SARL")
    );
    assert_eq!(
        msg.to().unwrap().first().unwrap().address(),
        Some("karim@example.ma")
    );
    let text = msg.body_text(0).unwrap();
    assert!(text.contains("Hello Karim Benali,"), "{text}");
    assert!(text.contains("1,200.00 MAD"), "{text}");
    let html = msg.body_html(0).unwrap();
    assert!(html.contains("Pay the order"), "{html}");
    let link = format!("{}/payment/{token}", g.base);
    assert!(
        text.contains(&link) && html.contains(&link),
        "link built from the base URL"
    );
    let (status, page) = g.client().page(&format!("/payment/{token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("PAYMENT REQUEST") && page.contains("ORDER-EN-1"));

    // SMTP down: the message waits, each attempt visible.
    smtp.stop();
    let (id, _) = send_request(&c, merchant, "fr", "COMMANDE-FR-2").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, page) = c.page(&format!("/payment-requests/{id}")).await;
        if page.contains("Nouvel essai prévu") {
            break;
        }
        assert!(Instant::now() < deadline, "no failed attempt shown: {page}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    g.stop();
    let smtp2 = Smtp::start(smtp_port, &dir.path().join("maildir")).await;
    smtp = smtp2;
    let g = Guichet::start(&data, port, smtp_port, &log).await;
    let mails = smtp.wait_for(2).await;
    let msg = parse(&mails[1]);
    assert_eq!(
        msg.subject(),
        Some("Demande de paiement – commande COMMANDE-FR-2 – Riad Atlas SARL")
    );
    let text = msg.body_text(0).unwrap();
    assert!(
        text.contains("Bonjour Karim Benali,") && text.contains("1 200,00 MAD"),
        "{text}"
    );
    assert!(msg.body_html(0).unwrap().contains("Payer la commande"));
    let c = sign_in(&g).await;
    let (_, page) = c.page(&format!("/payment-requests/{id}")).await;
    assert!(page.contains("Envoyé"), "{page}");
    // Paying the first link sends the customer a receipt in the request's language.
    crate::fixtures::payments::pay(&g.client(), &token, "4111111111111111", "").await;
    let mails = smtp.wait_for(3).await;
    let receipt = parse(&mails[2]);
    assert_eq!(
        receipt.subject(),
        Some("Payment accepted – order ORDER-EN-1 – Riad Atlas SARL")
    );
    let text = receipt.body_text(0).unwrap();
    assert!(
        text.contains("411111XXXXXX1111") && text.contains("1,200.00 MAD"),
        "{text}"
    );
    // The customer's reference, never the gateway-wide transaction number.
    assert!(text.contains("Reference"), "{text}");
    assert!(!text.contains("Transaction no."), "{text}");
    let mut log_text = String::new();
    std::fs::File::open(&log)
        .and_then(|mut f| std::io::Read::read_to_string(&mut f, &mut log_text))
        .unwrap();
    assert!(log_text.contains("email not sent"), "the failure is logged");
    assert!(log_text.contains("email sent"));
}
