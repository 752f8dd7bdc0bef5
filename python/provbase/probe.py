"""Probes: what only a running Python process knows about its numerics, printed as canonical
JSON for a run's `external` (or `probes = [...]` in harness.toml), or gathered from inside a
pipeline into its envelope.

    python -m provbase.probe numpy torch jax spice
    python -m provbase.probe spice --furnsh kernels/coiss.tm   # what SPICE itself loads

Each probe gives an object; a package that is not installed, or a value the package cannot
give, is `{"unavailable": "<why>"}`, never a silent null. From inside a pipeline, after it has
seeded its generators and loaded its kernels:

    import provbase.probe
    provbase.probe.write_envelope("out/envelope.json", probes=["torch", "spice", "rng"],
                                  image="N1597846115")

and harness.toml reads it back: `external.nav = { command = ["cat", "out/envelope.json"] }`.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

Probe = Dict[str, Any]


def unavailable(why: str) -> Dict[str, str]:
    """A value that could not be had, and why."""
    return {"unavailable": why}


def _module(name: str) -> Any:
    """The module if it is installed (imported), else None."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _try(get: Callable[[], Any]) -> Any:
    try:
        value = get()
    except Exception as e:  # a probe never fails the pipeline: it says what it could not read
        return unavailable(f"{type(e).__name__}: {e}")
    return value


def numpy_probe() -> Probe:
    """numpy's version, the BLAS and LAPACK it was built with, and the threads they use."""
    np = _module("numpy")
    if np is None:
        return unavailable("numpy is not installed")
    out: Probe = {"version": np.__version__}

    def build() -> Probe:
        config = np.show_config(mode="dicts")
        deps = config.get("Build Dependencies", {})
        return {
            lib: {k: deps[lib][k] for k in ("name", "version") if k in deps[lib]}
            for lib in ("blas", "lapack") if lib in deps
        }

    out["build"] = _try(build)
    threadpoolctl = _module("threadpoolctl")
    if threadpoolctl is None:
        out["threads"] = unavailable("threadpoolctl is not installed")
    else:
        out["threads"] = _try(lambda: sorted(
            ({"api": p["internal_api"], "num_threads": p["num_threads"],
              "version": p.get("version")}
             for p in threadpoolctl.threadpool_info()),
            key=lambda p: (p["api"], str(p["version"]))))
    out["env"] = {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                             "MKL_NUM_THREADS") if k in os.environ}
    return out


def torch_probe() -> Probe:
    """torch's version, its CUDA, cuDNN and NCCL, each device's name and capability, the
    determinism and TF32 flags, and the default dtype."""
    torch = _module("torch")
    if torch is None:
        return unavailable("torch is not installed")
    out: Probe = {
        "version": torch.__version__,
        "cuda": torch.version.cuda or unavailable("a build without CUDA"),
        "default_dtype": str(torch.get_default_dtype()),
        "deterministic_algorithms": _try(torch.are_deterministic_algorithms_enabled),
        "cudnn": {
            "version": _try(lambda: torch.backends.cudnn.version()
                            or unavailable("cuDNN is not available")),
            "deterministic": bool(torch.backends.cudnn.deterministic),
            "benchmark": bool(torch.backends.cudnn.benchmark),
            "allow_tf32": bool(torch.backends.cudnn.allow_tf32),
        },
        "matmul_allow_tf32": _try(lambda: bool(torch.backends.cuda.matmul.allow_tf32)),
        "float32_matmul_precision": _try(torch.get_float32_matmul_precision),
    }
    if not torch.cuda.is_available():
        out["devices"] = unavailable("CUDA is not available to torch here")
        out["nccl"] = unavailable("CUDA is not available to torch here")
        return out
    out["nccl"] = _try(lambda: ".".join(map(str, torch.cuda.nccl.version())))
    out["devices"] = [
        {"name": torch.cuda.get_device_name(i),
         "capability": ".".join(map(str, torch.cuda.get_device_capability(i)))}
        for i in range(torch.cuda.device_count())
    ]
    return out


def jax_probe() -> Probe:
    """jax's and jaxlib's versions, the backend and its devices, and whether x64 is on."""
    jax = _module("jax")
    if jax is None:
        return unavailable("jax is not installed")
    jaxlib = _module("jaxlib")
    return {
        "version": jax.__version__,
        "jaxlib": getattr(jaxlib, "__version__", None) or unavailable("jaxlib has no version"),
        "backend": _try(jax.default_backend),
        "devices": _try(lambda: [{"platform": d.platform, "kind": d.device_kind}
                                 for d in jax.devices()]),
        "enable_x64": _try(lambda: bool(jax.config.jax_enable_x64)),
    }


