//! SPICE kernels: a parser of NAIF text-kernel syntax for metakernels, and the `spice_kernels`
//! section (each kernel the run loads, in load order, with its hash).
//!
//! What the parser follows: data lies only between a `\begindata` line and the next
//! `\begintext` line (markers count only alone on their line; indentation and trailing blanks
//! are allowed; there may be several data blocks, and the last need not be closed);
//! assignments use `=` or `+=`; values are single or in parentheses, separated by blanks or
//! optional commas, a trailing comma allowed; strings are in single quotes with `''` for a quote;
//! a string ending in `+` continues in the next one; `$SYMBOL` in a kernel path is replaced by
//! the `PATH_VALUES` entry of the same index in `PATH_SYMBOLS`. CRLF line ends and a missing
//! final newline are fine.

use super::CollectError;
use crate::manifest::types::Kernel;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A problem in a metakernel, with its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    /// Where.
    pub line: usize,
    /// What.
    pub message: String,
}

/// One kernel a metakernel loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelRef {
    /// The path after `$SYMBOL` substitution, as SPICE would open it.
    pub path: String,
    /// The line of the metakernel it is named on.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Eq,
    PlusEq,
    Open,
    Close,
    Comma,
    /// `\begintext`: a data block ends
    EndBlock,
}

fn tokenize(text: &str) -> Result<Vec<(Tok, usize)>, ParseError> {
    let mut toks = Vec::new();
    let mut in_data = false;
    for (i, raw) in text.split('\n').enumerate() {
        let line_no = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        match line.trim() {
            "\\begindata" => {
                in_data = true;
                continue;
            }
            "\\begintext" => {
                if in_data {
                    toks.push((Tok::EndBlock, line_no));
                }
                in_data = false;
                continue;
            }
            _ if !in_data => continue,
            _ => {}
        }
        let mut chars = line.char_indices().peekable();
        while let Some((_, c)) = chars.next() {
            match c {
                c if c.is_whitespace() => {}
                '(' => toks.push((Tok::Open, line_no)),
                ')' => toks.push((Tok::Close, line_no)),
                ',' => toks.push((Tok::Comma, line_no)),
                '=' => toks.push((Tok::Eq, line_no)),
                '+' if chars.peek().map(|p| p.1) == Some('=') => {
                    chars.next();
                    toks.push((Tok::PlusEq, line_no));
                }
                '\'' => {
                    let mut s = String::new();
                    loop {
                        match chars.next() {
                            Some((_, '\'')) if chars.peek().map(|p| p.1) == Some('\'') => {
                                chars.next();
                                s.push('\'');
                            }
                            Some((_, '\'')) => break,
                            Some((_, c)) => s.push(c),
                            None => {
                                return Err(ParseError {
                                    line: line_no,
                                    message: "unterminated string: a quoted value must end on its own line".into(),
                                });
                            }
                        }
                    }
                    toks.push((Tok::Str(s), line_no));
                }
                c => {
                    let mut w = String::from(c);
                    while let Some(&(_, n)) = chars.peek() {
                        if n.is_whitespace() || matches!(n, '(' | ')' | ',' | '=' | '\'') {
                            break;
                        }
                        // `+=` ends a name; a `+` inside a number (1.0D+3) stays in it
                        if n == '+' && chars.clone().nth(1).map(|p| p.1) == Some('=') {
                            break;
                        }
                        w.push(n);
                        chars.next();
                    }
                    toks.push((Tok::Word(w), line_no));
                }
            }
        }
    }
    Ok(toks)
}

/// The kernel pool variables a metakernel assigns: name → values with their lines. Only
/// string values are kept (numbers and dates are parsed and checked, then dropped).
pub type Pool = BTreeMap<String, Vec<(String, usize)>>;

/// Parses the data blocks of a text kernel.
pub fn parse_pool(text: &str) -> Result<Pool, ParseError> {
    let toks = tokenize(text)?;
    let mut pool = Pool::new();
    let mut i = 0;
    let err = |line, message: String| Err(ParseError { line, message });
    while i < toks.len() {
        let (tok, line) = &toks[i];
        let name = match tok {
            Tok::EndBlock => {
                i += 1;
                continue;
            }
            Tok::Word(w) => w.clone(),
            Tok::Close => return err(*line, "unbalanced parentheses: `)` without `(`".into()),
            other => {
                return err(
                    *line,
                    format!("expected a variable name, found {}", describe(other)),
                );
            }
        };
        i += 1;
        let append = match toks.get(i) {
            Some((Tok::Eq, _)) => false,
            Some((Tok::PlusEq, _)) => true,
            Some((other, l)) => {
                return err(
                    *l,
                    format!(
                        "expected `=` or `+=` after `{name}`, found {}",
                        describe(other)
                    ),
                );
            }
            None => return err(*line, format!("`{name}` has no value")),
        };
        i += 1;
        let values = parse_value(&toks, &mut i, &name, *line)?;
        let entry = pool.entry(name).or_default();
        if !append {
            entry.clear();
        }
        entry.extend(values);
    }
    Ok(pool)
}

