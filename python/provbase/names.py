"""Prints the names of a Python registry of techniques or extractors, one per line, for
harness.toml:

    techniques = { command = ["python3", "-m", "provbase.names", "nav.techniques:REGISTRY"] }

`REGISTRY` may be a mapping (its keys), a list, tuple or set (of names, or of classes and
functions, named by `__name__`), or a function that returns one of those.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, Iterable, List


def names_of(registry: Any) -> List[str]:
    """The names a registry holds, sorted and without repeats."""
    if callable(registry) and not isinstance(registry, type):
        registry = registry()
    items: Iterable[Any] = registry.keys() if hasattr(registry, "keys") else registry
    out = set()
    for item in items:
        name = item if isinstance(item, str) else getattr(item, "__name__", None)
        if not name:
            raise TypeError(f"{item!r} has no name")
        out.add(name)
    return sorted(out)


def resolve(spec: str) -> Any:
    """`package.module:ATTRIBUTE` (a dotted path after the colon) as an object."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not attr:
        raise ValueError(f"`{spec}`: write MODULE:NAME, such as nav.techniques:REGISTRY")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def main(argv: List[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m provbase.names MODULE:NAME", file=sys.stderr)
        return 2
    try:
        names = names_of(resolve(argv[0]))
    except Exception as e:  # the command's stderr is what harness.toml's error shows
        print(f"provbase.names: {argv[0]}: {e}", file=sys.stderr)
        return 1
    for n in names:
        print(n)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
