//! Test support: a journey through the app at one window width. Each step saves a
//! screenshot (`target/screenshots/journey-<step>-<width>.png`) and axe-core's findings
//! (`target/screenshots/axe-<step>-<width>.json`); serious or critical axe-core
//! violations and, at phone width, sideways scrolling are collected as problems.

use super::axe;
use super::browser::{self, Browser, Page};

/// The two windows of the review: a laptop and a phone (CSS pixels).
pub const WIDTHS: [(u32, u32); 2] = [(1366, 900), (390, 844)];

/// A phone's width or less: the page must not scroll sideways.
pub const PHONE: u32 = 500;

/// One journey at one width: the steps' screenshots, axe-core runs and what went wrong.
pub struct Steps<'a> {
    b: &'a Browser,
    pub p: Page<'a>,
    pub width: u32,
    pub problems: Vec<String>,
}

impl<'a> Steps<'a> {
    pub fn new(b: &'a Browser, base: &str, width: u32) -> Steps<'a> {
        Steps {
            b,
            p: b.page(base),
            width,
            problems: Vec::new(),
        }
    }

    /// Records step `name`: screenshot, sideways scroll at phone width, axe-core.
    pub async fn step(&mut self, name: &str) {
        let w = self.width;
        self.b
            .screenshot(&format!("target/screenshots/journey-{name}-{w}.png"))
            .await;
        if w <= PHONE {
            let widths = self
                .p
                .js("return [document.documentElement.scrollWidth, window.innerWidth];")
                .await;
            if widths[0].as_f64() > widths[1].as_f64() {
                self.problems.push(format!(
                    "{name}: scrolls sideways ([scrollWidth, innerWidth] = {widths})"
                ));
            }
        }
        let axe_file = format!("target/screenshots/axe-{name}-{w}.json");
        for v in axe::run_and_save(&self.p, &axe_file).await {
            self.problems.push(format!("{name}: axe-core {v}"));
        }
    }

    /// Checks `script` (returning true when right) and records `what` when it is not.
    pub async fn check(&mut self, script: &str, what: &str) {
        if self.p.js(script).await != serde_json::Value::Bool(true) {
            self.problems.push(format!("at {} px: {what}", self.width));
        }
    }

    /// Every problem of the journey at this width.
    pub fn problems(self) -> (u32, Vec<String>) {
        (self.width, self.problems)
    }
}

/// Fails with every problem found at one width.
pub fn assert_none((width, problems): (u32, Vec<String>)) {
    assert!(
        problems.is_empty(),
        "at {width} px:\n{}",
        problems.join("\n")
    );
}

/// A fresh browser whose page is `w`×`h`; None when Chromium is missing outside CI.
pub async fn browser_at(w: u32, h: u32) -> Option<Browser> {
    let b = browser::start().await?;
    b.viewport(w, h).await;
    Some(b)
}
