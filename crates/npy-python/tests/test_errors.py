"""Each refusal raises with a message that says what to do, and leaves the file as it
was, byte for byte."""


import warnings

import npy_append
import numpy as np
import pytest
from conftest import file_bytes, run_python
from npy_append import NpyAppendArray


@pytest.fixture
def existing(npy):
    """A file of float64 rows of 3, written by np.save."""
    np.save(npy, np.arange(6.0).reshape(2, 3))
    return npy


def refused(path, action, kind, *phrases):
    before = file_bytes(path)
    with pytest.raises(npy_append.Error) as err:
        action()
    assert err.value.kind == kind, err.value
    for p in phrases:
        assert p in str(err.value), (p, str(err.value))
    assert file_bytes(path) == before
    return err.value


def test_shape_mismatch_names_both_shapes_and_the_old_file(existing):
    w = NpyAppendArray(existing)
    refused(existing, lambda: w.append(np.zeros((2, 4))), "shape_mismatch",
            "shape (2, 4)", "shape (2, 3)", "first axis", "existed before",
            "delete_if_exists=True")
    refused(existing, lambda: w.append(np.zeros(3)), "shape_mismatch", "shape (3,)")
    w.close()
    assert np.load(existing).shape == (2, 3)


def test_shape_mismatch_of_a_new_file_does_not_blame_an_old_one(npy):
    with NpyAppendArray(npy) as w:
        w.append(np.zeros((1, 3)))
        err = refused(npy, lambda: w.append(np.zeros((1, 2))), "shape_mismatch",
                      "shape (1, 2)", "shape (1, 3)")
        assert "existed" not in str(err)


def test_fortran_shape_mismatch(npy):
    with NpyAppendArray(npy) as w:
        w.append(np.asfortranarray(np.zeros((2, 3))))
        refused(npy, lambda: w.append(np.zeros((3, 3))), "shape_mismatch", "last axis")


def test_unsafe_cast_says_how_to_allow_it(npy):
    with NpyAppendArray(npy) as w:
        w.append(np.array([1, 2], dtype="<i4"))
        refused(npy, lambda: w.append(np.array([1.9, -2.7, 1e20])), "dtype_mismatch",
                "float64", "int32", "casting='unsafe'")
        refused(npy, lambda: w.append(np.array(["x"])), "dtype_mismatch", "casting='unsafe'")
        w.append(np.array([3, 4], dtype="<i2"))  # safe: converted
        w.append(np.array([5], dtype=">i4"))  # other byte order: converted
    assert np.load(npy).tolist() == [1, 2, 3, 4, 5]
    with NpyAppendArray(npy, casting="unsafe") as w:  # npy-append-array's behaviour
        with np.errstate(invalid="ignore"):
            w.append(np.array([1.9, -2.7, 1e20]))
    assert np.load(npy).tolist()[5:7] == [1, -2]
    with NpyAppendArray(npy, casting="no") as w:
        refused(npy, lambda: w.append(np.array([1], dtype="<i2")), "dtype_mismatch",
                "casting='no'")


def test_a_narrowing_cast_never_changes_a_value(npy):
    """same_kind converts int64 to int32 and float64 to float32, as NumPy does, but a
    value that would wrap or overflow to infinity is refused, not written."""
    with NpyAppendArray(npy) as w:
        w.append(np.zeros((1, 2), dtype="<i4"))
        w.append(np.array([[7, -8]]))  # int64 that fits: converted
        refused(npy, lambda: w.append(np.array([[2**32 + 5, 3]])), "cast_changes_values",
                "int64", "int32", "4294967301", "index (0, 0)", "casting='unsafe'")
        refused(npy, lambda: w.append(np.array([[1, 2]], dtype="<u8") + 2**63),
                "cast_changes_values", "uint64")
    assert np.load(npy).tolist() == [[0, 0], [7, -8]]
    f4 = npy.with_name("f4.npy")
    with NpyAppendArray(f4) as w:
        w.append(np.zeros(1, dtype="<f4"))
        w.append(np.array([0.1, np.inf, -np.inf, np.nan]))  # rounded; inf stays inf
        with np.errstate(over="ignore"):
            refused(f4, lambda: w.append(np.array([1.0, 1e300])), "cast_changes_values",
                    "1e+300", "index (1,)", "inf")
    got = np.load(f4)
    assert got.dtype == np.float32 and got[1] == np.float32(0.1) and np.isinf(got[2:4]).all()
    with NpyAppendArray(f4, casting="unsafe") as w, np.errstate(over="ignore"):
        w.append(np.array([1e300]))  # npy-append-array's behaviour
    assert np.isinf(np.load(f4)[-1])