/// The value after `NAME =`: a parenthesised list or one item; `i` moves past it.
fn parse_value(
    toks: &[(Tok, usize)],
    i: &mut usize,
    name: &str,
    line: usize,
) -> Result<Vec<(String, usize)>, ParseError> {
    let err = |line, message: String| Err(ParseError { line, message });
    let mut values = Vec::new();
    match toks.get(*i) {
        Some((Tok::Open, open_line)) => {
            *i += 1;
            loop {
                match toks.get(*i) {
                    Some((Tok::Close, _)) => {
                        *i += 1;
                        break;
                    }
                    Some((Tok::Comma, _)) | Some((Tok::Word(_), _)) => *i += 1,
                    Some((Tok::Str(s), l)) => {
                        values.push((s.clone(), *l));
                        *i += 1;
                    }
                    Some((Tok::Open, l)) => {
                        return err(*l, "unbalanced parentheses: `(` inside a list".into());
                    }
                    Some((Tok::EndBlock, l)) => {
                        return err(
                            *l,
                            format!(
                                "unbalanced parentheses: `(` opened on line {open_line} is not closed before \\begintext"
                            ),
                        );
                    }
                    Some((other, l)) => {
                        return err(
                            *l,
                            format!("unexpected {} in the value of `{name}`", describe(other)),
                        );
                    }
                    None => {
                        return err(
                            *open_line,
                            format!(
                                "unbalanced parentheses: `(` opened on line {open_line} is never closed"
                            ),
                        );
                    }
                }
            }
        }
        Some((Tok::Str(s), l)) => {
            values.push((s.clone(), *l));
            *i += 1;
        }
        Some((Tok::Word(_), _)) => *i += 1,
        Some((Tok::Close, l)) => {
            return err(*l, "unbalanced parentheses: `)` without `(`".into());
        }
        Some((other, l)) => {
            return err(
                *l,
                format!("expected a value for `{name}`, found {}", describe(other)),
            );
        }
        None => return err(line, format!("`{name}` has no value")),
    }
    Ok(values)
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Word(w) => format!("`{w}`"),
        Tok::Str(s) => format!("'{s}'"),
        Tok::Eq => "`=`".into(),
        Tok::PlusEq => "`+=`".into(),
        Tok::Open => "`(`".into(),
        Tok::Close => "`)`".into(),
        Tok::Comma => "`,`".into(),
        Tok::EndBlock => "\\begintext".into(),
    }
}

/// Joins strings continued with a trailing `+` (NAIF's continuation marker).
fn join_continued(values: &[(String, usize)]) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    let mut pending: Option<(String, usize)> = None;
    for (s, line) in values {
        let (mut acc, first) = pending.take().unwrap_or((String::new(), *line));
        match s.strip_suffix('+') {
            Some(head) => {
                acc.push_str(head);
                pending = Some((acc, first));
            }
            None => {
                acc.push_str(s);
                out.push((acc, first));
            }
        }
    }
    out.extend(pending);
    out
}

/// The kernels a metakernel loads, in order, with `$SYMBOL`s replaced.
pub fn parse_metakernel(text: &str) -> Result<Vec<KernelRef>, ParseError> {
    let pool = parse_pool(text)?;
    let get = |k: &str| pool.get(k).map(|v| join_continued(v)).unwrap_or_default();
    let values = get("PATH_VALUES");
    let symbols = get("PATH_SYMBOLS");
    if values.len() != symbols.len() {
        let line = symbols.first().or(values.first()).map_or(0, |v| v.1);
        return Err(ParseError {
            line,
            message: format!(
                "PATH_SYMBOLS has {} entries but PATH_VALUES has {}",
                symbols.len(),
                values.len()
            ),
        });
    }
    let mut subst: Vec<(&str, &str)> = symbols
        .iter()
        .zip(&values)
        .map(|(s, v)| (s.0.as_str(), v.0.as_str()))
        .collect();
    // longer symbols first, so `$KERNELS_X` is not taken for `$KERNELS`
    subst.sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
    get("KERNELS_TO_LOAD")
        .into_iter()
        .map(|(path, line)| {
            let mut p = path;
            for (sym, val) in &subst {
                let pattern = format!("${sym}");
                // values that name each other would grow a path without end: no path a
                // filesystem opens is longer than PATH_MAX
                let grown = p
                    .matches(&pattern)
                    .count()
                    .saturating_mul(val.len())
                    .saturating_add(p.len());
                if grown > MAX_KERNEL_PATH {
                    return Err(ParseError {
                        line,
                        message: format!(
                            "a kernel path grows past {MAX_KERNEL_PATH} bytes as `${sym}` is replaced (PATH_VALUES that name each other?)"
                        ),
                    });
                }
                p = p.replace(&pattern, val);
            }
            Ok(KernelRef { path: p, line })
        })
        .collect()
}

