"""Entry point: `python3 -m nav.navigate IMAGE_ID` (run from examples/nav/src)."""

import json
import pathlib
import sys

from nav import STATIC_DATA_PREFIXES

HERE = pathlib.Path(__file__).resolve().parent
CONFIG_DIR = HERE.parent.parent / "config_files"
IMAGE_DIR = HERE.parent.parent / "images"


def static_data_files():
    """The configuration files that change results, in sorted order."""
    return sorted(
        p for p in CONFIG_DIR.glob("*.yaml") if p.name.startswith(STATIC_DATA_PREFIXES)
    )


def ground_truth(image_id):
    """Offsets recorded in an image's sidecar (a minimal reader for its flat YAML block)."""
    result = {}
    in_block = False
    for line in (IMAGE_DIR / f"{image_id}.yaml").read_text().splitlines():
        if line.startswith("ground_truth:"):
            in_block = True
            continue
        if in_block and line and not line.startswith(" "):
            break
        key, _, value = line.strip().partition(":")
        if in_block and key.startswith("offset_d"):
            result[key] = float(value)
    return result


def main(argv):
    image_id = argv[1] if len(argv) > 1 else "N1597846115_2_CALIB"
    out = {
        "image_id": image_id,
        "static_data": [p.name for p in static_data_files()],
        **ground_truth(image_id),
    }
    json.dump(out, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
