#!/usr/bin/env python3
"""Run readers against the conformance corpus and rewrite the result tables of
conformance/README.md.

Run from anywhere, with the Python that has NumPy (its NumPy is the NumPy 2 adapter's):

    .venv/bin/python conformance/results.py                   # every reader (~10 min)
    .venv/bin/python conformance/results.py --readers npyjs,numpy-parser --check

The first form sets up what the readers need (builds the `npy` tool and the Rust peers
in conformance/adapters/rust-peers, installs the JavaScript adapters' packages with
`npm ci`, creates target/numpy-1.26-venv with NumPy 1.26), runs `npy conformance --format
json` for every reader and rewrites the part of README.md between the `results:begin`
and `results:end` markers (each run's JSON report is kept in
target/conformance-results/). With --readers it runs only the named readers; with --check
it rewrites nothing and fails if a reader's row differs from the one in README.md (CI
runs the cheap readers this way).

Each reader runs with the features it leaves out declared (--unsupported), taken from
its own documentation or error messages, so that the table counts them apart from its
failures.
"""

import argparse
import datetime
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
JS = HERE / "adapters" / "js"
NUMPY_1 = ROOT / "target" / "numpy-1.26-venv"
NUMPY_1_PIN = "numpy==1.26.4"
GROUPS = ["F", "H", "D", "V4", "W", "R", "A", "G", "S", "DIFF"]
FAILURES = ["refused", "accepted-invalid", "wrong", "warnings", "crash", "timeout", "protocol"]


def run(cmd, **kw):
    print("$ " + " ".join(str(c) for c in cmd), file=sys.stderr)
    return subprocess.run(cmd, check=True, **kw)


def crate_version(name):
    for block in (PEERS / "Cargo.lock").read_text().split("[[package]]"):
        if 'name = "%s"\n' % name in block:
            return block.split('version = "')[1].split('"')[0]
    raise SystemExit("%s is not in %s" % (name, PEERS / "Cargo.lock"))


def npm_version(name):
    lock = json.loads((JS / "package-lock.json").read_text())
    return lock["packages"]["node_modules/" + name]["version"]


def venv_numpy(python):
    out = subprocess.run([str(python), "-c", "import numpy; print(numpy.__version__)"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


# Setup steps, run once each before the readers that need them.
def build_npy():
    run(["cargo", "build", "-q", "-p", "npy-cli"], cwd=ROOT)


def build_peers():
    run(["cargo", "build", "-q", "--release", "--manifest-path", PEERS / "Cargo.toml"])


def npm_ci():
    run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=JS)


def numpy_1_venv():
    python = NUMPY_1 / "bin" / "python"
    if not python.exists():
        run([sys.executable, "-m", "venv", NUMPY_1])
    have = subprocess.run([str(python), "-c", "import numpy; print(numpy.__version__)"],
                          capture_output=True, text=True)
    if have.stdout.strip() != NUMPY_1_PIN.split("==")[1]:
        run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
             NUMPY_1_PIN])


BIN = PEERS / "target" / "release"
NUMPY_ADAPTER = "conformance/adapters/numpy_adapter.py"


def readers():
    """(key, setup, label(), npy conformance arguments) for every reader, in table
    order. The --unsupported lists are what each library says it leaves out."""
    return [
        ("npy", None, lambda: "npy (this project)", []),
        ("numpy", None, lambda: "NumPy %s" % venv_numpy(sys.executable),
         ["--reader", "'%s' %s" % (sys.executable, NUMPY_ADAPTER), "--known", "numpy"]),
        # NumPy's other read path: np.load(mmap_mode="r"), that is open_memmap.
        ("numpy-mmap", None, lambda: "NumPy %s, memory-mapped" % venv_numpy(sys.executable),
         ["--reader", "'%s' %s --mmap" % (sys.executable, NUMPY_ADAPTER), "--known", "numpy"]),
        # NumPy 1.x, with the differences recorded for NumPy 2 (the same family).
        ("numpy-1.26", numpy_1_venv,
         lambda: "NumPy %s" % venv_numpy(NUMPY_1 / "bin" / "python"),
         ["--reader", "'%s' %s" % (NUMPY_1 / "bin" / "python", NUMPY_ADAPTER),
          "--known", "numpy"]),
        ("npyz", build_peers, lambda: "npyz %s" % crate_version("npyz"),
         ["--reader", str(BIN / "npyz_adapter"), "--unsupported", "v4"]),
        # ndarray-npy: "bool, integers, floats, complex" element types only (its docs).
        ("ndarray-npy", build_peers, lambda: "ndarray-npy %s" % crate_version("ndarray-npy"),
         ["--reader", str(BIN / "ndarray_npy_adapter"), "--unsupported",
          "v4,structured,string,unicode,void,datetime,object,float16,long-double"]),
        # npy-rs: one-dimensional arrays of little-endian numbers or derived records.
        ("npy-rs", build_peers, lambda: "npy (npy-rs) %s" % crate_version("npy"),
         ["--reader", str(BIN / "npy_rs_adapter"), "--unsupported",
          "v4,scalar,multi-dimensional,big-endian,structured,bool,float16,long-double,"
          "complex,string,unicode,void,datetime,object"]),
        # candle: its tensor element types only, C order, little-endian, versions 1-2.
        ("candle", build_peers, lambda: "candle-core %s" % crate_version("candle-core"),
         ["--reader", str(BIN / "candle_adapter"), "--unsupported",
          "v3,v4,fortran-order,big-endian,structured,complex,long-double,string,unicode,"
          "void,datetime,object"]),
        # npyjs: typed arrays, booleans and U strings, little-endian.
        ("npyjs", npm_ci, lambda: "npyjs %s" % npm_version("npyjs"),
         ["--reader", "node conformance/adapters/js/npyjs_adapter.mjs", "--unsupported",
          "v4,big-endian,structured,long-double,string,void,datetime,object"]),
        # numpy-parser: little-endian numbers of up to 4 bytes and f8, C order.
        ("numpy-parser", npm_ci, lambda: "numpy-parser %s" % npm_version("numpy-parser"),
         ["--reader", "node conformance/adapters/js/numpy_parser_adapter.mjs",
          "--unsupported", "v4,fortran-order,big-endian,structured,bool,int64,float16,"
          "long-double,complex,string,unicode,void,datetime,object"]),
    ]


