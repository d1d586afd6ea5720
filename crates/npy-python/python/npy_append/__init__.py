"""Append to NumPy ``.npy`` files with stated crash guarantees, and load every ``.npy``
version, including the proposed 4.0.

npy-append-array's API (0.9.19), so that ``import npy_append as npy_append_array`` runs
programs written for it unchanged, on a Rust core (the ``npy-append`` crate)::

    >>> import numpy as np, npy_append
    >>> with npy_append.NpyAppendArray("demo.npy", delete_if_exists=True) as w:
    ...     w.append(np.zeros((2, 3)))      # creates the file: float64 rows of 3
    ...     w.append(np.ones((4, 3)))
    >>> np.load("demo.npy").shape
    (6, 3)

Beyond npy-append-array: an advisory lock keeps a second writer out; ``durability=
"synced"`` and ``sync()`` make rows survive a power loss; a file left by an interrupted
append is detected and repaired by ``recover``; values are never changed silently
(``casting="same_kind"`` by default, refusing an integer that does not fit, a string
cut short or a number that overflows to infinity; ``"unsafe"`` for npy-append-array's
behaviour);
``version=4`` writes the proposed format 4.0, whose header says ``-1`` and is never
rewritten, and ``load`` reads it (NumPy refuses it) with every row written so far.

Errors are ``npy_append.Error`` (a ``ValueError``), or ``OSError`` for the operating
system's errors, with the message of the Rust core, which says what to do, and the
attributes ``kind`` (``"not_appendable"``, ``"needs_recovery"``, ``"locked"``, ...) and
``offset`` (a byte offset in the file, or ``None``).
"""

import io
import os
import threading

import numpy as np
from numpy.lib import format as _format

from . import _native
from ._native import Error

__all__ = [
    "Error",
    "NpyAppendArray",
    "convert",
    "ensure_appendable",
    "finalize",
    "header",
    "is_appendable",
    "load",
    "needs_recovery",
    "recover",
]

_CASTINGS = ("no", "equiv", "safe", "same_kind", "unsafe")
_MAGIC = b"\x93NUMPY"


def _error(kind, message):
    """An ``Error`` raised by this layer, with the attributes the Rust core's have."""
    err = Error(message)
    err.kind = kind
    err.offset = None
    return err


def _changed(arr, out):
    """Where NumPy's ``same_kind`` cast of ``arr`` (``out``) changed a value beyond the
    rounding a narrower float makes: an integer that does not fit (it wrapped, or changed
    sign), a string cut short, a finite real or imaginary part that became infinite.
    Structured arrays are compared field by field, in order, as NumPy casts them. A mask
    of ``arr``'s shape."""
    src, dst = arr.dtype, out.dtype
    if arr.size == 0:
        return np.zeros(arr.shape, dtype=bool)
    if src.names is not None and dst.names is not None:
        mask = np.zeros(arr.shape, dtype=bool)
        for a, b in zip(src.names, dst.names):
            sub = _changed(arr[a], out[b])
            mask |= sub.reshape(arr.shape + (-1,)).any(axis=-1)
        return mask
    if src.subdtype is not None or dst.subdtype is not None:
        return np.zeros(arr.shape, dtype=bool)
    if dst.kind in "iu" and src.kind in "iub":
        back = out.astype(src)
        return (back != arr) | ((out < 0) != (arr < 0))
    if dst.kind in "fc" and src.kind in "iufc":
        real = np.isinf(out.real) & np.isfinite(arr.real)
        return real | (np.isinf(out.imag) & np.isfinite(arr.imag))
    if dst.kind in "SU" and src.kind in "SU":
        return out.astype(src) != arr
    return np.zeros(arr.shape, dtype=bool)


def _fspath(filename):
    """The path as ``str`` for the Rust side (``bytes`` and ``os.PathLike`` accepted;
    undecodable bytes survive as the file system encoding's surrogate escapes)."""
    return os.fsdecode(os.fspath(filename))


