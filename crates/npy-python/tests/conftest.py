"""Shared helpers for the npy_append test suite.

The suite runs against the installed package (`cargo xtask test` installs it into the
project's .venv first). It never skips: a missing piece (the package, NumPy, the `npy`
tool for the header comparison) fails the test that needs it, saying how to get it.
"""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CONFORMANCE = ROOT / "conformance"


def manifest():
    return json.loads((CONFORMANCE / "manifest.json").read_text())


def npy_cli():
    """The `npy` tool built from this repository (for `npy inspect --json`)."""
    exe = os.environ.get("NPY_CLI") or str(ROOT / "target" / "debug" / "npy")
    if not Path(exe).is_file():
        pytest.fail(f"the npy tool is not built at {exe}: run `cargo build -p npy-cli` "
                    "(cargo xtask test does) or set NPY_CLI to its path")
    return exe


def to_json(descr):
    """NumPy's descr with tuples as lists, as the manifest and `npy inspect` write it."""
    if isinstance(descr, (list, tuple)):
        return [to_json(x) for x in descr]
    return descr


def data_bytes(arr, fortran):
    return arr.tobytes(order="F" if fortran else "C")


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def file_bytes(path):
    return Path(path).read_bytes()


def run_python(code, *args, timeout=120):
    """Runs `code` in a fresh interpreter (the same one) and returns the process."""
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def npy(tmp_path):
    """A path for a .npy file in a fresh directory."""
    return tmp_path / "a.npy"


def same_dtype(a, b):
    """The same dtype. (NumPy's `==` is False between two generic datetime dtypes,
    `dtype('<M8') == dtype('<M8')`; their descriptions tell.)"""
    return repr(a) == repr(b) and a.descr == b.descr and a.itemsize == b.itemsize


def same_array(a, b):
    """Same type, dtype, shape, memory order and bytes."""
    assert type(a) is type(b), (type(a), type(b))
    assert same_dtype(a.dtype, b.dtype), (a.dtype, b.dtype)
    assert a.shape == b.shape
    assert a.flags.c_contiguous == b.flags.c_contiguous
    assert a.flags.f_contiguous == b.flags.f_contiguous
    fortran = a.flags.f_contiguous and not a.flags.c_contiguous
    assert data_bytes(a, fortran) == data_bytes(b, fortran)
