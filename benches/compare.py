"""Times the npy crates against NumPy and npy-append-array in one run; writes RESULTS.md.

Run from the repository root, after `cargo xtask setup` (which makes `.venv` with the
pinned NumPy and npy-append-array) and, for the Rust-peer section, `cargo bench -p
npy-benches`:

    .venv/bin/python benches/compare.py [--rounds N]

The Python package npy_append (crates/npy-python; `cargo xtask test` installs it into
.venv) is timed against the same peers from this process, in its own section of the
report; `--python-only` runs just that section (no cargo build) and rewrites only its
part of RESULTS.md.

Each operation is timed in rounds, alternating the sides (ours, then the Python peer,
then ours, ...). Our side is the `npy-bench` binary (benches/src/main.rs), which runs the
operation ITERS times and prints the time per operation as JSON; the Python side runs
the same operation ITERS times in this process. Setup (making and cutting files) is not
timed on either side. The report gives each side's median over the rounds with the
min-max, and the ratio of the medians. It also copies the medians of the criterion suite
(target/criterion, from the last `cargo bench -p npy-benches`) into the same file.
"""

import argparse
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import npy_append_array
import numpy as np
import numpy.lib.format as fmt
from npy_append_array import NpyAppendArray

try:
    import npy_append
except ImportError as e:  # pragma: no cover
    sys.exit(f"compare.py: cannot import npy_append ({e}): install the Python package into "
             ".venv first: `cargo xtask test -p npy-python`, or "
             "`.venv/bin/pip install ./crates/npy-python`")

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
BIG = 2 << 30
ROW = np.zeros((1, 16), dtype="<f8")


def header_bytes(descr, shape):
    fp = io.BytesIO()
    fmt.write_array_header_1_0(fp, {"descr": descr, "fortran_order": False, "shape": shape})
    return fp.getvalue()


def py_parse(descr, shape):
    data = header_bytes(descr, shape)

    def run(_dir, iters):
        fp = io.BytesIO(data)
        t = time.perf_counter_ns()
        for _ in range(iters):
            fp.seek(0)
            fmt.read_magic(fp)
            fmt.read_array_header_1_0(fp)
        return (time.perf_counter_ns() - t) / iters

    return run


def py_open(d, iters):
    path = d / "big.npy"
    t = time.perf_counter_ns()
    for _ in range(iters):
        a = np.load(path, mmap_mode="r")
        del a
    return (time.perf_counter_ns() - t) / iters


def py_save(d, iters):
    path = d / "save_py.npy"
    a = np.zeros((1000, 128), dtype="<f8")
    t = time.perf_counter_ns()
    for _ in range(iters):
        np.save(path, a)
    return (time.perf_counter_ns() - t) / iters


def py_append(rewrite):
    def run(d, iters):
        path = d / "append_py.npy"
        if path.exists():
            path.unlink()
        w = NpyAppendArray(str(path), rewrite_header_on_append=rewrite)
        w.append(ROW)  # creates the file (np.save of the first row); not timed
        t = time.perf_counter_ns()
        for _ in range(iters):
            w.append(ROW)
        w.close()
        return (time.perf_counter_ns() - t) / iters

    return run


def two_writes(d, iters):
    """The floor of an append that reaches the file, header included, before it returns:
    the row's `pwrite`, then one of the count's digits into the header, from Python with
    nothing else (no checks, no lock). Not an implementation: a bound on any that keeps
    that promise."""
    path = d / "append_floor.npy"
    np.save(path, ROW)
    header = path.read_bytes()[:-ROW.nbytes]
    at = header.index(b"'shape': (") + len(b"'shape': (")
    fd = os.open(path, os.O_RDWR)
    try:
        end, rows = len(header) + ROW.nbytes, 1
        row = ROW.tobytes()
        t = time.perf_counter_ns()
        for _ in range(iters):
            os.pwrite(fd, row, end)
            end += len(row)
            rows += 1
            os.pwrite(fd, b"%d, 16), }" % rows, at)
        t = time.perf_counter_ns() - t
    finally:
        os.close(fd)
    path.unlink()
    return t / iters


