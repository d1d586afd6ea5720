#!/usr/bin/env python3
"""Regenerate the result tables of conformance/README.md.

Run from anywhere, with the Python that has NumPy (its NumPy is the one the NumPy
adapter runs):

    .venv/bin/python conformance/results.py

Builds the `npy` tool and the peer adapters (conformance/adapters/rust-peers, in
release mode), runs `npy conformance --format json` for every reader, and rewrites the
part of README.md between the `results:begin` and `results:end` markers. Takes a few
minutes: the NumPy adapter starts a Python for each file, and the peers time out (10
seconds each) on the deeply nested headers.
"""

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
README = HERE / "README.md"
BEGIN = "<!-- results:begin (written by conformance/results.py; do not edit by hand) -->"
END = "<!-- results:end -->"
PEERS = HERE / "adapters" / "rust-peers"
GROUPS = ["F", "H", "D", "V4", "W", "R", "A", "G", "S", "DIFF"]


def run(cmd, **kw):
    print("$ " + " ".join(str(c) for c in cmd), file=sys.stderr)
    return subprocess.run(cmd, check=True, **kw)


def conformance(args):
    npy = ROOT / "target" / "debug" / "npy"
    out = subprocess.run([npy, "conformance", "--format", "json"] + args, cwd=ROOT,
                         capture_output=True, text=True)
    if out.returncode not in (0, 1):
        raise SystemExit("npy conformance failed: " + out.stderr)
    return json.loads(out.stdout)


def group_of(req):
    return req.rsplit("-", 1)[0]


def main():
    import numpy

    run(["cargo", "build", "-q", "-p", "npy-cli"], cwd=ROOT)
    run(["cargo", "build", "-q", "--release", "--manifest-path", PEERS / "Cargo.toml"])
    npyz = ndarray = None
    for line in (PEERS / "Cargo.lock").read_text().split("[[package]]"):
        if 'name = "npyz"' in line:
            npyz = line.split('version = "')[1].split('"')[0]
        if 'name = "ndarray-npy"' in line:
            ndarray = line.split('version = "')[1].split('"')[0]
    bin_dir = PEERS / "target" / "release"
    readers = [
        ("npy (this project)", []),
        ("NumPy %s" % numpy.__version__,
         ["--reader", "'%s' conformance/adapters/numpy_adapter.py" % sys.executable,
          "--known", "numpy"]),
        ("npyz %s" % npyz, ["--reader", str(bin_dir / "npyz_adapter")]),
        ("ndarray-npy %s" % ndarray, ["--reader", str(bin_dir / "ndarray_npy_adapter")]),
    ]
    results = []
    for name, args in readers:
        print("running the corpus against %s" % name, file=sys.stderr)
        results.append((name, conformance(args)))

    manifest = json.loads((HERE / "manifest.json").read_text(encoding="utf-8"))
    cases = manifest["cases"]
    lines = [BEGIN, ""]
    lines.append("%d cases: %d accept, %d accept-with-warning, %d reject; "
                 "NumPy %s wrote and checked the corpus."
                 % (len(cases), sum(c["verdict"] == "accept" for c in cases),
                    sum(c["verdict"] == "accept-with-warning" for c in cases),
                    sum(c["verdict"] == "reject" for c in cases), manifest["numpy_version"]))
    lines.append("")
    lines.append("| reader | pass | known differences | fail | valid files read "
                 "| invalid files refused | timeouts | crashes or errors |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for name, r in results:
        cs = r["cases"]
        valid = [c for c in cs if c["expected"] != "reject"]
        invalid = [c for c in cs if c["expected"] == "reject"]
        lines.append("| %s | %d | %d | %d | %d / %d | %d / %d | %d | %d |" % (
            name, r["summary"]["pass"], r["summary"]["known"], r["summary"]["fail"],
            sum(c["status"] == "pass" for c in valid), len(valid),
            sum(c["status"] == "pass" for c in invalid), len(invalid),
            sum(c["got"] == "timeout" for c in cs), sum(c["got"] == "error" for c in cs)))
    lines.append("")
    lines.append("Cases passed per requirement group (a case counts in every group it names):")
    lines.append("")
    lines.append("| group | cases | " + " | ".join(name for name, _ in results) + " |")
    lines.append("|---|---|" + "---|" * len(results))
    for g in GROUPS:
        files = {c["file"] for c in cases if any(group_of(r) == g for r in c["requirements"])}
        cells = []
        for _, r in results:
            ok = sum(1 for c in r["cases"]
                     if c["file"] in files and c["status"] in ("pass", "known"))
            cells.append("%d" % ok)
        lines.append("| `%s` | %d | %s |" % (g, len(files), " | ".join(cells)))
    lines.append("")
    lines.append("(For NumPy, known differences count as passed: %d cases where NumPy does "
                 "what the manifest records, format 4.0 and the deliberate differences of the "
                 "spec's section 12.)" % results[1][1]["summary"]["known"])
    lines.append("")
    lines.append(END)

    text = README.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    README.write_text(text[:start] + "\n".join(lines) + text[end:], encoding="utf-8")
    print("updated %s" % README, file=sys.stderr)


if __name__ == "__main__":
    main()
