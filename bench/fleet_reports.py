#!/usr/bin/env python3
"""Writes a fleet's JSON reports for `provbase report`: RUNNERS runners × NIGHTS nights, RUNS runs
each (report_version 2). A driver update reaches the runners one by one from night 40, and a
refreshed kernel fails a fifth of the runs on every runner from night 70; everything else passes.

usage: bench/fleet_reports.py OUT_DIR [RUNNERS NIGHTS RUNS]   (default 10 100 50: 1,000 reports)
"""
import datetime, json, os, sys

out = sys.argv[1]
runners, nights, runs = (int(x) for x in (sys.argv[2:5] or [10, 100, 50]))
start = datetime.datetime(2026, 1, 1, 3, 17, tzinfo=datetime.timezone.utc)
h = lambda s: "sha256:" + (s * 64)[:64]
for r in range(runners):
    runner = f"a100-{r + 1}"
    os.makedirs(os.path.join(out, runner), exist_ok=True)
    for n in range(nights):
        time = (start + datetime.timedelta(days=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        driver_moved = n >= 40 + r
        kernel_moved = n >= 70
        entries, counts = [], {"pass": 0, "warn": 0, "fail": 0, "missing": 0, "error": 0}
        for k in range(runs):
            drifts = []
            if driver_moved:
                drifts.append({"path": "hardware.gpus.driver_version", "category": "hardware",
                               "policy": "warn", "before": "535.54.03", "after": "550.90.07"})
            if kernel_moved and k % 5 == 0:
                drifts.append({"path": 'spice_kernels."kernels/naif0012.tls".sha256',
                               "category": "spice", "policy": "fail",
                               "before": h("6"), "after": h("9")})
            status = ("fail" if any(d["policy"] == "fail" for d in drifts)
                      else "warn" if drifts else "pass")
            counts[status] += 1
            entries.append({
                "run": f"run-{k:02}", "status": status, "baseline": f"baselines/run-{k:02}.json",
                "error": None, "candidate": None, "drifts": drifts,
                "explanation": [{"subject": "kernels/naif0012.tls",
                                 "text": "changed since the baseline's commit 45ad7e9:\n-LEAPSECONDS 37\n+LEAPSECONDS 38"}]
                if kernel_moved and k % 5 == 0 else [],
            })
        report = {
            "report_version": 2, "provbase_version": "0.1.0", "profile": "nightly",
            "summary": dict(counts, orphans=0), "runs": entries, "orphans": [],
            "taken": {"time": time, "runner": runner, "commit": "%040x" % (n + 1),
                      "gpu": {"model": "NVIDIA A100-SXM4-80GB",
                              "driver": "550.90.07" if driver_moved else "535.54.03"}},
        }
        with open(os.path.join(out, runner, f"{time[:10]}.json"), "w") as f:
            json.dump(report, f, indent=2)
