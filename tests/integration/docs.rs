//! The README and the guide (docs/guide/): every relative link reaches a file, and every
//! `#anchor` a heading of it; the guide's SUMMARY.md lists every page; and the examples are
//! what they claim: harness.toml snippets parse as provbase parses harness.toml, JSON and YAML
//! blocks parse.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn pages() -> Vec<PathBuf> {
    let mut pages = vec![
        root().join("README.md"),
        root().join("ci/README.md"),
        root().join("ARCHITECTURE.md"),
    ];
    let mut guide: Vec<PathBuf> = std::fs::read_dir(root().join("docs/guide"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    guide.sort();
    pages.extend(guide);
    pages
}

/// GitHub's anchor of a heading: lower case, punctuation but `-` and `_` dropped, spaces as `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// The anchors of a Markdown file's headings (outside fenced code).
fn anchors(text: &str) -> Vec<String> {
    let mut fenced = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            out.push(slug(line.trim_start_matches('#')));
        }
    }
    out
}

/// `(target, line)` of every inline link and image outside fenced code and code spans.
fn links(text: &str) -> Vec<(String, usize)> {
    let mut fenced = false;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // code spans hold no links
        let plain: String = line.split('`').step_by(2).collect::<Vec<_>>().join("");
        let mut rest = plain.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            out.push((after[..end].to_owned(), n + 1));
            rest = &after[end..];
        }
    }
    out
}

#[test]
fn every_link_of_the_readme_and_the_guide_reaches_its_file_and_heading() {
    let mut checked = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        for (target, line) in links(&text) {
            if target.starts_with("http://") || target.starts_with("https://") {
                continue;
            }
            let (file, anchor) = target.split_once('#').unwrap_or((&target, ""));
            let path = if file.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(file)
            };
            let at = format!(
                "{}:{line}: {target}",
                page.strip_prefix(root()).unwrap().display()
            );
            assert!(path.exists(), "{at}: no such file");
            if !anchor.is_empty() {
                let target_text = std::fs::read_to_string(&path).unwrap();
                assert!(
                    anchors(&target_text).iter().any(|a| a == anchor),
                    "{at}: no such heading"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 40, "{checked} links: the reader missed them");
}

#[test]
fn the_summary_lists_every_page_of_the_guide() {
    let summary = std::fs::read_to_string(root().join("docs/guide/SUMMARY.md")).unwrap();
    let listed: Vec<String> = links(&summary).into_iter().map(|(t, _)| t).collect();
    for page in pages() {
        if page.parent() != Some(&root().join("docs/guide")) {
            continue;
        }
        let name = page.file_name().unwrap().to_str().unwrap().to_owned();
        if name != "SUMMARY.md" {
            assert!(listed.contains(&name), "SUMMARY.md does not list {name}");
        }
        // and the README's table of pages names it too
        let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
        if name != "SUMMARY.md" {
            assert!(
                readme.contains(&format!("(docs/guide/{name})")),
                "README: {name}"
            );
        }
    }
}

/// `(language, body, line)` of every fenced block.
fn blocks(text: &str) -> Vec<(String, String, usize)> {
    let mut out = Vec::new();
    let mut open: Option<(String, String, usize, usize)> = None;
    for (n, line) in text.lines().enumerate() {
        let t = line.trim_start();
        match &mut open {
            None if t.starts_with("```") => {
                let indent = line.len() - t.len();
                open = Some((t[3..].trim().to_owned(), String::new(), n + 1, indent));
            }
            Some((lang, body, start, _)) if t.starts_with("```") => {
                out.push((lang.clone(), std::mem::take(body), *start));
                open = None;
            }
            Some((_, body, _, indent)) => {
                body.push_str(line.get(*indent..).unwrap_or(line.trim_start()));
                body.push('\n');
            }
            None => {}
        }
    }
    out
}

#[test]
fn the_examples_parse_as_what_they_show() {
    let (mut toml, mut json, mut yaml) = (0, 0, 0);
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        let name = page.strip_prefix(root()).unwrap().display().to_string();
        for (lang, body, line) in blocks(&text) {
            let at = format!("{name}:{line}");
            // an elided example (`…`) shows a shape, not a document
            if body.contains('…') {
                continue;
            }
            match lang.as_str() {
                "toml" if body.contains("[[run]]") || body.contains("[profile.") => {
                    let path = root().join("harness.toml");
                    // a snippet of profiles or policy goes into a harness.toml with runs
                    let whole = if body.contains("[[run]]") {
                        body.clone()
                    } else {
                        format!("[[run]]\nname = \"example\"\n\n{body}")
                    };
                    provbase::Config::parse(&whole, &path)
                        .unwrap_or_else(|e| panic!("{at}: harness.toml example: {e}\n{body}"));
                    toml += 1;
                }
                "toml" => {
                    toml::from_str::<toml::Value>(&body)
                        .unwrap_or_else(|e| panic!("{at}: {e}\n{body}"));
                    toml += 1;
                }
                "json" => {
                    serde_json::from_str::<serde_json::Value>(&body)
                        .unwrap_or_else(|e| panic!("{at}: {e}\n{body}"));
                    json += 1;
                }
                "yaml" | "yml" => {
                    serde_yaml_ng::from_str::<serde_json::Value>(&body)
                        .unwrap_or_else(|e| panic!("{at}: {e}\n{body}"));
                    yaml += 1;
                }
                _ => {}
            }
        }
    }
    assert!(
        toml >= 5 && yaml >= 3,
        "{toml} toml, {json} json, {yaml} yaml examples"
    );
}

