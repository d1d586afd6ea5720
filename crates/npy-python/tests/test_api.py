"""NpyAppendArray and the functions around it: dtypes, orders, versions, options,
attributes, threads, and load following a growing 4.0 file."""

import gc
import threading
import time

import npy_append
import numpy as np
import pytest
from conftest import same_array, same_dtype
from npy_append import NpyAppendArray
from numpy.lib import format as npformat

DTYPES = [
    "?", "i1", "u1", "<i2", ">i2", "<u4", ">i8", "<f2", ">f4", "<f8", ">f8", "<c8", ">c16",
    "<f16", "|S1", "|S7", "<U1", ">U5", "<M8[ns]", ">M8[D]", "<m8[s]", "<M8[10ms]", "|V3",
    np.dtype([("a", "<i4"), ("b", ">f8", (2,)), ("c", "|S3")]),
    np.dtype([("x", "u1"), ("y", "<i4")], align=True),
    np.dtype([(("title", "t"), "<u2"), ("nested", [("p", "<f4"), ("q", "|b1")])]),
    np.dtype({"names": ["a"], "formats": ["<i2"], "offsets": [2], "itemsize": 8}),
    np.dtype([("温度", "<f8")]),
]


def sample(dtype, shape):
    """Deterministic bytes as an array of `dtype` (any dtype, padding included)."""
    dtype = np.dtype(dtype)
    n = int(np.prod(shape)) * dtype.itemsize
    raw = (np.arange(n, dtype=np.uint64) * 2654435761 % 251).astype(np.uint8)
    long_double = dtype.kind in "fc" and dtype.itemsize >= 8 and dtype.str[-2:] == "16"
    if long_double or dtype.str[1:] == "f16":
        raw[:] = 1  # avoid bit patterns whose x87 padding bytes NumPy may not keep
    if dtype.kind == "b":
        raw %= 2
    return raw.view(dtype).reshape(shape)


@pytest.mark.parametrize("dtype", DTYPES, ids=[str(d) for d in DTYPES])
@pytest.mark.parametrize("version", [None, 3, 4])
def test_every_dtype(npy, dtype, version):
    parts = [sample(dtype, (2, 3)), sample(dtype, (0, 3)), sample(dtype, (5, 3))]
    # The dtype np.load gives for a file np.save wrote (an aligned struct's flag is
    # not in the descr).
    file_dtype = npformat.descr_to_dtype(npformat.dtype_to_descr(np.dtype(dtype)))
    with NpyAppendArray(npy, version=version) as w:
        for p in parts:
            w.append(p)
        assert same_dtype(w.dtype, file_dtype)
        assert w.shape == (7, 3)
    # The bytes appended, padding included (np.concatenate may change byte order).
    expected = b"".join(p.tobytes() for p in parts)
    got = npy_append.load(npy)
    assert same_dtype(got.dtype, file_dtype) and got.shape == (7, 3)
    assert got.tobytes() == expected
    if version != 4:
        assert np.load(npy).tobytes() == expected


def test_first_append_decides_order_and_version(tmp_path):
    f = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    with NpyAppendArray(tmp_path / "f.npy") as w:
        w.append(f)
        assert w.fortran_order and w.shape == (3, 4) and w.version == (1, 0)
        w.append(np.ones((3, 2)))  # C order: reordered into the Fortran file
    got = np.load(tmp_path / "f.npy")
    assert got.flags.f_contiguous and np.array_equal(got, np.hstack([f, np.ones((3, 2))]))
    # The file is what np.save writes for the final array, byte for byte.
    np.save(tmp_path / "ref.npy", got)
    assert (tmp_path / "f.npy").read_bytes() == (tmp_path / "ref.npy").read_bytes()
    # 1-d and non-contiguous arrays start C-order files.
    with NpyAppendArray(tmp_path / "c.npy") as w:
        w.append(np.arange(20.0).reshape(4, 5)[:, ::2])
        assert not w.fortran_order and w.shape == (4, 3)


def test_attributes_appear_with_the_file(npy):
    w = NpyAppendArray(npy)
    assert w.filename == npy
    for attr in ("shape", "dtype", "fortran_order"):
        with pytest.raises(AttributeError):
            getattr(w, attr)
    w.update_header()  # nothing to do yet
    w.append(np.zeros((1, 2), dtype="<i4"))
    assert (w.shape, w.dtype, w.fortran_order) == ((1, 2), np.dtype("<i4"), False)
    w.close()
    w.close()
    assert w.shape == (1, 2) and w.closed
    with pytest.raises(npy_append.Error, match="closed"):
        w.append(np.zeros((1, 2), dtype="<i4"))


def test_path_types(tmp_path):
    for name in [str(tmp_path / "s.npy"), tmp_path / "p.npy", bytes(tmp_path / "b.npy")]:
        with NpyAppendArray(name) as w:
            w.append(np.arange(3))
        assert np.array_equal(npy_append.load(name), np.arange(3))
        assert npy_append.is_appendable(name) and not npy_append.needs_recovery(name)


