#!/usr/bin/env python3
"""Writes the golden figures that `tests/golden.rs` compares against.

Run it only for a deliberate change of what the figures show (a science fix, a new sampler, a
new default), and commit the new files in a commit of their own that says why:

    cargo build --release --bin nqm && python3 tests/golden/bless.py target/release/nqm

or, for the files of some panels only (a new panel), name them after the tool:

    python3 tests/golden/bless.py target/release/nqm batch-size

For every panel it saves `nqm figure <panel> '' --json` (the defaults, at full size) and, for
each preset, the preset at a reduced sample size (`PRESET_SAMPLE` on top of it: the same code,
still bit-exact, but quick enough for `make test`). Each file holds the figure in the public
JSON format; its `query` field is the whole state, which the test runs again.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# Presets run with fewer walkers, points and steps where the panel has those keys.
PRESET_SAMPLE = {"walkers": 1000, "points": 8}
# Panels whose presets use other reduced sizes (batch-size's walkers are in D dimensions).
PANEL_SAMPLE = {"batch-size": {"walkers": 64}}


def run(nqm, *args):
    return subprocess.run([nqm, *args], check=True, capture_output=True, text=True).stdout


def reduced(query, name, keys):
    sample = PANEL_SAMPLE.get(name, PRESET_SAMPLE)
    extra = [f"{k}={v}" for k, v in sample.items() if k in keys]
    return "&".join([q for q in [query, *extra] if q])


def main(nqm, only):
    for old in os.listdir(HERE):
        if old.endswith(".json") and (not only or old.split(".")[0] in only):
            os.remove(os.path.join(HERE, old))
    specs = json.loads(run(nqm, "panels"))
    for spec in specs:
        name, keys = spec["name"], spec["keys"]
        if only and name not in only:
            continue
        cases = [("default", "")] + [
            (f"preset{i + 1}", reduced(p["query"], name, keys))
            for i, p in enumerate(spec["presets"])
        ]
        for tag, query in cases:
            out = run(nqm, "figure", name, query, "--json", "--threads", "2")
            path = os.path.join(HERE, f"{name}.{tag}.json")
            with open(path, "w") as f:
                f.write(json.dumps(json.loads(out), separators=(",", ":")) + "\n")
            print(f"{path}: {query or '(defaults)'}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "target/release/nqm", sys.argv[2:])