def _version_number(version):
    """``None``, or a format version given as 1, 2, 3, 4, ``(1, 0)`` or ``"1.0"``, as
    its major number."""
    if version is None:
        return None
    if isinstance(version, tuple) and len(version) == 2 and version[1] == 0:
        version = version[0]
    elif isinstance(version, str) and version in ("1.0", "2.0", "3.0", "4.0"):
        version = int(version[0])
    if isinstance(version, (bool, float)) or not isinstance(version, (int, np.integer)):
        raise _error("parameter", f"version must be None, 1, 2, 3 or 4, not {version!r}")
    if version not in (1, 2, 3, 4):
        raise _error("parameter", f"version must be None, 1, 2, 3 or 4, not {version!r}")
    return int(version)


def _shape_text(shape):
    return str(tuple(int(d) for d in shape))


class NpyAppendArray:
    """Appends arrays to a ``.npy`` file along its growth axis (axis 0 in C order, the
    last axis in Fortran order), as npy-append-array does.

    ``NpyAppendArray(filename, delete_if_exists=False, rewrite_header_on_append=True)``
    continues an existing file (which must be appendable and complete: see
    ``ensure_appendable`` and ``recover``), or creates it at the first ``append``, from
    that array's dtype, its shape except along the growth axis, and its order (Fortran
    when the array is Fortran- and not C-contiguous). ``delete_if_exists=True`` removes
    an existing file first.

    With ``rewrite_header_on_append=True`` every ``append`` writes its rows and
    rewrites the header, so the file is a complete array after each call. With
    ``False``, small appends are buffered (``buffer_bytes``, 1 MiB by default) and the
    header is rewritten by ``update_header``, ``sync`` and ``close``.

    Keyword-only options beyond npy-append-array:

    * ``durability="none"`` (default) or ``"synced"``: every header rewrite is ordered
      after an ``fdatasync`` of the data it counts, so a header on disk never counts
      rows that are not there; ``sync()`` makes everything appended durable.
    * ``version=None`` (the oldest format that holds the header, as ``np.save``
      chooses), ``1``, ``2``, ``3``, or ``4`` (open-ended: the header says ``-1`` and
      is never rewritten; ``load`` reads it, ``finalize`` turns it into a file NumPy
      reads). For an existing file, the version must be its own or ``None``.
    * ``buffer_bytes``: appends smaller than this are collected in memory and written
      together. Defaults to 0 with ``rewrite_header_on_append=True`` and to 1 MiB
      otherwise.
    * ``casting="same_kind"``: which conversions ``append`` makes when an array's dtype
      is not the file's (NumPy's casting rules: ``"no"``, ``"equiv"``, ``"safe"``,
      ``"same_kind"``, ``"unsafe"``). With ``"same_kind"`` a narrowing within a kind
      (int64 into int32, float64 into float32, ``S5`` into ``S3``) may round a value but
      never change it otherwise: an integer that does not fit, a string cut short, or a
      finite number that would become infinite raises (kind ``"cast_changes_values"``);
      structured arrays are checked field by field. npy-append-array converts with
      ``"unsafe"`` (``[1.9, -2.7, 1e20]`` into int32 gives ``1, -2, -2147483648``); pass
      ``casting="unsafe"`` for that.

    One object may be shared by many threads: each ``append`` is one contiguous run of
    rows, and file I/O runs with the GIL released. Another process (or another object
    in this one) cannot open the same file while this one is open: it gets an ``Error``
    with ``kind == "locked"``.

    >>> import numpy as np, npy_append
    >>> with npy_append.NpyAppendArray("log.npy", delete_if_exists=True,
    ...                                rewrite_header_on_append=False) as w:
    ...     for i in range(1000):
    ...         w.append(np.full((1, 16), i, dtype="<f8"))
    >>> np.load("log.npy").shape
    (1000, 16)
    >>> w = npy_append.NpyAppendArray("log.npy")           # continue it
    >>> w.append(np.zeros((2, 15)))
    Traceback (most recent call last):
    ...
    npy_append.Error: log.npy: cannot append an array of shape (2, 15) to an array of ...
    >>> w.append(np.arange(16, dtype="<i2").reshape(1, 16))   # int16 into float64: safe
    >>> w.append(np.full((1, 16), 0.5, dtype="<c16"))
    Traceback (most recent call last):
    ...
    npy_append.Error: log.npy: cannot append complex128 data to an array of float64 ...
    >>> w.close()
    >>> np.load("log.npy").shape
    (1001, 16)
    """

    def __init__(self, filename, delete_if_exists=False, rewrite_header_on_append=True, *,
                 durability="none", version=None, buffer_bytes=None, casting="same_kind"):
        self._writer = None
        self._closed = False
        self._lock = threading.Lock()
        self.filename = filename
        if durability not in ("none", "synced"):
            raise _error("parameter", f'durability must be "none" or "synced", not {durability!r}')
        if casting not in _CASTINGS:
            raise _error("parameter", f"casting must be one of {', '.join(map(repr, _CASTINGS))}, "
                             f"not {casting!r}")
        if buffer_bytes is None:
            buffer_bytes = 0 if rewrite_header_on_append else _native.DEFAULT_BUFFER_BYTES
        elif (isinstance(buffer_bytes, bool) or not isinstance(buffer_bytes, int)
              or buffer_bytes < 0):
            raise _error("parameter", f"buffer_bytes must be an int >= 0, not {buffer_bytes!r}")
        self._rewrite = bool(rewrite_header_on_append)
        self._durability = durability
        self._version = _version_number(version)
        self._buffer_bytes = buffer_bytes
        self.casting = casting
        self._existed = False
        path = _fspath(filename)
        if os.path.exists(path):
            if delete_if_exists:
                os.unlink(path)
            else:
                self._existed = True
                self._bind(_native.Writer.open(path, durability, self._rewrite, buffer_bytes))
                have = self._writer.version[0]
                if self._version is not None and self._version != have:
                    self._writer.close()
                    raise _error(
                        "version",
                        f"{path}: the file is in format {have}.0, not "
                        f"{self._version}.0: convert it with npy_append.convert(filename, "
                        f"{self._version}), or leave out version= to continue it as it is")

    def _bind(self, writer):
        self._writer = writer
        self.dtype = writer.dtype
        self.fortran_order = writer.fortran_order

    @property
    def shape(self):
        """The array's shape: the rows in the file and those appended since."""
        w = self._writer
        if w is None:
            raise AttributeError("'NpyAppendArray' object has no attribute 'shape' "
                                 "(the file does not exist yet: append an array first)")
        return w.shape

    @property
    def version(self):
        """The file's format version as ``(major, minor)``, once the file exists."""
        w = self._writer
        if w is None:
            raise AttributeError("'NpyAppendArray' object has no attribute 'version' "
                                 "(the file does not exist yet: append an array first)")
        return w.version

    @property
    def closed(self):
        """Whether ``close`` was called."""
        return self._closed

    def append(self, arr):
        """Appends ``arr``'s rows: its shape must be the file's except along the
        growth axis, and its dtype the file's or one ``casting`` converts. The first
        append to a missing file creates it from ``arr``.

        >>> w = NpyAppendArray("rows.npy", delete_if_exists=True)
        >>> w.append(np.arange(6.0).reshape(2, 3))
        >>> w.append(np.arange(3.0).reshape(1, 3))
        >>> w.shape
        (3, 3)
        >>> w.close()
        """
        w = self._writer
        if w is not None and w.append(arr):
            return
        self._append_slow(arr)

    def _append_slow(self, arr):
        arr = np.asarray(arr)
        if arr.dtype.hasobject:
            raise _error("object_dtype", f"{self._name()}: cannot append an array of dtype "
                        f"{arr.dtype}: it "
                        "holds Python objects, which a .npy file stores as one pickle, not "
                        "as rows; convert it to a fixed-size dtype (for strings, "
                        "arr.astype('U') or arr.astype('S'))")
        with self._lock:
            if self._closed:
                raise _error("closed", f"{self._name()}: this NpyAppendArray is closed: open a new "
                            "one to append more")
            if self._writer is None:
                self._create(arr)
            w = self._writer
        self._check_shape(arr)
        if arr.dtype != w.dtype:
            arr = self._cast(arr)
        if not w.append(arr):
            # Rows of 0 bytes, or an array NumPy calls equal but that is not an exact
            # ndarray of the file's dtype: through np.save's bytes, which the Rust side
            # checks and reorders itself.
            buf = io.BytesIO()
            np.save(buf, np.asarray(arr, dtype=w.dtype), allow_pickle=False)
            w.append_npy(buf.getvalue())

    def _name(self):
        return _fspath(self.filename)

    def _create(self, arr):
        if arr.ndim == 0:
            raise _error("no_growth_axis", f"{self._name()}: cannot start a file with a 0-d "
                        "array (shape ()): "
                        "it has no axis to append along; append arr.reshape(1) instead")
        fortran = bool(arr.flags.f_contiguous and not arr.flags.c_contiguous)
        row_shape = arr.shape[:-1] if fortran else arr.shape[1:]
        descr = _format.dtype_to_descr(arr.dtype)
        self._bind(_native.Writer.create(
            _fspath(self.filename), repr(descr), fortran, list(row_shape), self._version,
            self._durability, self._rewrite, self._buffer_bytes))

    def _check_shape(self, arr):
        shape = self.shape
        axis = len(shape) - 1 if self.fortran_order else 0
        same = arr.ndim == len(shape) and all(
            # (zip's strict= needs Python 3.10; the lengths were compared just before.)
            a == b for i, (a, b) in enumerate(zip(arr.shape, shape)) if i != axis)
        if same:
            return
        where = ("the last axis (Fortran order)" if self.fortran_order
                 else "the first axis (C order)")
        msg = (f"{self._name()}: cannot append an array of shape {_shape_text(arr.shape)} "
               f"to an array of shape {_shape_text(shape)}: the shapes may differ only "
               f"along {where}")
        if self._existed:
            msg += ("; the file existed before this NpyAppendArray opened it (left by an "
                    "earlier run?): pass delete_if_exists=True to start a new file")
        raise _error("shape_mismatch", msg)

    def _cast(self, arr):
        want = self.dtype
        if not np.can_cast(arr.dtype, want, casting=self.casting):
            raise _error(
                "dtype_mismatch",
                f"{self._name()}: cannot append {arr.dtype} data to an array of {want} "
                f"with casting={self.casting!r}: the conversion could lose information or "
                "change values; convert the array first (arr.astype(...)), or pass "
                "casting='unsafe' to NpyAppendArray to convert as npy-append-array does")
        if self.casting != "same_kind" or np.can_cast(arr.dtype, want, casting="safe"):
            return arr.astype(want, casting=self.casting)
        # A narrowing: NumPy's overflow warnings would only precede the error below.
        with np.errstate(over="ignore", invalid="ignore"):
            out = arr.astype(want, casting=self.casting)
        changed = _changed(arr, out)
        if changed.any():
            index = tuple(int(i) for i in np.argwhere(changed)[0])
            raise _error(
                "cast_changes_values",
                f"{self._name()}: cannot append {arr.dtype} data to an array of {want}: "
                f"{int(changed.sum())} value(s) do not fit ({arr[index]!r} at index {index} "
                f"would become {out[index]!r}); casting='same_kind' converts between sizes "
                "but refuses to change a value: convert the array first, or pass "
                "casting='unsafe' to NpyAppendArray to convert as npy-append-array does")
        return out

    def update_header(self):
        """Writes buffered rows and rewrites the header to count every row appended,
        so that other readers see them (with ``rewrite_header_on_append=True`` the
        header is always up to date)."""
        w = self._writer
        if w is not None:
            w.flush()

    def sync(self):
        """``update_header``, then makes every row appended so far durable
        (``fdatasync`` of the data, the header, ``fdatasync``): when it returns, they
        survive a power loss."""
        w = self._writer
        if w is not None:
            w.sync()

    def close(self):
        """Writes buffered rows, rewrites the header (``sync``s, with
        ``durability="synced"``) and releases the file. Closing again does nothing."""
        with self._lock:
            self._closed = True
            w = self._writer
        if w is not None:
            w.close()

    def __del__(self):
        if getattr(self, "_writer", None) is not None and not self._closed:
            self.close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.close()

    def __repr__(self):
        if self._writer is None:
            return f"NpyAppendArray({self._name()!r}, not created yet)"
        state = "closed" if self._closed else "open"
        return (f"NpyAppendArray({self._name()!r}, shape={self.shape}, dtype={self.dtype}, "
                f"fortran_order={self.fortran_order}, version={self.version}, {state})")


