"""The Python front door, tested with real pytest in a virtual environment where the wheel is
installed: the plugin (pass, drift, missing, accept, profile, -k, --junitxml, a bad
harness.toml, no binary), the API and the names helper. Run by `.ci/run`."""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import provbase

HARNESS = """
[profile.nightly]
baselines = "baselines/nightly"

[[run]]
name = "nav"
hardware = false
static_data = ["cfg/*.yaml"]
params = { seed = 42 }

[[run]]
name = "fit"
hardware = false
params = { seed = 7 }
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".toml", harness=HARNESS)
    (pytester.path / "cfg").mkdir()
    (pytester.path / "cfg" / "body.yaml").write_text("limb: 3\n")
    # no CI here unless a test asks for it: accept writes baselines
    for var in ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "TF_BUILD", "PROVBASE_PROFILE"):
        pytester._monkeypatch.delenv(var, raising=False)
    return pytester


def test_missing_then_accept_then_pass(project):
    # two runs and the item of baselines no run owns
    r = project.runpytest_subprocess("--provbase")
    r.assert_outcomes(failed=2, passed=1)
    r.stdout.fnmatch_lines(["collected 3 items",
                            "*no baseline: baselines/nav.json does not exist*",
                            "*To create it: provbase accept nav*"])
    r = project.runpytest_subprocess("--provbase", "--provbase-accept")
    r.assert_outcomes(passed=2, skipped=1)
    assert (project.path / "baselines" / "nav.json").is_file()
    r = project.runpytest_subprocess("--provbase")
    r.assert_outcomes(passed=3)


def test_drift_fails_with_provbase_report(project):
    project.runpytest_subprocess("--provbase", "--provbase-accept").assert_outcomes(
        passed=2, skipped=1)
    (project.path / "cfg" / "body.yaml").write_text("limb: 4\n")
    r = project.runpytest_subprocess("--provbase")
    r.assert_outcomes(passed=2, failed=1)
    r.stdout.fnmatch_lines([
        "*FAILED harness.toml::nav*",
    ])
    out = r.stdout.str()
    assert "static_data" in out and "cfg/body.yaml" in out, out
    assert "To accept: provbase accept nav" in out, out
    assert "Traceback" not in out, out


def test_k_selects_runs_and_junitxml_carries_them(project):
    project.runpytest_subprocess("--provbase", "--provbase-accept").assert_outcomes(
        passed=2, skipped=1)
    (project.path / "cfg" / "body.yaml").write_text("limb: 5\n")
    r = project.runpytest_subprocess("--provbase", "-k", "fit", "--junitxml=report.xml")
    r.assert_outcomes(passed=1, deselected=2)
    r = project.runpytest_subprocess("--provbase", "--junitxml=report.xml",
                                     "-o", "junit_family=xunit1")
    tree = ET.parse(project.path / "report.xml")
    cases = {c.get("name"): c for c in tree.iter("testcase")}
    assert set(cases) == {"nav", "fit", "provbase:orphans"}, cases
    # the file and line of each run's [[run]] (0-based, as pytest writes every location)
    lines = (project.path / "harness.toml").read_text().splitlines()
    for run in ("nav", "fit"):
        assert cases[run].get("file") == "harness.toml", cases[run].attrib
        assert lines[int(cases[run].get("line"))] == f'name = "{run}"', cases[run].attrib
    failure = cases["nav"].find("failure")
    assert failure is not None and "cfg/body.yaml" in (failure.text or "")
    assert cases["fit"].find("failure") is None


def test_profile_has_its_own_baselines(project):
    r = project.runpytest_subprocess("--provbase", "--provbase-profile", "nightly",
                                     "--provbase-accept")
    r.assert_outcomes(passed=2, skipped=1)
    assert (project.path / "baselines" / "nightly" / "nav.json").is_file()
    assert not (project.path / "baselines" / "nav.json").exists()
    project.runpytest_subprocess("--provbase", "--provbase-profile", "nightly").assert_outcomes(
        passed=3)
    # the default profile still has none
    project.runpytest_subprocess("--provbase").assert_outcomes(failed=2, passed=1)


def test_accept_in_ci_leaves_a_candidate(project, monkeypatch):
    monkeypatch.setenv("CI", "true")
    r = project.runpytest_subprocess("--provbase", "--provbase-accept")
    r.assert_outcomes(passed=2, skipped=1, warnings=2)
    assert not (project.path / "baselines" / "nav.json").exists(), "CI rewrote no baseline"
    assert (project.path / ".prov" / "candidates" / "baselines" / "nav.json").is_file()
    # and says so, on the item
    r.stdout.fnmatch_lines(["*harness.toml::nav*", "*a candidate was left instead*"])


def test_runs_are_collected_as_pytest_collects_tests(project):
    r = project.runpytest_subprocess("--provbase", "--co", "-q")
    r.stdout.fnmatch_lines(["harness.toml::nav", "harness.toml::fit",
                            "harness.toml::provbase:orphans", "3 tests collected*"])
    project.runpytest_subprocess("--provbase", "--provbase-accept")
    (project.path / "cfg" / "body.yaml").write_text("limb: 9\n")
    project.runpytest_subprocess("--provbase").assert_outcomes(failed=1, passed=2)
    # --lf runs the failed run again, and its node id does too
    r = project.runpytest_subprocess("--provbase", "--lf")
    r.assert_outcomes(failed=1)
    r.stdout.fnmatch_lines(["*FAILED harness.toml::nav*"])
    r = project.runpytest_subprocess("--provbase", "harness.toml::fit")
    r.assert_outcomes(passed=1)
    # only the baselines: a test suite beside them that cannot even be collected is not
    (project.path / "tests").mkdir()
    (project.path / "tests" / "test_broken.py").write_text("import no_such_module_here\n")
    r = project.runpytest_subprocess("--provbase", "harness.toml")
    r.assert_outcomes(failed=1, passed=2)
    assert "no_such_module_here" not in r.stdout.str()
    # pytest-xdist: each worker's items check their own runs
    pytest.importorskip("xdist")
    r = project.runpytest_subprocess("--provbase", "harness.toml", "-n", "2")
    r.assert_outcomes(failed=1, passed=2)
    r.stdout.fnmatch_lines(["*FAILED harness.toml::nav*"])


def test_one_provbase_check_per_session_and_each_item_reports_its_run(project, tmp_path,
                                                                      monkeypatch):
    log = tmp_path / "calls.log"
    wrapper = tmp_path / "provbase-logged"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec {provbase.binary()} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("PROVBASE_BIN", str(wrapper))
    project.runpytest_subprocess("--provbase", "--provbase-accept")
    (project.path / "cfg" / "body.yaml").write_text("limb: 9\n")
    log.write_text("")
    r = project.runpytest_subprocess("--provbase")
    r.assert_outcomes(failed=1, passed=2)
    checks = [line for line in log.read_text().splitlines() if " check" in f" {line}"]
    assert len(checks) == 1, log.read_text()
    # the failing item shows its own run's report, and only that
    out = r.stdout.str()
    assert "cfg/body.yaml" in out and "To accept: provbase accept nav" in out, out
    assert "FAIL    fit" not in out and "ok      fit" not in out, out


def test_orphans_fail_warnings_go_to_their_item_and_github_gets_one_summary(project,
                                                                          monkeypatch):
    project.makefile(".toml", harness=HARNESS.replace(
        "[[run]]", "[policy]\nparams = \"warn\"\n\n[[run]]", 1))
    project.runpytest_subprocess("--provbase", "--provbase-accept")
    # a baseline no run owns
    (project.path / "baselines" / "gone.json").write_text(
        (project.path / "baselines" / "fit.json").read_text())
    r = project.runpytest_subprocess("--provbase")
    r.assert_outcomes(passed=2, failed=1)
    r.stdout.fnmatch_lines(["*baselines that no run owns: baselines/gone.json*",
                            "*FAILED harness.toml::provbase:orphans*"])
    # selecting some runs says nothing of the others: no orphan verdict
    project.runpytest_subprocess("--provbase", "-k", "nav").assert_outcomes(passed=1,
                                                                           deselected=2)
    (project.path / "baselines" / "gone.json").unlink()
    # a run that only warns passes, with its warning on its item
    project.makefile(".toml", harness=HARNESS.replace(
        "[[run]]", "[policy]\nparams = \"warn\"\n\n[[run]]", 1).replace("seed = 42", "seed = 43"))
    summary = project.path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    (project.path / "cfg" / "body.yaml").write_text("limb: 9\n")
    project.makefile(".toml", harness=HARNESS.replace("seed = 42", "seed = 43").replace(
        "[[run]]", "[policy]\nparams = \"warn\"\nstatic_data = \"warn\"\n\n[[run]]", 1))
    r = project.runpytest_subprocess("--provbase")
    r.assert_outcomes(passed=3, warnings=1)
    r.stdout.fnmatch_lines(["*warnings summary*", "harness.toml::nav", "*ProvbaseWarning*"])
    text = summary.read_text()
    assert text.count("### provbase") == 1, text
    assert "::warning file=" in r.stderr.str(), r.stderr.str()


def test_a_bad_harness_toml_is_one_clear_error(project):
    project.makefile(".toml", harness="[[run]]\nname = \"a\"\nstatic_dat = [\"x\"]\n")
    r = project.runpytest_subprocess("--provbase")
    assert r.ret != 0
    err = r.stderr.str() + r.stdout.str()
    assert "harness.toml:3: unknown field `static_dat`" in err, err
    assert "Traceback" not in err, err


def test_no_binary_is_a_clear_message(project, monkeypatch):
    monkeypatch.setenv("PROVBASE_BIN", str(project.path / "no-such-provbase"))
    r = project.runpytest_subprocess("--provbase")
    assert r.ret != 0
    err = r.stderr.str() + r.stdout.str()
    assert "no-such-provbase: no such file" in err, err
    assert "Traceback" not in err, err
    # without the wheel's binary and with none on PATH: what to do about it
    package = Path(provbase.__file__).parent
    proc = subprocess.run(
        [sys.executable, "-I", "-c",
         "import sys; sys.path.insert(0, sys.argv[1]); import sysconfig; "
         "sysconfig.get_path = lambda name: '/nonexistent'; import provbase; provbase.binary()",
         str(package.parent)],
        capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode != 0
    assert "the provbase binary is not installed here" in proc.stderr, proc.stderr


def test_a_bad_provbase_bin_is_a_clear_message(project, monkeypatch, tmp_path):
    # not executable, and relative (provbase runs in harness.toml's folder, not here)
    script = tmp_path / "fake-provbase"
    script.write_text("#!/bin/sh\nexit 0\n")
    monkeypatch.setenv("PROVBASE_BIN", str(script))
    r = project.runpytest_subprocess("--provbase")
    err = r.stderr.str() + r.stdout.str()
    assert r.ret != 0 and "not executable" in err, err
    assert "INTERNALERROR" not in err and "Traceback" not in err, err
    monkeypatch.delenv("PROVBASE_BIN")
    real = Path(provbase.binary())
    (tmp_path / "bin").mkdir()
    copy = tmp_path / "bin" / "provbase"
    copy.write_bytes(real.read_bytes())
    copy.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PROVBASE_BIN", "bin/provbase")
    assert provbase.binary() == str(copy), "made absolute where it was given"
    report = provbase.check(cwd=project.path)
    assert {r["run"] for r in report["runs"]} == {"nav", "fit"}


def test_a_hanging_binary_times_out(project, monkeypatch, tmp_path):
    script = tmp_path / "slow-provbase"
    script.write_text("#!/bin/sh\nsleep 30\n")
    script.chmod(0o755)
    monkeypatch.setenv("PROVBASE_BIN", str(script))
    monkeypatch.setenv("PROVBASE_PYTHON_TIMEOUT", "1")
    os.chdir(project.path)
    with pytest.raises(provbase.ProvbaseError, match="did not finish within 1 s") as e:
        provbase.check()
    assert (e.value.kind, e.value.exit_code) == ("timeout", None)


def test_record_raises_on_provbases_own_failures(project):
    os.chdir(project.path)
    ok = provbase.record([sys.executable, "-c", "print(1)"], name="first")
    assert ok["name"] == "first"
    # a params file that is missing, a command that cannot start: an error, not the run above
    with pytest.raises(provbase.ProvbaseError, match="missing.yaml") as e:
        provbase.record([sys.executable, "-c", "print(2)"], params="missing.yaml")
    assert (e.value.kind, e.value.exit_code) == ("usage", 2)
    # the binary's own exit status, and what it means, not text cut from stderr
    with pytest.raises(provbase.ProvbaseError, match="no-such-command") as e:
        provbase.record(["no-such-command-xyz"])
    assert (e.value.kind, e.value.exit_code) == ("not-found", 127)
    with pytest.raises(provbase.ProvbaseError):
        provbase.record([sys.executable, "-c", "print(3)"], tags=["--not-a-tag"], name="--bad")
    # the command's own failure is a recorded run with its exit status
    failed = provbase.record([sys.executable, "-c", "raise SystemExit(3)"], name="fails")
    assert failed["exit_status"] == 3 and failed["name"] == "fails"


def test_the_api_returns_parsed_documents(project):
    os.chdir(project.path)
    report = provbase.check()
    assert report["report_version"] == 2
    assert {r["run"]: r["status"] for r in report["runs"]} == {"nav": "missing", "fit": "missing"}
    manifest = provbase.collect("nav")
    assert list(manifest["static_data_hashes"]) == ["cfg/body.yaml"]
    assert manifest["params"] == {"seed": 42}
    (project.path / "in.txt").write_text("x\n")
    run = provbase.record([sys.executable, "-c", "open('out.txt', 'w').write('y')"],
                          name="by-hand", inputs=["in.txt"], outputs=["out.txt"], tags=["t1"])
    assert run["kind"] == "provbase.run" and run["name"] == "by-hand"
    assert run["exit_status"] == 0 and list(run["outputs"]) == ["out.txt"]
    assert run["tags"] == ["t1"]
    with pytest.raises(provbase.ProvbaseError, match="no run named `nope`") as e:
        provbase.collect("nope")
    assert (e.value.kind, e.value.exit_code) == ("usage", 2)
    assert provbase.version().count(".") == 2


def test_python_m_provbase_is_the_command(project):
    same = [subprocess.run(cmd, cwd=project.path, capture_output=True, text=True)
            for cmd in ([sys.executable, "-m", "provbase", "--version"],
                        [provbase.binary(), "--version"])]
    assert same[0].returncode == 0 and same[0].stdout == same[1].stdout, same
    # its exit status too: a run with no baseline fails the check
    r = subprocess.run([sys.executable, "-m", "provbase", "check"], cwd=project.path,
                       capture_output=True, text=True)
    assert r.returncode == 1 and "missing" in r.stdout.lower(), r.stdout + r.stderr


def _git(cwd, *args):
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t.invalid"}
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


@pytest.mark.parametrize("remote", [None, "local", "hosted"])
def test_an_editable_install_of_the_project_is_green_after_accept_and_commit(
        project, tmp_path, remote):
    """`pip install -e .` of the project itself, with runtime = ["pip-freeze"]: pip names the
    checkout (and, with a remote, its commit), which every commit moves; provbase records it as
    the project's own install, so accept, commit, and the check passes; another commit too."""
    path = project.path
    (path / "navpkg").mkdir()
    (path / "navpkg" / "__init__.py").write_text("")
    (path / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "navpkg"\nversion = "0.1"\n[tool.setuptools]\npackages = ["navpkg"]\n')
    project.makefile(".toml", harness=(
        '[[run]]\nname = "nav"\nhardware = false\ncode = ["navpkg/**"]\n'
        'runtime = ["pip-freeze"]\n'))
    (path / ".gitignore").write_text(".prov/\n*.egg-info/\n")
    _git(path, "init", "-q", "-b", "main")
    if remote == "local":
        _git(path, "remote", "add", "origin", str(path))
    elif remote == "hosted":
        _git(path, "remote", "add", "origin", "https://github.com/example/navpkg.git")
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "the pipeline")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-e", str(path)],
                   check=True, capture_output=True)
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}"}
    for var in ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "TF_BUILD"):
        env.pop(var, None)

    def provbase_(*args):
        return subprocess.run([provbase.binary(), *args], cwd=path, env=env,
                              capture_output=True, text=True)

    accepted = provbase_("accept")
    assert accepted.returncode == 0, accepted.stderr
    baseline = json.loads((path / "baselines" / "nav.json").read_text())
    own = baseline["runtime"]["pip-freeze"]["packages"]["navpkg"]
    assert own == "editable (this repository)", own
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "provbase: baselines")
    for _ in range(2):
        checked = provbase_("--format", "json", "check")
        report = json.loads(checked.stdout)
        assert [r["status"] for r in report["runs"]] == ["pass"], checked.stdout
        (path / "NOTES.md").write_text(f"{_}\n")
        _git(path, "add", "-A")
        _git(path, "commit", "-q", "-m", "an unrelated commit")