def test_delete_if_exists(npy):
    np.save(npy, np.zeros((2, 5)))
    with NpyAppendArray(npy, delete_if_exists=True) as w:
        w.append(np.ones((1, 3), dtype="u1"))
    assert np.load(npy).shape == (1, 3)


def test_closing_on_del_and_gc(npy):
    w = NpyAppendArray(npy, rewrite_header_on_append=False)
    w.append(np.arange(6).reshape(3, 2))
    w.append(np.arange(6).reshape(3, 2))
    del w
    gc.collect()
    assert np.load(npy).shape == (6, 2)
    # The lock went with it.
    with NpyAppendArray(npy) as w:
        w.append(np.arange(2).reshape(1, 2))


def test_rewrite_header_on_append(npy):
    """True: the file is complete after every append. False: rows are buffered and
    the header is rewritten by update_header, sync and close."""
    with NpyAppendArray(npy, rewrite_header_on_append=True) as w:
        for i in range(3):
            w.append(np.full((1, 4), i))
            assert np.load(npy).shape == (i + 1, 4)
    with NpyAppendArray(npy, rewrite_header_on_append=False) as w:
        w.append(np.full((2, 4), 9))
        assert np.load(npy).shape == (3, 4)
        w.update_header()
        assert np.load(npy).shape == (5, 4)
        w.append(np.full((1, 4), 9))
        w.sync()
        assert np.load(npy).shape == (6, 4)
    with NpyAppendArray(npy, rewrite_header_on_append=False, buffer_bytes=0) as w:
        w.append(np.full((1, 4), 7))
        assert npy_append.needs_recovery(npy)  # written, not counted yet
    assert np.load(npy).shape == (7, 4)


@pytest.mark.parametrize("durability", ["none", "synced"])
def test_durability(npy, durability):
    with NpyAppendArray(npy, durability=durability) as w:
        w.append(np.arange(8).reshape(2, 4))
        w.sync()
        w.append(np.arange(8).reshape(2, 4))
    assert np.load(npy).shape == (4, 4)


def test_bad_options(npy):
    for kwargs in [dict(durability="always"), dict(casting="sometimes"), dict(version=5),
                   dict(version=1.0), dict(buffer_bytes=-1)]:
        with pytest.raises(ValueError):
            NpyAppendArray(npy, **kwargs)
    assert not npy.exists()
    with pytest.raises(TypeError):
        NpyAppendArray(npy, False, True, "synced")  # the options are keyword-only


def test_version_of_an_existing_file(npy):
    np.save(npy, np.zeros(3))
    with NpyAppendArray(npy, version=(1, 0)) as w:
        w.append(np.ones(2))
    with pytest.raises(npy_append.Error, match=r"convert\(filename, 4\)") as err:
        NpyAppendArray(npy, version=4)
    assert err.value.kind == "version"
    with NpyAppendArray(npy) as w:  # the failed open let the file go
        assert w.shape == (5,)


def test_versions_and_convert(npy):
    for v in (1, 2, 3, 4):
        with NpyAppendArray(npy, delete_if_exists=True, version=v) as w:
            w.append(np.arange(6).reshape(2, 3))
            assert w.version == (v, 0)
        assert npy_append.header(npy)["version"] == f"{v}.0"
        assert np.array_equal(npy_append.load(npy), np.arange(6).reshape(2, 3))
    assert npy_append.convert(npy, 2)["to"] == "2.0"
    assert np.load(npy).shape == (2, 3)
    assert npy_append.convert(npy, "4.0")["to"] == "4.0"
    with pytest.raises(ValueError, match="version"):
        np.load(npy)
    done = npy_append.finalize(npy)
    assert (done["from"], done["to"], done["shape"]) == ("4.0", "1.0", (2, 3))
    same_array(npy_append.load(npy), np.load(npy))


def test_v4_load_sees_rows_appended_since(npy):
    with NpyAppendArray(npy, version=4, buffer_bytes=0) as w:
        w.append(np.arange(6, dtype="<i4").reshape(2, 3))
        first = npy_append.load(npy, mmap_mode="r")
        w.append(np.arange(6, 12, dtype="<i4").reshape(2, 3))
        second = npy_append.load(npy)
        assert first.shape == (2, 3) and second.shape == (4, 3)
        assert np.array_equal(second, np.arange(12).reshape(4, 3))
        # A partial row (an append in progress) is left out.
        with open(npy, "ab") as f:
            f.write(b"\x01\x02\x03\x04\x05")
        assert npy_append.load(npy).shape == (4, 3)
        assert npy_append.load(npy, mmap_mode="r").shape == (4, 3)
    with pytest.raises(npy_append.Error, match="recover") as err:
        NpyAppendArray(npy)
    assert err.value.kind == "needs_recovery"


