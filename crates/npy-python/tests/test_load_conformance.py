"""`load` and `header` on every file of the conformance corpus (conformance/).

* every accepted file: `load` gives what the manifest says (version, descr, order,
  shape, data); where NumPy reads the file too, exactly what `np.load` returns, with
  and without `mmap_mode="r"` (type, dtype, shape, memory order, bytes; for a memmap
  also its file, offset and mode);
* every 4.0 file: the manifest's shape (whole rows only) and data;
* every rejected file: `load` raises, with and without a mmap_mode;
* every file: `header` equals `npy inspect --json` of the `npy` tool, and raises where
  the tool fails to read the header.
"""

import json
import subprocess
import sys
import warnings

import npy_append
import numpy as np
import pytest
from conftest import (
    CONFORMANCE,
    data_bytes,
    manifest,
    npy_cli,
    same_array,
    same_dtype,
    sha256,
    to_json,
)
from numpy.lib import format as npformat

CASES = manifest()["cases"]
DEFAULT_LIMIT = manifest()["default_max_header_len"]


def ids(cases):
    return [c["file"].rsplit("/", 1)[1] for c in cases]


ACCEPTED = [c for c in CASES if c["verdict"] != "reject"]
REJECTED = [c for c in CASES if c["verdict"] == "reject"]


def limit(case):
    return case.get("max_header_len", DEFAULT_LIMIT)


def numpy_reads(case):
    return case.get("known_differences", {}).get("numpy", {}).get("verdict") != "reject"


def numpy_refuses_here(case):
    """Whether np.load refuses, on this Python only, a file the manifest says it reads
    (measured on Python 3.11): before 3.10, NumPy's ast.literal_eval of the header does
    not skip spaces and tabs before the dict."""
    if sys.version_info >= (3, 10):
        return False
    head = (CONFORMANCE / case["file"]).read_bytes()[:13]
    start = 10 if head[6] == 1 else 12
    return head[start:start + 1] in (b" ", b"\t")


def has_object(case):
    return "O" in json.dumps(case["expected"]["descr"])


def quiet(f, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NumPy's warning for Python 2 headers
        return f(*args, **kwargs)


def test_corpus_is_there():
    assert len(ACCEPTED) > 400 and len(REJECTED) > 200
    assert any(c["expected"]["version"] == "4.0" for c in ACCEPTED)


@pytest.mark.parametrize("case", ACCEPTED, ids=ids(ACCEPTED))
def test_accepted(case):
    path = CONFORMANCE / case["file"]
    exp = case["expected"]
    if has_object(case):
        # A pickle: refused without allow_pickle, as np.load refuses it.
        with pytest.raises(ValueError, match="allow_pickle"):
            npy_append.load(path, max_header_size=limit(case))
        return
    got = quiet(npy_append.load, path, max_header_size=limit(case))
    fortran = exp["fortran_order"]
    assert list(got.shape) == exp["shape"]
    assert to_json(npformat.dtype_to_descr(got.dtype)) == exp["descr"]
    if got.ndim > 1 and got.size > 1 and sorted(got.shape)[-2] > 1:
        assert got.flags.f_contiguous == fortran or got.flags.c_contiguous != fortran
    assert sha256(data_bytes(got, fortran)) == exp["data_sha256"]
    mapped = quiet(npy_append.load, path, mmap_mode="r", max_header_size=limit(case))
    assert isinstance(mapped, np.memmap)
    assert mapped.shape == got.shape and same_dtype(mapped.dtype, got.dtype)
    assert sha256(data_bytes(mapped, fortran)) == exp["data_sha256"]
    if numpy_reads(case) and numpy_refuses_here(case):
        # load read it all the same (above), with the Rust parser.
        with pytest.raises(ValueError):
            quiet(np.load, path, max_header_size=limit(case))
    elif numpy_reads(case):
        assert exp["version"] != "4.0"
        same_array(got, quiet(np.load, path, max_header_size=limit(case)))
        ref = quiet(np.load, path, mmap_mode="r", max_header_size=limit(case))
        same_array(mapped, ref)
        assert (mapped.filename, mapped.offset, mapped.mode) == (ref.filename, ref.offset, ref.mode)


V4 = [c for c in ACCEPTED if c["expected"]["version"] == "4.0"]


@pytest.mark.parametrize("case", V4, ids=ids(V4))
def test_v4_whole_rows(case):
    """The -1 becomes the whole rows present; a partial row is left out."""
    path = CONFORMANCE / case["file"]
    info = npy_append.header(path)
    assert info["open_ended"] == (-1 in info["header_shape"])
    got = npy_append.load(path)
    assert list(got.shape) == case["expected"]["shape"] == info["shape"]
    assert got.nbytes == info["expected_data_bytes"]
    assert info["trailing_bytes"] == info["data_bytes"] - got.nbytes


@pytest.mark.parametrize("case", REJECTED, ids=ids(REJECTED))
@pytest.mark.parametrize("mmap_mode", [None, "r"])
def test_rejected(case, mmap_mode):
    path = CONFORMANCE / case["file"]
    with pytest.raises((ValueError, OSError, EOFError, SyntaxError)) as err:
        quiet(npy_append.load, path, mmap_mode=mmap_mode, max_header_size=limit(case))
    if isinstance(err.value, npy_append.Error):
        assert err.value.kind and str(path) in str(err.value)


@pytest.fixture(scope="module")
def inspected():
    """`npy inspect --json` of every corpus file, in one run of the tool per file."""
    exe = npy_cli()
    out = {}
    for case in CASES:
        path = str(CONFORMANCE / case["file"])
        args = [exe, "inspect", "--json"]
        if "max_header_len" in case:
            args += ["--max-header-len", str(case["max_header_len"])]
        run = subprocess.run(args + [path], capture_output=True, text=True, timeout=60)
        out[case["file"]] = (run.returncode, json.loads(run.stdout) if run.stdout else None)
    return out


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_header_is_npy_inspect_json(case, inspected):
    code, expected = inspected[case["file"]]
    path = str(CONFORMANCE / case["file"])
    if expected is not None and set(expected) == {"file", "error"}:
        # The tool could not read the header: header() raises the same error.
        with pytest.raises((npy_append.Error, OSError)) as err:
            npy_append.header(path, max_header_size=limit(case))
        e = expected["error"]
        assert err.value.kind == e["kind"]
        assert err.value.offset == e["offset"]
        assert e["message"] in str(err.value)
        return
    got = npy_append.header(path, max_header_size=limit(case))
    assert list(got) == list(expected)
    assert got == expected
    assert code == (1 if "error" in expected else 0)


ARRAYS = [c for c in ACCEPTED if not has_object(c)]


@pytest.mark.parametrize("case", ARRAYS, ids=ids(ARRAYS))
def test_accepted_from_a_file_object(case):
    """From an open file, `load` reads what it reads from the path, NumPy's refusals
    included (the Rust parser reads those), and leaves the file just after the array."""
    path = CONFORMANCE / case["file"]
    want = quiet(npy_append.load, path, max_header_size=limit(case))
    with open(path, "rb") as f:
        got = quiet(npy_append.load, f, max_header_size=limit(case))
        end = f.tell()
    same_array(got, want)
    info = npy_append.header(path, max_header_size=limit(case))
    assert end == info["data_offset"] + got.nbytes
