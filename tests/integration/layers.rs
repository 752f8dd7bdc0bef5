//! The crate's layers hold: each module of `src/` uses only modules of the layers below its own
//! (the table in the crate guide, `src/lib.rs`), and no two files import each other, directly
//! or around a loop. Paths are read from code (comments and test modules left out): `crate::a::b`
//! and `super::b` paths, including braced `use` groups.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The layer of each top-level module, from the ```text block under "## The layers" in lib.rs:
/// the first line is the highest layer.
fn layers() -> BTreeMap<String, usize> {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let section = lib
        .split("//! ## The layers")
        .nth(1)
        .expect("lib.rs draws the layers");
    let block = section.split("//! ```text").nth(1).unwrap();
    let block = block.split("//! ```").next().unwrap();
    layers_of(block, "//!")
}

/// The layers as ARCHITECTURE.md draws them: the ```text block under "## Layers".
fn architecture_layers() -> BTreeMap<String, usize> {
    let text = std::fs::read_to_string(src().join("../ARCHITECTURE.md")).unwrap();
    let section = text
        .split("\n## Layers\n")
        .nth(1)
        .expect("ARCHITECTURE.md draws the layers");
    let block = section.split("```text").nth(1).unwrap();
    layers_of(block.split("```").next().unwrap(), "")
}

/// Module names by layer from a drawn table: each line `a, b   what they are`, the first line
/// the highest.
fn layers_of(block: &str, prefix: &str) -> BTreeMap<String, usize> {
    let lines: Vec<&str> = block
        .lines()
        .map(|l| l.trim_start_matches(prefix).trim())
        .filter(|l| !l.is_empty())
        .collect();
    let mut out = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        let names = line.split("  ").next().unwrap();
        for n in names.split(',') {
            out.insert(n.trim().to_owned(), lines.len() - i);
        }
    }
    out
}

/// Every file's module path (`collect::gpu::nvml`), with its code: comments and `#[cfg(test)]`
/// modules removed.
fn files() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut paths = Vec::new();
    walk(&src(), &mut paths);
    paths
        .into_iter()
        .filter_map(|p| {
            let rel = p.strip_prefix(src()).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|l| l == "mod") {
                parts.pop();
            }
            if parts == ["lib"] || parts == ["main"] {
                return None;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            let text = text.split("#[cfg(test)]").next().unwrap();
            let code: String = text
                .lines()
                .map(|l| match l.find("//") {
                    Some(i) => &l[..i],
                    None => l,
                })
                .collect::<Vec<_>>()
                .join("\n");
            Some((parts.join("::"), code))
        })
        .collect()
}

/// The paths a file's code names: `crate::a::b::c` → `a::b::c`, `super::x` → the parent's `x`,
/// and `crate::a::{b, c::d}` → `a::b`, `a::c::d`.
fn referenced(module: &str, code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let parent: Vec<&str> = {
        let mut p: Vec<&str> = module.split("::").collect();
        p.pop();
        p
    };
    for (prefix, base) in [("crate::", Vec::new()), ("super::", parent)] {
        let mut rest = code;
        while let Some(i) = rest.find(prefix) {
            let before = rest[..i].chars().last();
            rest = &rest[i + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let path: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let group = rest[path.len()..].starts_with('{');
            let path = path.trim_end_matches(':');
            let mut full = base.join("::");
            let join = |a: &str, b: &str| {
                if a.is_empty() {
                    b.to_owned()
                } else {
                    format!("{a}::{b}")
                }
            };
            if group {
                full = join(&full, path);
                let group = &rest[rest.find('{').unwrap() + 1..];
                let group = &group[..group.find('}').unwrap_or(group.len())];
                for item in group.split(',') {
                    let item = item.trim();
                    if !item.is_empty() && item != "self" {
                        out.push(join(&full, item.split(" as ").next().unwrap().trim()));
                    }
                }
                out.push(full);
            } else {
                out.push(join(&full, path));
            }
        }
    }
    out
}

/// The longest known module a path starts with.
fn module_of<'a>(path: &str, modules: &'a BTreeSet<String>) -> Option<&'a String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len())
        .rev()
        .find_map(|n| modules.get(&parts[..n].join("::")))
}

/// What each module re-exports: `(module, name)` → the path the name stands for, from its
/// `pub use` items (`pub use host::{Clock, SystemClock}` in `collect` gives `(collect, Clock)`
/// → `collect::host::Clock`).
fn reexports(files: &[(String, String)]) -> BTreeMap<(String, String), String> {
    let mut out = BTreeMap::new();
    for (m, code) in files {
        for stmt in code.split(';') {
            let Some(rest) = stmt.trim().strip_prefix("pub use ") else {
                continue;
            };
            let rest: String = rest.split_whitespace().collect::<Vec<_>>().join(" ");
            let (base, rest): (Vec<&str>, &str) = if let Some(r) = rest.strip_prefix("crate::") {
                (Vec::new(), r)
            } else if let Some(r) = rest.strip_prefix("super::") {
                let mut p: Vec<&str> = m.split("::").collect();
                p.pop();
                (p, r)
            } else {
                (
                    m.split("::").collect(),
                    rest.strip_prefix("self::").unwrap_or(&rest),
                )
            };
            let (prefix, items): (&str, Vec<&str>) = match rest.find('{') {
                Some(i) => (
                    rest[..i].trim_end_matches(':'),
                    rest[i + 1..].trim_end_matches('}').split(',').collect(),
                ),
                None => ("", vec![rest]),
            };
            for item in items.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
                let (path, alias) = match item.split_once(" as ") {
                    Some((p, a)) => (p.trim(), a.trim()),
                    None => (item, item.rsplit("::").next().unwrap()),
                };
                let full: Vec<&str> = base
                    .iter()
                    .copied()
                    .chain(prefix.split("::").filter(|s| !s.is_empty()))
                    .chain(path.split("::"))
                    .collect();
                out.insert((m.clone(), alias.to_owned()), full.join("::"));
            }
        }
    }
    out
}

