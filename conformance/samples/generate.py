#!/usr/bin/env python3
"""Write the sample .npy files of this directory, and its README.md.

Run as ``python conformance/samples/generate.py`` with any Python that has NumPy
(1.24 or later, whose header layout this project matches byte for byte). The files
are written next to this script; README.md records the NumPy version that wrote them.
Everything is deterministic: no randomness, no timestamps, explicit byte orders, so
running it twice gives the same bytes.

Most files are written by ``np.save`` itself. NumPy cannot write format 4.0 (the
proposed open-ended format whose growth-axis length is ``-1``), so those headers are
built here exactly as NumPy builds a 3.0 header. One file is deliberately broken.
"""

import io
import struct
import warnings
from pathlib import Path

import numpy as np
from numpy.lib import format as npformat

HERE = Path(__file__).resolve().parent

MAGIC = b"\x93NUMPY"
ARRAY_ALIGN = 64
GROWTH_AXIS_MAX_DIGITS = 21

# (file name, what it shows, who wrote it). Filled in by the functions below, in order.
SAMPLES = []


def save(name, arr, what):
    """np.save into the file, with NumPy's own choice of version."""
    with warnings.catch_warnings():
        # np.save warns when it has to use format 3.0 (non-latin-1 field names).
        warnings.simplefilter("ignore", UserWarning)
        buf = io.BytesIO()
        np.save(buf, arr, allow_pickle=False)
    write(name, buf.getvalue(), what, "np.save")


def write(name, data, what, how):
    (HERE / name).write_bytes(data)
    SAMPLES.append((name, what, how))


def header_v4(dtype, fortran_order, shape):
    """A format-4.0 header (magic to newline) as NumPy's _write_array_header and
    _wrap_header would build a 3.0 one: the dict with sorted keys, the spare
    growth-axis spaces (21 - len of the growth-axis entry), UTF-8, padded with
    spaces so the data starts on a multiple of 64 (never padded by zero), newline.

    ``shape`` holds -1 on the growth axis (axis 0 in C order, the last in Fortran).
    """
    d = {
        "descr": npformat.dtype_to_descr(np.dtype(dtype)),
        "fortran_order": fortran_order,
        "shape": tuple(shape),
    }
    text = "{"
    for key, value in sorted(d.items()):
        text += "'%s': %s, " % (key, repr(value))
    text += "}"
    growth = shape[-1] if fortran_order else shape[0]
    text += " " * (GROWTH_AXIS_MAX_DIGITS - len(repr(growth)))
    body = text.encode("utf8")
    hlen = len(body) + 1
    padlen = ARRAY_ALIGN - ((len(MAGIC) + 2 + 4 + hlen) % ARRAY_ALIGN)
    return MAGIC + bytes([4, 0]) + struct.pack("<I", hlen + padlen) + body + b" " * padlen + b"\n"


