//! The environment variables that change what provbase does, read in one place.

/// Whether a variable is set to a true value (`1`, `true`, `yes`, any case).
pub fn env_flag(name: &str) -> bool {
    std::env::var(name)
        .is_ok_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
}

/// Whether provbase runs in CI, where committed baselines are never rewritten unless forced:
/// `CI` set to anything but empty, `0` or `false` (GitHub Actions, GitLab CI, Buildkite,
/// CircleCI and Jenkins' plugins set it), `GITHUB_ACTIONS=true`, `GITLAB_CI` or `TF_BUILD`
/// (Azure Pipelines) set — as insta decides.
pub fn in_ci() -> bool {
    let set = |n: &str| std::env::var(n).is_ok_and(|v| !v.is_empty());
    std::env::var("CI")
        .is_ok_and(|v| !matches!(v.to_ascii_lowercase().as_str(), "" | "0" | "false"))
        || std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
        || set("GITLAB_CI")
        || set("TF_BUILD")
}

/// `PROVBASE_ACCEPT`: `1`/`true`/`yes` accepts (where the harness gets no `--accept`), `force`
/// accepts in CI too.
pub fn accept_from_env() -> (bool, bool) {
    let v = std::env::var("PROVBASE_ACCEPT")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let force = v == "force";
    (force || env_flag("PROVBASE_ACCEPT"), force)
}
