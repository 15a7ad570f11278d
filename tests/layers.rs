//! The layers of `src/`, kept: every `crate::…` path (and every `super::…` path that climbs out
//! of its top-level module) must point to a module in a lower layer. A new top-level module must
//! be placed in `LAYERS` before it compiles into a passing suite.
//!
//! ```text
//! main → cli → {http, pipeline} → {usecase, demo} → {capture, ledger, report, delivery}
//!      → config → store → cost → {calendar, allocate, failpoint, files, progress} → domain
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Each top-level module of the library and its layer: a module may use only modules of lower
/// layers, never one of its own layer or above.
const LAYERS: &[(&str, u8)] = &[
    // Core: vocabulary first, then the pure calculations. No I/O.
    ("domain", 0),
    ("calendar", 1),
    ("allocate", 1),
    // Leaves of the shell that know nothing of the business: test failpoints, private files,
    // progress bars.
    ("failpoint", 1),
    ("files", 1),
    ("progress", 1),
    ("cost", 2),
    // The one storage API over SQLite and PostgreSQL.
    ("store", 3),
    // Settings, read by the shell and handed down as typed values.
    ("config", 4),
    // Stages of the data flow over the store.
    ("capture", 5),
    ("ledger", 5),
    ("report", 5),
    ("delivery", 5),
    // Whole operations, and the synthetic provider that exercises them.
    ("usecase", 6),
    ("demo", 6),
    // The ways in: the HTTP server and the nightly pipeline.
    ("http", 7),
    ("pipeline", 7),
    // The command line, which starts everything.
    ("cli", 8),
];

/// One use of another top-level module.
#[derive(Debug)]
struct Edge {
    from: String,
    to: String,
    file: PathBuf,
    line: usize,
}

#[test]
fn every_module_uses_only_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layers: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let mut problems = Vec::new();
    let mut edges = 0;
    for edge in edges_under(&src) {
        edges += 1;
        let (Some(&from), Some(&to)) =
            (layers.get(edge.from.as_str()), layers.get(edge.to.as_str()))
        else {
            continue; // unplaced modules are reported by the next test
        };
        if to >= from {
            problems.push(format!(
                "{}:{}: {} (layer {from}) uses {} (layer {to})",
                edge.file.strip_prefix(&src).unwrap_or(&edge.file).display(),
                edge.line,
                edge.from,
                edge.to
            ));
        }
    }
    assert!(edges > 50, "the scan found only {edges} cross-module uses");
    assert!(
        problems.is_empty(),
        "uses that point sideways or up:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_top_level_module_is_placed() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("read src/lib.rs");
    let declared: Vec<String> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|m| m.trim_end_matches(';').to_owned())
        .collect();
    assert!(declared.len() >= 10, "lib.rs declares {declared:?}");
    let placed: Vec<&str> = LAYERS.iter().map(|(m, _)| *m).collect();
    for module in &declared {
        assert!(
            placed.contains(&module.as_str()),
            "src/lib.rs declares `{module}`, which has no layer in tests/layers.rs"
        );
    }
    for module in placed {
        assert!(
            declared.iter().any(|d| d == module),
            "tests/layers.rs places `{module}`, which src/lib.rs does not declare"
        );
    }
}

#[test]
fn the_scanner_sees_through_comments_strings_and_groups() {
    let text = r##"
        // use crate::cli;
        /* crate::http */
        let s = "crate::pipeline";
        let r = r#"crate::store"#;
        let c = '"'; let l: &'static str = "";
        use crate::{domain::Pence, calendar::{Period, BandRules}};
        fn f<'a>(x: &'a str) -> crate::cost::Rate { f(x) }
    "##;
    let found: Vec<(String, usize)> = uses_in(text, &["report".to_owned(), "x".to_owned()]);
    let names: Vec<&str> = found.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(names, ["domain", "calendar", "cost"]);
    assert_eq!(
        uses_in(
            "use super::super::store::Store;",
            &["report".to_owned(), "x".to_owned()]
        )
        .into_iter()
        .map(|(m, _)| m)
        .collect::<Vec<_>>(),
        ["store"],
        "a super chain that climbs to the crate root names a top-level module"
    );
}

/// Every cross-module use in the `.rs` files under `src`.
fn edges_under(src: &Path) -> Vec<Edge> {
    let mut edges = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let module_path = module_path_of(src, &path);
            let Some(top) = module_path.first().cloned() else {
                continue; // lib.rs and main.rs declare and start; they sit above every layer
            };
            let text = std::fs::read_to_string(&path).expect("read source");
            for (to, line) in uses_in(&text, &module_path) {
                if to != top {
                    edges.push(Edge {
                        from: top.clone(),
                        to,
                        file: path.clone(),
                        line,
                    });
                }
            }
        }
    }
    edges
}

/// The module path of a file: `src/http/api.rs` is `[http, api]`, `src/http/mod.rs` is `[http]`,
/// `src/lib.rs` and `src/main.rs` are `[]`.
fn module_path_of(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
        parts.clear();
    }
    parts
}

/// The top-level modules named by the paths in `text` (code only: comments, strings and char
/// literals are skipped), with their line numbers. `module_path` resolves `super::`.
fn uses_in(text: &str, module_path: &[String]) -> Vec<(String, usize)> {
    let code = code_only(text);
    let bytes = code.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let at_word_start = i == 0 || !is_ident(bytes[i - 1]);
        if at_word_start && code[i..].starts_with("crate::") {
            let line = code[..i].matches('\n').count() + 1;
            for name in names_after(&code[i + "crate::".len()..]) {
                found.push((name, line));
            }
            i += "crate::".len();
            continue;
        }
        if at_word_start && code[i..].starts_with("super::") {
            let line = code[..i].matches('\n').count() + 1;
            let mut rest = &code[i..];
            let mut depth = module_path.len();
            while let Some(r) = rest.strip_prefix("super::") {
                depth = depth.saturating_sub(1);
                rest = r.trim_start();
            }
            if depth == 0 {
                for name in names_after(rest) {
                    found.push((name, line));
                }
            }
            i += code[i..].len() - rest.len();
            continue;
        }
        i += 1;
    }
    found
}

