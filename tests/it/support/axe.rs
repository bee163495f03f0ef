//! Test support: axe-core in the page under test, its findings kept as JSON.

use std::path::Path;

use super::browser::Page;

/// axe-core 4.14.1 (MPL-2.0), from `npm pack axe-core`: a test fixture, never served.
const AXE: &str = include_str!("../../fixtures/axe.min.js");

/// Runs axe-core on the current page; returns its findings: the violations in full,
/// and how many checks passed or need a person to look.
pub async fn run(p: &Page<'_>) -> serde_json::Value {
    p.c.execute(AXE, vec![]).await.unwrap();
    p.c.execute_async(
        "const done = arguments[arguments.length - 1]; \
         axe.run(document).then(r => done({ \
           url: r.url, violations: r.violations, \
           passes: r.passes.length, incomplete: r.incomplete.map(i => i.id) }));",
        vec![],
    )
    .await
    .unwrap()
}

/// The serious and critical violations of `results`, one line each.
pub fn serious(results: &serde_json::Value) -> Vec<String> {
    results["violations"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .map(|v| {
            let targets: Vec<String> = v["nodes"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .take(3)
                .map(|n| n["target"].to_string())
                .collect();
            format!("{} ({}): {}", v["id"], v["impact"], targets.join(" | "))
        })
        .collect()
}

/// Runs axe-core, writes its findings to `path` (pretty JSON) and returns the serious
/// and critical violations.
pub async fn run_and_save(p: &Page<'_>, path: &str) -> Vec<String> {
    let results = run(p).await;
    if let Some(dir) = Path::new(path).parent() {
        std::fs::create_dir_all(dir).expect("cannot create the axe results directory");
    }
    let json = serde_json::to_string_pretty(&results).unwrap();
    std::fs::write(path, json).unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
    serious(&results)
}
