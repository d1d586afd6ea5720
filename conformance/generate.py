#!/usr/bin/env python3
"""Write the conformance corpus: conformance/corpus/**.npy and conformance/manifest.json.

Run from anywhere, with the Python that has the NumPy pinned in
requirements-oracle.txt (``cargo xtask setup`` creates it):

    .venv/bin/python conformance/generate.py            # rewrite the committed corpus
    .venv/bin/python conformance/generate.py --out DIR  # write a fresh copy into DIR

The cases are data: conformance/cases/*.toml, read in the order of PARTS below, each
file's cases in file order (conformance/README.md, "The cases", describes the keys).
Every case states its expected verdict (accept, accept-with-warning, reject), the
requirement ids of spec/npy-format.md it exercises and, for accepted files, what a
reader must report: version, descr, fortran_order, resolved shape and the SHA-256 of
the data bytes. The expectations are written by hand (or, for files NumPy writes,
taken from the array that was saved); they are then checked against NumPy through
adapters/numpy_adapter.py, and the script stops if NumPy disagrees with a case
without the disagreement being declared as a known difference (a deliberate
difference of the spec's section 12, or NumPy's refusal of version 4.0).

The output is deterministic: no randomness, no timestamps, explicit byte orders;
running the script twice gives the same bytes.
"""

import argparse
import ast
import hashlib
import io
import json
import re
import shutil
import struct
import sys
import tomllib
import warnings
from pathlib import Path

import numpy as np
from numpy.lib import format as npformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SPEC = ROOT / "spec" / "npy-format.md"
CASES_DIR = HERE / "cases"
sys.path.insert(0, str(HERE / "adapters"))
import numpy_adapter  # noqa: E402  (the adapter doubles as the generator's check)

# The case files, in corpus order.
PARTS = [
    "numpy_basic", "numpy_kinds", "numpy_shapes", "numpy_structured", "numpy_versions",
    "numpy_test_data", "header_text", "type_strings", "descr", "header_dict", "framing",
    "limits", "format_4", "append", "writer", "case_traps",
]

DEFAULT_MAX_HEADER_LEN = 10000
MAGIC = b"\x93NUMPY"
ACCEPT, WARN, MAY_WARN, REJECT = "accept", "accept-with-warning", "accept-may-warn", "reject"
DIRS = {ACCEPT: "accept", WARN: "warn", MAY_WARN: "accept", REJECT: "reject"}

CASES = []
NAMES = set()


# --- building blocks ---------------------------------------------------------------


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def pattern(n, seed=0):
    """n deterministic bytes that are not all alike (data for hand-made files)."""
    return bytes((i * 131 + 7 + seed * 17) % 251 for i in range(n))


def bools(n):
    return bytes((i * 7 + 3) % 3 == 0 for i in range(n))


def preamble(version, hlen):
    major, minor = version
    if (major, minor) == (1, 0):
        return MAGIC + bytes([1, 0]) + struct.pack("<H", hlen)
    return MAGIC + bytes([major, minor]) + struct.pack("<I", hlen)


def encode(version, text, encoding=None):
    if isinstance(text, bytes):
        return text
    return text.encode(encoding or ("latin1" if version[0] < 3 else "utf8"))


def raw_file(version, text, data=b"", encoding=None):
    """A file whose header text is exactly `text` (str or bytes), no padding added."""
    text = encode(version, text, encoding)
    return preamble(version, len(text)) + text + data


def padded_file(version, text, data=b"", encoding=None):
    """A file whose header text is `text` padded with spaces and a newline so that the
    data starts on a multiple of 64, as NumPy pads (never by zero bytes)."""
    text = encode(version, text, encoding)
    pre = 10 if version == (1, 0) else 12
    hlen = len(text) + 1
    pad = 64 - ((pre + hlen) % 64)
    return preamble(version, hlen + pad) + text + b" " * pad + b"\n" + data


def hdr(descr="'<f8'", fortran="False", shape="()"):
    """A header dict in NumPy's key order with the given Python-literal values (W-1)."""
    return "{'descr': %s, 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape)


def saved(arr, version=None, allow_pickle=False):
    """What NumPy writes for `arr` (np.save, or write_array for a given version)."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        if version is None:
            np.save(buf, arr, allow_pickle=allow_pickle)
        else:
            npformat.write_array(buf, arr, version=version, allow_pickle=allow_pickle)
    return buf.getvalue()


def to_json(descr):
    """NumPy's descr (str or list of tuples) with tuples as lists: `npy inspect --json`."""
    if isinstance(descr, (list, tuple)):
        return [to_json(x) for x in descr]
    return descr