def is_appendable(filename):
    """Whether ``NpyAppendArray`` can continue ``filename`` as its header stands: a
    valid header of an array that is not 0-d and holds no Python objects, with room for
    a longer row count (NumPy >= 1.24 leaves it; ``ensure_appendable`` makes it).

    >>> np.save("saved.npy", np.arange(10))    # NumPy >= 1.24 leaves the room
    >>> npy_append.is_appendable("saved.npy")
    True
    """
    return _native.is_appendable(_fspath(filename))


def needs_recovery(filename):
    """Whether ``filename`` holds other data than its header says (an interrupted
    append: see ``recover``), or an interrupted operation left its journal
    (``NAME-journal``) beside it. Object arrays never do."""
    return _native.needs_recovery(_fspath(filename))


def ensure_appendable(filename, inplace=False):
    """Gives the header room to grow, as NumPy >= 1.24 writes it, so that
    ``NpyAppendArray`` can continue the file. ``inplace=True`` rewrites the same file
    (inserting a range at its start where the filesystem can, else moving the data;
    journaled, so ``recover`` finishes it after a crash); otherwise a new file is
    written and renamed over it. Returns ``True``.

    >>> np.save("saved.npy", np.arange(10))
    >>> npy_append.ensure_appendable("saved.npy", inplace=True)
    True
    """
    _native.ensure_appendable(_fspath(filename), bool(inplace))
    return True