SAVED = ROOT / "target" / "conformance-results"


def conformance(key, args):
    """The JSON report of a run, also kept in target/conformance-results/KEY.json (every
    case's verdict and reason, for reading the failures)."""
    npy = ROOT / "target" / "debug" / "npy"
    out = subprocess.run([npy, "conformance", "--format", "json"] + args, cwd=ROOT,
                         capture_output=True, text=True)
    if out.returncode not in (0, 1):
        raise SystemExit("npy conformance failed: " + out.stderr)
    SAVED.mkdir(parents=True, exist_ok=True)
    (SAVED / (key + ".json")).write_text(out.stdout)
    return json.loads(out.stdout)


def group_of(req):
    return req.rsplit("-", 1)[0]


def row(name, r, profile_of):
    s = r["summary"]
    f = s["failures"]
    strict = [c for c in r["cases"] if profile_of[c["file"]] == "strict"]
    ok = ("pass", "known", "unsupported")
    return "| %s | %d | %d | %d | %s | %d / %d |" % (
        name, s["pass"], s["known"], s["unsupported"],
        " | ".join("%d" % f[k] for k in FAILURES),
        sum(c["status"] in ok for c in strict), len(strict))


def table(results, manifest):
    cases = manifest["cases"]
    profile_of = {c["file"]: c["profile"] for c in cases}
    lines = [BEGIN, ""]
    lines.append("%d cases (%d in the strict profile): %d accept, %d accept-with-warning, "
                 "%d accept-may-warn, %d reject; NumPy %s wrote and checked the corpus. "
                 "Measured on %s (x86-64 Linux)."
                 % (len(cases), sum(c["profile"] == "strict" for c in cases),
                    sum(c["verdict"] == "accept" for c in cases),
                    sum(c["verdict"] == "accept-with-warning" for c in cases),
                    sum(c["verdict"] == "accept-may-warn" for c in cases),
                    sum(c["verdict"] == "reject" for c in cases), manifest["numpy_version"],
                    datetime.date.today().isoformat()))
    lines.append("")
    lines.append("| reader | pass | known | unsupported | valid refused | invalid accepted "
                 "| wrong values | wrong warnings | crashes | timeouts | protocol errors "
                 "| strict profile ok |")
    lines.append("|---|" + "---|" * 11)
    for name, r in results:
        lines.append(row(name, r, profile_of))
    lines.append("")
    lines.append("Cases passed per requirement group (a case counts in every group it names; "
                 "known differences and declared unsupported features count as passed):")
    lines.append("")
    lines.append("| group | cases | " + " | ".join(name for name, _ in results) + " |")
    lines.append("|---|---|" + "---|" * len(results))
    for g in GROUPS:
        files = {c["file"] for c in cases if any(group_of(r) == g for r in c["requirements"])}
        cells = []
        for _, r in results:
            ok = sum(1 for c in r["cases"]
                     if c["file"] in files and c["status"] in ("pass", "known", "unsupported"))
            cells.append("%d" % ok)
        lines.append("| `%s` | %d | %s |" % (g, len(files), " | ".join(cells)))
    lines.append("")
    lines.append(END)
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    all_keys = [k for k, *_ in readers()]
    ap.add_argument("--readers", default=",".join(all_keys),
                    help="comma-separated readers to run (default: all): " + ", ".join(all_keys))
    ap.add_argument("--check", action="store_true",
                    help="compare the readers' rows with README.md instead of rewriting it")
    args = ap.parse_args()
    wanted = args.readers.split(",")
    unknown = set(wanted) - set(all_keys)
    if unknown:
        raise SystemExit("unknown readers: %s (known: %s)" % (sorted(unknown), all_keys))
    if not args.check and set(wanted) != set(all_keys):
        raise SystemExit("rewriting README.md needs every reader; use --check with --readers")

    build_npy()
    done = set()
    results = []
    for key, setup, label, cmd in readers():
        if key not in wanted:
            continue
        if setup and setup not in done:
            setup()
            done.add(setup)
        name = label()
        print("running the corpus against %s" % name, file=sys.stderr)
        results.append((name, conformance(key, cmd)))

    manifest = json.loads((HERE / "manifest.json").read_text(encoding="utf-8"))
    text = README.read_text(encoding="utf-8")
    if args.check:
        profile_of = {c["file"]: c["profile"] for c in manifest["cases"]}
        bad = []
        for name, r in results:
            line = row(name, r, profile_of)
            if line not in text.splitlines():
                bad.append(line)
        if bad:
            raise SystemExit("these rows differ from conformance/README.md (a reader or the "
                             "corpus changed: rerun conformance/results.py):\n" + "\n".join(bad))
        print("%d readers as recorded in conformance/README.md" % len(results), file=sys.stderr)
        return
    start, end = text.index(BEGIN), text.index(END) + len(END)
    README.write_text(text[:start] + "\n".join(table(results, manifest)) + text[end:],
                      encoding="utf-8")
    print("updated %s" % README, file=sys.stderr)


if __name__ == "__main__":
    main()