/// The first path segment after `crate::`, or each group member's first segment for `{…}`.
fn names_after(rest: &str) -> Vec<String> {
    let rest = rest.trim_start();
    if let Some(group) = rest.strip_prefix('{') {
        let mut names = Vec::new();
        let mut depth = 0usize;
        let mut start = 0;
        for (k, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    names.extend(first_ident(&group[start..k]));
                    return names;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    names.extend(first_ident(&group[start..k]));
                    start = k + 1;
                }
                _ => {}
            }
        }
        names
    } else {
        first_ident(rest).into_iter().collect()
    }
}

fn first_ident(s: &str) -> Option<String> {
    let s = s.trim_start();
    let end = s.bytes().position(|b| !is_ident(b)).unwrap_or(s.len());
    let ident = &s[..end];
    (!ident.is_empty() && ident != "self").then(|| ident.to_owned())
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The text with comments, string literals and char literals blanked (newlines kept, so line
/// numbers still count).
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && (i == 0 || !is_ident(chars[i - 1] as u8))
        {
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                match chars.get(j) {
                    None => break,
                    Some('"') if (0..hashes).all(|h| chars.get(j + 1 + h) == Some(&'#')) => {
                        j += 1 + hashes;
                        break;
                    }
                    Some(&other) => {
                        blank(&mut out, other);
                        j += 1;
                    }
                }
            }
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                if let Some(&ch) = chars.get(i) {
                    blank(&mut out, ch);
                }
                i += 1;
            }
            i += 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}'), or a lifetime ('a), which is kept.
            if next == Some('\\') {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// What only `store` may write: the database drivers, the macros that run a query on either
/// backend, and the SQL files under `sql/`.
const SQL_MARKS: &[&str] = &["sqlx", "rusqlite", "on_pool!", "on_tx!"];

#[test]
fn only_the_store_talks_sql() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut outside = Vec::new();
    let mut inside = 0;
    for file in rust_files(&src) {
        let text = std::fs::read_to_string(&file).expect("read source");
        let in_store = module_path_of(&src, &file).first().map(String::as_str) == Some("store");
        for (mark, line) in sql_marks_in(&text) {
            if in_store {
                inside += 1;
            } else {
                outside.push(format!(
                    "{}:{line}: {mark}",
                    file.strip_prefix(&src).unwrap_or(&file).display()
                ));
            }
        }
    }
    assert!(
        inside > 50,
        "the scan found only {inside} SQL marks in store"
    );
    assert!(
        outside.is_empty(),
        "SQL outside store (move it behind a store function):\n{}",
        outside.join("\n")
    );
}

#[test]
fn the_sql_scan_sees_drivers_macros_and_sql_files_but_not_prose() {
    let text = r##"
        // sqlx::query in a comment, on_pool! too
        let s = "sqlx::query(include_str!(\"../../sql/x.sql\"))";
        use sqlx::Row;
        #[derive(sqlx::FromRow)]
        let n = on_pool!(store, pool => 1);
        let t = include_str!("../../sql/report_charges.sql");
        let c = include_str!("../../assets/bank-holidays/england-and-wales.csv");
        fn f(tx: &rusqlite::Transaction<'_>) {}
        let my_sqlx_like = 1;
    "##;
    let marks: Vec<(String, usize)> = sql_marks_in(text);
    assert_eq!(
        marks,
        [
            ("sqlx".to_owned(), 4),
            ("sqlx".to_owned(), 5),
            ("on_pool!".to_owned(), 6),
            ("include_str! of ../../sql/report_charges.sql".to_owned(), 7),
            ("rusqlite".to_owned(), 9),
        ]
    );
}

/// The `.rs` files under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read folder") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The SQL marks in `text` with their line numbers: a driver or query macro named in code
/// (comments and strings are skipped), or an `include_str!` of a `.sql` file.
fn sql_marks_in(text: &str) -> Vec<(String, usize)> {
    let code = code_only(text);
    let bytes = code.as_bytes();
    let mut found = Vec::new();
    for (i, _) in code.char_indices() {
        if i > 0 && is_ident(bytes[i - 1]) {
            continue;
        }
        let rest = &code[i..];
        for mark in SQL_MARKS {
            let whole_word = mark.ends_with('!')
                || rest
                    .as_bytes()
                    .get(mark.len())
                    .is_none_or(|&b| !is_ident(b));
            if rest.starts_with(mark) && whole_word {
                found.push(((*mark).to_owned(), code[..i].matches('\n').count() + 1));
            }
        }
    }
    // The path of an `include_str!` is a string, which `code_only` blanks: read it from the
    // text, for the calls on lines where the code has one (line numbers are kept).
    let code_lines: Vec<&str> = code.lines().collect();
    for (at, _) in text.match_indices("include_str!(") {
        let line = text[..at].matches('\n').count() + 1;
        if !code_lines
            .get(line - 1)
            .is_some_and(|l| l.contains("include_str!"))
        {
            continue;
        }
        let argument = text[at + "include_str!(".len()..].trim_start();
        if let Some(path) = argument
            .strip_prefix('"')
            .and_then(|a| a.split('"').next())
            .filter(|p| p.ends_with(".sql"))
        {
            found.push((format!("include_str! of {path}"), line));
        }
    }
    found.sort_by_key(|(_, line)| *line);
    found
}
