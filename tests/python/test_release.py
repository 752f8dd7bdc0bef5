"""The published packages: the wheel and the sdist .ci/run builds carry the license (as an SPDX
expression, with both license files), the supported Python versions and the project's URLs, and
twine, which PyPI's upload path runs, accepts them with --strict."""

import email
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest


def _artifact(var: str) -> Path:
    path = os.environ.get(var)
    if not path:
        pytest.skip(f"{var} names the artifact under test (.ci/run sets it)")
    return Path(path)


def _check_metadata(text: str) -> None:
    meta = email.message_from_string(text)
    assert meta["Name"] == "provbase"
    assert meta["License-Expression"] == "MIT OR Apache-2.0"
    assert sorted(meta.get_all("License-File")) == ["LICENSE-APACHE", "LICENSE-MIT"]
    classifiers = meta.get_all("Classifier")
    for version in ("3.9", "3.10", "3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {version}" in classifiers
    # PEP 639: a License-Expression excludes the deprecated license classifiers
    assert not [c for c in classifiers if c.startswith("License ::")]
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert {"Homepage", "Repository", "Documentation", "Issues"} <= set(urls), urls
    assert meta["Requires-Python"] == ">=3.9"


def test_the_wheel_carries_its_license_and_metadata():
    wheel = _artifact("PROVBASE_WHEEL")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
        _check_metadata(z.read(meta).decode())
        licenses = [n for n in names if "/licenses/" in n]
        assert sorted(Path(n).name for n in licenses) == ["LICENSE-APACHE", "LICENSE-MIT"], names
        # the wheel holds the binary and the Python package, not the repository's tests
        assert any(n.endswith("/scripts/provbase") for n in names), names
        assert not [n for n in names if n.startswith("tests/")], names


def test_the_sdist_builds_the_same_package():
    sdist = _artifact("PROVBASE_SDIST")
    with tarfile.open(sdist) as t:
        names = t.getnames()
        pkg_info = next(n for n in names if n.count("/") == 1 and n.endswith("/PKG-INFO"))
        _check_metadata(t.extractfile(pkg_info).read().decode())
        # what a build from the sdist needs: the crate's sources, its lock file, the Python
        # package and both licenses
        for needed in ("Cargo.toml", "Cargo.lock", "src/main.rs", "python/provbase/__init__.py",
                       "LICENSE-MIT", "LICENSE-APACHE", "pyproject.toml"):
            assert any(n.endswith("/" + needed) for n in names), (needed, names[:20])


def test_twine_accepts_both_strictly():
    wheel, sdist = _artifact("PROVBASE_WHEEL"), _artifact("PROVBASE_SDIST")
    out = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", str(wheel),
                          str(sdist)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("PASSED") == 2, out.stdout


def test_the_pre_commit_hook_is_valid_and_stops_a_drifted_commit(tmp_path):
    """.pre-commit-hooks.yaml passes pre-commit's own manifest check, and its hook, run by
    pre-commit in a repository (as a local hook with the same entry: the `rust` language only
    adds pre-commit's cargo build of provbase, which the wheel's binary stands for here),
    passes a clean tree and stops a commit whose static data drifted."""
    yaml = pytest.importorskip("yaml")
    root = Path(__file__).resolve().parents[2]
    pre_commit = Path(sys.executable).parent / "pre-commit"
    if not pre_commit.exists():
        if os.environ.get("PROVBASE_REQUIRE_PRE_COMMIT"):
            pytest.fail("pre-commit is required here (.ci/run installs it)")
        pytest.skip("pre-commit is not installed")
    manifest = root / ".pre-commit-hooks.yaml"
    out = subprocess.run([str(pre_commit), "validate-manifest", str(manifest)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    (hook,) = yaml.safe_load(manifest.read_text())
    assert hook["id"] == "provbase-check" and hook["language"] == "rust"
    assert hook["pass_filenames"] is False and hook["always_run"] is True
    local = {k: hook[k] for k in ("id", "name", "entry", "pass_filenames", "always_run")}
    local["language"] = "system"
    (tmp_path / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump({"repos": [{"repo": "local", "hooks": [local]}]}))
    (tmp_path / "harness.toml").write_text(
        '[[run]]\nname = "nav"\nhardware = false\nstatic_data = ["cfg/*.yaml"]\n')
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "body.yaml").write_text("limb: 3\n")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "PRE_COMMIT_HOME": str(tmp_path / ".cache"), "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org"}
    for var in ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "PROVBASE_PROFILE"):
        env.pop(var, None)

    def run(*args):
        return subprocess.run(list(args), cwd=tmp_path, env=env, capture_output=True, text=True)

    assert run("git", "init", "-q").returncode == 0
    (tmp_path / ".gitignore").write_text(".cache/\n.prov/\n")
    assert run("provbase", "accept").returncode == 0
    run("git", "add", "-A")
    ran = run(str(pre_commit), "run", "provbase-check", "--all-files")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "Passed" in ran.stdout
    (tmp_path / "cfg" / "body.yaml").write_text("limb: 4\n")
    run("git", "add", "-A")
    ran = run(str(pre_commit), "run", "provbase-check", "--all-files")
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "Failed" in ran.stdout and "cfg/body.yaml" in ran.stdout, ran.stdout
    assert "provbase accept nav" in ran.stdout, ran.stdout


def test_the_package_passes_mypy_strict():
    """The package's annotations hold under `mypy --strict` (py.typed promises them)."""
    root = Path(__file__).resolve().parents[2]
    try:
        import mypy  # noqa: F401
    except ImportError:
        if os.environ.get("PROVBASE_REQUIRE_MYPY"):
            pytest.fail("mypy is required here (.ci/run installs it)")
        pytest.skip("mypy is not installed")
    out = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                          str(root / "python" / "provbase")], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
