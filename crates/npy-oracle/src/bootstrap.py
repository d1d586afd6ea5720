# Run by lib.rs before numpy is imported: puts the oracle virtualenv's
# site-packages in front of sys.path and checks where numpy comes from.
# Checks return "" on success, otherwise a description of the problem.

import glob
import os
import site
import sys
import sysconfig

_site_packages = None


def interpreter():
    return f"Python {sys.version.split()[0]} (prefix {sys.base_prefix})"


def add_venv(venv):
    global _site_packages
    ver = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    for sp in (os.path.join(venv, "lib", ver, "site-packages"),
               os.path.join(venv, "Lib", "site-packages")):
        if os.path.isdir(sp):
            before = list(sys.path)
            # addsitedir also processes .pth files; it appends, so move the new
            # entries to the front to win over any numpy of the base interpreter.
            site.addsitedir(sp)
            added = [p for p in sys.path if p not in before]
            sys.path[:] = added + before
            _site_packages = sp
            return ""
    if not os.path.isdir(venv):
        return f"the oracle virtualenv {venv} does not exist"
    others = sorted(glob.glob(os.path.join(venv, "lib", "python3.*", "site-packages")))
    if others:
        return (f"the oracle virtualenv {venv} has {', '.join(others)}, but the embedded "
                f"interpreter is {ver}: recreate the virtualenv with the Python that pyo3 "
                f"builds against (PYO3_PYTHON)")
    return f"the oracle virtualenv {venv} has no lib/{ver}/site-packages"


def import_numpy():
    try:
        import numpy
    except Exception as e:  # noqa: BLE001
        return f"cannot import numpy ({type(e).__name__}: {e})"
    where = os.path.realpath(numpy.__file__)
    root = os.path.realpath(_site_packages) + os.sep
    if not where.startswith(root):
        return (f"numpy {numpy.__version__} was imported from {where}, "
                f"not from the oracle virtualenv's {_site_packages}")
    return ""


def check_libpython(expected_libdir):
    if not expected_libdir:
        return ""
    libdir = sysconfig.get_config_var("LIBDIR") or ""
    if os.path.realpath(libdir) == os.path.realpath(expected_libdir):
        return ""
    return (f"the dynamic loader picked the libpython of {interpreter()} (LIBDIR {libdir}), "
            f"but npy-oracle was built against the one in {expected_libdir}; run the tests "
            f"through cargo (`cargo test`, `cargo xtask test`) or put {expected_libdir} "
            f"first in LD_LIBRARY_PATH")


def prepare(venv, expected_libdir):
    """Returns (interpreter description, wrong-libpython problem, numpy problem)."""
    wrong_python = check_libpython(expected_libdir)
    if wrong_python:
        return interpreter(), wrong_python, ""
    return interpreter(), "", add_venv(os.fspath(venv)) or import_numpy()