def from_json(descr):
    """The descr as NumPy's descr_to_dtype takes it, from its JSON form (`to_json`): a
    type string, a (type, shape) pair such as ["|u1", [2]], or a list of fields, each
    [name, type] or [name, type, shape], with a name or a [title, name] pair."""
    if isinstance(descr, str):
        return descr
    if len(descr) == 2 and isinstance(descr[1], list) and all(type(d) is int for d in descr[1]):
        return (from_json(descr[0]), tuple(descr[1]))
    fields = []
    for field in descr:
        name, typ, *shape = field
        name = tuple(name) if isinstance(name, list) else name
        fields.append((name, from_json(typ), *(tuple(s) for s in shape)))
    return fields


def dtype_of(descr):
    """The dtype of a descr in its JSON form, checked to give back that very descr."""
    dtype = npformat.descr_to_dtype(from_json(descr))
    assert to_json(npformat.dtype_to_descr(dtype)) == descr, descr
    return dtype


def expected(version, dtype, fortran, shape, data):
    dtype = np.dtype(dtype)
    exp = {
        "version": "%d.%d" % version,
        "descr": to_json(npformat.dtype_to_descr(dtype)),
        "fortran_order": bool(fortran),
        "shape": [int(d) for d in shape],
        "data_sha256": sha256(data),
    }
    if fortran and not dtype.hasobject:
        # The same items in C order: what a reader that returns arrays in their logical
        # order, without an order flag, hashes (the adapter protocol's null order).
        exp["data_c_order_sha256"] = sha256(c_order(data, dtype, shape))
    return exp


def c_order(data, dtype, shape):
    """The bytes of a Fortran-order array's items, rearranged into C order."""
    n = int(np.prod(shape, dtype=object))
    if dtype.itemsize == 0 or n == 0:
        return data
    items = np.frombuffer(data, dtype=np.dtype((np.void, dtype.itemsize)), count=n)
    return items.reshape(shape, order="F").tobytes(order="C")


def file_version(b):
    return (b[6], b[7])


def header_end(b):
    """The offset of the data in a file with a valid preamble."""
    if file_version(b) == (1, 0):
        return 10 + struct.unpack("<H", b[8:10])[0]
    return 12 + struct.unpack("<I", b[8:12])[0]


def data_of(b):
    """The bytes after the header of a file with a valid preamble."""
    return b[header_end(b) :]


def slug(name):
    """A file name that no case-insensitive file system confuses with another."""
    return name.lower() + "_cap" if name != name.lower() else name


# --- the cases ---------------------------------------------------------------------


def add(name, reqs, verdict, content, what, *, expect=None, numpy=None, source="hand",
        max_header_len=None):
    """Registers one case. `numpy` is (verdict, why) when NumPy's verdict differs."""
    name = slug(name)
    assert name not in NAMES, name
    assert re.fullmatch(r"[a-z0-9_.-]+", name), name
    assert verdict in DIRS
    assert (expect is None) == (verdict == REJECT), name
    if re.search(r"(^|_)be(_|$)", name):
        # A case named big-endian must be one: NumPy's arithmetic returns native order
        # (np.arange(6, dtype=">f2") / 4 is little-endian), which once made such a case
        # a copy of its little-endian twin.
        types = type_strings(expect["descr"]) if expect else []
        assert any(t.startswith(">") for t in types), (
            "%s: named big-endian, but its descr %r has no '>' type"
            % (name, expect and expect["descr"]))
    NAMES.add(name)
    CASES.append(
        dict(
            name=name,
            reqs=list(reqs),
            verdict=verdict,
            content=bytes(content),
            what=what,
            expect=expect,
            numpy=numpy,
            source=source,
            max_header_len=max_header_len,
        )
    )


def add_saved(name, reqs, arr, what, *, version=None, verdict=ACCEPT, allow_pickle=False,
              numpy=None, source="numpy", max_header_len=None):
    """A file written by NumPy; the expectation comes from the array itself."""
    b = saved(arr, version=version, allow_pickle=allow_pickle)
    fortran = bool(arr.flags.f_contiguous and not arr.flags.c_contiguous)
    if arr.dtype.hasobject:
        data = data_of(b)
    else:
        data = arr.tobytes(order="F" if fortran else "C")
        assert data_of(b) == data, name
    exp = expected(file_version(b), arr.dtype, fortran, arr.shape, data)
    add(name, reqs, verdict, b, what, expect=exp, numpy=numpy, source=source,
        max_header_len=max_header_len)


