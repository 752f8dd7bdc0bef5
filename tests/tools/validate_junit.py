"""Validates JUnit files against Jenkins' junit-10.xsd and reads them as the reporters do.

Usage: python3 validate_junit.py SCHEMA.xsd REPORT.xml...

Each file is validated with the `xmlschema` package against the schema (the xunit plugin's
junit-10.xsd, kept under tests/fixtures/junit/), then read the way dorny/test-reporter's
java-junit parser and mikepenz/action-junit-report read reports: testsuites > testsuite >
testcase, a case failed when it holds <failure> or <error>, its message from the `message`
attribute or else the element's text, its file from the case's or else its suite's `file`;
and the way GitLab reads them, whose file is the case's `file` only.

provbase puts `file` and `line` on <testcase>, which junit-10.xsd does not define, because
GitLab and mikepenz/action-junit-report read them only there: the schema is checked on a copy
without those two attributes, so that any other departure from it still fails.

Where the `junitparser` package is installed (`.ci/run` installs it), each file is also read
with it, and every case must agree with the reading above: name, result, type and message.

Prints one JSON line per test case, or the first problem; exits 1 on any problem.
"""

import json
import sys
import xml.etree.ElementTree as ET

import xmlschema


def cases(path):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    for suite in suites:
        for case in suite.findall("testcase"):
            bad = case.find("failure")
            if bad is None:
                bad = case.find("error")
            yield {
                "suite": suite.get("name"),
                "name": case.get("name"),
                "classname": case.get("classname"),
                "time": float(case.get("time") or 0),
                "file": case.get("file") or suite.get("file"),
                "gitlab_file": case.get("file"),
                "line": case.get("line"),
                "result": "failed" if bad is not None else "passed",
                "type": None if bad is None else bad.get("type"),
                "message": None if bad is None else (bad.get("message") or (bad.text or "").strip()),
                "details": None if bad is None else bad.text,
            }


def by_junitparser(path):
    """`{(suite, case): (result, type, message)}` as junitparser reads the file, or None."""
    try:
        from junitparser import JUnitXml
    except ImportError:
        return None
    seen = {}
    for suite in JUnitXml.fromfile(path):
        for case in suite:
            bad = [r for r in case.result if r._tag in ("failure", "error")]
            seen[(suite.name, case.name)] = (
                "failed" if bad else "passed",
                bad[0].type if bad else None,
                (bad[0].message or (bad[0].text or "").strip()) if bad else None,
            )
    return seen


def main():
    schema = xmlschema.XMLSchema(sys.argv[1])
    failed = False
    for path in sys.argv[2:]:
        try:
            tree = ET.parse(path)
            for case in tree.getroot().iter("testcase"):
                case.attrib.pop("file", None)
                case.attrib.pop("line", None)
            schema.validate(ET.tostring(tree.getroot(), encoding="unicode"))
            other = by_junitparser(path)
            for c in cases(path):
                if other is not None:
                    want = (c["result"], c["type"], c["message"])
                    got = other.get((c["suite"], c["name"]))
                    if got != want:
                        raise ValueError(f"junitparser reads {c['name']} as {got}, not {want}")
                    c["junitparser"] = True
                print(json.dumps(c))
        except Exception as e:  # noqa: BLE001 - every problem is reported the same way
            print(f"INVALID {path}: {e}")
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
