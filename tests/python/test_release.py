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