def add_text(name, reqs, verdict, version, text, what, *, dtype=None, shape=None,
             fortran=False, data=None, pad=True, numpy=None, encoding=None,
             max_header_len=None, source="hand"):
    """A hand-made file from a header text. For accepted files `dtype` and `shape` give
    the meaning a reader must find; the data is generated to fit."""
    exp = None
    if verdict != REJECT:
        n = int(np.prod(shape, dtype=object)) * np.dtype(dtype).itemsize
        if data is None:
            data = bools(n) if np.dtype(dtype) == np.bool_ else pattern(n)
        exp = expected(version, dtype, fortran, shape, data[:n])
    elif numpy and numpy[0] == "accept":
        # NumPy reads this header: give the file the data NumPy's reading needs, so
        # that NumPy accepts the whole file, not just its header.
        bare = (padded_file if pad else raw_file)(version, text, b"", encoding)
        try:
            nshape, _, ndtype = numpy_adapter.read_header_only(
                io.BytesIO(bare), max_header_len or 1 << 20
            )
            data = pattern(int(np.prod(nshape, dtype=object)) * ndtype.itemsize)
        except Exception:  # noqa: BLE001 (the NumPy check below reports the case)
            data = data or b""
    elif data is None:
        data = b""
    build = padded_file if pad else raw_file
    add(name, reqs, verdict, build(version, text, data, encoding), what, expect=exp,
        numpy=numpy, max_header_len=max_header_len, source=source)


# --- reading the case files ----------------------------------------------------------


def version_of(text):
    major, minor = text.split(".")
    return (int(major), int(minor))


# The keys a case file may use (conformance/README.md, "The cases"): a misspelt key is an
# error, not a silent default.
CASE_KEYS = {
    "name", "requirements", "verdict", "description", "source", "numpy", "max_header_len",
    "header", "version", "pad", "encoding", "data", "expect", "array", "allow_pickle",
    "content", "recipe", "args",
}
ARRAY_KEYS = {
    "descr", "metadata", "values", "literal", "arange", "pattern", "fill", "each", "ones",
    "zeros", "shape", "transpose", "step", "fortran",
}
PART_KEYS = {
    "bytes", "header", "version", "pad", "encoding", "spare", "size", "length", "pattern",
    "seed", "array", "saved", "numpy_test_data", "from", "to",
}
EXPECT_KEYS = {"descr", "shape", "fortran_order"}


def check_keys(table, allowed, what):
    unknown = set(table) - allowed
    assert not unknown, "%s: unknown keys %s" % (what, sorted(unknown))


def build_array(spec):
    """The array an array table describes (conformance/README.md, "The cases")."""
    check_keys(spec, ARRAY_KEYS, "array %r" % spec)
    dtype = dtype_of(spec["descr"])
    if "metadata" in spec:
        dtype = np.dtype(dtype, metadata=spec["metadata"])
    shape = tuple(spec.get("shape", ()))
    if "values" in spec:
        arr = np.array(spec["values"], dtype=dtype)
    elif "literal" in spec:
        arr = np.array(ast.literal_eval(spec["literal"]), dtype=dtype)
    elif "arange" in spec:
        arr = np.arange(spec["arange"]).astype(dtype)
    elif "pattern" in spec:
        n = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if n:
            arr = np.frombuffer(pattern(n, spec["pattern"]), dtype=dtype)
        else:
            arr = np.zeros(shape, dtype)
    elif "fill" in spec:
        arr = np.full(shape, ast.literal_eval(spec["fill"]), dtype=dtype)
    elif "each" in spec:
        arr = np.zeros(len(spec["each"]), dtype)
        for i, value in enumerate(spec["each"]):
            arr[i] = value
    elif spec.get("ones"):
        arr = np.ones(shape, dtype)
    else:
        assert spec.get("zeros"), spec
        arr = np.zeros(shape, dtype)
    if shape and arr.shape != shape:
        arr = arr.reshape(shape)
    if spec.get("transpose") is True:
        arr = arr.T
    elif "transpose" in spec:
        arr = arr.transpose(spec["transpose"])
    if "step" in spec:
        arr = arr[tuple(slice(None, None, s) for s in spec["step"])]
    if spec.get("fortran"):
        arr = np.asfortranarray(arr)
    return arr


def build_header(part):
    """A file holding only a header, from a header table of a case's content."""
    version = version_of(part.get("version", "1.0"))
    text = encode(version, part["header"] + " " * part.get("spare", 0), part.get("encoding"))
    if "size" in part:
        b = preamble(version, part["size"]) + text + b" " * (part["size"] - len(text) - 1)
        b += b"\n"
    elif part.get("pad", True):
        b = padded_file(version, text)
    else:
        b = raw_file(version, text)
    if "length" in part:
        field = struct.pack("<H" if version == (1, 0) else "<I", part["length"])
        b = b[:8] + field + b[8 + len(field) :]
    return b