def recover(filename, zerofill_incomplete=False, *, like=None, counted=False):
    """Makes a file left by an interrupted append (or operation) complete again, without
    moving its data: the header counts every whole row the file holds, and a partial
    last row is cut off, or completed with zeros when ``zerofill_incomplete``. Safe to
    run on a complete file (nothing changes) and crash-safe itself. Returns ``True``.

    Beyond npy-append-array: ``counted=True`` keeps only the rows the header counts
    (after a power loss, the bytes past them may be garbage; with
    ``durability="synced"`` every row ``sync`` acknowledged is counted), and
    ``like=PATH`` takes the header from another file with the same dtype, order, other
    dimensions, version and header length (such as this file as it was created, or one
    ``np.save`` wrote alike) when the file's own does not parse (a crash tore it); the
    row count comes from the file size.

    >>> np.save("cut.npy", np.arange(12.0).reshape(4, 3))
    >>> with open("cut.npy", "r+b") as f:       # as if an append of 3 rows stopped midway
    ...     _ = f.seek(0, 2), f.write(bytes(30))
    >>> npy_append.needs_recovery("cut.npy")
    True
    >>> npy_append.recover("cut.npy")
    True
    >>> np.load("cut.npy").shape                # one more whole row; 6 bytes cut off
    (5, 3)
    """
    _native.recover(_fspath(filename), bool(zerofill_incomplete),
                    None if like is None else _fspath(like), bool(counted))
    return True


