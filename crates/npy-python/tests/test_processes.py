"""A writer process appends to a 4.0 file while a reader process loads it in a loop:
every load is whole rows, and a prefix of what is being appended."""

import json
import subprocess
import sys
import time

ROWS = 30000
WIDTH = 40  # int64 items: 320-byte rows, so that appends cross pages

WRITER = """
import os, sys, time, numpy as np, npy_append
path, rows, width = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(1)
with npy_append.NpyAppendArray(path, version=4, buffer_bytes=0) as w:
    w.append(np.zeros((0, width), dtype="<i8"))
    while not os.path.exists(path + ".ready"):  # the reader is loading
        time.sleep(0.001)
    done = 0
    while done < rows:
        n = min(int(rng.integers(1, 60)), rows - done)
        block = np.repeat(np.arange(done, done + n, dtype="<i8")[:, None], width, axis=1)
        w.append(block)
        done += n
        time.sleep(0.0005)
"""

READER = """
import json, os, sys, time, numpy as np, npy_append
path, rows, width = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sizes, loads, last = set(), 0, 0
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    a = npy_append.load(path, mmap_mode="r")
    loads += 1
    n = a.shape[0]
    assert a.shape[1:] == (width,), a.shape
    assert n >= last, (n, last)  # never fewer rows than a load before
    if n:
        assert (a[:, 0] == np.arange(n)).all(), "not a prefix of what was appended"
        assert (a == a[:, :1]).all(), "a row mixes two rows' values"
    last = n
    sizes.add(n)
    if loads == 1:
        open(path + ".ready", "w").close()
    if n == rows:
        break
    del a
print(json.dumps({"loads": loads, "sizes": len(sizes), "last": last}))
"""


def test_reader_sees_whole_rows_of_a_growing_v4_file(tmp_path):
    path = tmp_path / "log.npy"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(ROWS), str(WIDTH)],
                              stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.001)
    assert path.exists(), "the writer did not start"
    reader = subprocess.run([sys.executable, "-c", READER, str(path), str(ROWS), str(WIDTH)],
                            capture_output=True, text=True, timeout=120)
    _, werr = writer.communicate(timeout=120)
    assert writer.returncode == 0, werr
    assert reader.returncode == 0, reader.stderr
    seen = json.loads(reader.stdout)
    assert seen["last"] == ROWS
    # The reader ran while the file grew.
    assert seen["sizes"] >= 10, seen