def build_part(part):
    """The bytes of one part of a case's content."""
    check_keys(part, PART_KEYS, "content part %r" % part)
    if "bytes" in part:
        b = part["bytes"].encode("latin1")
    elif "header" in part:
        b = build_header(part)
    elif "pattern" in part:
        b = pattern(part["pattern"], part.get("seed", 0))
    elif "array" in part:
        arr = build_array(part["array"])
        b = arr.tobytes(order="F" if arr.flags.f_contiguous and not arr.flags.c_contiguous else "C")
    elif "saved" in part:
        version = version_of(part["version"]) if "version" in part else None
        b = saved(build_array(part["saved"]), version=version)
    else:
        data = Path(np.__file__).parent / "lib" / "tests" / "data"
        b = (data / part["numpy_test_data"]).read_bytes()
    return b[part.get("from") : part.get("to")]


def expectation(case, content):
    """What a reader must read from a hand-made file: the expect table's descr, shape
    and order, and the data bytes the shape covers (all of them for objects)."""
    exp = case["expect"]
    dtype = exp["dtype"] if "dtype" in exp else dtype_of(exp["descr"])
    data = data_of(content)
    if not dtype.hasobject:
        data = data[: int(np.prod(exp["shape"], dtype=object)) * dtype.itemsize]
    return expected(file_version(content), dtype, exp.get("fortran_order", False),
                    exp["shape"], data)


RECIPES = {}


def recipe(f):
    """A case part made by code: its function returns the keys it fills in."""
    RECIPES[f.__name__] = f
    return f


def add_case(case):
    """Registers the case a table of a case file describes."""
    check_keys(case, CASE_KEYS, case.get("name"))
    check_keys(case.get("expect", {}), EXPECT_KEYS, case.get("name"))
    if "recipe" in case:
        case = {**case, **RECIPES[case["recipe"]](**case.get("args", {}))}
    name, reqs = case["name"], case["requirements"]
    verdict, what = case.get("verdict", ACCEPT), case["description"]
    numpy = (case["numpy"]["verdict"], case["numpy"]["why"]) if "numpy" in case else None
    common = dict(numpy=numpy, max_header_len=case.get("max_header_len"),
                  source=case.get("source", "numpy" if "array" in case else "hand"))
    if "header" in case:
        exp = case.get("expect", {})
        dtype = exp.get("dtype")
        if "descr" in exp:
            dtype = dtype_of(exp["descr"])
        data = case.get("data")
        add_text(name, reqs, verdict, version_of(case.get("version", "1.0")), case["header"],
                 what, dtype=dtype, shape=exp.get("shape"), fortran=exp.get("fortran_order", False),
                 data=None if data is None else pattern(data), pad=case.get("pad", True),
                 encoding=case.get("encoding"), **common)
    elif "array" in case and verdict != REJECT:
        arr = case["array"]
        if not isinstance(arr, np.ndarray):
            arr = build_array(arr)
        version = version_of(case["version"]) if "version" in case else None
        add_saved(name, reqs, arr, what, version=version, verdict=verdict,
                  allow_pickle=case.get("allow_pickle", False), **common)
    else:
        if "array" in case:  # a file NumPy writes, that a reader must refuse
            arr = case["array"]
            content = saved(arr if isinstance(arr, np.ndarray) else build_array(arr))
        elif isinstance(case["content"], bytes):
            content = case["content"]
        else:
            content = b"".join(build_part(p) for p in case["content"])
        exp = expectation(case, content) if verdict != REJECT else None
        add(name, reqs, verdict, content, what, expect=exp, **common)


def read_cases():
    listed = {p + ".toml" for p in PARTS}
    found = {p.name for p in CASES_DIR.glob("*.toml")}
    assert listed == found, "cases/*.toml and PARTS differ: %s" % sorted(listed ^ found)
    for part in PARTS:
        with open(CASES_DIR / (part + ".toml"), "rb") as f:
            for case in tomllib.load(f)["case"]:
                add_case(case)


# --- recipes: the parts of cases that code makes -------------------------------------


@recipe
def nested_dimension(depth):
    """A header whose shape's dimension sits in brackets nested `depth` deep: the dict
    is 1, the shape tuple 2, each parenthesis around the int 1 more."""
    n = depth - 2
    return {"header": hdr(descr="'<u2'", shape="(" + "(" * n + "2" + ")" * n + ",)")}


@recipe
def nested_struct(levels):
    """A header whose descr is a structure nested `levels` deep, and its dtype."""
    descr = "'<i2'"
    dtype = np.dtype("<i2")
    for _ in range(levels):
        descr = "[('x', %s)]" % descr
        dtype = np.dtype([("x", dtype)])
    return {"header": hdr(descr=descr, shape="(3,)"), "expect": {"dtype": dtype, "shape": [3]}}


