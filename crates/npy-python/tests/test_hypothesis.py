"""Random sequences of appends (dtype, order, row shape, version, header policy,
buffer, memory layout of each array, casts) load as the concatenation of what was
appended: through `load`, and through `np.load` for formats 1.0-3.0."""

import math
import os
import tempfile

import npy_append
import numpy as np
from conftest import same_dtype
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from npy_append import NpyAppendArray
from numpy.lib import format as npformat

DTYPES = [
    "<i4", ">i2", "u1", "?", "<f8", ">f4", "<c8", ">i8", "|S3", "<U2", ">U1", "<M8[us]",
    ">m8[h]",
    np.dtype([("a", "<i2"), ("b", "|S1")]),
    np.dtype({"names": ["a", "b"], "formats": ["<u2", ">f4"], "offsets": [0, 4], "itemsize": 12}),
    np.dtype([("x", "u1"), ("y", "<i4")], align=True),
    np.dtype([("n", [("p", "<f4", (2,)), ("q", "|b1")]), ("r", ">i2", (1, 2))]),
]
# Same-kind casts the writer makes into a file of the key's dtype.
CASTS = {
    "<i4": ["<i2", ">i4", "u1", "?", "<u4", "<i8"],
    ">i8": ["<i4", "u1", "<u8"],
    "<f8": ["<f4", ">f8", "<i4", "<f2"],
    ">f4": ["<f8", "<i2"],
    "<c8": ["<f4", "<c16"],
    "|S3": ["|S1", "|S5"],
    "<U2": [">U2", "<U1", "<U4"],
    "<M8[us]": ["<M8[s]", "<M8[ns]"],
}


def changes_a_value(arr, dtype):
    """Whether casting `arr` to `dtype` changes a value beyond the rounding a narrower
    float makes, judged without NumPy's integer cast: an integer outside `dtype`'s
    range (as Python ints), a string longer than `dtype` holds, or a finite real or
    imaginary part that becomes infinite. The writer refuses exactly those appends."""
    if np.can_cast(arr.dtype, dtype, casting="safe"):
        return False
    if dtype.kind in "iu" and arr.dtype.kind in "iub":
        info = np.iinfo(dtype)
        return any(not info.min <= int(v) <= info.max for v in arr.flat)
    if dtype.kind in "fc" and arr.dtype.kind in "iufc":
        top = float(np.finfo(dtype).max)
        parts = [complex(v) for v in arr.flat]
        # Above the largest finite value by more than half its last step: infinite.
        limit = top * (1 + float(np.finfo(dtype).eps) / 4)
        return any(math.isfinite(x) and abs(x) >= limit
                   for c in parts for x in (c.real, c.imag))
    if dtype.kind in "SU" and arr.dtype.kind in "SU":
        room = dtype.itemsize // (4 if dtype.kind == "U" else 1)
        return any(len(v) > room for v in arr.flat)
    return False


def item_mask(dtype):
    """Which bytes of an item hold field data (False: padding between or after fields,
    whose contents NumPy leaves undefined when it copies a structured array)."""
    dtype = np.dtype(dtype)
    if dtype.subdtype is not None:
        base, shape = dtype.subdtype
        return np.tile(item_mask(base), int(np.prod(shape)))
    if dtype.fields is None:
        return np.ones(dtype.itemsize, dtype=bool)
    mask = np.zeros(dtype.itemsize, dtype=bool)
    for name in dtype.names:
        sub, offset = dtype.fields[name][:2]
        mask[offset:offset + sub.itemsize] |= item_mask(sub)
    return mask


def without_padding(data, dtype):
    items = np.frombuffer(data, dtype=np.uint8).reshape(-1, np.dtype(dtype).itemsize).copy()
    items[:, ~item_mask(dtype)] = 0
    return items.tobytes()


def values(rng, dtype, shape):
    """Random items of `dtype` (bool as 0 and 1; any bytes otherwise)."""
    dtype = np.dtype(dtype)
    raw = rng.integers(0, 256, size=int(np.prod(shape)) * dtype.itemsize, dtype=np.uint8)
    if dtype.kind == "b":
        raw %= 2
    if dtype.kind in "SU" or dtype.fields:
        raw[:] = rng.integers(32, 127, size=raw.size)  # printable text, no NUL surprises
    return raw.view(dtype).reshape(shape)


