//! Canonical JSON: the RFC 8785 (JCS) bytes that digests are taken over, the byte-stable pretty
//! form written to disk, a strict parser that rejects duplicate keys, and `"sha256:<hex>"`
//! helpers.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::fmt;

/// The prefix of every hash provbase writes.
pub const SHA256_PREFIX: &str = "sha256:";

/// The RFC 8785 canonical bytes of a JSON value.
pub fn jcs_bytes(value: &Value) -> Vec<u8> {
    if compact_is_canonical(value) {
        // keys sorted by bytes, integers as written, strings escaped as JCS escapes them
        return serde_json::to_vec(value).unwrap_or_default();
    }
    // Serialising a `serde_json::Value` cannot fail: its numbers are finite and its keys strings.
    serde_json_canonicalizer::to_vec(value).unwrap_or_default()
}

/// Whether serde_json's compact output of `v` is already its RFC 8785 form: objects are
/// `BTreeMap`s sorted by UTF-8 bytes, which is RFC 8785's UTF-16 order as long as no key holds
/// a character at or above U+D800; integers within ±2^53 print the same as ES6 doubles; and
/// strings are escaped alike. Floats (ES6 formatting differs) take the canonicalizer. Manifests
/// of many files are nearly all strings, and this saves most of a digest's time.
fn compact_is_canonical(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(_) | Value::String(_) => true,
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => u <= MAX_SAFE_INTEGER,
            (None, Some(i)) => i.unsigned_abs() <= MAX_SAFE_INTEGER,
            _ => false,
        },
        Value::Array(a) => a.iter().all(compact_is_canonical),
        Value::Object(m) => m
            .iter()
            .all(|(k, x)| k.chars().all(|c| (c as u32) < 0xD800) && compact_is_canonical(x)),
    }
}

/// The on-disk form: keys sorted, two-space indent, `\n` line ends, one final newline.
///
/// `serde_json::Map` is a `BTreeMap` here (the `preserve_order` feature is off), so keys come out
/// sorted by their UTF-8 bytes on every platform.
pub fn pretty_bytes(value: &Value) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(value).unwrap_or_default();
    out.push(b'\n');
    out
}

/// Lowercase hex of some bytes.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    push_hex(&mut s, bytes);
    s
}

fn push_hex(s: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
}

/// `"sha256:<64 lowercase hex>"` of some bytes.
pub fn sha256_tagged(bytes: &[u8]) -> String {
    tag_digest(&Sha256::digest(bytes))
}

/// `"sha256:<hex>"` of a finished SHA-256 digest.
pub fn tag_digest(digest: &[u8]) -> String {
    let mut s = String::with_capacity(SHA256_PREFIX.len() + digest.len() * 2);
    s.push_str(SHA256_PREFIX);
    push_hex(&mut s, digest);
    s
}