@pytest.mark.parametrize(("file", "fits", "does_not_fit", "shown"), [
    # Same width, other signedness: the round trip alone would not see the wrap.
    (np.array([1], dtype="i1"), np.array([100], dtype="u1"), np.array([200], dtype="u1"),
     "200"),
    (np.array([1], dtype="<i8"), np.array([7], dtype="<u8"),
     np.array([2**63], dtype="<u8"), "9223372036854775808"),
    # A string cut short.
    (np.array([b"abc"], dtype="S3"), np.array([b"xy"], dtype="S5"),
     np.array([b"hello"], dtype="S5"), "hello"),
    (np.array(["ab"], dtype="<U2"), np.array(["x"], dtype="<U4"),
     np.array(["wxyz"], dtype="<U4"), "wxyz"),
    # A field of a structured array, matched by position as NumPy casts it.
    (np.zeros(1, dtype=[("a", "<i4"), ("b", "<f4")]),
     np.array([(5, 1.5)], dtype=[("a", "<i8"), ("b", "<f8")]),
     np.array([(2**40, 1.5)], dtype=[("x", "<i8"), ("y", "<f8")]), "1099511627776"),
    # One part of a complex number overflowing.
    (np.zeros(1, dtype="<c8"), np.array([1 + 2j]), np.array([complex(1e300, np.inf)]),
     "1e+300"),
])
def test_same_kind_refuses_each_way_a_value_can_change(npy, file, fits, does_not_fit, shown):
    with NpyAppendArray(npy) as w:
        w.append(file)
        w.append(fits)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no NumPy warning before the error
            refused(npy, lambda: w.append(does_not_fit), "cast_changes_values", shown,
                    "index (0,)", "casting='unsafe'")
    got = np.load(npy)
    assert len(got) == 2 and got[1] == fits.astype(got.dtype)[0]


def test_object_arrays(npy):
    w = NpyAppendArray(npy)
    with pytest.raises(npy_append.Error, match="Python objects.*fixed-size dtype") as err:
        w.append(np.array(["a", 1], dtype=object))
    assert err.value.kind == "object_dtype" and not npy.exists()
    w.append(np.array(["a", "bc"]))
    refused(npy, lambda: w.append(np.array(["d"], dtype=object)), "object_dtype",
            "fixed-size dtype")
    w.close()
    np.save(npy, np.array([{}, None], dtype=object))
    refused(npy, lambda: NpyAppendArray(npy), "object_dtype", "Python objects")


def test_zero_d_first_array(npy):
    with pytest.raises(npy_append.Error, match=r"reshape\(1\)"):
        NpyAppendArray(npy).append(np.float64(1.0))
    assert not npy.exists()
    np.save(npy, np.float64(1.0))
    refused(npy, lambda: NpyAppendArray(npy), "no_growth_axis", "0-d")


def test_not_appendable(npy):
    # A header as NumPy before 1.24 wrote it, its text filling the 128 bytes: no room
    # for a longer count.
    def text(n):
        return "{'descr': [('%s', '<i2')], 'fortran_order': False, 'shape': (3,), }" % ("x" * n)

    header = b"\x93NUMPY\x01\x00" + (118).to_bytes(2, "little") + text(117 - len(text(0))).encode()
    npy.write_bytes(header + b"\n" + np.arange(3, dtype="<i2").tobytes())
    assert npy_append.is_appendable(npy) is False
    refused(npy, lambda: NpyAppendArray(npy), "not_appendable", "ensure_appendable")
    npy_append.ensure_appendable(npy)
    with NpyAppendArray(npy) as w:
        w.append(np.array([(3,)], dtype=w.dtype))
    assert np.load(npy)[w.dtype.names[0]].tolist() == [0, 1, 2, 3]


