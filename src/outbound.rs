//! What leaves the process: every text provbase prints or writes for people and CI runners
//! (human reports, messages, JUnit, Markdown, annotations, the fleet page) passes through
//! [`text`], which scrubs secrets ([`crate::redact::scrub_text`]) and makes CI runners' command
//! syntax inert ([`inert`]), whoever wrote the text: a data file's diff, a command's stderr, a
//! file name, a report folded from another runner.

use std::borrow::Cow;

/// Text as it may leave the process: secrets scrubbed, then [`inert`].
pub fn text(s: &str) -> Cow<'_, str> {
    match crate::redact::scrub_text(s) {
        Cow::Borrowed(b) => inert(b),
        Cow::Owned(o) => Cow::Owned(inert(&o).into_owned()),
    }
}

/// The zero-width space put inside a command's marker: the text reads the same, and no runner
/// parses it.
const BREAK: &str = "\u{200B}";

/// Markers a CI runner obeys anywhere in a line, compared without case: GitHub's (and Azure's)
/// `##[error]`-style commands, Azure Pipelines' `##vso[…]` and TeamCity's service messages
/// `##teamcity[…]`.
const ANYWHERE: &[&str] = &["##[", "##vso[", "##teamcity["];

/// Text that cannot command a CI runner:
///
/// - GitHub's runner (and GitLab's log parser) takes a line whose first non-blank characters
///   are `::` as a workflow command (`::error::x`, `::stop-commands::t`, `::add-mask::`): such a
///   line gets a zero-width space between its two colons.
/// - `##[`, `##vso[` and `##teamcity[` are obeyed anywhere in a line: they get one between
///   their two `#`.
/// - Runners end a line at a bare carriage return as well as at a line feed, so lines are split
///   at both.
pub fn inert(text: &str) -> Cow<'_, str> {
    let lower = text.to_ascii_lowercase();
    let starts_command = text
        .split(['\n', '\r'])
        .any(|l| l.trim_start().starts_with("::"));
    if !starts_command && !ANYWHERE.iter().any(|m| lower.contains(m)) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut line_start = true;
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < bytes.len() {
        let rest = &text[i..];
        let c = rest.chars().next().unwrap_or('\0');
        if line_start && rest.starts_with("::") {
            out.push(':');
            out.push_str(BREAK);
            out.push(':');
            i += 2;
            line_start = false;
            continue;
        }
        if c == '#' && ANYWHERE.iter().any(|m| lower[i..].starts_with(m)) {
            out.push('#');
            out.push_str(BREAK);
            i += 1;
            line_start = false;
            continue;
        }
        out.push(c);
        i += c.len_utf8();
        if c == '\n' || c == '\r' {
            line_start = true;
        } else if !c.is_whitespace() {
            line_start = false;
        }
    }
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrusted_lines_cannot_command_a_runner() {
        let text = "ok\n::error::pwned\n   ::stop-commands::token\n+::warning::x\nlast ::error::y\
                    \rstill::x\r::error::after a bare CR\nsee ##[error]in the middle and ##VSO[task.setvariable variable=x]1\
                    \n##teamcity[buildStatus text='x']";
        let safe = inert(text);
        for line in safe.split(['\n', '\r']) {
            assert!(!line.trim_start().starts_with("::"), "{line}");
            let lower = line.to_ascii_lowercase();
            for m in ANYWHERE {
                assert!(!lower.contains(m), "{line}");
            }
        }
        assert_eq!(safe.replace(BREAK, ""), text, "reads the same");
        assert_eq!(inert("plain\n"), "plain\n");
        assert!(matches!(inert("a ## b [c]"), Cow::Borrowed(_)));
    }

    #[test]
    fn text_is_scrubbed_then_inert() {
        let t = text("::error::token:ghp_R8xQ2kLmN4pV7sT1wY3zA5bC9dE0fG6hJ2kL");
        assert!(!t.contains("R8xQ2kLmN4") && !t.starts_with("::"), "{t}");
    }
}
