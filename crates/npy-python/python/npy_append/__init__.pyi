import os
from typing import Any, Literal, Optional, Tuple, Union

import numpy as np
from numpy.typing import ArrayLike

from ._native import Error as Error

_Path = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
_Version = Union[None, int, Tuple[int, int], str]
_Casting = Literal["no", "equiv", "safe", "same_kind", "unsafe"]

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

class NpyAppendArray:
    filename: _Path
    casting: _Casting
    dtype: np.dtype[Any]
    fortran_order: bool
    def __init__(
        self,
        filename: _Path,
        delete_if_exists: bool = ...,
        rewrite_header_on_append: bool = ...,
        *,
        durability: Literal["none", "synced"] = ...,
        version: _Version = ...,
        buffer_bytes: Optional[int] = ...,
        casting: _Casting = ...,
    ) -> None: ...
    @property
    def shape(self) -> Tuple[int, ...]: ...
    @property
    def version(self) -> Tuple[int, int]: ...
    @property
    def closed(self) -> bool: ...
    def append(self, arr: ArrayLike) -> None: ...
    def update_header(self) -> None: ...
    def sync(self) -> None: ...
    def close(self) -> None: ...
    def __del__(self) -> None: ...
    def __enter__(self) -> "NpyAppendArray": ...
    def __exit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None: ...

def is_appendable(filename: _Path) -> bool: ...
def needs_recovery(filename: _Path) -> bool: ...
def ensure_appendable(filename: _Path, inplace: bool = ...) -> Literal[True]: ...
def recover(
    filename: _Path,
    zerofill_incomplete: bool = ...,
    *,
    like: Optional[_Path] = ...,
    counted: bool = ...,
) -> Literal[True]: ...
def finalize(filename: _Path) -> dict[str, Any]: ...
def convert(filename: _Path, version: _Version) -> dict[str, Any]: ...
def header(file: _Path, *, max_header_size: int = ...) -> dict[str, Any]: ...
def load(
    file: Any,
    mmap_mode: Optional[Literal["r", "r+", "w+", "c"]] = ...,
    *,
    allow_pickle: bool = ...,
    max_header_size: int = ...,
) -> Any: ...