@recipe
def unclosed_brackets(count):
    return {"header": "{'descr': " + "[" * count}


@recipe
def dims(count):
    """A header of `count` dimensions, each 1."""
    shape = (1,) * count
    return {"header": hdr(descr="'<u2'", shape=repr(shape)),
            "expect": {"descr": "<u2", "shape": list(shape)}}


@recipe
def growth_axis(spaces, fortran, header_size):
    """test_header_growth_axis: a (2, 2) array whose one field name is `spaces` spaces,
    which NumPy writes with a header of `header_size` bytes."""
    dt = np.dtype([(" " * spaces, "<i8")])
    arr = np.asfortranarray(np.zeros((2, 2), dt)) if fortran else np.zeros((2, 2), dt)
    assert header_end(saved(arr)) == header_size, (spaces, fortran)
    return {"array": arr}


@recipe
def many_fields(count, version):
    """A one-item array of `count` one-byte fields f00000, f00001...: NumPy writes it in
    format `version`."""
    arr = np.zeros(1, np.dtype([("f%05d" % i, "u1") for i in range(count)]))
    assert file_version(saved(arr)) == version_of(version)
    return {"array": arr}


@recipe
def int_fields(count):
    """test_huge_header's dtype, scaled down: a 0-d array of `count` int fields."""
    return {"array": np.array(1, dtype=np.dtype(",".join(["i"] * count)))}


@recipe
def header_with_extra_key():
    """NumPy's own header writer given an extra key, and 16 data bytes."""
    buf = io.BytesIO()
    header = {"shape": (1, 2), "fortran_order": False, "descr": "<f8", "extrakey": -1}
    npformat.write_array_header_1_0(buf, header)
    return {"content": buf.getvalue() + pattern(16)}


@recipe
def long_header_v1():
    """test_large_header: a 1.0 header text of more than 65535 bytes, the length field
    saying 65535."""
    text = "{'descr': [('%s', '<i8')], 'fortran_order': False, 'shape': (), }" % ("x" * 65536)
    return {"content": MAGIC + b"\x01\x00" + struct.pack("<H", 65535) + text.encode() + b"\n"}


@recipe
def utf8_over_limit():
    """A 3.0 header of fewer than 10000 characters but more than 10000 bytes."""
    name = "\u00e9" * 4990
    text = "{'descr': [('%s', '<f8')], 'fortran_order': False, 'shape': (2,), }" % name
    enc = text.encode("utf8")
    assert len(text) + 1 <= 10000 < len(enc) + 1
    return {"content": preamble((3, 0), len(enc) + 1) + enc + b"\n" + pattern(16)}


@recipe
def v4_finalised():
    """A 4.0 file of 4 rows finalised in place: -1 replaced by the count, the version
    byte set to 3; the result is NumPy's own 3.0 file."""
    row = np.arange(12, dtype="<f8").reshape(4, 3)
    spare = " " * (21 - len("-1"))
    f = padded_file((4, 0), hdr(shape="(-1, 3)") + spare, row.tobytes()[: 120 - 24])
    hl = struct.unpack("<I", f[8:12])[0]
    text = f[12 : 12 + hl].decode().replace("(-1, 3), }" + " " * 19, "(4, 3), }" + " " * 20)
    fin = MAGIC + b"\x03\x00" + f[8:12] + text.encode() + row.tobytes()
    assert fin[: 12 + hl] == saved(row, version=(3, 0))[: 12 + hl]
    return {"content": fin}


def grown(arr, rows, fortran=False):
    """NumPy's file for the first `rows` rows (or columns, in Fortran order) of `arr`,
    then its header count rewritten in place to the whole array's, as an append does;
    and the length of that header."""
    part = np.asfortranarray(arr[:, :rows]) if fortran else arr[:rows]
    b = saved(part)
    hl = struct.unpack("<H", b[8:10])[0]
    old = "%r, }" % (part.shape,) + " " * 20
    text = b[10 : 10 + hl].decode("latin1").replace(old, "%r, }" % (arr.shape,) + " " * 20)
    return b[:10] + text.encode("latin1"), hl


@recipe
def append_rewritten_in_place():
    arr = np.arange(15, dtype="<f4").reshape(5, 3)
    header, _ = grown(arr, 3)
    b = header + arr.tobytes()
    assert b == saved(arr)
    return {"content": b}


