//! Flows only a real browser shows: headless Chromium through chromedriver.

use fantoccini::Locator;

use crate::browser;
use crate::support::spawn_app;

#[tokio::test]
async fn a_new_admin_signs_in_changes_the_password_switches_to_english_and_signs_out() {
    let app = spawn_app().await;
    let Some(b) = browser::start().await else {
        return;
    };
    let c = &b.client;
    c.goto(&format!("{}/", app.base)).await.unwrap();
    assert!(c.current_url().await.unwrap().path().starts_with("/login"));
    c.find(Locator::Css("#f-username"))
        .await
        .unwrap()
        .send_keys("admin")
        .await
        .unwrap();
    c.find(Locator::Css("#f-password"))
        .await
        .unwrap()
        .send_keys(&app.admin_otp)
        .await
        .unwrap();
    c.find(Locator::Css("button.primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_url(&format!("{}/password", app.base).parse().unwrap())
        .await
        .unwrap();
    b.screenshot("target/screenshots/forced-change.png").await;
    c.find(Locator::Css("#f-current"))
        .await
        .unwrap()
        .send_keys(&app.admin_otp)
        .await
        .unwrap();
    c.find(Locator::Css("#f-new"))
        .await
        .unwrap()
        .send_keys("Browser-pass-2026")
        .await
        .unwrap();
    c.find(Locator::Css("#f-confirm"))
        .await
        .unwrap()
        .send_keys("Browser-pass-2026")
        .await
        .unwrap();
    c.find(Locator::Css("button.primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("header.top nav.tabs"))
        .await
        .unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), "/transactions");
    c.goto(&format!("{}/parameters/profile", app.base))
        .await
        .unwrap();
    let h1 = c
        .find(Locator::Css("main h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(h1, "Mon profil");
    b.screenshot("target/screenshots/profile-fr.png").await;
    c.find(Locator::Css("header .user button[value=en]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath("//h1[text()='My profile']"))
        .await
        .unwrap();
    b.screenshot("target/screenshots/profile-en.png").await;
    c.find(Locator::XPath("//button[text()='Sign out']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("main.login"))
        .await
        .unwrap();
    let h1 = c
        .find(Locator::Css("main h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(h1, "Please sign in");
    b.close().await;
}
