//! The shape of `src/`, checked from its source: the import graph between top-level
//! modules has no cycle, pages and fragments only render (domain and fragments in,
//! nothing else), the domain is a pure leaf, mail and export do not reach into pages,
//! and redb is named only inside `src/db`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to: `src/db/users.rs` → `db`, `src/app.rs` → `app`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The code of a file that ships: everything before its first `#[cfg(test)]`, with
/// comment lines dropped.
fn shipped_code(text: &str) -> String {
    text.lines()
        .take_while(|l| !l.trim_start().starts_with("#[cfg(test)]"))
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Files that are test-only modules (`#[cfg(test)] mod name;` in their parent).
fn test_only_files(files: &[PathBuf]) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(f).unwrap();
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for w in lines.windows(2) {
            if w[0] == "#[cfg(test)]" && w[1].starts_with("mod ") && w[1].ends_with(';') {
                let name = w[1]["mod ".len()..w[1].len() - 1].trim();
                let dir = if f
                    .file_name()
                    .is_some_and(|n| n == "mod.rs" || n == "lib.rs")
                {
                    f.parent().unwrap().to_path_buf()
                } else {
                    f.with_extension("")
                };
                out.insert(dir.join(format!("{name}.rs")));
                out.insert(dir.join(name).join("mod.rs"));
            }
        }
    }
    out
}

/// Top-level modules named after `crate::` in a piece of code, including grouped
/// imports such as `use crate::{db, domain::Lang}`.
fn crate_refs(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let name = ident(part.trim());
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            out.insert(ident(rest));
        }
    }
    out
}

struct Graph {
    edges: BTreeMap<String, BTreeSet<String>>,
    redb_outside_db: Vec<String>,
}

fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let test_only = test_only_files(&files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut redb_outside_db = Vec::new();
    for f in files.iter().filter(|f| !test_only.contains(*f)) {
        let module = module_of(&src, f);
        if module == "lib" || module == "main" {
            continue;
        }
        let code = shipped_code(&std::fs::read_to_string(f).unwrap());
        if module != "db" && (code.contains("redb::") || code.contains("use redb")) {
            redb_outside_db.push(f.display().to_string());
        }
        let refs = edges.entry(module.clone()).or_default();
        refs.extend(crate_refs(&code).into_iter().filter(|m| *m != module));
    }
    Graph {
        edges,
        redb_outside_db,
    }
}

/// A cycle through `start`, if any, as the list of modules on it.
fn cycle_from(edges: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    fn walk(
        edges: &BTreeMap<String, BTreeSet<String>>,
        start: &str,
        at: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in edges.get(at).into_iter().flatten() {
            if next == start {
                path.push(next.clone());
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(edges, start, next, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_string()];
    let mut seen = BTreeSet::new();
    walk(edges, start, start, &mut path, &mut seen).then_some(path)
}

#[test]
fn the_module_graph_of_src_has_no_cycle() {
    let g = graph();
    for m in g.edges.keys() {
        if let Some(cycle) = cycle_from(&g.edges, m) {
            panic!("module cycle: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn pages_and_fragments_only_render_and_the_domain_imports_nothing() {
    let g = graph();
    let allowed: [(&str, &[&str]); 5] = [
        ("domain", &[]),
        ("fragments", &["domain"]),
        ("pages", &["domain", "fragments"]),
        ("mail", &["clock", "config", "db", "domain", "fragments"]),
        ("export", &["domain", "fragments"]),
    ];
    for (module, may) in allowed {
        let uses = g.edges.get(module).cloned().unwrap_or_default();
        let extra: Vec<&String> = uses.iter().filter(|u| !may.contains(&u.as_str())).collect();
        assert!(
            extra.is_empty(),
            "{module} may use only {may:?}, but uses {extra:?}"
        );
    }
    // The checker itself sees real arrows (a control).
    assert!(g.edges["handlers"].contains("pages"));
    assert!(g.edges["db"].contains("domain"));
}

#[test]
fn redb_is_named_only_inside_src_db() {
    let g = graph();
    assert!(
        g.redb_outside_db.is_empty(),
        "redb outside src/db: {:?}",
        g.redb_outside_db
    );
}

#[test]
fn the_reference_parser_sees_grouped_and_plain_imports() {
    let refs = crate_refs("use crate::{db, domain::Lang};\nlet x = crate::pages::error::page();");
    assert_eq!(
        refs.into_iter().collect::<Vec<_>>(),
        ["db", "domain", "pages"]
    );
    assert_eq!(
        cycle_from(
            &BTreeMap::from([
                ("a".to_string(), BTreeSet::from(["b".to_string()])),
                ("b".to_string(), BTreeSet::from(["a".to_string()])),
            ]),
            "a"
        ),
        Some(vec!["a".to_string(), "b".to_string(), "a".to_string()])
    );
}