#[test]
fn slugs_are_githubs() {
    assert_eq!(slug(" Datasets: folder digests"), "datasets-folder-digests");
    assert_eq!(slug(" `[[run]]`"), "run");
    assert_eq!(
        slug(" Digests, verification, schemas, in-toto"),
        "digests-verification-schemas-in-toto"
    );
    assert_eq!(
        links("see [a](b.md#c) and `[x](y)` ![i](p.png)"),
        [("b.md#c".to_owned(), 1), ("p.png".to_owned(), 1)]
    );
    let _ = Path::new("");
}

/// Every test the guide's table of guarantees names exists: `module::test` in
/// `tests/integration/<module>.rs`, or in the file named beside it (`(src/…)`).
#[test]
fn the_guarantees_name_tests_that_exist() {
    let text = std::fs::read_to_string(root().join("docs/guide/guarantees.md")).unwrap();
    let mut checked = 0;
    let mut missing = Vec::new();
    for row in text
        .lines()
        .filter(|l| l.starts_with("| ") && l.ends_with(" |"))
    {
        let Some(tests) = row.trim_end_matches(" |").rsplit(" | ").next() else {
            continue;
        };
        // each `module::test`, with the file in parentheses after it when it is not an
        // integration test
        let mut rest = tests;
        while let Some(open) = rest.find('`') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('`') else { break };
            let name = &after[..close];
            rest = &after[close + 1..];
            let file = rest
                .strip_prefix(" (")
                .and_then(|r| r.split_once(')'))
                .map(|(f, _)| f.split(',').next().unwrap_or(f))
                .filter(|f| f.starts_with("src/") || f.starts_with("tests/"));
            let parts: Vec<&str> = name.split("::").collect();
            if parts.len() < 2
                || !parts
                    .iter()
                    .all(|p| p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            {
                continue;
            }
            let path = match file {
                Some(f) => root().join(f),
                None => root().join(format!("tests/integration/{}.rs", parts[0])),
            };
            let Ok(code) = std::fs::read_to_string(&path) else {
                missing.push(format!("{name}: no file {}", path.display()));
                continue;
            };
            let last = parts[parts.len() - 1];
            if last != "tests" && !code.contains(&format!("fn {last}(")) {
                missing.push(format!("{name}: no such test in {}", path.display()));
            }
            checked += 1;
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
    assert!(
        checked > 30,
        "{checked} tests named: the reader missed them"
    );
}