def main():
    # 1. The common case: C order, little-endian float64, 2-D.
    save(
        "c_order_f8_2d.npy",
        (np.arange(12, dtype="<f8") / 4).reshape(3, 4),
        "C-order `<f8`, shape (3, 4): the most common file",
    )

    # 2. Fortran order, big-endian int16.
    save(
        "fortran_be_i2.npy",
        np.asfortranarray(np.arange(-3, 3, dtype=">i2").reshape(2, 3)),
        "Fortran-order (`fortran_order: True`) big-endian `>i2`, shape (2, 3)",
    )

    # 3. Structured: a titled field, a nested struct, a subarray field and a subarray
    #    field whose base is itself a subarray (NumPy keeps it nested in the descr).
    point = np.dtype([("x", "<f4"), ("y", "<f4")])
    nested = np.dtype(
        [
            (("Identifier", "id"), "<u4"),
            ("pos", point),
            ("samples", "<i2", (2, 3)),
            ("grid", ("<u1", (2,)), (3,)),
            ("tag", "S4"),
        ]
    )
    arr = np.zeros(2, dtype=nested)
    arr["id"] = [7, 8]
    arr["pos"]["x"] = [1.5, -2.0]
    arr["pos"]["y"] = [0.25, 4.0]
    arr["samples"] = np.arange(12, dtype="<i2").reshape(2, 2, 3)
    arr["grid"] = np.arange(12, dtype="u1").reshape(2, 3, 2)
    arr["tag"] = [b"ab", b"wxyz"]
    save(
        "structured_nested.npy",
        arr,
        "structured: a titled field `('Identifier', 'id')`, a nested struct, "
        "a `(2, 3)` subarray field, a subarray of a subarray, `|S4`; shape (2,)",
    )

    # 4. Padded structured dtype: explicit offsets leave gaps between fields and at
    #    the end, which the descr records as ('', '|Vn') entries.
    padded = np.dtype(
        {
            "names": ["a", "b", "c"],
            "formats": ["<i4", "<f8", "u1"],
            "offsets": [0, 8, 16],
            "itemsize": 24,
        }
    )
    arr = np.zeros(3, dtype=padded)
    arr["a"] = [1, 2, 3]
    arr["b"] = [0.5, 1.5, 2.5]
    arr["c"] = [10, 20, 30]
    save(
        "structured_padded.npy",
        arr,
        "structured with explicit offsets (0, 8, 16) and itemsize 24: "
        "padding `('', '|V4')` between fields and `('', '|V7')` at the end; shape (3,)",
    )

    # 5. Format 3.0: np.save switches to UTF-8 when a field name is not latin-1.
    arr = np.array([(21.5, 3), (22.0, 4)], dtype=[("温度", "<f8"), ("湿度", "<i4")])
    save(
        "v3_utf8_field_names.npy",
        arr,
        "format 3.0 (UTF-8 header): field names `温度` and `湿度`, which latin-1 cannot hold; "
        "shape (2,)",
    )

    # 6. A 0-d array: shape ().
    save("scalar_0d.npy", np.array(3.25, dtype="<f8"), "0-d array, shape `()`, one `<f8` item")

    # 7. An empty array: no data bytes at all.
    save(
        "empty_0x5.npy",
        np.zeros((0, 5), dtype="<f4"),
        "empty array, shape (0, 5), `<f4`: no data bytes",
    )

    # 8. Fixed-length Unicode strings (UCS-4, 4 bytes per character).
    save(
        "unicode_u5.npy",
        np.array(["alpha", "beta", "", "μ"], dtype="<U5"),
        "`<U5` strings (20 bytes per item), shape (4,)",
    )

    # 9. datetime64 with a unit.
    save(
        "datetime_ns.npy",
        np.array(["2024-01-01T00:00:00", "2024-02-29T12:30:00.000000001", "NaT"], dtype="<M8[ns]"),
        "`<M8[ns]` datetimes including `NaT`, shape (3,)",
    )

    # 10. bool.
    save(
        "bool_2x3.npy",
        np.array([[True, False, True], [False, False, True]]),
        "`|b1` bool, shape (2, 3)",
    )

    # 11. Format 4.0, open-ended, whole rows: 4 rows of 3 float64.
    data = (np.arange(12, dtype="<f8") * 1.5).tobytes()
    write(
        "v4_open_whole_rows.npy",
        header_v4("<f8", False, (-1, 3)) + data,
        "format 4.0, `<f8`, header shape `(-1, 3)`; 96 data bytes = 4 whole rows, so shape (4, 3)",
        "this script (4.0 header built as NumPy builds 3.0)",
    )

    # 12. Format 4.0, open-ended, with a partial trailing row (a writer mid-append):
    #     2 whole rows of 3 int32 and 5 bytes of a third.
    data = np.arange(9, dtype="<i4").tobytes()[: 2 * 12 + 5]
    write(
        "v4_open_partial_row.npy",
        header_v4("<i4", False, (-1, 3)) + data,
        "format 4.0, `<i4`, header shape `(-1, 3)`; 29 data bytes = 2 whole rows + 5 bytes "
        "of a partial row: valid, with a warning; shape (2, 3)",
        "this script (4.0 header built as NumPy builds 3.0)",
    )

    # 13. Broken: a 1.0 file whose data is shorter than its shape needs (the last row
    #     of a (4, 4) float64 array cut off, as by an interrupted copy).
    buf = io.BytesIO()
    np.save(buf, np.arange(16, dtype="<f8").reshape(4, 4))
    full = buf.getvalue()
    write(
        "broken_v1_short_data.npy",
        full[: len(full) - 32],
        "**broken**: format 1.0, `<f8`, shape (4, 4) needs 128 data bytes but the file has 96; "
        "readers must refuse it",
        "np.save, then truncated by this script",
    )

    write_readme()


def write_readme():
    lines = [
        "# Sample `.npy` files",
        "",
        "Small files that show the variety of the `.npy` format, for trying the `npy` tool",
        "(`cargo run -p npy-cli -- validate conformance/samples`) and for its tests.",
        "",
        "Generated by [`generate.py`](generate.py); do not edit the files by hand. To",
        "regenerate (any Python with NumPy 1.24 or later; the output is deterministic):",
        "",
        "```sh",
        "python conformance/samples/generate.py",
        "```",
        "",
        "Files written by `np.save` were written by NumPy %s. NumPy cannot write format 4.0"
        % np.__version__,
        "(the proposed open-ended format), so the script builds those headers itself, the",
        "same way NumPy builds a 3.0 header.",
        "",
        "| file | what it shows | written by |",
        "|---|---|---|",
    ]
    for name, what, how in SAMPLES:
        if how == "np.save":
            how = "NumPy %s `np.save`" % np.__version__
        elif how.startswith("np.save"):
            how = "NumPy %s `np.save`%s" % (np.__version__, how[len("np.save"):])
        # GitHub tables split cells on "|" even inside code spans; escape it.
        cells = [c.replace("|", "\\|") for c in ("`%s`" % name, what, how)]
        lines.append("| %s | %s | %s |" % tuple(cells))
    lines.append("")
    (HERE / "README.md").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
