"""Prints the example pipeline's registered components, as provbase's `techniques` command reads
them: `python3 examples/nav/registry.py techniques` prints a JSON array of names."""

import json
import sys

TECHNIQUES = ["BodyLimbNav", "BodyTerminatorNav", "DTFitting", "RingEdgeNav"]
EXTRACTORS = ["BodyLimbExtractor", "RingEdgeExtractor"]


def main(argv):
    kind = argv[1] if len(argv) > 1 else "techniques"
    names = {"techniques": TECHNIQUES, "extractors": EXTRACTORS}.get(kind)
    if names is None:
        sys.stderr.write(f"unknown registry {kind!r}\n")
        return 2
    json.dump(names, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
