#!/usr/bin/env python3
"""Conformance adapter for NumPy's reader (``np.load``).

Usage: numpy_adapter.py [--mmap] FILE

Prints one JSON line {"version", "descr", "fortran_order", "shape", "data_sha256"} when
NumPy reads FILE, or an error on stderr and exit status 1 when it refuses it (see
conformance/README.md for the protocol). The header-length limit is taken from the
environment variable NPY_MAX_HEADER_LEN (NumPy's ``max_header_size``; default 10000).

The array is read with ``np.load(FILE, mmap_mode=None, allow_pickle=False)``, or with
``mmap_mode="r"`` (NumPy's other read path, ``open_memmap``) given --mmap. Object
arrays are the one exception: their data is a pickle that must not be run, so for a
descr holding objects the adapter reads the header with NumPy's own header reader and
reports the SHA-256 of every byte after the header, as the protocol asks. NumPy
refuses format 4.0 files by their version byte; that is expected (spec V4-6).
"""

import hashlib
import json
import os
import sys

import numpy as np
from numpy.lib import format as npformat

try:  # NumPy >= 2.0 keeps the implementation in a private module.
    from numpy.lib._format_impl import _read_array_header
except ImportError:  # pragma: no cover (NumPy 1.x)
    from numpy.lib.format import _read_array_header

DEFAULT_MAX_HEADER_LEN = 10000


def to_json(descr):
    """NumPy's descr with tuples written as lists. JSON text holds Unicode scalar
    values only, so a lone surrogate in a name (which NumPy accepts) becomes U+FFFD,
    and a bytes title (which NumPy accepts too) its Python repr."""
    if isinstance(descr, (list, tuple)):
        return [to_json(x) for x in descr]
    if isinstance(descr, str):
        return descr.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(descr, bytes):
        return repr(descr)  # NumPy accepts bytes titles; JSON has no bytes
    return descr


def read_header_only(fp, max_header_len=DEFAULT_MAX_HEADER_LEN):
    """(shape, fortran_order, dtype) from NumPy's own header reader; fp at the start."""
    version = npformat.read_magic(fp)
    return _read_array_header(fp, version, max_header_size=max_header_len)


def describe(path, max_header_len=DEFAULT_MAX_HEADER_LEN, mmap_mode=None):
    """What NumPy reads from the file, as the protocol's JSON object; raises if NumPy
    refuses the file."""
    with open(path, "rb") as fp:
        version = npformat.read_magic(fp)
        shape, fortran_order, dtype = _read_array_header(
            fp, version, max_header_size=max_header_len
        )
        data_start = fp.tell()
    if dtype.hasobject:
        with open(path, "rb") as fp:
            fp.seek(data_start)
            data = fp.read()
    else:
        arr = np.load(path, mmap_mode=mmap_mode, allow_pickle=False,
                      max_header_size=max_header_len)
        shape = arr.shape
        data = arr.tobytes(order="F" if fortran_order else "C")
    return {
        "version": "%d.%d" % version,
        "descr": to_json(npformat.dtype_to_descr(dtype)),
        "fortran_order": bool(fortran_order),
        "shape": [int(d) for d in shape],
        "data_sha256": hashlib.sha256(data).hexdigest(),
    }


def describe_line(path, max_header_len=DEFAULT_MAX_HEADER_LEN, mmap_mode=None):
    """The protocol's JSON line for the file; raises if NumPy refuses it."""
    return json.dumps(describe(path, max_header_len, mmap_mode))


def main():
    args = sys.argv[1:]
    mmap_mode = None
    if args[:1] == ["--mmap"]:
        mmap_mode = "r"
        args = args[1:]
    if len(args) != 1:
        print("usage: numpy_adapter.py [--mmap] FILE", file=sys.stderr)
        return 2
    limit = int(os.environ.get("NPY_MAX_HEADER_LEN", DEFAULT_MAX_HEADER_LEN))
    try:
        line = describe_line(args[0], limit, mmap_mode)
    except Exception as e:  # noqa: BLE001 (every refusal is a verdict, not a crash)
        print("%s: %s" % (type(e).__name__, e), file=sys.stderr)
        return 1
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