/// The longest kernel path after its symbols are replaced (Linux's PATH_MAX).
const MAX_KERNEL_PATH: usize = 4096;

/// The `spice_kernels` entries of a run: the metakernel itself (SPICE loads it into the kernel
/// pool too), then each kernel it loads in order, then the `kernels` globs; each with its hash.
/// A kernel that does not exist fails naming it and the metakernel line; a malformed
/// metakernel fails naming its file and line.
pub fn collect(
    root: &Path,
    spec: &crate::config::SpiceSpec,
    facts: &super::Facts,
) -> Result<Vec<Kernel>, CollectError> {
    let hash = |p: &Path| facts.files().hash(p);
    let mut out = Vec::new();
    let entry = |path: &str, abs: &Path| -> Result<Kernel, CollectError> {
        let h = hash(abs).map_err(|e| CollectError::Unreadable {
            path: format!("kernel `{path}`"),
            source: e.into(),
        })?;
        Ok(Kernel {
            path: path.to_owned(),
            sha256: crate::manifest::Sha256(h),
        })
    };
    if let Some(mk) = &spec.metakernel {
        let abs = root.join(&mk.pattern);
        let bytes = crate::disk::read_regular(&abs).map_err(|e| CollectError::Unreadable {
            path: format!(
                "metakernel `{}` (harness.toml line {})",
                mk.pattern, mk.line
            ),
            source: e.into(),
        })?;
        let text = String::from_utf8_lossy(&bytes);
        let kernels = parse_metakernel(&text)
            .map_err(|e| CollectError::Invalid(format!("metakernel `{}` {e}", mk.pattern)))?;
        out.push(entry(&mk.pattern, &abs)?);
        for k in kernels {
            let kabs = if Path::new(&k.path).is_absolute() {
                PathBuf::from(&k.path)
            } else {
                root.join(&k.path)
            };
            if !kabs.is_file() {
                return Err(CollectError::Invalid(format!(
                    "kernel `{}` (metakernel `{}` line {}) does not exist",
                    k.path, mk.pattern, k.line
                )));
            }
            out.push(entry(&k.path, &kabs)?);
        }
    }
    if !spec.kernels.is_empty() {
        for m in super::files::expand(
            root,
            &spec.kernels,
            "spice.kernels",
            &|_| false,
            (false, spec.allow_outside),
            facts.host().threads,
        )? {
            out.push(entry(&m.rel, &m.abs)?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn fixture(name: &str) -> String {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/spice/mk")
            .join(name);
        String::from_utf8(std::fs::read(p).unwrap()).unwrap()
    }

    #[test]
    fn every_real_metakernel() {
        // (file, number of kernels, first kernel, last kernel)
        let cases: &[(&str, usize, &str, &str)] = &[
            (
                "kervar.tm",
                3,
                "../kernels/spk/de405s.bsp",
                "../kernels/lsk/naif0008.tls",
            ),
            (
                "xform_crlf.tm",
                8,
                "kernels\\lsk\\naif0008.tls",
                "kernels\\pck\\cpck05Mar2004.tpc",
            ),
        ];
        for (name, n, first, last) in cases {
            let k = parse_metakernel(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(k.len(), *n, "{name}: {k:?}");
            if *n > 0 {
                assert_eq!(
                    (k[0].path.as_str(), k[n - 1].path.as_str()),
                    (*first, *last),
                    "{name}"
                );
            }
        }
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spice/mk");
        let mut parsed = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            let result = parse_metakernel(&fixture(&name));
            if name.contains("malformed") {
                let e = result.unwrap_err();
                assert_eq!(e.line, 12, "{name}: {e}");
                assert!(e.message.contains("unterminated string"), "{e}");
            } else {
                let k = result.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(
                    k.iter().all(|k| !k.path.contains('$')),
                    "{name}: symbols left in {k:?}"
                );
                parsed += 1;
            }
        }
        assert_eq!(parsed, 9);
    }

    #[test]
    fn continuation_doubled_quotes_plus_equals_and_commas() {
        let text = "KPL/MK\n   \\begindata   \n\
            PATH_VALUES = ( '/data/very/long/+'\n 'kernels' )\n\
            PATH_SYMBOLS = ( 'K' )\n\
            KERNELS_TO_LOAD = ( '$K/a.tls', '$K/b''s.tpc', )\n\
            \\begintext\nText with 'quoted/path.bsp' is a comment.\n\
            \\begindata\n\
            KERNELS_TO_LOAD += ( '$K/sub/+'\n  'c.bsp' )\n\
            NUMBERS = ( 1.0D+3 -2 @2004-APR-01 )";
        let k = parse_metakernel(text).unwrap();
        let paths: Vec<&str> = k.iter().map(|k| k.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/data/very/long/kernels/a.tls",
                "/data/very/long/kernels/b's.tpc",
                "/data/very/long/kernels/sub/c.bsp"
            ]
        );
        assert_eq!(k[2].line, 10);
        // `=` replaces, `+=` appends
        let k = parse_metakernel("\\begindata\nKERNELS_TO_LOAD = 'a'\nKERNELS_TO_LOAD = 'b'\n")
            .unwrap();
        assert_eq!(k.len(), 1);
    }

    #[test]
    fn malformed_metakernels_name_the_line() {
        let cases: &[(&str, usize, &str)] = &[
            (
                "\\begindata\nKERNELS_TO_LOAD = ( 'a'\n'b'\n",
                2,
                "never closed",
            ),
            (
                "\\begindata\nKERNELS_TO_LOAD = ( 'a'\n\\begintext\n",
                3,
                "not closed before \\begintext",
            ),
            (
                "\\begindata\nKERNELS_TO_LOAD = 'a' )\n",
                2,
                "`)` without `(`",
            ),
            (
                "\\begindata\nKERNELS_TO_LOAD ( 'a' )\n",
                2,
                "expected `=` or `+=`",
            ),
            (
                "\\begindata\n\nKERNELS_TO_LOAD = ( 'a\n",
                3,
                "unterminated string",
            ),
            (
                "\\begindata\nPATH_SYMBOLS = ('A' 'B')\nPATH_VALUES = ('x')\n",
                2,
                "PATH_SYMBOLS has 2 entries",
            ),
        ];
        for (text, line, needle) in cases {
            let e = parse_metakernel(text).unwrap_err();
            assert_eq!(e.line, *line, "{text:?}: {e}");
            assert!(e.message.contains(needle), "{text:?}: {e}");
        }
    }

    #[test]
    fn markers_count_only_alone_on_their_line() {
        let text = "see \\begindata in prose\nA = 'not data'\n  \\begindata \t\nB = 'x'\n\\begintext  \nC = 'text'\n";
        let pool = parse_pool(text).unwrap();
        assert!(
            !pool.contains_key("A"),
            "a marker inside a sentence does not start data"
        );
        assert_eq!(pool["B"][0].0, "x");
        assert!(
            !pool.contains_key("C"),
            "an indented marker with trailing blanks still counts"
        );
        // inside data, a sentence is an error, not silently skipped
        let e = parse_pool("\\begindata\nA = 'x'\nmore \\begintext here\n").unwrap_err();
        assert_eq!(e.line, 3);
    }

    #[test]
    fn crlf_kernels_parse_like_lf() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spice/kernels");
        let crlf = std::fs::read_to_string(dir.join("naif0008_crlf.tls")).unwrap();
        let lf = std::fs::read_to_string(dir.join("naif0008.tls")).unwrap();
        assert_eq!(parse_pool(&crlf).unwrap(), parse_pool(&lf).unwrap());
        assert!(parse_pool(&lf).unwrap().contains_key("DELTET/DELTA_AT"));
    }

    #[test]
    fn symbols_that_name_each_other_are_capped_and_the_line_named() {
        let mut text = String::from("\\begindata\nPATH_SYMBOLS = (");
        let names: Vec<String> = (0..10).map(|i| format!("S{i}")).collect();
        for n in &names {
            text.push_str(&format!(" '{n}'"));
        }
        text.push_str(" )\nPATH_VALUES = (");
        for i in 0..10 {
            let next = names.get(i + 1).map_or("x".to_owned(), |n| format!("${n}"));
            text.push_str(&format!(" '{}'", next.repeat(10)));
        }
        text.push_str(" )\nKERNELS_TO_LOAD = (\n '$S0/a.bsp' )\n");
        assert!(text.len() < 1024, "a 1 KB metakernel");
        let err = parse_metakernel(&text).unwrap_err();
        assert_eq!(err.line, 5, "the kernel's line: {err:?}");
        assert!(err.message.contains("4096"), "{err:?}");
    }
}