def test_names_of_a_python_registry(project):
    (project.path / "reg.py").write_text(
        "class LimbFit: pass\nclass StarField: pass\n"
        "REGISTRY = {'TitanNav': object, 'LimbFit': LimbFit}\n"
        "CLASSES = [StarField, LimbFit]\n"
        "def listed():\n    return ['B', 'A', 'B']\n")
    def names(spec):
        return subprocess.run([sys.executable, "-m", "provbase.names", spec], cwd=project.path,
                              capture_output=True, text=True, env={**os.environ, "PYTHONPATH": "."})
    assert names("reg:REGISTRY").stdout.split() == ["LimbFit", "TitanNav"]
    assert names("reg:CLASSES").stdout.split() == ["LimbFit", "StarField"]
    assert names("reg:listed").stdout.split() == ["A", "B"]
    bad = names("reg:MISSING")
    assert bad.returncode == 1 and "reg:MISSING" in bad.stderr
    # and harness.toml takes it as a command
    project.makefile(".toml", harness=(
        "[[run]]\nname = \"n\"\nhardware = false\n"
        f"techniques = {{ command = [{json.dumps(sys.executable)}, \"-m\", \"provbase.names\", \"reg:REGISTRY\"] }}\n"))
    os.chdir(project.path)
    os.environ["PYTHONPATH"] = "."
    try:
        assert provbase.collect("n")["technique_names"] == ["LimbFit", "TitanNav"]
    finally:
        del os.environ["PYTHONPATH"]


