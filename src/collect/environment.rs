//! The `environment` section: only the variables a run names in `env = [...]`, plus a
//! built-in set known to change numerical results. A variable whose name looks like a secret
//! is recorded as its keyed hash (`"<redacted:…>"`: its presence and its changes stay visible,
//! its value never reaches a file), and so is a token-shaped value under any name; URLs in a
//! value lose their credentials ([`crate::redact`]). A named variable that is unset is recorded
//! as `{"unset": true}`.

use crate::manifest::types::{EnvValue, Unavailable};
use crate::redact::secret_variable as looks_secret;
use std::collections::BTreeMap;

/// Variables recorded whenever they are set, for every run.
pub const BUILTIN: &[&str] = &[
    "CUDA_VISIBLE_DEVICES",
    "CUDA_LAUNCH_BLOCKING",
    "CUBLAS_WORKSPACE_CONFIG",
    "NVIDIA_TF32_OVERRIDE",
    "TF_DETERMINISTIC_OPS",
    "TF_CUDNN_DETERMINISTIC",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "RAYON_NUM_THREADS",
    "PYTHONHASHSEED",
    "NCCL_*",
];

/// Whether `name` is one of the [`BUILTIN`] variables (a name or a glob such as `NCCL_*`).
pub fn is_builtin(name: &str) -> bool {
    BUILTIN
        .iter()
        .any(|b| glob::Pattern::new(b).is_ok_and(|g| g.matches(name)))
}

fn record(name: &str, value: Option<std::ffi::OsString>) -> EnvValue {
    match value {
        None => EnvValue::Unset { unset: true },
        Some(v) if looks_secret(name) => {
            EnvValue::Value(crate::redact::keyed(v.as_encoded_bytes()))
        }
        Some(v) => match v.into_string() {
            Ok(s) => {
                let s = crate::redact::scrub_str(&s);
                EnvValue::Value(
                    s.split(':')
                        .map(crate::redact::home_relative)
                        .collect::<Vec<_>>()
                        .join(":"),
                )
            }
            Err(_) => EnvValue::Unavailable(Unavailable {
                unavailable: "not UTF-8".into(),
            }),
        },
    }
}

/// The `environment` section: variable → value.
pub type Environment = BTreeMap<String, EnvValue>;

/// Collects the variables `named` (names or globs such as `NCCL_*`) and the built-in set.
pub fn collect(named: &[String], host: &super::Host) -> Environment {
    collect_from(named, host.vars())
}

fn collect_from(named: &[String], vars: Vec<(String, std::ffi::OsString)>) -> Environment {
    let lookup = |n: &str| vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let mut out = Environment::new();
    let mut add_pattern = |p: &str, always: bool| {
        if p.contains(['*', '?', '[']) {
            if let Ok(g) = glob::Pattern::new(p) {
                for (k, v) in vars.iter().filter(|(k, _)| g.matches(k)) {
                    out.insert(k.clone(), record(k, Some(v.clone())));
                }
            }
        } else if let Some(v) = lookup(p) {
            out.insert(p.to_owned(), record(p, Some(v)));
        } else if always {
            out.insert(p.to_owned(), record(p, None));
        }
    };
    for b in BUILTIN {
        add_pattern(b, false);
    }
    for n in named {
        add_pattern(n, true);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars(v: &[(&str, &str)]) -> Vec<(String, std::ffi::OsString)> {
        v.iter().map(|(k, v)| (k.to_string(), v.into())).collect()
    }

    #[test]
    fn builtin_names_and_globs() {
        assert!(is_builtin("NCCL_VERSION") && is_builtin("OMP_NUM_THREADS"));
        assert!(!is_builtin("HOME") && !is_builtin("XNCCL_DEBUG"));
    }

    #[test]
    fn allowlist_builtins_secrets_and_unset() {
        let env = vars(&[
            ("OMP_NUM_THREADS", "4"),
            ("NCCL_DEBUG", "INFO"),
            ("NCCL_IB_DISABLE", "1"),
            ("HF_TOKEN", "hf_abcdef123"),
            ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI"),
            ("PATH", "/usr/bin"),
            ("MY_SETTING", "x"),
        ]);
        let named: Vec<String> = ["MY_SETTING", "HF_TOKEN", "NOT_SET", "AWS_*"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let got = serde_json::to_value(collect_from(&named, env)).unwrap();
        let got = got.as_object().unwrap();
        assert_eq!(got["OMP_NUM_THREADS"], "4");
        assert_eq!(got["NCCL_DEBUG"], "INFO");
        assert_eq!(got["NCCL_IB_DISABLE"], "1");
        assert_eq!(got["MY_SETTING"], "x");
        for k in ["HF_TOKEN", "AWS_SECRET_ACCESS_KEY"] {
            assert!(
                got[k].as_str().unwrap().starts_with(crate::redact::PREFIX),
                "{k}: {}",
                got[k]
            );
        }
        assert_eq!(got["NOT_SET"], json!({"unset": true}));
        assert!(!got.contains_key("PATH"), "only allowed variables");
        assert!(
            !got.contains_key("CUDA_VISIBLE_DEVICES"),
            "an unset built-in is left out"
        );
        let text = serde_json::to_string(&got).unwrap();
        assert!(!text.contains("hf_abcdef123") && !text.contains("wJalrXUtnFEMI"));
    }
}
