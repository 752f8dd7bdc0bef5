"""A small navigation pipeline that provbase's own harness.toml checks.

It reads the static-data configuration under ../config_files and an image sidecar under
../images, and prints the offsets the sidecar's ground truth records.
"""

STATIC_DATA_PREFIXES = ("config_220_", "config_3", "config_4")