@st.composite
def plans(draw):
    dtype = draw(st.sampled_from(DTYPES))
    version = draw(st.sampled_from([None, 1, 2, 3, 4]))
    ndim = draw(st.integers(0, 3))
    low = 1 if version == 4 else 0  # a 4.0 file's rows must have a size
    row_shape = tuple(draw(st.lists(st.integers(low, 4), min_size=ndim, max_size=ndim)))
    fortran = ndim >= 1 and draw(st.booleans())
    appends = draw(st.lists(
        st.tuples(
            st.integers(0, 6),  # rows
            st.sampled_from(["C", "F", "strided"]),  # memory layout of the array
            st.booleans(),  # given in another dtype that is cast
        ),
        min_size=1, max_size=8))
    return dict(
        dtype=dtype, version=version, row_shape=row_shape, fortran=fortran, appends=appends,
        rewrite=draw(st.booleans()), buffer=draw(st.sampled_from([None, 0, 100, 1 << 20])),
        durability=draw(st.sampled_from(["none", "synced"])), seed=draw(st.integers(0, 2**32 - 1)),
    )


def array(rng, dtype, shape, layout):
    a = values(rng, dtype, shape)
    if layout == "F":
        return np.asfortranarray(a)
    if layout == "strided" and a.ndim >= 1:
        wide = values(rng, dtype, shape[:-1] + (shape[-1] * 2,))
        wide[..., ::2] = a
        return wide[..., ::2]
    return a


@settings(max_examples=int(os.environ.get("NPY_HYPOTHESIS_EXAMPLES", "200")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_appends_load_as_concatenation(plan):
    rng = np.random.default_rng(plan["seed"])
    dtype = np.dtype(plan["dtype"])
    file_dtype = npformat.descr_to_dtype(npformat.dtype_to_descr(dtype))
    row_shape, fortran = plan["row_shape"], plan["fortran"]
    parts = []
    for rows, layout, cast in plan["appends"]:
        shape = row_shape + (rows,) if fortran else (rows,) + row_shape
        src = dtype
        if cast and plan["dtype"] in CASTS and parts:
            src = np.dtype(CASTS[plan["dtype"]][rng.integers(len(CASTS[plan["dtype"]]))])
        parts.append(array(rng, src, shape, "F" if fortran and not parts else layout))
    first = parts[0]
    actual_fortran = bool(first.flags.f_contiguous and not first.flags.c_contiguous)
    # The first array decides the order; a degenerate shape (a dimension of 1, or one
    # item) is both C- and F-contiguous and starts a C-order file.
    assume(actual_fortran == fortran)
    order = "F" if fortran else "C"

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "h.npy")
        w = NpyAppendArray(path, rewrite_header_on_append=plan["rewrite"], version=plan["version"],
                           buffer_bytes=plan["buffer"], durability=plan["durability"])
        with np.errstate(all="ignore"):  # same-kind casts may overflow
            appended = []
            for p in parts:
                try:
                    w.append(p)
                    appended.append(p)
                except npy_append.Error as e:
                    assert e.kind == "cast_changes_values", e
                assert (p is appended[-1]) != changes_a_value(p, file_dtype)
            w.close()
            parts = appended
            # Arrays of the file's dtype are appended byte for byte, others as NumPy
            # casts them; padding bytes are not compared.
            expected = without_padding(b"".join(
                (p if p.dtype == file_dtype else p.astype(file_dtype)).tobytes(order=order)
                for p in parts), file_dtype)
        total = sum(p.shape[-1 if fortran else 0] for p in parts)
        shape = row_shape + (total,) if fortran else (total,) + row_shape

        for mmap_mode in (None, "r"):
            got = npy_append.load(path, mmap_mode=mmap_mode)
            assert same_dtype(got.dtype, file_dtype)
            assert got.shape == shape
            assert without_padding(got.tobytes(order=order), file_dtype) == expected
            if got.ndim >= 2 and got.size > 1:
                assert got.flags.f_contiguous if fortran else got.flags.c_contiguous
            del got
        info = npy_append.header(path)
        expected_version = plan["version"] or 1
        assert info["version"] == f"{expected_version}.0"
        assert info["open_ended"] == (plan["version"] == 4)
        if plan["version"] != 4:
            ref = np.load(path)
            assert ref.shape == shape
            assert without_padding(ref.tobytes(order=order), file_dtype) == expected
            # Byte-identical to np.save of the whole array in the same version.
            if plan["version"] is None:
                with open(os.path.join(d, "ref.npy"), "wb") as f:
                    np.save(f, ref)
                with open(path, "rb") as a, open(os.path.join(d, "ref.npy"), "rb") as b:
                    assert a.read() == b.read()
