"""Tests of format 4.0 in numpy.lib.format, in the style of numpy/lib/tests/test_format.py.

Format 4.0 is format 3.0 whose growth-axis length may be written as -1 and is then
the number of whole rows the file holds (spec/npy-format.md, section 5). Run against a
NumPy with format-4.0.patch applied (apply.sh does both).
"""
import io
import zipfile

import numpy as np
import pytest
from numpy.lib import format
from numpy.testing import assert_array_equal, assert_raises_regex


def v4_bytes(arr):
    f = io.BytesIO()
    format.write_array(f, arr, version=(4, 0))
    return f.getvalue()


def header_text(data):
    hlen = int.from_bytes(data[8:12], "little")
    return data[12:12 + hlen].decode("utf8")


ARRAYS = [
    np.arange(12, dtype="<f8").reshape(4, 3),
    np.asfortranarray(np.arange(12, dtype=">i2").reshape(3, 4)),
    np.arange(5, dtype="u1"),
    np.zeros(3, dtype=[("x", "<f4"), ("y", "S3")]),
    np.array(["a", "bc"], dtype="U2"),
    np.arange(6).astype("M8[s]").reshape(2, 3),
]


@pytest.mark.parametrize("arr", ARRAYS)
def test_roundtrip(arr):
    data = v4_bytes(arr)
    assert data[6:8] == b"\x04\x00"
    assert len(data) % 64 == arr.nbytes % 64
    got = format.read_array(io.BytesIO(data))
    assert_array_equal(got, arr)
    assert got.dtype == arr.dtype
    assert np.isfortran(got) == np.isfortran(arr)


def test_header_bytes():
    # spec/npy-format.md, section 7: 3.0's layout with -1 and 19 spare spaces.
    data = v4_bytes(np.zeros((5, 3)))
    text = header_text(data)
    assert text.startswith("{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 3), }")
    assert text[60:79] == " " * 19
    assert len(data) - 5 * 3 * 8 == 128
    f = np.asfortranarray(np.zeros((3, 5)))
    assert "'shape': (3, -1), }" in header_text(v4_bytes(f))
    assert "'shape': (-1,), }" in header_text(v4_bytes(np.zeros(2)))


def test_partial_row_left_out():
    arr = np.arange(12, dtype="<i4").reshape(4, 3)
    data = v4_bytes(arr) + b"\x01\x02\x03\x04\x05"
    assert_array_equal(format.read_array(io.BytesIO(data)), arr)


def test_rows_from_the_file_size(tmp_path):
    path = tmp_path / "log.npy"
    arr = np.arange(8, dtype="<u2").reshape(4, 2)
    path.write_bytes(v4_bytes(arr[:1]))
    assert np.load(path).shape == (1, 2)
    with open(path, "ab") as f:
        f.write(arr[1:].tobytes())
    assert_array_equal(np.load(path), arr)
    with open(path, "rb") as f:
        assert_array_equal(format.read_array(f), arr)


def test_memmap(tmp_path):
    path = tmp_path / "log.npy"
    arr = np.asfortranarray(np.arange(12, dtype="<f4").reshape(3, 4))
    path.write_bytes(v4_bytes(arr) + b"\x00")
    m = format.open_memmap(path, mode="r")
    assert_array_equal(m, arr)
    assert m.flags.f_contiguous
    assert_array_equal(np.load(path, mmap_mode="r"), arr)


def test_npz_member(tmp_path):
    path = tmp_path / "a.npz"
    arr = np.arange(6, dtype="<i8").reshape(3, 2)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.npy", v4_bytes(arr) + b"\x07")
    with np.load(path) as npz:
        assert_array_equal(npz["a"], arr)


def test_not_appended_to_is_fixed():
    # A 4.0 header without -1 means what 3.0 means.
    arr = np.zeros((2, 3))
    data = format.magic(4, 0) + v4_bytes(arr)[8:].replace(b"(-1, 3)", b"(2, 3) ")
    assert_array_equal(format.read_array(io.BytesIO(data)), arr)


def make(text, version=(4, 0), data=b""):
    hlen = len(text) + 1
    pad = 64 - (12 + hlen) % 64
    return (format.magic(*version) + (hlen + pad).to_bytes(4, "little")
            + text.encode() + b" " * pad + b"\n" + data)


@pytest.mark.parametrize("text", [
    "{'descr': '<f8', 'fortran_order': False, 'shape': (3, -1), }",
    "{'descr': '<f8', 'fortran_order': True, 'shape': (-1, 3), }",
    "{'descr': '<f8', 'fortran_order': False, 'shape': (-1, -1), }",
    "{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 0), }",
    "{'descr': '<f8', 'fortran_order': False, 'shape': (-2, 3), }",
    "{'descr': 'V0', 'fortran_order': False, 'shape': (-1,), }",
    "{'descr': '|O', 'fortran_order': False, 'shape': (-1,), }",
])
def test_invalid_open_shapes(text):
    assert_raises_regex(ValueError, "shape is not valid for format 4.0",
                        format.read_array, io.BytesIO(make(text, data=b"\x00" * 64)),
                        allow_pickle=True)


def test_minus_one_needs_version_4():
    # Earlier versions keep their behaviour: -1 is refused when the data is read.
    text = "{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 3), }"
    with pytest.raises(ValueError):
        format.read_array(io.BytesIO(make(text, version=(3, 0), data=b"\x00" * 48)))


def test_version_5_still_refused():
    data = format.magic(5, 0) + v4_bytes(np.zeros(2))[8:]
    assert_raises_regex(ValueError, "we only support format version",
                        format.read_array, io.BytesIO(data))