/// Whether a string has the shape `sha256:<64 lowercase hex>`.
pub fn is_sha256_tagged(s: &str) -> bool {
    s.strip_prefix(SHA256_PREFIX).is_some_and(|h| {
        h.len() == 64
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// `"sha256:"` + SHA-256 of the JCS form of a JSON value.
pub fn digest_of(value: &Value) -> String {
    sha256_tagged(&jcs_bytes(value))
}

/// `"sha256:"` + SHA-256 of the JCS form of an object without one of its members, without
/// copying the object.
pub fn digest_of_object_without(map: &Map<String, Value>, skip: &str) -> String {
    let rest: std::collections::BTreeMap<&str, &Value> = map
        .iter()
        .filter(|(k, _)| k.as_str() != skip)
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    let fast = rest
        .iter()
        .all(|(k, v)| k.chars().all(|c| (c as u32) < 0xD800) && compact_is_canonical(v));
    // streamed into the hasher: a manifest of many files is never held twice
    let mut w = HashWriter(Sha256::new());
    let _ = if fast {
        serde_json::to_writer(&mut w, &rest)
    } else {
        serde_json_canonicalizer::to_writer(&rest, &mut w)
    };
    tag_digest(&w.0.finalize())
}

struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Parses JSON, rejecting an object that holds the same key twice (serde_json keeps the last
/// one silently). The error names the line and column.
///
/// An integer literal beyond ±2^53 is read as the string of its digits, exactly as written:
/// parsed as a number it would become a double and lose its last digits
/// (`18446744073709551617` and `…616` would be one value).
pub fn parse_strict(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let bytes = quote_big_integers(bytes);
    serde_json::from_slice::<StrictValue>(&bytes)
        .map(|v| v.0)
        .map_err(|e| lone_surrogate(&bytes, e.line()).unwrap_or(e))
}

/// serde_json reports a lone surrogate escape (`"\ud800"`) as "unexpected end of hex escape"
/// or "lone leading surrogate": say what it is, and where.
fn lone_surrogate(bytes: &[u8], line: usize) -> Option<serde_json::Error> {
    let text = std::str::from_utf8(bytes).ok()?;
    let line_text = text.lines().nth(line.checked_sub(1)?)?;
    let hex = |s: &str| u16::from_str_radix(s.get(..4)?, 16).ok();
    let mut rest = line_text;
    while let Some(at) = rest.find("\\u") {
        let after = &rest[at + 2..];
        let column = line_text.len() - rest.len() + at + 1;
        if let Some(u) = hex(after) {
            let paired = after
                .get(4..)
                .and_then(|t| t.strip_prefix("\\u"))
                .and_then(hex)
                .is_some_and(|low| (0xDC00..0xE000).contains(&low));
            if (0xD800..0xDC00).contains(&u) && !paired || (0xDC00..0xE000).contains(&u) {
                return Some(<serde_json::Error as serde::de::Error>::custom(format!(
                    "a lone surrogate `\\u{u:04x}` at line {line} column {column}: a character outside the Basic Multilingual Plane is written as a pair (`\\ud83d\\ude00`), and half of one is not text"
                )));
            }
            if paired {
                rest = &after[10..];
                continue;
            }
        }
        rest = &rest[at + 2..];
    }
    None
}

/// JSON text with every integer literal beyond ±2^53 (outside strings) put in quotes. Text
/// without one is returned as it is. Malformed text stays malformed: the parser reports it.
pub fn quote_big_integers(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if b == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        if b == b'-' || b.is_ascii_digit() {
            let start = i;
            i += usize::from(b == b'-');
            let digits_start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let digits = &bytes[digits_start..i];
            let integer = !matches!(bytes.get(i), Some(b'.' | b'e' | b'E'));
            // 2^53 = 9007199254740992: sixteen digits
            let big =
                digits.len() > 16 || (digits.len() == 16 && digits > &b"9007199254740992"[..]);
            // the shortest form of a double (as RFC 8785 writes a large double:
            // 555555555555555700, say) stays a number, so that canonical bytes read back as
            // they were written; any other digits would lose some as a double
            let shortest = std::str::from_utf8(digits)
                .ok()
                .and_then(|d| Some((d, d.parse::<f64>().ok()?)))
                .is_some_and(|(d, f)| f.is_finite() && format!("{f}") == d);
            if integer && big && !shortest && digits.first() != Some(&b'0') {
                let o = out.get_or_insert_with(|| Vec::with_capacity(bytes.len() + 16));
                o.extend_from_slice(&bytes[copied..start]);
                o.push(b'"');
                o.extend_from_slice(&bytes[start..i]);
                o.push(b'"');
                copied = i;
            }
            // the rest of a number (fraction, exponent) is not a new token
            while i < bytes.len()
                && matches!(bytes[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
            {
                i += 1;
            }
            continue;
        }
        i += 1;
    }
    match out {
        None => std::borrow::Cow::Borrowed(bytes),
        Some(mut o) => {
            o.extend_from_slice(&bytes[copied..]);
            std::borrow::Cow::Owned(o)
        }
    }
}

struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictValue(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
            }
            let StrictValue(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// Reads YAML as strictly as [`parse_strict`] reads JSON: a mapping that repeats a key is an
/// error naming the key, not a silent "last one wins".
pub fn parse_yaml_strict(text: &str) -> Result<Value, serde_yaml_ng::Error> {
    serde_yaml_ng::from_str::<StrictValue>(text).map(|v| v.0)
}

/// Largest integer that survives the double conversion of JCS (2^53).
pub const MAX_SAFE_INTEGER: u64 = 1 << 53;

/// Turns every integer beyond ±2^53 into a string, in place, so that the JCS form (which writes
/// numbers as doubles) and the pretty form agree.
pub fn stringify_big_integers(value: &mut Value) {
    match value {
        Value::Number(n) => {
            let big = match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => u > MAX_SAFE_INTEGER,
                (None, Some(i)) => i.unsigned_abs() > MAX_SAFE_INTEGER,
                _ => false,
            };
            if big {
                *value = Value::String(n.to_string());
            }
        }
        Value::Array(items) => items.iter_mut().for_each(stringify_big_integers),
        Value::Object(map) => map.values_mut().for_each(stringify_big_integers),
        _ => {}
    }
}

/// The first `n` bytes of a text, cut back to a character boundary: a short form of a commit or
/// digest that came from a file (a baseline, a report) and may hold anything.
pub fn prefix(s: &str, n: usize) -> &str {
    let mut end = n.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::path::PathBuf;

    fn fixtures() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/jcs")
    }

    #[test]
    fn yaml_with_a_repeated_key_is_an_error() {
        let e = parse_yaml_strict("lr: 0.1\nopt:\n  m: 1\n  m: 2\n").unwrap_err();
        assert!(e.to_string().contains("duplicate key `m`"), "{e}");
        assert_eq!(
            parse_yaml_strict("lr: 0.1\nlist: [1, 2]\n").unwrap(),
            serde_json::json!({"lr": 0.1, "list": [1, 2]})
        );
    }

    #[test]
    fn a_lone_surrogate_is_named() {
        for text in [r#"{"a": "\ud800"}"#, r#"["x\ud800y"]"#, r#"["\udc00"]"#] {
            let e = parse_strict(text.as_bytes()).unwrap_err().to_string();
            assert!(e.contains("a lone surrogate"), "{text}: {e}");
        }
        assert_eq!(
            parse_strict(br#"["\ud83d\ude00"]"#).unwrap()[0],
            "\u{1F600}"
        );
    }

    #[test]
    fn integers_beyond_2_53_keep_every_digit() {
        let v = parse_strict(
            br#"{"a": 18446744073709551617, "b": [-18446744073709551615, 9007199254740993],
               "c": 9007199254740992, "d": 1.8446744073709551617e19, "s": "12345678901234567890",
               "e": "x\"18446744073709551617"}"#,
        )
        .unwrap();
        assert_eq!(v["a"], "18446744073709551617");
        assert_eq!(v["b"][0], "-18446744073709551615");
        assert_eq!(v["b"][1], "9007199254740993");
        assert_eq!(v["c"], 9007199254740992u64, "2^53 itself is exact");
        assert!(v["d"].is_f64(), "not an integer literal");
        assert_eq!(v["s"], "12345678901234567890");
        assert_eq!(v["e"], "x\"18446744073709551617");
        assert_ne!(
            parse_strict(b"[18446744073709551616]").unwrap(),
            parse_strict(b"[18446744073709551617]").unwrap()
        );
        assert!(
            parse_strict(b"[1, 00]").is_err(),
            "malformed stays malformed"
        );
        // the RFC 8785 form of a large double stays a number (it reads back as exactly the
        // integer it shows), and one digit more is kept as it is
        assert_eq!(
            parse_strict(b"[555555555555555700]").unwrap()[0],
            555555555555555700u64
        );
        assert_eq!(
            parse_strict(b"[555555555555555701]").unwrap()[0],
            "555555555555555701"
        );
    }

    /// Found by the `canonical_json` fuzz target: a large double's RFC 8785 form reads back as
    /// the same number, so canonical bytes round-trip.
    #[test]
    fn canonical_bytes_of_a_large_double_round_trip() {
        let input = std::fs::read(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/fuzz/canonical_json-7c69e5c5.json"),
        )
        .unwrap();
        let v = parse_strict(&input).unwrap();
        let jcs = jcs_bytes(&v);
        assert_eq!(jcs_bytes(&parse_strict(&jcs).unwrap()), jcs);
        let pretty = pretty_bytes(&v);
        assert_eq!(jcs_bytes(&parse_strict(&pretty).unwrap()), jcs);
    }

    #[test]
    fn rfc8785_vectors() {
        let mut seen = 0;
        for entry in std::fs::read_dir(fixtures().join("input")).unwrap() {
            let path = entry.unwrap().path();
            let input = std::fs::read(&path).unwrap();
            let expected =
                std::fs::read(fixtures().join("output").join(path.file_name().unwrap())).unwrap();
            let value = parse_strict(&input).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&jcs_bytes(&value)),
                String::from_utf8_lossy(&expected),
                "{}",
                path.display()
            );
            seen += 1;
        }
        assert_eq!(seen, 6, "every vector was read");
    }

    #[test]
    fn es6_number_vectors() {
        let text =
            std::fs::read_to_string(fixtures().join("numbers/es6testfile100m.first10000.txt"))
                .unwrap();
        let mut checked = 0;
        for line in text.lines() {
            let (hex_bits, expected) = line.split_once(',').unwrap();
            let f = f64::from_bits(u64::from_str_radix(hex_bits, 16).unwrap());
            if !f.is_finite() {
                continue;
            }
            let v = Value::Number(serde_json::Number::from_f64(f).unwrap());
            assert_eq!(
                String::from_utf8(jcs_bytes(&v)).unwrap(),
                expected,
                "{hex_bits}"
            );
            checked += 1;
        }
        assert!(checked > 9_000);
    }

    #[test]
    fn duplicate_keys_are_rejected_with_position() {
        let err = parse_strict(b"{\n  \"a\": 1,\n  \"a\": 2\n}\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("duplicate key `a`"), "{msg}");
        assert!(msg.contains("line 3"), "{msg}");
        // nested objects too
        assert!(parse_strict(br#"{"x": [{"b": 1, "b": 1}]}"#).is_err());
        assert!(parse_strict(br#"{"x": [{"b": 1, "c": 1}]}"#).is_ok());
    }

    #[test]
    fn pretty_form_is_sorted_indented_and_newline_terminated() {
        let v: Value = serde_json::from_str(r#"{"b": {"z": 1, "a": [1, 2]}, "a": "x"}"#).unwrap();
        let text = String::from_utf8(pretty_bytes(&v)).unwrap();
        assert_eq!(
            text,
            "{\n  \"a\": \"x\",\n  \"b\": {\n    \"a\": [\n      1,\n      2\n    ],\n    \"z\": 1\n  }\n}\n"
        );
    }

    #[test]
    fn sha256_tags() {
        // SHA-256 of the empty string, a published constant.
        assert_eq!(
            sha256_tagged(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(is_sha256_tagged(&sha256_tagged(b"x")));
        assert!(!is_sha256_tagged("sha256:ABC"));
    }

    #[test]
    fn big_integers_become_strings() {
        let mut v = serde_json::json!({"a": 9007199254740993u64, "b": 9007199254740992u64, "c": -9007199254740993i64, "d": 1.5});
        stringify_big_integers(&mut v);
        assert_eq!(v["a"], "9007199254740993");
        assert_eq!(v["b"], 9007199254740992u64);
        assert_eq!(v["c"], "-9007199254740993");
        assert_eq!(v["d"], 1.5);
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(Value::from),
            (-1e12f64..1e12).prop_map(Value::from),
            "[a-zA-Z0-9 é\u{1F600}\"\\\\]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map("[a-z\u{e9}\u{1F600}]{0,4}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn has_high_key(v: &Value) -> bool {
        match v {
            Value::Array(a) => a.iter().any(has_high_key),
            Value::Object(m) => m
                .iter()
                .any(|(k, x)| k.chars().any(|c| c as u32 >= 0xD800) || has_high_key(x)),
            _ => false,
        }
    }

    fn arb_json_without_floats() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|i| Value::from(i % (1 << 53))),
            // control characters, quotes, backslashes, DEL, accents, CJK, private use, emoji
            "[a-z \u{0}-\u{1f}\u{7f}\"\\/é中\u{e000}\u{1F600}]{0,10}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map("[a-z0-9_\u{0}-\u{1f}é中]{0,4}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    #[test]
    fn digest_without_a_member_is_the_digest_of_the_rest() {
        let v = serde_json::json!({"a": 1, "digest": "x", "b": {"c": [1.5, "\u{1F600}"]}, "\u{e000}": 2});
        let mut rest = v.as_object().unwrap().clone();
        rest.remove("digest");
        assert_eq!(
            digest_of_object_without(v.as_object().unwrap(), "digest"),
            digest_of(&Value::Object(rest))
        );
    }

    #[test]
    fn keys_beyond_the_bmp_take_the_canonicalizer() {
        // U+E000 sorts after U+1F600 in UTF-8 but before it in UTF-16
        let v: Value = serde_json::from_str("{\"\u{e000}\": 1, \"\u{1F600}\": 2}").unwrap();
        assert!(!compact_is_canonical(&v));
        assert_eq!(
            String::from_utf8(jcs_bytes(&v)).unwrap(),
            "{\"\u{1F600}\":2,\"\u{e000}\":1}"
        );
        assert!(!compact_is_canonical(&serde_json::json!({"a": 1.5})));
    }

    proptest! {
        #[test]
        fn pretty_round_trip_keeps_canonical_bytes(v in arb_json()) {
            let pretty = pretty_bytes(&v);
            let back = parse_strict(&pretty).unwrap();
            prop_assert_eq!(jcs_bytes(&back), jcs_bytes(&v));
            prop_assert_eq!(pretty_bytes(&back), pretty);
        }

        #[test]
        fn the_fast_path_is_the_canonicalizers_output(v in arb_json_without_floats()) {
            prop_assert!(compact_is_canonical(&v) || has_high_key(&v));
            prop_assert_eq!(jcs_bytes(&v), serde_json_canonicalizer::to_vec(&v).unwrap());
        }

        #[test]
        fn canonical_form_is_a_fixed_point(v in arb_json()) {
            let once = jcs_bytes(&v);
            let again = jcs_bytes(&parse_strict(&once).unwrap());
            prop_assert_eq!(once, again);
        }
    }
}