CHUNK = np.zeros(((1 << 20) // 128, 16), dtype="<f8")  # 1 MiB


def appender(module, array, rewrite):
    """Appends `array` ITERS times to a new file with `module`'s NpyAppendArray (the
    first append, which creates the file, is not timed; close is)."""

    def run(d, iters):
        path = d / "append_py.npy"
        if path.exists():
            path.unlink()
        w = module.NpyAppendArray(str(path), rewrite_header_on_append=rewrite)
        w.append(array)
        t = time.perf_counter_ns()
        for _ in range(iters):
            w.append(array)
        w.close()
        return (time.perf_counter_ns() - t) / iters

    return run


def npy_append_load(d, iters):
    path = d / "big.npy"
    t = time.perf_counter_ns()
    for _ in range(iters):
        a = npy_append.load(path, mmap_mode="r")
        del a
    return (time.perf_counter_ns() - t) / iters


def py_recover(d, iters):
    path = d / "big.npy"
    size = path.stat().st_size
    total = 0
    for _ in range(iters):
        os.truncate(path, size + 5)
        t = time.perf_counter_ns()
        npy_append_array.recover(str(path))
        total += time.perf_counter_ns() - t
        assert path.stat().st_size == size, "the partial row was cut"
    return total / iters


ENSURE_BYTES = 1 << 30


def make_tight(path, nbytes):
    """The file npy-bench's `ensure-in-place` makes: a 128-byte header without room for a
    longer count (as NumPy before 1.24 wrote it), then `nbytes` of data as a hole."""
    items = nbytes // 8

    def text(n):
        return ("{'descr': [('%s', '<f8')], 'fortran_order': False, 'shape': (%d,), }"
                % ("x" * n, items))

    header = b"\x93NUMPY\x01\x00\x76\x00" + text(117 - len(text(0))).encode() + b"\n"
    assert len(header) == 128
    if path.exists():
        path.unlink()
    with open(path, "wb") as f:
        f.write(header)
        f.truncate(128 + nbytes)


def py_ensure(d, iters):
    path = d / "tight_py.npy"
    total = 0
    for _ in range(iters):
        make_tight(path, ENSURE_BYTES)
        assert not npy_append_array.is_appendable(str(path))
        t = time.perf_counter_ns()
        npy_append_array.ensure_appendable(str(path), inplace=True)
        total += time.perf_counter_ns() - t
        assert npy_append_array.is_appendable(str(path))
    return total / iters


def ours(op):
    exe = TARGET / "release" / "npy-bench"

    def run(d, iters):
        out = subprocess.run([exe, op, d, str(iters)], check=True, capture_output=True, text=True)
        return json.loads(out.stdout)["ns_per_op"]

    return run


F20 = [(f"field_{i}", "<f8") for i in range(20)]
# name, ours, peer, peer name, iterations per round, target ratio (peer / ours), note
CASES = [
    ("parse a typical header (`<f8`, (1000, 128))", ours("parse-typical"),
     py_parse("<f8", (1000, 128)), "NumPy `read_magic` + `read_array_header_1_0`", 20000, 50, ""),
    ("parse a 20-field structured header", ours("parse-structured20"),
     py_parse(F20, (1000,)), "NumPy `read_magic` + `read_array_header_1_0`", 5000, 50, ""),
    ("open + map a 2 GiB file", ours("open"), py_open, 'NumPy `np.load(mmap_mode="r")`', 2000,
     None, "target is against the floor: see the criterion table"),
    ("save a (1000, 128) `<f8` array (1 MiB)", ours("save"), py_save, "NumPy `np.save`", 200, None,
     "create/truncate + write, no fsync, both sides"),
    ("append one 128-byte row, header rewritten each append", ours("append-every"),
     py_append(True), "npy-append-array, `rewrite_header_on_append=True`", 20000, 20,
     "appends to a fresh file in the page cache, no fsync, close included"),
    ("append one 128-byte row, buffered, header on close", ours("append-onflush"),
     py_append(False), "npy-append-array, `rewrite_header_on_append=False`", 20000, 200,
     "as above"),
    ("append one 128-byte row, format 4.0 (buffered)", ours("append-v4"), py_append(False),
     "npy-append-array, `rewrite_header_on_append=False`", 20000, 200, "as above"),
    ("append one 128-byte row, buffered, header on close, through a `Batch`",
     ours("append-onflush-batch"), py_append(False),
     "npy-append-array, `rewrite_header_on_append=False`", 20000, 200,
     "as above; the writer's lock is taken once for the run, not per append"),
    ("append one 128-byte row, format 4.0, through a `Batch`", ours("append-v4-batch"),
     py_append(False), "npy-append-array, `rewrite_header_on_append=False`", 20000, 200,
     "as above"),
    ("append one 128-byte row, buffered, header on close, over cached pages",
     ours("append-onflush-ring"), py_append(False),
     "npy-append-array, `rewrite_header_on_append=False`", 20000, 200,
     "ours overwrites an 8 MiB ring of pages already in the page cache (the issue's "
     "method for writes); the peer appends to a new file (it cannot be pointed at a ring; "
     "page allocation is under 1 % of its time)"),
    ("append one 128-byte row, format 4.0, over cached pages", ours("append-v4-ring"),
     py_append(False), "npy-append-array, `rewrite_header_on_append=False`", 20000, 200,
     "as above"),
    ("`recover` a 2 GiB file (cut a partial row), `Durability::None`", ours("recover-unsynced"),
     py_recover, "npy-append-array `recover`", 30, 5,
     "like for like: neither side syncs"),
    ("`recover` a 2 GiB file (cut a partial row), default `Durability::Synced`", ours("recover"),
     py_recover, "npy-append-array `recover`", 30, None,
     "ours `fdatasync`s the cut; npy-append-array does not sync"),
    ("`ensure_appendable` in place, 1 GiB", ours("ensure-in-place"), py_ensure,
     "npy-append-array `ensure_appendable(inplace=True)`", 2, 1.5,
     "ours inserts a range (O(1), journaled, synced); theirs moves the data in 16 MiB chunks, "
     "no sync"),
]

# The Python package against the Python peers, both sides in this process.
PYTHON_CASES = [
    ("append one 128-byte row per call, `rewrite_header_on_append=True`",
     appender(npy_append, ROW, True), appender(npy_append_array, ROW, True),
     "npy-append-array, `rewrite_header_on_append=True`", 20000, 20,
     "each append written and the header rewritten before `append` returns: two `pwrite`s, "
     "whose time alone is the next row, so no implementation that keeps this promise reaches "
     "the target here (npy-append-array keeps a weaker one: its new header stays in Python's "
     "file buffer until its next call, `strace`); no fsync, close included"),
    ("the floor of the row above: two `os.pwrite` calls per row and nothing else",
     two_writes, appender(npy_append_array, ROW, True),
     "npy-append-array, `rewrite_header_on_append=True`", 20000, None,
     "not an implementation: the row's write and the count's, the least any append that "
     "puts both in the file before it returns must do; its ratio bounds every such "
     "implementation's"),
    ("append one 128-byte row per call, `rewrite_header_on_append=False`",
     appender(npy_append, ROW, False), appender(npy_append_array, ROW, False),
     "npy-append-array, `rewrite_header_on_append=False`", 20000, 10,
     "ours buffers small appends (1 MiB), theirs writes each one; header on close"),
    ("append 1 MiB chunks, `rewrite_header_on_append=True`", appender(npy_append, CHUNK, True),
     appender(npy_append_array, CHUNK, True), "npy-append-array, `rewrite_header_on_append=True`",
     100, 1, "ours writes from the array's memory; theirs copies it (`flatten`) first"),
    ("append 1 MiB chunks, `rewrite_header_on_append=False`", appender(npy_append, CHUNK, False),
     appender(npy_append_array, CHUNK, False),
     "npy-append-array, `rewrite_header_on_append=False`", 100, 1, "as above"),
    ('`load(mmap_mode="r")` of a 2 GiB file', npy_append_load, py_open,
     'NumPy `np.load(mmap_mode="r")`', 2000, 1,
     "format 1.0; ours reads the header in Rust, then makes the same `np.memmap`"),
]


def make_big(d):
    path = d / "big.npy"
    rows = BIG // 128
    with open(path, "wb") as f:
        fmt.write_array_header_1_0(f, {"descr": "<f8", "fortran_order": False,
                                       "shape": (rows, 16)})
        f.truncate(f.tell() + rows * 128)


def fmt_ns(ns):
    if ns >= 1e9:
        return f"{ns / 1e9:.2f} s"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def span(xs):
    return f"{fmt_ns(statistics.median(xs))} ({fmt_ns(min(xs))}–{fmt_ns(max(xs))})"


def criterion_medians():
    """Median point estimates of the last criterion run, keyed by benchmark id."""
    base = TARGET / "criterion"
    found = {}
    for est in base.glob("**/new/estimates.json"):
        bench = est.parent.parent / "new" / "benchmark.json"
        if not bench.exists():
            continue
        full_id = json.loads(bench.read_text())["full_id"]
        found[full_id] = json.loads(est.read_text())["median"]["point_estimate"]
    return found


CRITERION_ROWS = [
    # figure, ours id, peer id, peer name, target (peer / ours; < 1 means ours may be slower)
    ("parse a typical header", "header_parse/typical_f8_1000x128/npy-header",
     "header_parse/typical_f8_1000x128/npyz", "npyz", 50),
    ("parse a typical header", "header_parse/typical_f8_1000x128/npy-header",
     "header_parse/typical_f8_1000x128/ndarray-npy", "ndarray-npy (view_npy)", 50),
    ("parse a 20-field structured header", "header_parse/structured_20_fields/npy-header",
     "header_parse/structured_20_fields/npyz", "npyz", 50),
    ("parse a header nested 6 deep", "header_parse/nested_depth/npy-header/6",
     "header_parse/nested_depth/npyz/6", "npyz", None),
    ("open + map 4 KiB", "open_map/npy-mmap/4KiB", "open_map/floor/4KiB", "open+mmap floor",
     1 / 1.5),
    ("open + map 4 GiB", "open_map/npy-mmap/4GiB", "open_map/floor/4GiB", "open+mmap floor",
     1 / 1.5),
    ("open + map 4 GiB", "open_map/npy-mmap/4GiB", "open_map/ndarray-npy/4GiB", "ndarray-npy",
     None),
    ("append a row, header every append", "append_row_128B/npy-append/header_every_append",
     "append_row_128B/floor/one_pwrite", "one `pwrite`", None),
    ("append a row, buffered, header on close",
     "append_row_128B/npy-append/buffered_header_on_close", "append_row_128B/floor/one_pwrite",
     "one `pwrite`", None),
    ("append a row, 4.0 buffered", "append_row_128B/npy-append/v4_buffered",
     "append_row_128B/floor/one_pwrite", "one `pwrite`", None),
    ("append 1 MiB chunks (default: header rewritten after each)",
     "append_chunk_1MiB/npy-append/header_every_append",
     "append_chunk_1MiB/floor/write", "plain `pwrite` of the same bytes", 0.95),
    ("append 1 MiB chunks, header on flush", "append_chunk_1MiB/npy-append/header_on_flush",
     "append_chunk_1MiB/floor/write", "plain `pwrite` of the same bytes", 0.95),
    ("append 1 MiB chunks, format 4.0", "append_chunk_1MiB/npy-append/v4",
     "append_chunk_1MiB/floor/write", "plain `pwrite` of the same bytes", 0.95),
    ("recover 64 KiB vs 2 GiB (O(1))", "recover_partial_row/npy-append/2GiB",
     "recover_partial_row/npy-append/64KiB", "the same on 64 KiB", None),
    ("recover 64 KiB vs 2 GiB (O(1)), `Durability::None`",
     "recover_partial_row/npy-append-unsynced/2GiB",
     "recover_partial_row/npy-append-unsynced/64KiB", "the same on 64 KiB", None),
    ("recover 2 GiB, `Durability::None`", "recover_partial_row/npy-append-unsynced/2GiB",
     "recover_partial_row/npy-append/2GiB", "the default, `Durability::Synced`", None),
]


LOAD = os.getloadavg()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--memory-gib", type=int, default=10,
                    help="size of the big run of the memory section (0 skips it)")
    ap.add_argument("--only", metavar="TEXT",
                    help="run only the rows whose name contains TEXT, print them, write no report")
    ap.add_argument("--python-only", action="store_true",
                    help="run only the Python package's rows and rewrite only their section "
                         "of RESULTS.md")
    args = ap.parse_args()
    if not args.python_only:
        subprocess.run(["cargo", "build", "--release", "-p", "npy-benches", "--bin", "npy-bench"],
                       cwd=ROOT, check=True)
    rows, py_rows = [], []
    with tempfile.TemporaryDirectory(prefix="npy-compare-", dir=ROOT / "target") as tmp:
        d = Path(tmp)
        make_big(d)
        sections = [(PYTHON_CASES, py_rows)]
        if not args.python_only:
            sections.insert(0, (CASES, rows))
        for cases, out in sections:
            for name, a, b, peer, iters, target, note in cases:
                if args.only and args.only not in name:
                    continue
                ta, tb = [], []
                for _ in range(args.rounds):
                    ta.append(a(d, iters))
                    tb.append(b(d, iters))
                ratio = statistics.median(tb) / statistics.median(ta)
                out.append((name, ta, tb, peer, ratio, target, note))
                print(f"{name}: ours {span(ta)}, {peer} {span(tb)}, {ratio:.1f}x", flush=True)
        full = not args.only and not args.python_only
        memory = measure_memory(d, args.memory_gib) if args.memory_gib and full else []
    if args.python_only and not args.only:
        replace_python_section(py_rows, args.rounds)
    elif not args.only:
        write_report(rows, criterion_medians(), args.rounds, memory, py_rows)


def machine():
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    lock = (ROOT / "Cargo.lock").read_text()

    def locked(name):
        i = lock.find(f'name = "{name}"\nversion = "')
        return lock[i:].split('"')[3] if i >= 0 else "?"

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    if hasattr(npy_append_array, "__version__"):
        peer_version = npy_append_array.__version__
    else:
        peer_version = pip_version()
    return [
        f"- date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}, commit {commit}",
        f"- machine: {os.cpu_count()} CPUs (`nproc`), {cpu}, Linux {platform.release()}; "
        f"files on ext4 (`target/`); load average (1 min) {LOAD[0]:.2f} at the start, "
        f"{os.getloadavg()[0]:.2f} at the end: the machine is shared, so absolute times are "
        "noisy; the ratios within this run are what count",
        f"- Python {platform.python_version()}, NumPy {np.__version__}, npy-append-array "
        f"{peer_version}",
        f"- {rustc}, npyz {locked('npyz')}, ndarray-npy {locked('ndarray-npy')}, "
        f"criterion {locked('criterion')}",
    ]


def pip_version():
    from importlib.metadata import version

    return version("npy-append-array")


def met(ratio, target):
    if target is None:
        return "—"
    if ratio >= target:
        return "met"
    return f"missed ({ratio / target:.2f} of the target)"


# Stated from the npy-append crate documentation (section "Limits and memory"), not
# measured: RSS in a benchmark would measure the allocator and the page cache as well.
MEMORY_NOTE = [
    "Bounds from the npy-append documentation, independent of the file size: appending "
    "holds the write buffer (`Options::buffer_bytes`, default 1 MiB) plus 64 KiB to "
    "byte-swap or cast, plus the header; `ensure_appendable` and `convert` hold one chunk "
    "(`MoveOptions::chunk_bytes`, default 16 MiB, at most 64 MiB) plus the header (the "
    "range insert holds only the header); `recover` holds the header and at most one "
    "journal record.",
]


def measure_memory(d, big_gib):
    """Peak resident memory of npy-bench for a small and a big run of each operation."""
    rows = []
    for op, label, small, big in [
        ("append-mib", "append 128-byte rows to a new file", 64, big_gib << 10),
        ("ensure-gib", "`ensure_appendable` in place, range insert", 1, big_gib),
        ("ensure-chunked-gib", "`ensure_appendable` in place, chunked move", 1, big_gib),
    ]:
        got = []
        for n in (small, big):
            exe = TARGET / "release" / "npy-bench"
            out = subprocess.run([exe, op, d, str(n)], check=True, capture_output=True, text=True)
            got.append(json.loads(out.stdout))
        unit = "MiB" if op == "append-mib" else "GiB"
        rows.append((label, [(f"{g['iters']} {unit}", g["peak_rss_kib"],
                              g["ns_per_op"] * g["iters"]) for g in got]))
        print(f"memory, {label}: {rows[-1][1]}", flush=True)
    return rows


PY_BEGIN = "<!-- python:begin (written by benches/compare.py; do not edit by hand) -->"
PY_END = "<!-- python:end -->"


def python_section(py_rows, rounds):
    """The Python package's table, between markers so that `--python-only` can
    rewrite it alone."""
    out = [PY_BEGIN, "", "## The Python package `npy_append` (`benches/compare.py`)", "",
           f"Measured on {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}, "
           f"load average (1 min) {os.getloadavg()[0]:.2f}; Python {platform.python_version()}, "
           f"NumPy {np.__version__}. Both sides run in this Python process, {rounds} rounds "
           "per row, sides interleaved; median (min–max) of the per-round time per "
           "operation; ratio = peer median / our median. Writes go to the page cache "
           "without fsync.", "",
           "| figure | ours (`npy_append`) | peer | peer time | ratio | target | |",
           "|---|---|---|---|---|---|---|"]
    for name, ta, tb, peer, ratio, target, note in py_rows:
        tgt = f"≥ {target}×" if target else "—"
        extra = f" {note}" if note else ""
        out.append(f"| {name} | {span(ta)} | {peer} | {span(tb)} | {ratio:.1f}× | {tgt} | "
                   f"{met(ratio, target)}.{extra} |".replace("—.", "—"))
    return out + ["", PY_END]


def replace_python_section(py_rows, rounds):
    path = ROOT / "benches" / "RESULTS.md"
    text = path.read_text()
    section = "\n".join(python_section(py_rows, rounds))
    if PY_BEGIN in text and PY_END in text:
        head, rest = text.split(PY_BEGIN, 1)
        text = head + section + rest.split(PY_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)
    print("rewrote the Python section of benches/RESULTS.md")


def write_report(rows, crit, rounds, memory, py_rows=()):
    out = ["# Benchmark results", "",
           "Regenerate: `cargo bench -p npy-benches` (criterion, Rust peers and floors), then "
           "`.venv/bin/python benches/compare.py` (Python peers; writes this file).", ""]
    out += machine()
    out += ["", "## Against the Python peers (`benches/compare.py`)", "",
            f"{rounds} rounds per row, sides interleaved (ours, peer, ours, …); median "
            "(min–max) of the per-round time per operation; ratio = peer median / our median "
            "(higher is better for us). Writes go to the page cache without fsync.", "",
            "| figure | ours | peer | peer time | ratio | target | |",
            "|---|---|---|---|---|---|---|"]
    for name, ta, tb, peer, ratio, target, note in rows:
        tgt = f"≥ {target}×" if target else "—"
        extra = f" {note}" if note else ""
        out.append(f"| {name} | {span(ta)} | {peer} | {span(tb)} | {ratio:.1f}× | {tgt} | "
                   f"{met(ratio, target)}.{extra} |".replace("—.", "—"))
    if py_rows:
        out += [""] + python_section(py_rows, rounds)
    out += ["", "## Criterion suite (`cargo bench -p npy-benches`, `benches/benches/suite.rs`)", "",
            "Medians from the last criterion run on this machine. Writes overwrite pages already "
            "in the page cache (a ring of 8 MiB for rows, 64 MiB for chunks), no fsync; the floor "
            "writes the same offsets of the same file. Ratio = other / ours.", "",
            "| figure | ours | compared with | its time | ratio | target | |",
            "|---|---|---|---|---|---|---|"]
    for name, a, b, peer, target in CRITERION_ROWS:
        if a not in crit or b not in crit:
            out.append(f"| {name} | not measured | {peer} | | | | |")
            continue
        ratio = crit[b] / crit[a]
        if target is None:
            tgt = "—"
        elif target >= 1:
            tgt = f"≥ {target}×"
        else:
            tgt = f"≥ {target:.2f}× (ours ≤ {1 / target:.2f}× the floor's time)"
        out.append(f"| {name} | {fmt_ns(crit[a])} | {peer} | {fmt_ns(crit[b])} | {ratio:.2f}× "
                   f"| {tgt} | {met(ratio, target)} |")
    for k in sorted(crit):
        if k.startswith("ensure_appendable_in_place/npy-append/"):
            label = k.rsplit("/", 1)[1]
            floor = f"ensure_appendable_in_place/floor_chunked_move/{label}"
            if floor in crit:
                ratio = crit[floor] / crit[k]
                out.append(f"| `ensure_appendable` in place, {label} | {fmt_ns(crit[k])} | chunked "
                           f"move, no journal or sync (npy-append-array's in-place algorithm) | "
                           f"{fmt_ns(crit[floor])} | {ratio:.2f}× | ≥ 1.5× | {met(ratio, 1.5)} |")
                chunked = f"ensure_appendable_in_place/npy-append-chunked/{label}"
                if chunked in crit:
                    ratio = crit[floor] / crit[chunked]
                    out.append(f"| `ensure_appendable` in place, {label}, chunked move "
                               f"(`insert_range(false)`, journaled and synced) | "
                               f"{fmt_ns(crit[chunked])} | the same floor | "
                               f"{fmt_ns(crit[floor])} | {ratio:.2f}× | — | — |")
    curve = sorted((int(k.rsplit('/', 1)[1]), v) for k, v in crit.items()
                   if k.startswith("header_parse/nested_depth/npy-header/"))
    if curve:
        out += ["", "Nesting curve (npy-header, median per parse): "
                + ", ".join(f"depth {dep}: {fmt_ns(v)}" for dep, v in curve) + "."]
    ens = sorted(k for k in crit if k.startswith("ensure_appendable_in_place/"))
    if ens:
        out += ["", "`ensure_appendable` in place: "
                + ", ".join(f"`{k.split('/', 1)[1]}` {fmt_ns(crit[k])}" for k in ens) + "."]
    out += ["", "## Memory (`benches/compare.py`, peak resident memory of `npy-bench`)", ""]
    out += MEMORY_NOTE
    if memory:
        out += ["", "| operation | small run | peak RSS | time | big run | peak RSS | time |",
                "|---|---|---|---|---|---|---|"]
        for label, ((sa, ra, ta), (sb, rb, tb)) in memory:
            out.append(f"| {label} | {sa} | {ra / 1024:.1f} MiB | {fmt_ns(ta)} | {sb} | "
                       f"{rb / 1024:.1f} MiB | {fmt_ns(tb)} |")
    Path(ROOT / "benches" / "RESULTS.md").write_text("\n".join(out) + "\n")
    print("wrote benches/RESULTS.md")


if __name__ == "__main__":
    sys.exit(main())