@recipe
def append_torn_header():
    arr = np.arange(15, dtype="<f4").reshape(5, 3)
    b = saved(arr[:3])
    hl = struct.unpack("<H", b[8:10])[0]
    text = b[10 : 10 + hl].decode("latin1").replace("(3, 3)", "(9, 3)")
    return {"content": b[:10] + text.encode("latin1") + arr.tobytes()}


@recipe
def append_partial_row():
    arr = np.arange(15, dtype="<f4").reshape(5, 3)
    return {"content": saved(arr[:3]) + arr[3:].tobytes()[:7]}


@recipe
def append_range_inserted():
    arr = np.arange(15, dtype="<f4").reshape(5, 3)
    full = saved(arr)
    hl = struct.unpack("<H", full[8:10])[0]
    header = full[:8] + struct.pack("<H", hl + 4096) + full[10 : 10 + hl - 1]
    return {"content": header + b" " * 4096 + b"\n" + arr.tobytes()}


@recipe
def append_fortran_grown():
    f = np.asfortranarray(np.arange(12, dtype="<i2").reshape(3, 4))
    header, _ = grown(f, 2, fortran=True)
    b = header + f.tobytes(order="F")
    assert b == saved(f)
    return {"content": b}


@recipe
def padding_64():
    """The first structure of one field named n, nn, nnn... whose header text NumPy
    pads with 64 spaces: text that would end on a 64-byte boundary (W-4)."""
    for name_len in range(1, 70):
        arr = np.zeros(1, np.dtype([("n" * name_len, "u1")]))
        b = saved(arr)
        if b[10 : header_end(b)].endswith(b" " * 65 + b"\n"):
            return {"array": arr}
    raise AssertionError("no 64-space padding found")


# --- profiles and features (spec 8.1, 8.2) ---------------------------------------------


PROFILES = {
    "full": "every case: the reader grammar of section 10.3",
    "strict": "the invalid files, and the valid files whose header is in the strict "
              "grammar of section 8.1 (the strict reader profile, R-14)",
}


def spec_features(spec):
    """The optional features of the spec's section 8.2: the rows of its table."""
    text = spec.read_text(encoding="utf-8")
    section = text[text.index("### 8.2 Optional features"):]
    section = section[: section.index("\n## ")]
    feats = {}
    for m in re.finditer(r"^\| `([a-z0-9-]+)` \| (.*?) \|$", section, re.M):
        feats[m.group(1)] = m.group(2)
    assert feats, "no features found in section 8.2 of %s" % spec
    return feats


def type_strings(descr):
    """Every type string of a descr in its JSON form (padding included)."""
    if isinstance(descr, str):
        return [descr]
    if len(descr) == 2 and isinstance(descr[1], list) and all(type(d) is int for d in descr[1]):
        return type_strings(descr[0])
    out = []
    for _name, typ, *_shape in descr:
        out += type_strings(typ)
    return out


def padding_types(descr):
    """The type strings of a descr's padding entries ('' names with a void type)."""
    if isinstance(descr, str):
        return []
    if len(descr) == 2 and isinstance(descr[1], list) and all(type(d) is int for d in descr[1]):
        return padding_types(descr[0])
    out = []
    for name, typ, *_shape in descr:
        if name == "" and isinstance(typ, str) and typ.lstrip("<>|=").startswith("V"):
            out.append(typ)
        else:
            out += padding_types(typ)
    return out


def features_of(c):
    """The optional features (spec 8.2) a case's file uses. A refused file has none but
    its version: what it would use is not defined."""
    b = c["content"]
    feats = set()
    if len(b) >= 8 and b[:6] == MAGIC:
        feats.add({(2, 0): "v2", (3, 0): "v3", (4, 0): "v4"}.get(file_version(b), ""))
    feats.discard("")
    exp = c["expect"]
    if exp is None:
        return sorted(feats)
    hlen = header_end(b) - (10 if file_version(b) == (1, 0) else 12)
    if hlen > DEFAULT_MAX_HEADER_LEN:
        feats.add("large-header")
    if exp["fortran_order"]:
        feats.add("fortran-order")
    if not exp["shape"]:
        feats.add("scalar")
    if len(exp["shape"]) >= 2:
        feats.add("multi-dimensional")
    descr = exp["descr"]
    if not isinstance(descr, str):
        feats.add("structured")
    padding = padding_types(descr)
    for t in type_strings(descr):
        dt = np.dtype(t)
        if t.startswith(">") and dt.itemsize > 1:
            feats.add("big-endian")
        kind, size = dt.kind, dt.itemsize
        if kind == "b":
            feats.add("bool")
        elif kind in "iu" and size == 8:
            feats.add("int64")
        elif kind == "f" and size == 2:
            feats.add("float16")
        elif kind == "f" and size == 16:
            feats.add("long-double")
        elif kind == "c":
            feats.add("complex")
            if size == 32:
                feats.add("long-double")
        elif kind == "S":
            feats.add("string")
        elif kind == "U":
            feats.add("unicode")
        elif kind == "V" and t not in padding:
            feats.add("void")
        elif kind in "Mm":
            feats.add("datetime")
        elif kind == "O":
            feats.add("object")
    return sorted(feats)


