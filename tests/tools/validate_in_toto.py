"""Validates in-toto Statements with the reference implementation (in-toto-attestation).

Usage: python3 validate_in_toto.py STATEMENT.json...

Each file is parsed into the Statement protobuf (field names and types as the spec defines
them) and checked with the package's own Statement.validate(); its predicate is parsed into
the SLSA Provenance v1 protobuf; and every ResourceDescriptor (subjects, resolved
dependencies, byproducts) is checked with ResourceDescriptor.validate() and against the
spec's stricter rule: at least one of uri, digest or content, with digests in lowercase hex of
the algorithm's length. Prints "ok FILE" or the first problem, and exits 1 on any problem.
"""

import json
import re
import sys

from google.protobuf import json_format
from in_toto_attestation.predicates.provenance.v1 import provenance_pb2
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.resource_descriptor import ResourceDescriptor
from in_toto_attestation.v1.statement import Statement

HEX_LEN = {"sha256": 64, "sha512": 128, "sha1": 40, "gitCommit": 40}


def check_descriptor(where, rd):
    ResourceDescriptor.copy_from_pb(json_format.ParseDict(rd, ResourceDescriptor("").pb)).validate()
    if not (rd.get("uri") or rd.get("digest") or rd.get("content")):
        raise ValueError(f"{where}: a ResourceDescriptor needs uri, digest or content: {rd}")
    for alg, value in rd.get("digest", {}).items():
        want = HEX_LEN.get(alg)
        if want and not re.fullmatch(f"[0-9a-f]{{{want}}}", value):
            raise ValueError(f"{where}: digest {alg} is not {want} lowercase hex digits: {value}")


def validate(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    pb = json_format.ParseDict(doc, statement_pb2.Statement())
    Statement.copy_from_pb(pb).validate()
    if doc["predicateType"] != "https://slsa.dev/provenance/v1":
        raise ValueError(f"predicateType {doc['predicateType']}")
    json_format.ParseDict(doc["predicate"], provenance_pb2.Provenance())
    for i, rd in enumerate(doc["subject"]):
        check_descriptor(f"subject[{i}]", rd)
        if not rd.get("digest"):
            raise ValueError(f"subject[{i}] has no digest")
    build = doc["predicate"]["buildDefinition"]
    for i, rd in enumerate(build.get("resolvedDependencies", [])):
        check_descriptor(f"resolvedDependencies[{i}]", rd)
    for i, rd in enumerate(doc["predicate"]["runDetails"].get("byproducts", [])):
        check_descriptor(f"byproducts[{i}]", rd)


def main():
    failed = False
    for path in sys.argv[1:]:
        try:
            validate(path)
            print(f"ok {path}")
        except Exception as e:  # noqa: BLE001 - every problem is reported the same way
            print(f"INVALID {path}: {e}")
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