def finalize(filename):
    """Turns a format 4.0 file (``version=4``) into the version NumPy reads, in place:
    the ``-1`` becomes the number of whole rows (a partial last row is cut off). Returns
    a dict: ``from``, ``to``, ``shape``, ``in_place``, ``trimmed_bytes``, ``header_len``,
    ``lost_room``.

    >>> with NpyAppendArray("stream.npy", delete_if_exists=True, version=4) as w:
    ...     w.append(np.zeros((7, 2)))
    >>> npy_append.finalize("stream.npy")["shape"]
    (7, 2)
    >>> np.load("stream.npy").shape
    (7, 2)
    """
    return _native.finalize(_fspath(filename))


def convert(filename, version):
    """Rewrites ``filename`` in format ``version`` (1, 2, 3 or 4; 4 makes it
    open-ended), in place when the header fits. Returns the dict ``finalize`` returns.

    >>> np.save("data.npy", np.arange(6).reshape(3, 2))
    >>> npy_append.convert("data.npy", 4)["to"]
    '4.0'
    >>> npy_append.header("data.npy")["header_shape"]
    [-1, 2]
    """
    return _native.convert(_fspath(filename), _version_number(version))


def header(file, *, max_header_size=10000):
    """What ``npy inspect --json FILE`` prints, as a dict: ``version``, ``dtype``,
    ``descr`` (NumPy's descr with lists for tuples), ``descr_repr``, ``fortran_order``,
    ``shape`` (a 4.0 ``-1`` resolved to the whole rows present), ``header_shape`` (as
    stored), ``open_ended``, ``header_len``, ``data_offset``, ``itemsize``,
    ``row_bytes``, ``expected_data_bytes``, ``data_bytes``, ``trailing_bytes``,
    ``warnings`` and, when the data does not fit the header, ``error``. A header that
    cannot be read raises ``Error``.

    >>> np.save("h.npy", np.zeros((4, 3), dtype=">i2"))
    >>> h = npy_append.header("h.npy")
    >>> h["version"], h["descr"], h["shape"], h["data_offset"]
    ('1.0', '>i2', [4, 3], 128)
    """
    path = _fspath(file)
    return _native.header(path, path, int(max_header_size))