class Strict:
    """A recogniser of the strict grammar of spec section 8.1 (a header text, decoded).
    Only whether the text is in the grammar: the rules of H-* and D-* are checked by
    the cases themselves."""

    TYPE = re.compile(
        r"[<>|=](b1|[iu][1248]|f(2|4|8|16)|c(8|16|32)|[SUV][0-9]+|O"
        r"|[Mm]8(\[([0-9]+)?(Y|M|W|D|h|m|s|ms|us|ns|ps|fs|as|generic)\])?)"
    )
    ESC = re.compile(r"\\(\\|'|\"|t|n|r|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})")

    def __init__(self, text):
        self.t, self.i = text, 0

    def sp(self):
        while self.i < len(self.t) and self.t[self.i] in " \t":
            self.i += 1

    def eat(self, s):
        self.sp()
        if self.t.startswith(s, self.i):
            self.i += len(s)
            return True
        return False

    def need(self, s):
        if not self.eat(s):
            raise ValueError("expected %r at %d" % (s, self.i))

    def string(self):
        self.sp()
        q = self.t[self.i : self.i + 1]
        if q not in ("'", '"'):
            raise ValueError("expected a string at %d" % self.i)
        self.i += 1
        out = []
        while True:
            ch = self.t[self.i : self.i + 1]
            if ch == "":
                raise ValueError("unterminated string")
            if ch == q:
                self.i += 1
                return "".join(out)
            if ch == "\\":
                m = self.ESC.match(self.t, self.i)
                if not m:
                    raise ValueError("escape outside the strict grammar at %d" % self.i)
                out.append(m.group(0))
                self.i = m.end()
            elif ch in "\r\n":
                raise ValueError("line break in a string")
            else:
                out.append(ch)
                self.i += 1

    def type_str(self):
        s = self.string()
        if not self.TYPE.fullmatch(s):
            raise ValueError("type string %r outside the strict grammar" % s)

    def shape(self):
        self.need("(")
        if self.eat(")"):
            return
        n = 0
        while True:
            self.sp()
            m = re.compile(r"0|[1-9][0-9]*|-1").match(self.t, self.i)
            if not m:
                raise ValueError("expected a dimension at %d" % self.i)
            self.i = m.end()
            n += 1
            if self.eat(")"):
                if n == 1:
                    raise ValueError("a one-entry shape needs its comma")
                return
            self.need(",")
            if self.eat(")"):
                return

    def fields(self):
        self.need("[")
        if self.eat("]"):
            return
        while True:
            self.field()
            if self.eat("]"):
                return
            self.need(",")
            if self.eat("]"):
                return

    def field(self):
        self.need("(")
        if self.eat("("):  # (title, name)
            self.string()
            self.need(",")
            self.string()
            self.eat(",")
            self.need(")")
        else:
            self.string()
        self.need(",")
        self.ftype()
        if self.eat(")"):
            return
        self.need(",")
        if self.eat(")"):
            return
        self.shape()
        self.eat(",")
        self.need(")")

    def ftype(self):
        self.sp()
        c = self.t[self.i : self.i + 1]
        if c == "[":
            self.fields()
        elif c == "(":
            self.need("(")
            self.ftype()
            self.need(",")
            self.shape()
            self.eat(",")
            self.need(")")
        else:
            self.type_str()

    def text(self):
        self.need("{")
        seen = []
        for n in range(3):
            if n:
                self.need(",")
            key = self.string()
            if key in seen or key not in ("descr", "fortran_order", "shape"):
                raise ValueError("key %r" % key)
            seen.append(key)
            self.need(":")
            if key == "descr":
                self.sp()
                if self.t[self.i : self.i + 1] == "[":
                    self.fields()
                else:
                    self.type_str()
            elif key == "fortran_order":
                if not (self.eat("True") or self.eat("False")):
                    raise ValueError("fortran_order at %d" % self.i)
            else:
                self.shape()
        self.eat(",")
        self.need("}")
        self.sp()
        if self.t[self.i :] not in ("", "\n"):
            raise ValueError("text after the dict at %d" % self.i)


def in_strict_grammar(text):
    try:
        Strict(text).text()
        return True
    except ValueError:
        return False


