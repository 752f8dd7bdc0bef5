//! A temporary project: files, a real git repository, and the provbase binary run inside it.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// Leaves out what the outside environment would add to a run: CI, a profile, a config file, an
/// accept request, and the variables recorded for every run (a GPU machine sets `NCCL_VERSION`).
pub fn hermetic(cmd: &mut std::process::Command) -> &mut std::process::Command {
    for name in [
        "CI",
        "GITHUB_ACTIONS",
        "GITLAB_CI",
        "TF_BUILD",
        "PROVBASE_PROFILE",
        "PROVBASE_CONFIG",
        "PROVBASE_ACCEPT",
        "PROVBASE_NO_CACHE",
        "PROVBASE_HASH_THREADS",
        "PROVBASE_JUNIT",
        "PROVBASE_JSON_REPORT",
        "PROVBASE_RUNNER",
        "GITHUB_STEP_SUMMARY",
        "NEXTEST_RUN_ID",
        "NO_COLOR",
        "CLICOLOR_FORCE",
        "CLICOLOR",
    ] {
        cmd.env_remove(name);
    }
    for (name, _) in std::env::vars_os() {
        if provbase::collect::environment::is_builtin(&name.to_string_lossy()) {
            cmd.env_remove(name);
        }
    }
    cmd
}

/// Copies a folder's tree into another.
pub fn copy_tree(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// Makes a file look untouched for twice [`provbase::disk::ABANDONED_AFTER`]: a temporary
/// file a killed process left, an object no accept is about to name.
pub fn abandon(path: &Path) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - provbase::disk::ABANDONED_AFTER * 2)
        .unwrap();
}

/// A finished command's exit code (-1 when killed), stdout and stderr.
pub fn outcome(out: std::process::Output) -> (i32, String, String) {
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub struct Project {
    dir: tempfile::TempDir,
}

pub const CONFIG_220: &str =
    include_str!("../../examples/nav/config_files/config_220_body_shape.yaml");
pub const CONFIG_400: &str =
    include_str!("../../examples/nav/config_files/config_400_inst_coiss.yaml");
pub const CONFIG_410: &str =
    include_str!("../../examples/nav/config_files/config_410_inst_gossi.yaml");
pub const CONFIG_070: &str =
    include_str!("../../examples/nav/config_files/config_070_bootstrap.yaml");

/// The harness.toml of the issue's example.
pub const HARNESS: &str = r#"[harness]
baselines = "baselines"

[[run]]
name = "coiss-N1597846115"
code = ["src/nav/**"]
static_data = ["cfg/config_220_*.yaml", "cfg/config_[34]*.yaml"]
params = { image = "N1597846115", seed = 42 }
"#;

impl Project {
    pub fn new() -> Project {
        Project {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The issue's example project: harness.toml, code, and rms-nav's static data.
    pub fn nav() -> Project {
        let p = Project::new();
        p.file("harness.toml", HARNESS)
            .file("src/nav/navigate.py", "print('navigate')\n")
            .file("src/nav/util/geometry.py", "PI = 3.14159\n")
            .file("cfg/config_220_body_shape.yaml", CONFIG_220)
            .file("cfg/config_400_inst_coiss.yaml", CONFIG_400)
            .file("cfg/config_410_inst_gossi.yaml", CONFIG_410)
            .file("cfg/config_070_bootstrap.yaml", CONFIG_070)
            .file("README.md", "not in any scope\n");
        p
    }

    /// The example project with a second run that has no files of its own.
    pub fn nav_with_second_run() -> Project {
        let p = Project::nav();
        p.file(
            "harness.toml",
            &format!("{HARNESS}\n[[run]]\nname = \"second\"\nparams = {{ seed = 1 }}\n"),
        );
        p
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn file(&self, rel: &str, content: &str) -> &Project {
        let p = self.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
        self
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.join(rel)).unwrap()
    }

    pub fn git(&self, args: &[&str]) -> &Project {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(self.path())
            .env("GIT_AUTHOR_NAME", "provbase tests")
            .env("GIT_AUTHOR_EMAIL", "tests@provbase.invalid")
            .env("GIT_COMMITTER_NAME", "provbase tests")
            .env("GIT_COMMITTER_EMAIL", "tests@provbase.invalid")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", self.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self
    }

    pub fn git_init(&self) -> &Project {
        self.git(&["init", "-q", "-b", "main"])
    }

    pub fn commit_all(&self, message: &str) -> &Project {
        self.git(&["add", "-A"])
            .git(&["commit", "-q", "-m", message])
    }

    /// `provbase ARGS` in the project's folder, made [`hermetic`].
    pub fn provbase(&self, args: &[&str]) -> Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_provbase"));
        hermetic(cmd.args(args).current_dir(self.path()));
        Command::from_std(cmd)
    }

    /// Runs provbase and returns (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        outcome(self.provbase(args).output().unwrap())
    }

    pub fn baseline_of(&self, run: &str) -> String {
        self.read(&format!("baselines/{run}.json"))
    }

    pub fn baseline(&self) -> String {
        self.read("baselines/coiss-N1597846115.json")
    }
}

/// A server process a test started, killed when dropped.
pub struct Server(pub std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port of 127.0.0.1 nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something listens on `port` of 127.0.0.1: a minute at most, then fails naming
/// `what`.
pub fn wait_for(port: u16, what: &str) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < until, "{what} did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// `what` a test needs is not installed: a failure where `require` is set (as `.ci/run` sets
/// it), else a note, and the test has nothing to run against.
pub fn missing<T>(require: &str, what: &str) -> Option<T> {
    assert!(
        std::env::var_os(require).is_none(),
        "{require} is set, but {what} is not installed"
    );
    eprintln!("note: {what} is not installed; `.ci/run` installs it");
    None
}