def _limit(allow_pickle, max_header_size):
    # As np.load: a trusted file (allow_pickle=True) has no header-size limit.
    return _native.MAX_HEADER_LEN * 4096 if allow_pickle else int(max_header_size)


def _dtype(descr):
    return _format.descr_to_dtype(descr)


def load(file, mmap_mode=None, *, allow_pickle=False, max_header_size=10000):
    """``np.load`` for ``.npy`` files of every version, including 4.0.

    For a format 1.0-3.0 file, the result is what ``np.load`` returns (the same
    values, dtype, shape and memory order; an ``np.memmap`` for a ``mmap_mode``), after
    its header has passed this project's stricter checks (``spec/npy-format.md``): a
    header NumPy would read but the specification refuses raises ``Error``. ``.npz``
    archives and pickles go to ``np.load`` as they are.

    For a format 4.0 file, whose header says ``-1`` on the growth axis, the array holds
    every whole row in the file when the call is made: a partial last row (an append in
    progress) is left out, and each call sees the rows appended since the last.

    >>> w = NpyAppendArray("growing.npy", delete_if_exists=True, version=4)
    >>> w.append(np.arange(6).reshape(3, 2))
    >>> npy_append.load("growing.npy", mmap_mode="r").shape
    (3, 2)
    >>> w.append(np.arange(4).reshape(2, 2))
    >>> npy_append.load("growing.npy").shape    # the rows appended since
    (5, 2)
    >>> w.close()
    """
    limit = _limit(allow_pickle, max_header_size)
    if not hasattr(file, "read"):
        path = _fspath(file)
        info = _native.layout(path, limit)
        if info is None:  # not a .npy file: an .npz archive or a pickle
            return np.load(file, mmap_mode=mmap_mode, allow_pickle=allow_pickle,
                           max_header_size=max_header_size)
        return _load_path(file, path, info, mmap_mode, allow_pickle, max_header_size)
    return _load_fileobj(file, mmap_mode, allow_pickle, max_header_size, limit)