def spice_probe(furnsh: Sequence[str] = ()) -> Probe:
    """spiceypy's and the SPICE toolkit's versions, and the kernels SPICE has loaded, in load
    order (`ktotal`/`kdata`), each with its type and SHA-256: after the pipeline's own `furnsh`
    when called from inside it, or after loading `furnsh` (metakernels or kernels)."""
    spice = _module("spiceypy")
    if spice is None:
        return unavailable("spiceypy is not installed")
    for path in furnsh:
        spice.furnsh(str(path))

    def kernels() -> List[Probe]:
        out = []
        for i in range(spice.ktotal("ALL")):
            file, kind, _source, _handle = spice.kdata(i, "ALL")
            entry: Probe = {"file": file, "type": kind}
            try:
                entry["sha256"] = "sha256:" + hashlib.sha256(Path(file).read_bytes()).hexdigest()
            except OSError as e:
                entry["sha256"] = unavailable(str(e))
            out.append(entry)
        return out

    return {
        "version": getattr(spice, "__version__", None) or unavailable("spiceypy has no version"),
        "toolkit": _try(lambda: spice.tkvrsn("TOOLKIT")),
        "kernels": _try(kernels),
    }


def rng_probe() -> Probe:
    """The state of the generators this process seeded: Python's `random`, numpy's legacy
    global generator and torch's initial seed, each as a digest (the same seed gives the same
    digest)."""
    import random

    def digest(value: Any) -> str:
        return "sha256:" + hashlib.sha256(repr(value).encode()).hexdigest()

    out: Probe = {"python": digest(random.getstate())}
    np = _module("numpy") if "numpy" in sys.modules else None
    out["numpy"] = (_try(lambda: digest(np.random.get_state()[1].tolist()))
                    if np is not None else unavailable("numpy is not imported"))
    torch = sys.modules.get("torch")
    out["torch"] = (_try(lambda: str(torch.initial_seed())) if torch is not None
                    else unavailable("torch is not imported"))
    return out


PROBES: Dict[str, Callable[[], Probe]] = {
    "numpy": numpy_probe,
    "torch": torch_probe,
    "jax": jax_probe,
    "spice": spice_probe,
    "rng": rng_probe,
}


def collect(names: Sequence[str], furnsh: Sequence[str] = ()) -> Dict[str, Probe]:
    """The named probes' values, by name. An unknown name is a ValueError listing the known."""
    unknown = [n for n in names if n not in PROBES]
    if unknown:
        raise ValueError(f"no probe named {', '.join(unknown)} (probes: {', '.join(PROBES)})")
    return {n: (spice_probe(furnsh) if n == "spice" else PROBES[n]()) for n in names}


def canonical(doc: Any) -> str:
    """JSON as provbase compares it: sorted keys, no insignificant space."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def write_envelope(path: os.PathLike[str] | str, probes: Sequence[str] = (),
                   **fields: Any) -> Dict[str, Any]:
    """Writes a pipeline's envelope: its own `fields` and the named probes (under `probes`), as
    canonical JSON, whole or not at all; returns it. A run names it as an external
    (`command = ["cat", "out/envelope.json"]`)."""
    doc: Dict[str, Any] = dict(fields)
    if probes:
        doc["probes"] = collect(probes)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.provbase-tmp")
    tmp.write_text(canonical(doc) + "\n", encoding="utf-8")
    os.replace(tmp, target)
    return doc


def main(argv: Optional[Sequence[str]] = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m provbase.probe",
        description="Print what this Python process knows of its numerics, as canonical JSON.")
    parser.add_argument("probes", nargs="+", metavar="PROBE",
                        help=f"one or more of: {', '.join(PROBES)}")
    parser.add_argument("--furnsh", action="append", default=[], metavar="KERNEL",
                        help="a metakernel or kernel for SPICE to load first (repeatable)")
    args = parser.parse_args(argv)
    if "rng" in args.probes:
        print("error: the rng probe reads the generators a pipeline seeded: call it from inside "
              "the pipeline (provbase.probe.write_envelope(..., probes=[\"rng\"])); a process of "
              "its own has only unseeded ones", file=sys.stderr)
        return 2
    try:
        doc = collect(args.probes, furnsh=args.furnsh)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # a kernel SPICE cannot load: its own message, no traceback
        print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(canonical(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