def _action_steps(root, with_):
    """The steps of provbase's action (action.yml) a `uses:` of it runs, its inputs (defaults,
    then `with`) substituted as GitHub substitutes `${{ inputs.NAME }}`."""
    yaml = pytest.importorskip("yaml")
    action = yaml.safe_load((root / "action.yml").read_text())
    inputs = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
    assert set(with_) <= set(inputs), with_
    inputs.update({k: str(v) for k, v in with_.items()})

    def expand(text):
        text = text.replace("${{ github.action_path }}", str(root))
        for k, v in inputs.items():
            text = text.replace("${{ inputs.%s }}" % k, v)
        return text

    steps = []
    for step in action["runs"]["steps"]:
        cond = step.get("if", "")
        if cond == "inputs.command != ''" and not inputs["command"]:
            continue
        if "run" in step:
            steps.append({"name": step["name"], "run": expand(step["run"]),
                          "env": {k: expand(str(v)) for k, v in step.get("env", {}).items()}})
    return steps


def test_the_python_workflow_runs_as_written(project, monkeypatch):
    """ci/github/python-baselines.yml, its `run` steps in order as GitHub's runner runs them
    (and those of provbase's action where it `uses:` it), on the wheel this suite was installed
    from (PROVBASE_WHEEL, set by .ci/run), which pip finds as `provbase==<version>`."""
    yaml = pytest.importorskip("yaml")
    wheel = os.environ.get("PROVBASE_WHEEL")
    if not wheel:
        pytest.skip("PROVBASE_WHEEL names the wheel under test (.ci/run sets it)")
    root = Path(__file__).resolve().parents[2]
    workflow = yaml.safe_load((root / "ci/github/python-baselines.yml").read_text())
    job = workflow["jobs"]["baselines"]
    project.runpytest_subprocess("--provbase", "--provbase-accept").assert_outcomes(
        passed=2, skipped=1)
    env = {**os.environ, **job.get("env", {}), "CI": "true",
           "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(Path(wheel).parent),
           "GITHUB_PATH": str(project.path / ".github-path"),
           "GITHUB_OUTPUT": str(project.path / ".github-output"),
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    ran = {}
    for step in job["steps"]:
        if step.get("uses", "").startswith("provbase/provbase@"):
            steps = _action_steps(root, step.get("with", {}))
        elif "run" in step:
            steps = [step]
        else:
            continue
        for s in steps:
            proc = subprocess.run(["bash", "-eo", "pipefail", "-c", s["run"]],
                                  cwd=project.path, env={**env, **s.get("env", {})},
                                  capture_output=True, text=True)
            ran[s["name"]] = (proc.returncode, proc.stdout + proc.stderr)
    assert ran["Install provbase and pytest"][0] == 0, ran
    assert ran["Install provbase"][0] == 0, ran
    code, out = ran["Check provenance baselines"]
    assert code == 0 and "3 passed" in out, out
    report = ET.parse(project.path / "provbase-junit.xml")
    assert {c.get("name") for c in report.iter("testcase")} == {"nav", "fit", "provbase:orphans"}


def _installed(module, expr="__version__"):
    """`module.<expr>` as another process sees it, or a skip when the module is not installed
    (imported here, numpy could not be imported again after pytester restores sys.modules)."""
    proc = subprocess.run([sys.executable, "-c", f"import json, {module} as m; "
                           f"print(json.dumps(m.{expr}))"], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"{module} is not installed")
    return json.loads(proc.stdout)


def _probe(cwd, *args):
    proc = subprocess.run([sys.executable, "-m", "provbase.probe", *args], cwd=cwd,
                          capture_output=True, text=True)
    return proc.returncode, proc.stdout, proc.stderr


def test_numpy_and_jax_probes_read_the_installed_packages(project):
    np_version = _installed("numpy")
    np_blas = _installed("numpy", 'show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]')
    code, out, err = _probe(project.path, "numpy", "torch")
    assert code == 0, err
    doc = json.loads(out)
    assert out.strip() == json.dumps(doc, sort_keys=True, separators=(",", ":"),
                                     ensure_ascii=False), "canonical JSON"
    assert doc["numpy"]["version"] == np_version
    assert doc["numpy"]["build"]["blas"]["name"] == np_blas
    torch_installed = subprocess.run([sys.executable, "-c", "import torch"],
                                     capture_output=True).returncode == 0
    if not torch_installed:
        assert doc["torch"] == {"unavailable": "torch is not installed"}
    code, _, err = _probe(project.path, "nope")
    assert code == 2 and "no probe named nope" in err, err
    code, _, err = _probe(project.path, "rng")
    assert code == 2 and "from inside" in err, err
    jax_version = _installed("jax")
    code, out, err = _probe(project.path, "jax")
    assert code == 0, err
    got = json.loads(out)["jax"]
    assert got["version"] == jax_version and got["backend"] == "cpu", got
    assert got["devices"] == [{"platform": "cpu", "kind": "cpu"}], got


def test_the_spice_probe_lists_what_spice_loaded_and_provbase_agrees(project):
    spice_version = _installed("spiceypy")
    root = Path(__file__).resolve().parents[2]
    kernels = project.path / "examples" / "nav" / "kernels"
    kernels.mkdir(parents=True)
    for f in (root / "examples" / "nav" / "kernels").iterdir():
        (kernels / f.name).write_bytes(f.read_bytes())
    code, out, err = _probe(project.path, "spice", "--furnsh", "examples/nav/kernels/coiss.tm")
    assert code == 0, err
    got = json.loads(out)["spice"]
    assert got["version"] == spice_version and got["toolkit"].startswith("CSPICE"), got
    loaded = [(k["file"], k["type"]) for k in got["kernels"]]
    assert loaded == [("examples/nav/kernels/coiss.tm", "META"),
                      ("examples/nav/kernels/naif0012.tls", "TEXT"),
                      ("examples/nav/kernels/pck00010.tpc", "TEXT"),
                      ("examples/nav/kernels/cas00084.tsc", "TEXT")], loaded
    # what provbase reads from the metakernel is what SPICE loaded, hash for hash
    project.makefile(".toml", harness=(
        '[[run]]\nname = "k"\nhardware = false\n'
        'spice = { metakernel = "examples/nav/kernels/coiss.tm" }\n'))
    os.chdir(project.path)
    manifest = provbase.collect("k")
    assert [(k["path"], k["sha256"]) for k in manifest["spice_kernels"]] == [
        (k["file"], k["sha256"]) for k in got["kernels"]]
    code, _, err = _probe(project.path, "spice", "--furnsh", "examples/nav/kernels/missing.tm")
    assert code == 1 and "missing.tm" in err and "Traceback" not in err, err


def test_probes_as_a_run_key_and_an_envelope_from_inside_a_pipeline(project, monkeypatch):
    np_version = _installed("numpy")
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    project.makefile(".toml", harness=(
        '[[run]]\nname = "p"\nhardware = false\nprobes = ["numpy"]\n'
        'command = ["python3", "pipeline.py"]\n\n'
        '[run.external.nav]\ncommand = ["cat", "out/envelope.json"]\n'))
    (project.path / "pipeline.py").write_text(
        "import random, numpy, provbase.probe\n"
        "random.seed(7); numpy.random.seed(7)\n"
        "provbase.probe.write_envelope('out/envelope.json', probes=['rng', 'numpy'], image='N1')\n")
    os.chdir(project.path)
    manifest = provbase.collect("p")
    assert manifest["external"]["probes"]["numpy"]["version"] == np_version
    envelope = manifest["external"]["nav"]
    assert envelope["image"] == "N1" and envelope["probes"]["numpy"]["version"] == np_version
    first = envelope["probes"]["rng"]
    # the same seeds give the same digests; another seed another
    assert provbase.collect("p")["external"]["nav"]["probes"]["rng"] == first
    (project.path / "pipeline.py").write_text(
        (project.path / "pipeline.py").read_text().replace("seed(7)", "seed(8)"))
    again = provbase.collect("p")["external"]["nav"]["probes"]["rng"]
    assert again["python"] != first["python"] and again["numpy"] != first["numpy"]
    assert again["torch"] == {"unavailable": "torch is not imported"}
    project.makefile(".toml", harness='[[run]]\nname = "p"\nprobes = ["gpu"]\n')
    with pytest.raises(provbase.ProvbaseError, match="harness.toml:3.*no probe named `gpu`"):
        provbase.collect("p")


def test_a_uv_lock_is_a_package_set(project):
    uv = Path(sys.executable).parent / "uv"
    if not uv.exists():
        pytest.skip("uv is not installed in this environment (.ci/run installs it)")
    pyproject = ('[project]\nname = "navpkg"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
                 'dependencies = ["pyyaml=={}"]\n')
    (project.path / "pyproject.toml").write_text(pyproject.format("6.0.3"))
    subprocess.run([str(uv), "lock", "-q"], cwd=project.path, check=True)
    project.makefile(".toml", harness='[[run]]\nname = "u"\nhardware = false\nruntime = ["uv-lock"]\n')
    os.chdir(project.path)
    packages = provbase.collect("u")["runtime"]["uv-lock"]["packages"]
    assert packages == {"navpkg": "0.1.0 (this project)", "pyyaml": "6.0.3"}, packages
    subprocess.run([provbase.binary(), "accept"], cwd=project.path, check=True,
                   capture_output=True)
    (project.path / "pyproject.toml").write_text(pyproject.format("6.0.2"))
    subprocess.run([str(uv), "lock", "-q"], cwd=project.path, check=True)
    report = provbase.check()
    drifted = [d["path"] for d in report["runs"][0]["drifts"]]
    assert report["runs"][0]["status"] == "fail" and "runtime.uv-lock.packages.pyyaml" in drifted, \
        drifted


def test_the_plugin_finds_harness_toml_as_every_door_does(project, monkeypatch, tmp_path):
    """The plugin asks `provbase locate`, so PROVBASE_CONFIG, and the nearest harness.toml
    from where pytest started, mean what they mean to the CLI and the cargo harness."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "harness.toml").write_text(
        '[[run]]\nname = "far"\nhardware = false\nparams = { seed = 1 }\n')
    monkeypatch.setenv("PROVBASE_CONFIG", str(elsewhere / "harness.toml"))
    r = project.runpytest_subprocess("--provbase", "--provbase-accept", "-v")
    out = r.stdout.str()
    assert "far" in out and "::nav" not in out, out
    assert (elsewhere / "baselines" / "far.json").is_file()
    # from a folder below the project, without PROVBASE_CONFIG: the project's own
    monkeypatch.delenv("PROVBASE_CONFIG")
    sub = project.path / "cfg"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--provbase",
                           "--co", "-q"], cwd=sub, capture_output=True, text=True)
    assert "harness.toml::nav" in proc.stdout, proc.stdout + proc.stderr


@pytest.fixture
def moto(tmp_path):
    """moto's S3 server on a free port of 127.0.0.1, started with the system's python3 (where
    `.ci/run` installs it, with boto3); yields a function that runs tests/tools/s3.py on it."""
    import shutil
    import socket
    import time
    python = shutil.which("python3")
    have = python and subprocess.run(
        [python, "-c", "import moto.server, boto3"], capture_output=True).returncode == 0
    if not have:
        if os.environ.get("PROVBASE_REQUIRE_MOTO"):
            pytest.fail("PROVBASE_REQUIRE_MOTO is set, but moto[server] or boto3 is not installed")
        pytest.skip("moto is not installed; `.ci/run` installs it")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.pop("INITIAL_NO_AUTH_ACTION_COUNT", None)
    server = subprocess.Popen([python, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    endpoint = f"http://127.0.0.1:{port}"
    keys = {"AWS_ACCESS_KEY_ID": "AKIAPYTESTPLANTED000", "AWS_SECRET_ACCESS_KEY": "pytest/planted"}
    try:
        until = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port)).close()
                break
            except OSError:
                assert time.monotonic() < until, "moto did not start"
                time.sleep(0.1)
        tool = Path(__file__).resolve().parent.parent / "tools" / "s3.py"

        def s3(*args):
            subprocess.run([python, str(tool), endpoint, *args], env={**env, **keys}, check=True)
        s3.endpoint = endpoint
        s3.keys = keys
        yield s3
    finally:
        server.kill()
        server.wait()


def test_a_bucket_is_checked_through_the_plugin_and_its_drift_names_the_object(
        pytester, moto, monkeypatch):
    moto("bucket", "train")
    moto("put", "train", "shards/a.tar", "shard a")
    moto("put", "train", "shards/b.tar", "shard b")
    pytester.makefile(".toml", harness='[[run]]\nname = "train"\nhardware = false\n'
                      'static_data = ["s3://train/shards/"]\n')
    for var in [v for v in os.environ if v.startswith("AWS_")] + ["CI", "GITHUB_ACTIONS"]:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    for k, v in moto.keys.items():
        monkeypatch.setenv(k, v)
    pytester.runpytest_subprocess("--provbase", "--provbase-accept").assert_outcomes(
        passed=1, skipped=1)
    baseline = json.loads((pytester.path / "baselines" / "train.json").read_text())
    assert sorted(baseline["static_data_hashes"]) == [
        "s3://train/shards/a.tar", "s3://train/shards/b.tar"], baseline
    pytester.runpytest_subprocess("--provbase").assert_outcomes(passed=2)
    moto("put", "train", "shards/b.tar", "SHARD B")
    r = pytester.runpytest_subprocess("--provbase")
    r.assert_outcomes(passed=1, failed=1)
    out = r.stdout.str()
    assert "s3://train/shards/b.tar: ETag " in out and "7 B → 7 B" in out, out
    assert moto.keys["AWS_SECRET_ACCESS_KEY"] not in out and "AKIAPYTEST" not in out, out
    assert "pytest/planted" not in (pytester.path / "baselines" / "train.json").read_text()