def profile_of(c):
    """`strict` for every refused file and every valid one whose header is in the strict
    grammar, `full` for the other valid files."""
    if c["verdict"] == REJECT:
        return "strict"
    b = c["content"]
    start = 10 if file_version(b) == (1, 0) else 12
    raw = b[start : header_end(b)]
    text = raw.decode("latin1" if file_version(b)[0] < 3 else "utf8")
    return "strict" if in_strict_grammar(text) else "full"


# --- checking and writing ------------------------------------------------------------


def spec_requirements(spec):
    """Requirement ids and titles from the spec; withdrawn ones are marked."""
    text = spec.read_text(encoding="utf-8")
    reqs = {}
    ids = r"^- \*\*((?:F|H|D|V4|W|R|A|G|S|DIFF)-\d+)\*\* \((.*?)\)\."
    for m in re.finditer(ids, text, re.M | re.S):
        reqs[m.group(1)] = " ".join(m.group(2).split())
    return reqs


def check_with_numpy(c, path):
    """Runs the NumPy adapter on the case and compares with the declared expectation."""
    want = c["numpy"][0] if c["numpy"] else ("reject" if c["verdict"] == REJECT else "accept")
    limit = c["max_header_len"] or DEFAULT_MAX_HEADER_LEN
    try:
        # The adapter's own JSON line, so that what CI runs is what is checked here.
        got = json.loads(numpy_adapter.describe_line(str(path), limit))
        verdict = "accept"
    except Exception as e:  # noqa: BLE001 (any failure is NumPy's refusal)
        got, verdict = "%s: %s" % (type(e).__name__, str(e)[:300]), "reject"
    if verdict != want:
        raise SystemExit(
            "%s: NumPy's verdict is %s (%s), the case expects %s" % (c["name"], verdict, got, want)
        )
    if verdict == "accept" and c["expect"] and not c["numpy"]:
        for key, value in c["expect"].items():
            if key not in got:  # data_c_order_sha256: the adapter gives the file's order
                continue
            if got[key] != value:
                raise SystemExit(
                    "%s: NumPy reads %s = %r, the case expects %r"
                    % (c["name"], key, got[key], value)
                )


def main():
    # NumPy warns about what it reads (Python 2 suffixes, metadata, pickles): expected.
    warnings.simplefilter("ignore")
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=HERE,
                    help="where to write corpus/ and manifest.json (default: conformance/)")
    ap.add_argument("--no-numpy-check", action="store_true",
                    help="skip checking every case against NumPy")
    ap.add_argument("--spec", type=Path, default=SPEC,
                    help="the spec whose requirement ids the manifest lists "
                    "(default: spec/npy-format.md)")
    args = ap.parse_args()

    read_cases()
    reqs = spec_requirements(args.spec)
    feats = spec_features(args.spec)
    for c in CASES:
        for r in c["reqs"]:
            if r not in reqs:
                raise SystemExit("%s: %s is not a requirement of %s" % (c["name"], r, args.spec))

    corpus = args.out / "corpus"
    if corpus.exists():
        shutil.rmtree(corpus)
    entries = []
    for c in CASES:
        rel = Path("corpus") / DIRS[c["verdict"]] / (c["name"] + ".npy")
        path = args.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(c["content"])
        if not args.no_numpy_check:
            check_with_numpy(c, path)
        entry = {
            "file": rel.as_posix(),
            "sha256": sha256(c["content"]),
            "requirements": c["reqs"],
            "verdict": c["verdict"],
            "profile": profile_of(c),
            "features": features_of(c),
            "description": c["what"],
            "source": c["source"],
        }
        for f in entry["features"]:
            if f not in feats:
                raise SystemExit("%s: feature %s is not in section 8.2 of %s"
                                 % (c["name"], f, args.spec))
        if c["max_header_len"]:
            entry["max_header_len"] = c["max_header_len"]
        if c["expect"]:
            entry["expected"] = c["expect"]
        if c["numpy"]:
            entry["known_differences"] = {
                "numpy": {"verdict": c["numpy"][0], "why": c["numpy"][1]}
            }
        entries.append(entry)
    manifest = {
        "format": 2,
        "generated_by": "conformance/generate.py",
        "numpy_version": np.__version__,
        "spec": "spec/npy-format.md",
        "default_max_header_len": DEFAULT_MAX_HEADER_LEN,
        "requirements": reqs,
        "features": feats,
        "profiles": PROFILES,
        "cases": entries,
    }
    text = json.dumps(manifest, indent=1, ensure_ascii=False) + "\n"
    (args.out / "manifest.json").write_text(text, encoding="utf-8")
    print("%d cases written to %s (NumPy %s)" % (len(entries), args.out, np.__version__))


if __name__ == "__main__":
    main()
