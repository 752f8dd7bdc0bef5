"""Prints the example pipeline's own provenance envelope as one JSON object, the way rms-nav
writes it: `python3 examples/nav/src/nav/provenance.py --image N1597846115_2_CALIB`.
provbase records it under `external.nav` and strips `pipeline_run_iso8601`."""

import argparse
import datetime
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from nav import navigate  # noqa: E402


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--image", default="N1597846115_2_CALIB")
    args = parser.parse_args(argv[1:])
    envelope = {
        "pipeline_run_iso8601": datetime.datetime.now(datetime.timezone.utc)
        .replace(microsecond=0)
        .isoformat()
        .replace("+00:00", "Z"),
        "image_id": args.image,
        "static_data": [p.name for p in navigate.static_data_files()],
        "ground_truth": navigate.ground_truth(args.image),
        "schema_version": 1,
    }
    json.dump(envelope, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
