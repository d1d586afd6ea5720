"""The cases of npy-append-array 0.9.19's own test.py, written anew, run against
npy_append imported under npy-append-array's name: a program written for it runs
unchanged. The arrays are as large as the original's: 128 MiB, and forty appends of
91 MB (a 3.6 GB file; about 25 s in all).
"""

import itertools
import os
import threading

import npy_append as npy_append_array
import numpy as np
import pytest
from npy_append import NpyAppendArray

# The original's 16 Mi + 17 items, a multiple of 11 * 27 (the non-growth dimensions).
TOTAL = 11 * 27 * 56489
HALF = TOTAL // 2
ROW_ITEMS = 11 * 27


def array(fortran):
    """uint64 items 0..TOTAL, shaped (-1, 11, 27) in C order or (27, 11, -1) in
    Fortran order: rows of 297 items along the growth axis."""
    order = "F" if fortran else "C"
    shape = (27, 11, -1) if fortran else (-1, 11, 27)
    return np.arange(TOTAL, dtype=np.uint64).reshape(shape, order=order)


def write_tight(path, arr, fortran):
    """Writes `arr` with a one-field structured dtype as NumPy before 1.24 did: a
    128-byte header whose text fills it, with no room for a longer count. The field
    name's length is chosen to fill it, one longer in Fortran order (`True` is one
    character shorter than `False`)."""

    def text(name_len):
        return ("{'descr': [('%s', '<u8')], 'fortran_order': %s, 'shape': %r, }"
                % ("_" * name_len, fortran, arr.shape))

    name_len = 117 - len(text(0))
    assert name_len >= 24
    header = b"\x93NUMPY\x01\x00" + (118).to_bytes(2, "little") + text(name_len).encode() + b"\n"
    assert len(header) == 128
    with open(path, "wb") as f:
        f.write(header)
        f.write(arr.tobytes(order="F" if fortran else "C"))


@pytest.mark.parametrize("fortran", [False, True], ids=["C", "F"])
@pytest.mark.parametrize("inplace", [False, True], ids=["copy", "inplace"])
def test_ensure_appendable(tmp_path, fortran, inplace):
    path = tmp_path / "tmp.npy"
    arr = array(fortran)
    write_tight(path, arr, fortran)
    assert not npy_append_array.is_appendable(path)
    assert npy_append_array.ensure_appendable(path, inplace=inplace) is True
    assert npy_append_array.is_appendable(path)
    loaded = np.load(path)
    assert loaded.dtype.names is not None
    assert np.array_equal(loaded.astype(np.uint64), arr)
    # And it can be appended to now.
    with NpyAppendArray(path) as npaa:
        npaa.append(np.zeros((27, 11, 2) if fortran else (2, 11, 27), dtype=loaded.dtype))
    assert np.load(path).shape[-1 if fortran else 0] == arr.shape[-1 if fortran else 0] + 2


@pytest.mark.parametrize("fortran", [False, True], ids=["C", "F"])
@pytest.mark.parametrize("zerofill_incomplete", [False, True], ids=["cut", "zerofill"])
def test_recover_half_file(tmp_path, fortran, zerofill_incomplete):
    path = tmp_path / "tmp.npy"
    order = "F" if fortran else "C"
    arr = array(fortran)
    np.save(path, arr)
    header_len = 128
    assert path.read_bytes()[header_len - 1:header_len] == b"\n"
    # Cut the file at half its data: 4 bytes into an item, inside a row.
    os.truncate(path, (path.stat().st_size + header_len) // 2)
    assert npy_append_array.needs_recovery(path)

    assert npy_append_array.recover(path, zerofill_incomplete) is True

    rounding = np.ceil if zerofill_incomplete else np.floor
    data_length = int(rounding(HALF / ROW_ITEMS)) * ROW_ITEMS
    got = np.load(path).flatten(order=order)
    assert got.shape[0] == data_length
    assert np.all(got[HALF + 1:] == 0)
    expected = arr.flatten(order=order)[:data_length]
    keep = HALF if zerofill_incomplete else data_length
    assert np.array_equal(expected[:keep], got[:keep])
    assert not npy_append_array.needs_recovery(path)


COMBINATIONS = list(itertools.product([False, True], repeat=5))


NAMES = ["save", "rewrite", "delete", "F1", "F2"]


@pytest.mark.parametrize(
    "use_np_save, rewrite_header_on_append, delete_if_exists, fortran1, fortran2",
    COMBINATIONS,
    # (zip without strict=, which needs Python 3.10: each combination has len(NAMES) items.)
    ids=["-".join(k for k, v in zip(NAMES, c) if v) or "none" for c in COMBINATIONS],
)
def test_append_from_ten_threads(tmp_path, use_np_save, rewrite_header_on_append,
                                 delete_if_exists, fortran1, fortran2):
    path = tmp_path / "tmp.npy"
    order1 = "F" if fortran1 else "C"
    order2 = "F" if fortran2 else "C"
    # Three dimensions, none 1, so that appending a C array to a Fortran file (and the
    # reverse) must reorder it.
    shape1 = (2, 3, 4)
    shape2 = (2, 3, 5) if fortran1 else (5, 3, 4)
    n1, n2 = int(np.prod(shape1)), int(np.prod(shape2))
    arr1 = np.arange(n1).reshape(shape1, order=order1)
    arr2 = np.arange(n1, n1 + n2).reshape(shape2, order=order2)
    count = 10

    if use_np_save:
        np.save(path, arr1)
    with NpyAppendArray(path, delete_if_exists=delete_if_exists,
                        rewrite_header_on_append=rewrite_header_on_append) as npaa:
        if delete_if_exists or not use_np_save:
            npaa.append(arr1)
        threads = [threading.Thread(target=npaa.append, args=(arr2,)) for _ in range(count)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    got = np.load(path)
    expected = np.concatenate([arr1, *[arr2] * count], axis=-1 if fortran1 else 0,
                              dtype=arr1.dtype)
    assert got.shape == expected.shape
    assert np.array_equal(got, expected)


def test_forty_appends_of_large_arrays(tmp_path):
    path = tmp_path / "tmp.npy"
    rows = 50000
    for _ in range(40):
        with NpyAppendArray(path) as npaa:
            npaa.append(np.zeros((rows, 76, 3)))
    got = np.load(path, mmap_mode="r")
    assert got.shape == (40 * rows, 76, 3)
    assert got.dtype == np.float64
    assert not np.any(got[-rows:])