def test_v4_fortran_and_file_objects(tmp_path):
    path = tmp_path / "f4.npy"
    f = np.asfortranarray(np.arange(12, dtype=">f8").reshape(3, 4))
    with NpyAppendArray(path, version=4) as w:
        w.append(f)
        w.append(f)
    got = npy_append.load(path)
    assert got.flags.f_contiguous and np.array_equal(got, np.hstack([f, f]))
    with open(path, "rb") as fp:
        same_array(npy_append.load(fp), got)
    with open(path, "rb") as fp, pytest.raises(ValueError, match="Memmap"):
        npy_append.load(fp, mmap_mode="r")
    # Formats 1.0-3.0 from a file object: np.load, one array after another.
    with open(tmp_path / "two.npy", "wb") as fp:
        np.save(fp, np.arange(3))
        np.save(fp, np.arange(4.0))
    with open(tmp_path / "two.npy", "rb") as fp:
        assert np.array_equal(npy_append.load(fp), np.arange(3))
        assert np.array_equal(npy_append.load(fp), np.arange(4.0))


def test_load_delegates_archives_and_pickles(tmp_path):
    np.savez(tmp_path / "z.npz", a=np.arange(3))
    with npy_append.load(tmp_path / "z.npz") as z:
        assert np.array_equal(z["a"], np.arange(3))
    np.save(tmp_path / "o.npy", np.array([1, "a"], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle"):
        npy_append.load(tmp_path / "o.npy")
    got = npy_append.load(tmp_path / "o.npy", allow_pickle=True)
    assert list(got) == [1, "a"]


def test_header(npy):
    with NpyAppendArray(npy, version=4) as w:
        w.append(np.zeros((2, 3), dtype=[("a", "<i2"), ("b", "|S2")]))
    h = npy_append.header(npy)
    assert h["descr"] == [["a", "<i2"], ["b", "|S2"]]
    assert (h["shape"], h["header_shape"], h["open_ended"]) == ([2, 3], [-1, 3], True)
    assert h["row_bytes"] == 12 and h["trailing_bytes"] == 0 and h["warnings"] == []
    with pytest.raises(npy_append.Error, match="header_too_long|exceeds the limit") as err:
        npy_append.header(npy, max_header_size=50)
    assert err.value.kind == "header_too_long"


def test_one_object_many_threads(npy):
    """Appends from many threads: each append's rows stay together."""
    w = NpyAppendArray(npy, rewrite_header_on_append=False)
    w.append(np.zeros((0, 8), dtype="<i8"))

    def work(t):
        for i in range(200):
            w.append(np.full((1 + i % 3, 8), t * 1000 + i, dtype="<i8"))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    w.close()
    got = np.load(npy)
    assert got.shape[0] == 8 * sum(1 + i % 3 for i in range(200))
    assert np.all(got == got[:, :1])  # no row mixes two appends
    runs = np.flatnonzero(np.diff(got[:, 0])) + 1
    blocks = np.split(got[:, 0], runs)
    sizes = {}
    for b in blocks:
        sizes[int(b[0])] = sizes.get(int(b[0]), 0) + len(b)
    assert sizes == {t * 1000 + i: 1 + i % 3 for t in range(8) for i in range(200)}


def test_gil_is_released_during_io(npy):
    """Another thread runs while one thread appends a large array and syncs it."""
    big = np.ones((64, 1 << 20), dtype="u1")  # 64 MiB
    w = NpyAppendArray(npy, durability="synced")
    w.append(big[:1])
    ticks = [0]
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks[0] += 1

    t = threading.Thread(target=count)
    t.start()
    try:
        time.sleep(0.05)
        before = ticks[0]
        start = time.perf_counter()
        w.append(big)
        w.sync()
        during = ticks[0] - before
        elapsed = time.perf_counter() - start
    finally:
        stop.set()
        t.join()
        w.close()
    # With the GIL held through the write, the counter would barely move (it runs only
    # between the main thread's bytecodes); released, it counts all along.
    assert elapsed > 0.005
    assert during > 1000, (during, elapsed)


def test_docstring_examples(tmp_path, monkeypatch):
    """Every example in the package's docstrings runs and prints what it says."""
    import doctest

    monkeypatch.chdir(tmp_path)
    result = doctest.testmod(npy_append, extraglobs={"npy_append": npy_append},
                             optionflags=doctest.ELLIPSIS, report=True)
    assert result.attempted > 30
    assert result.failed == 0


def test_type_stubs_cover_the_api():
    """The stubs ship with the package (PEP 561) and name every public function."""
    import ast
    from pathlib import Path

    root = Path(npy_append.__file__).parent
    assert (root / "py.typed").exists() and (root / "_native.pyi").exists()
    stub = ast.parse((root / "__init__.pyi").read_text())
    names = {n.name for n in stub.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    assert names | {"Error"} == set(npy_append.__all__)
    native = ast.parse((root / "_native.pyi").read_text())
    native_names = {n.name for n in native.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    public = {n for n in dir(npy_append._native) if not n.startswith("_") and n.upper() != n}
    assert native_names == public