/// The module a path names, through the re-exports it passes (`collect::Host` → `collect::host`).
fn resolved<'a>(
    path: &str,
    modules: &'a BTreeSet<String>,
    reexports: &BTreeMap<(String, String), String>,
) -> Option<&'a String> {
    let mut path = path.to_owned();
    for _ in 0..8 {
        let t = module_of(&path, modules)?;
        let rest = path[t.len()..].trim_start_matches(':');
        let name = rest.split("::").next().unwrap_or("");
        match reexports.get(&(t.clone(), name.to_owned())) {
            Some(target) if !name.is_empty() => {
                let tail = &rest[name.len()..];
                path = format!("{target}{tail}");
            }
            _ => return Some(t),
        }
    }
    module_of(&path, modules)
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let files = files();
    let modules: BTreeSet<String> = files.iter().map(|(m, _)| m.clone()).collect();
    let reexports = reexports(&files);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, code) in &files {
        let edges = g.entry(m.clone()).or_default();
        for r in referenced(m, code) {
            if let Some(t) = resolved(&r, &modules, &reexports) {
                let related =
                    t == m || t.starts_with(&format!("{m}::")) || m.starts_with(&format!("{t}::"));
                if !related {
                    edges.insert(t.clone());
                }
            }
        }
    }
    g
}

fn top(m: &str) -> &str {
    m.split("::").next().unwrap()
}

#[test]
fn no_module_uses_one_of_a_higher_layer() {
    let layers = layers();
    let mut bad = Vec::new();
    for (m, edges) in graph() {
        let Some(mine) = layers.get(top(&m)) else {
            bad.push(format!(
                "{m}: its top-level module is not in lib.rs's layer table"
            ));
            continue;
        };
        for t in edges.iter().filter(|t| top(t) != top(&m)) {
            let theirs = layers.get(top(t)).copied().unwrap_or(usize::MAX);
            if theirs >= *mine {
                bad.push(format!("{m} (layer {mine}) uses {t} (layer {theirs})"));
            }
        }
    }
    assert!(bad.is_empty(), "layering broken:\n{}", bad.join("\n"));
}

#[test]
fn no_files_import_each_other() {
    let g = graph();
    // depth-first search for a cycle, reporting the loop
    fn visit(
        m: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| s == m) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(m.to_owned());
            return Some(cycle);
        }
        if done.contains(m) {
            return None;
        }
        stack.push(m.to_owned());
        for t in g.get(m).into_iter().flatten() {
            if let Some(c) = visit(t, g, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(m.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for m in g.keys() {
        if let Some(cycle) = visit(m, &g, &mut Vec::new(), &mut done) {
            panic!("modules import each other: {}", cycle.join(" → "));
        }
    }
}

#[test]
fn the_reader_sees_imports_and_groups() {
    let code = "use crate::a::{b, c::d as e};\nlet x = super::f::g(1);\n let y = crate::h::i;";
    let r = referenced("p::q", code);
    for want in ["a::b", "a::c::d", "p::f::g", "h::i"] {
        assert!(r.iter().any(|x| x == want), "{want} in {r:?}");
    }
}

/// A name a module re-exports leads to the file that defines it, so that an import through a
/// re-export (`crate::collect::Host`) is an edge to `collect::host`, as it is to the compiler.
#[test]
fn the_reader_follows_re_exports() {
    let files = vec![
        (
            "a".to_owned(),
            "pub use b::{C, D as E};\npub use crate::f::G;".to_owned(),
        ),
        ("a::b".to_owned(), String::new()),
        ("f".to_owned(), String::new()),
    ];
    let r = reexports(&files);
    assert_eq!(r[&("a".into(), "C".into())], "a::b::C");
    assert_eq!(r[&("a".into(), "E".into())], "a::b::D");
    assert_eq!(r[&("a".into(), "G".into())], "f::G");
    let modules: BTreeSet<String> = files.iter().map(|(m, _)| m.clone()).collect();
    assert_eq!(resolved("a::E::new", &modules, &r).unwrap(), "a::b");
    assert_eq!(resolved("a::G", &modules, &r).unwrap(), "f");
    assert_eq!(resolved("a::other", &modules, &r).unwrap(), "a");
}

/// ARCHITECTURE.md and the crate guide draw the same layers, and every top-level module of
/// `src/` has its layer there.
#[test]
fn architecture_md_draws_the_layers_the_code_keeps() {
    let drawn = architecture_layers();
    assert_eq!(drawn, layers(), "ARCHITECTURE.md and src/lib.rs differ");
    let top: BTreeSet<String> = files()
        .into_iter()
        .map(|(m, _)| m.split("::").next().unwrap().to_owned())
        .collect();
    for m in &top {
        assert!(drawn.contains_key(m), "{m} has no layer in ARCHITECTURE.md");
    }
    for m in drawn.keys() {
        assert!(
            top.contains(m),
            "ARCHITECTURE.md draws {m}, which src/ does not have"
        );
    }
    // and it names each top-level module in its list of modules
    let text = std::fs::read_to_string(src().join("../ARCHITECTURE.md")).unwrap();
    for m in &top {
        assert!(
            text.contains(&format!("`{m}.rs`")) || text.contains(&format!("`{m}/`")),
            "ARCHITECTURE.md does not describe {m}"
        );
    }
}