def test_needs_recovery(existing):
    with open(existing, "ab") as f:
        f.write(b"\0" * 30)  # one whole row and 6 bytes of another
    assert npy_append.needs_recovery(existing)
    refused(existing, lambda: NpyAppendArray(existing), "needs_recovery", "recover")
    npy_append.recover(existing)
    assert np.load(existing).shape == (3, 3)
    assert not npy_append.needs_recovery(existing)


def test_recover_a_torn_header_from_a_template(existing, tmp_path):
    """A header that does not parse is refused, saying to pass a template; like= takes
    another file's header, and the row count from the file size."""
    template = tmp_path / "template.npy"
    np.save(template, np.zeros((0, 3)))
    data = bytearray(file_bytes(existing))
    data[30] = ord("@")  # inside 'fortran_order'
    existing.write_bytes(bytes(data + b"\0" * 24))  # and one more row
    refused(existing, lambda: npy_append.recover(existing), "unrecoverable", "template")
    assert npy_append.recover(existing, like=template)
    assert np.load(existing).tolist() == [[0, 1, 2], [3, 4, 5], [0, 0, 0]]


def test_recover_counted_keeps_only_the_rows_the_header_counts(existing):
    with open(existing, "ab") as f:
        f.write(b"\xff" * 30)  # after a power loss: bytes that may be garbage
    npy_append.recover(existing, counted=True)
    assert np.load(existing).tolist() == [[0, 1, 2], [3, 4, 5]]
    assert not npy_append.needs_recovery(existing)


def test_locked_by_another_object_and_another_process(existing):
    with NpyAppendArray(existing) as w:
        w.append(np.ones((1, 3)))
        before = file_bytes(existing)
        refused(existing, lambda: NpyAppendArray(existing).append(np.ones((1, 3))), "locked",
                "let it finish or close it first")
        code = (
            "import sys, numpy as np, npy_append\n"
            "try:\n"
            "    npy_append.NpyAppendArray(sys.argv[1]).append(np.ones((1, 3)))\n"
            "except npy_append.Error as e:\n"
            "    print(e.kind, e, sep='|')\n"
        )
        out = run_python(code, existing)
        assert out.returncode == 0, out.stderr
        kind, message = out.stdout.strip().split("|", 1)
        assert kind == "locked" and "close it first" in message
        for op in ("recover", "ensure_appendable", "finalize"):
            out = run_python("import sys, npy_append\n"
                             "try:\n"
                             f"    npy_append.{op}(sys.argv[1])\n"
                             "except npy_append.Error as e:\n"
                             "    print(e.kind)\n", existing)
            assert out.stdout.strip() == "locked", (op, out.stdout, out.stderr)
        assert file_bytes(existing) == before
    # Released on close: the other process can append now.
    out = run_python("import sys, numpy as np, npy_append\n"
                     "npy_append.NpyAppendArray(sys.argv[1]).append(np.ones((1, 3)))\n", existing)
    assert out.returncode == 0, out.stderr
    assert np.load(existing).shape == (4, 3)


def test_io_errors_are_oserrors(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        npy_append.is_appendable(tmp_path / "missing.npy")
    assert err.value.kind == "io" and err.value.filename == str(tmp_path / "missing.npy")
    # The errno once, as Python prints it: "[Errno 2] cannot open the file: No such
    # file or directory: '...'".
    assert "os error" not in str(err.value), str(err.value)
    assert str(err.value).startswith("[Errno 2] cannot open the file: No such file")
    with pytest.raises(FileNotFoundError):
        npy_append.load(tmp_path / "missing.npy")
    with pytest.raises(FileNotFoundError):
        npy_append.recover(tmp_path / "missing.npy")
    with pytest.raises(OSError):
        NpyAppendArray(tmp_path / "no-dir" / "a.npy").append(np.zeros(2))


def test_invalid_header(npy):
    npy.write_bytes(b"\x93NUMPY\x01\x00\x10\x00{'descr': 1}   \n")
    for f in (npy_append.load, npy_append.header, npy_append.is_appendable,
              npy_append.needs_recovery):
        with pytest.raises(npy_append.Error) as err:
            f(npy)
        assert str(npy) in str(err.value) and err.value.offset is not None
    refused(npy, lambda: NpyAppendArray(npy), "missing_key", "not valid")


def test_finalize_refuses_other_versions(existing):
    refused(existing, lambda: npy_append.finalize(existing), "version")