def _load_path(file, path, info, mmap_mode, allow_pickle, max_header_size):
    major, descr, fortran, shape, offset, has_object = info
    if has_object or mmap_mode not in (None, "r", "r+", "c"):
        # Pickles (refused unless allow_pickle) and unusual modes: np.load's own
        # behaviour. A 4.0 file never gets here with objects: its header is refused.
        if major == 4:
            raise _error("parameter", f"{path}: mmap_mode={mmap_mode!r} cannot be used with "
                        "a format 4.0 file: use None, 'r', 'r+' or 'c'")
        return np.load(file, mmap_mode=mmap_mode, allow_pickle=allow_pickle,
                       max_header_size=max_header_size)
    dtype = _dtype(descr)
    order = "F" if fortran else "C"
    if mmap_mode is not None:
        # What np.load does (numpy.lib.format.open_memmap), with the header read by the
        # Rust parser and a 4.0 file's row count resolved from its size.
        return np.memmap(file, dtype=dtype, shape=shape, order=order, mode=mmap_mode,
                         offset=offset)
    if major != 4:
        try:
            return np.load(file, allow_pickle=allow_pickle, max_header_size=max_header_size)
        except ValueError:
            # NumPy refuses a few headers the specification accepts (a Python 2 'L'
            # suffix after a line break it cannot re-tokenize; on Python 3.9, spaces or
            # tabs before the dict); the Rust parser read it.
            pass
    count = int(np.prod(shape, dtype=np.int64)) if len(shape) else 1
    arr = np.fromfile(path, dtype=dtype, count=count, offset=offset)
    if len(arr) != count:  # the file shrank since its size was read
        raise _error("shrunk", f"{path}: the file holds fewer rows than a moment ago: "
                    "it was truncated while being read")
    return _shaped(arr, shape, fortran)


def _shaped(flat, shape, fortran):
    """A flat array as ``shape``, as np.load builds it (a Fortran array is the
    transpose of the reversed shape)."""
    if fortran:
        flat.shape = shape[::-1]
        return flat.transpose()
    flat.shape = shape
    return flat


def _load_fileobj(fp, mmap_mode, allow_pickle, max_header_size, limit):
    start = fp.tell()
    head = fp.read(12)
    fp.seek(start)
    if not head.startswith(_MAGIC) or len(head) < 8 or head[6] != 4:
        # Formats 1.0-3.0, archives and pickles from a file object: np.load, which
        # reads exactly the array and leaves the file after it.
        checked = False
        if head.startswith(_MAGIC) and len(head) == 12:
            length = int.from_bytes(head[8:10] if head[6] == 1 else head[8:12], "little")
            pre = 10 if head[6] == 1 else 12
            if length <= limit:
                text = fp.read(pre + length)
                fp.seek(start)
                _native.check_header(text, limit)
                checked = True
        try:
            return np.load(fp, mmap_mode=mmap_mode, allow_pickle=allow_pickle,
                           max_header_size=max_header_size)
        except ValueError:
            # As for a path: NumPy refuses a few headers the specification accepts and
            # the Rust parser has just read (a Python 2 'L' suffix after a line break; on
            # Python 3.9, blanks before the dict). Pickles keep NumPy's error.
            if not checked or mmap_mode is not None:
                raise
            fp.seek(start)
            data = fp.read()
            info = _native.layout_bytes(data, limit)
            if info[5]:
                fp.seek(start)
                raise
    elif mmap_mode is not None:
        raise ValueError("Filename must be a string or a path-like object. Memmap cannot "
                         "use existing file handles.")
    else:
        data = fp.read()
        info = _native.layout_bytes(data, limit)
    major, descr, fortran, shape, offset, _ = info
    dtype = _dtype(descr)
    count = int(np.prod(shape, dtype=np.int64)) if len(shape) else 1
    arr = np.frombuffer(data, dtype=dtype, count=count, offset=offset).copy()
    fp.seek(start + offset + count * dtype.itemsize)
    return _shaped(arr, shape, fortran)
