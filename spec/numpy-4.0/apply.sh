#!/usr/bin/env bash
# Applies format-4.0.patch to NumPy 2.4.6 in a virtualenv of its own, then checks it:
# the patch's own tests, NumPy's test_format.py (nothing else changed), and the
# conformance suite read through the patched np.load (every 4.0 case must pass, and
# every case NumPy passed before). Run from anywhere; needs python3 with venv and pip,
# network access to PyPI, and a Rust toolchain for the conformance runner.
#
#   spec/numpy-4.0/apply.sh            # virtualenv in target/numpy-4.0-venv
#   NPY_PATCHED_VENV=DIR spec/numpy-4.0/apply.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${NPY_PATCHED_VENV:-$root/target/numpy-4.0-venv}

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q numpy==2.4.6 pytest==9.2.0 hypothesis==6.170.17
site=$("$venv/bin/python" -c 'import numpy, os; print(os.path.dirname(os.path.dirname(numpy.__file__)))')
target="$site/numpy/lib/_format_impl.py"
if grep -q "(4, 0): ('<I', 'utf8')" "$target"; then
    echo "== $target is patched already"
else
    echo "== patching $target"
    patch -p1 -d "$site" < "$here/format-4.0.patch"
fi

echo "== the patch's tests"
"$venv/bin/python" -m pytest -q -p no:cacheprovider "$here/test_format_4_0.py"

echo "== NumPy's own test_format.py, patched"
"$venv/bin/python" -m pytest -q -p no:cacheprovider --pyargs numpy.lib.tests.test_format

echo "== the conformance suite through the patched np.load"
cd "$root"
cargo run -q -p npy-cli -- conformance \
    --reader "$venv/bin/python $root/conformance/adapters/numpy_adapter.py" --known numpy
