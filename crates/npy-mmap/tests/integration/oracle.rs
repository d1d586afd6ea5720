//! The NumPy oracle: files NumPy writes, read through our views, hold exactly the
//! values `np.load` gives.
//!
//! "Exactly" is compared as bytes in the array's own dtype, which is stricter than
//! comparing numbers (it sees NaN payloads, signed zeros and string padding):
//!
//! * our items in logical C order (through the strides) equal
//!   `np.load(f).tobytes(order='C')`, for every dtype, in either storage order;
//! * for numeric dtypes, our converting copy `to_vec::<T>()` (storage order, this
//!   machine's byte order) equals NumPy's `arr.astype(native).tobytes(order=storage)`,
//!   and the in-place slice equals it whenever the file's byte order is native;
//! * for structured dtypes, each field's items in C order equal `arr[name].tobytes()`
//!   (whole items are compared too, except padding bytes of Fortran-order arrays:
//!   padding holds no value, and NumPy's own reordering copy does not keep it);
//! * shape and strides equal the loaded array's, and the four readers (mapped, read
//!   from the file, read whole from a slice, read one byte at a time) agree.

use npy_header::{Kind, Limits, Version};
use npy_mmap::{ArrayView, Element, Loader, NpyBuffer, NpyFile};
use serde_json::Value;

use crate::common::{read_every_way, unhex, Scratch};

/// Python that saves each case with NumPy, loads it back with `np.load`, and reports
/// what NumPy holds.
const CASES_PY: &str = r#"
rng = np.random.default_rng(20261123)

def rand(dt, shape, order='C'):
    dt = np.dtype(dt)
    n = int(np.prod(shape))
    if dt.kind == 'b':
        a = rng.integers(0, 2, n).astype(dt)
    elif dt.kind == 'U':
        chars = 'aZ09 ~\u00e9\u03bc\u4e2d\U0001f600'
        a = np.array([''.join(rng.choice(list(chars), rng.integers(0, dt.itemsize // 4 + 1))) for _ in range(n)], dtype=dt)
    else:
        a = np.frombuffer(rng.bytes(n * dt.itemsize), dtype=dt).copy()
    return np.require(a.reshape(shape), requirements=['F' if order == 'F' else 'C'])

def packed(dt):
    if dt.names is None:
        return True
    fields = [dt.fields[n][0] for n in dt.names]
    return sum(f.itemsize for f in fields) == dt.itemsize and all(packed(f) for f in fields)

cases = []
def add(name, arr, version=None):
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        fmt.write_array(buf, arr, version=version, allow_pickle=False)
    data = buf.getvalue()
    loaded = np.load(io.BytesIO(data), allow_pickle=False, max_header_size=10**6)
    dt = loaded.dtype
    fortran = bool(loaded.flags.f_contiguous and not loaded.flags.c_contiguous)
    native = None
    if dt.kind in 'biufc' and dt.names is None and dt.itemsize <= 16 and not (dt.kind == 'f' and dt.itemsize in (2, 16)) and not (dt.kind == 'c' and dt.itemsize == 32):
        native = loaded.astype(dt.newbyteorder('=')).tobytes(order='F' if fortran else 'C').hex()
    c = loaded.tobytes(order='C').hex()
    if fortran and not packed(dt):
        # Padding bytes are not values: NumPy's reordering copy moves the fields only.
        c = None
    fields = {}
    if dt.names:
        for n in dt.names:
            fields[n] = loaded[n].tobytes(order='C').hex()
    cases.append({
        'name': name, 'file': data.hex(), 'version': list(data[6:8]),
        'shape': list(loaded.shape), 'strides': list(loaded.strides), 'fortran': fortran,
        'c': c, 'native': native, 'fields': fields,
        'descr': dt.str,
    })

scalars = ['|b1', '|i1', '|u1']
for o in '<>':
    scalars += [o + t for t in ['i2', 'i4', 'i8', 'u2', 'u4', 'u8', 'f2', 'f4', 'f8', 'f16', 'c8', 'c16', 'c32', 'U3', 'M8[ns]', 'M8[D]', 'm8[s]']]
scalars += ['|S5', '|V4', '|S1']
for dt in scalars:
    add(dt + ' 1-d', rand(dt, (5,)))
    add(dt + ' C 2x3', rand(dt, (2, 3)))
    add(dt + ' F 3x4', rand(dt, (3, 4), 'F'))
    add(dt + ' 0-d', rand(dt, ()))
for dt in ['<f8', '>i2', '|u1']:
    add(dt + ' F 2x3x4', rand(dt, (2, 3, 4), 'F'))
    add(dt + ' C 2x3x4', rand(dt, (2, 3, 4)))
    add(dt + ' empty 0', rand(dt, (0,)))
    add(dt + ' empty 0x3', rand(dt, (0, 3)))
    add(dt + ' empty F 3x0', rand(dt, (3, 0), 'F'))
    add(dt + ' empty 2x0x4', rand(dt, (2, 0, 4)))
    for v in [(1, 0), (2, 0), (3, 0)]:
        add(dt + ' v%d' % v[0], rand(dt, (4, 2)), version=v)
        add(dt + ' F v%d' % v[0], rand(dt, (4, 2), 'F'), version=v)

structs = {
    'packed': [('a', '<i4'), ('b', '>f8'), ('c', '|S3')],
    'aligned': np.dtype([('x', 'u1'), ('y', '<f8'), ('z', '>i2')], align=True),
    'offsets': {'names': ['p', 'q'], 'formats': ['<u2', '<c8'], 'offsets': [2, 8], 'itemsize': 24},
    'nested': [('id', '<u4'), ('pos', [('x', '<f4'), ('y', '>f4')]), ('grid', '<i2', (2, 3)), ('tag', '|S2')],
    'titled': [(('Title', 'name'), '<i8'), ('v', '|b1')],
    'utf8 names (v3)': [('\u6e29\u5ea6', '<f8'), ('\u03bc', '<i4')],
}
for name, dt in structs.items():
    add('struct ' + name, rand(dt, (4,)))
    add('struct ' + name + ' F 2x3', rand(dt, (2, 3), 'F'))
    add('struct ' + name + ' 0-d', rand(dt, ()))
add('struct packed v2', rand(structs['packed'], (3,)), version=(2, 0))
add('struct packed v3', rand(structs['packed'], (3,)), version=(3, 0))
wide = [('field_%04d' % i, '<u2') for i in range(3000)]
add('wide struct (v2, long header)', rand(wide, (2,)))
result = cases
"#;

/// Calls `f::<T>` with the Rust type for a scalar dtype, if there is one.
macro_rules! with_element {
    ($kind:expr, $size:expr, $f:ident($($arg:expr),*)) => {
        match ($kind, $size) {
            (Kind::Bool | Kind::UInt, 1) => Some($f::<u8>($($arg),*)),
            (Kind::Int, 1) => Some($f::<i8>($($arg),*)),
            (Kind::Int, 2) => Some($f::<i16>($($arg),*)),
            (Kind::Int, 4) => Some($f::<i32>($($arg),*)),
            (Kind::Int, 8) => Some($f::<i64>($($arg),*)),
            (Kind::UInt, 2) => Some($f::<u16>($($arg),*)),
            (Kind::UInt, 4) => Some($f::<u32>($($arg),*)),
            (Kind::UInt, 8) => Some($f::<u64>($($arg),*)),
            (Kind::Float, 4) => Some($f::<f32>($($arg),*)),
            (Kind::Float, 8) => Some($f::<f64>($($arg),*)),
            (Kind::Complex, 8) => Some($f::<[f32; 2]>($($arg),*)),
            (Kind::Complex, 16) => Some($f::<[f64; 2]>($($arg),*)),
            _ => None,
        }
    };
}

/// The typed copy, the in-place slice (when native) and the ndarray view, as bytes.
fn typed<T: Element>(view: &ArrayView<'_>, native_order: bool) -> Vec<u8> {
    let copied = view.to_vec::<T>().expect("to_vec");
    let bytes: Vec<u8> = bytemuck::cast_slice(&copied).to_vec();
    if native_order {
        let slice = view.as_slice::<T>().expect("native data is a slice");
        assert_eq!(bytemuck::cast_slice::<T, u8>(slice), bytes);
        let nd = view.to_ndarray::<T>().expect("ndarray view");
        let logical: Vec<u8> = nd
            .iter()
            .flat_map(|v| bytemuck::bytes_of(v).to_vec())
            .collect();
        let c_order: Vec<u8> = view.items_c_order().flatten().copied().collect();
        assert_eq!(logical, c_order, "ndarray's logical order");
    }
    bytes
}

fn u64s(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap())
        .collect()
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn values_equal_numpys() {
    let cases = npy_oracle::eval_json(CASES_PY).expect("NumPy writes the cases");
    let cases = cases.as_array().unwrap();
    assert!(cases.len() > 150, "{} cases", cases.len());
    let mut versions_seen = std::collections::BTreeSet::new();
    let (mut c_checked, mut typed_checked, mut fields_checked, mut fortran_seen) = (0, 0, 0, 0);
    let scratch = Scratch::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let bytes = unhex(case["file"].as_str().unwrap());
        let file = if name.starts_with("wide") {
            // 3000 fields need a header longer than the default limit of 10 000 bytes.
            let mut limits = Limits::default();
            limits.max_header_len = 200_000;
            let loader = Loader::with_limits(limits);
            let path = scratch.write("wide.npy", &bytes);
            // SAFETY: the test's own file, in its own temporary directory, which nothing
            // writes while it is mapped.
            let file = unsafe { loader.map(&path) }.unwrap();
            let from_file = loader.read_file(&path).unwrap();
            assert_eq!(from_file.layout(), file.layout());
            assert_eq!(from_file.bytes(), file.bytes());
            assert_eq!(loader.read(&bytes[..]).unwrap().bytes(), file.bytes());
            file
        } else {
            read_every_way(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
        };
        let version = file.layout().version();
        versions_seen.insert(version);
        let expected_version = u64s(&case["version"]);
        assert_eq!(u64::from(version.major()), expected_version[0], "{name}");
        let view = file.view();
        assert_eq!(view.shape(), u64s(&case["shape"]), "{name}: shape");
        assert_eq!(
            view.fortran_order(),
            case["fortran"].as_bool().unwrap(),
            "{name}"
        );
        fortran_seen += usize::from(view.fortran_order());
        if !view.is_empty() {
            assert_eq!(view.strides(), u64s(&case["strides"]), "{name}: strides");
        }
        if let npy_header::Dtype::Scalar(s) = view.dtype() {
            assert_eq!(
                s.to_string(),
                case["descr"].as_str().unwrap(),
                "{name}: dtype"
            );
        }

        if let Some(c) = case["c"].as_str() {
            let c_order: Vec<u8> = view.items_c_order().flatten().copied().collect();
            assert_eq!(c_order, unhex(c), "{name}: values in C order");
            c_checked += 1;
        }

        if let Some(native) = case["native"].as_str() {
            let npy_header::Dtype::Scalar(s) = view.dtype() else {
                panic!("{name}: numeric dtypes are scalars")
            };
            let is_native = s.byte_order() == npy_header::ByteOrder::NATIVE
                || s.byte_order() == npy_header::ByteOrder::NotApplicable;
            let ours = with_element!(s.kind(), s.itemsize(), typed(&view, is_native))
                .unwrap_or_else(|| panic!("{name}: no element type"));
            assert_eq!(ours, unhex(native), "{name}: typed values");
            typed_checked += 1;
        }
        for (field, hex) in case["fields"].as_object().unwrap() {
            let fv = view.field(field).unwrap_or_else(|e| panic!("{name}: {e}"));
            let ours: Vec<u8> = fv.items_c_order().flatten().copied().collect();
            assert_eq!(ours, unhex(hex.as_str().unwrap()), "{name}: field {field}");
            fields_checked += 1;
        }
    }
    assert_eq!(
        versions_seen.into_iter().collect::<Vec<_>>(),
        [Version::V1_0, Version::V2_0, Version::V3_0]
    );
    assert!(
        c_checked + 10 > cases.len(),
        "{c_checked} of {}",
        cases.len()
    );
    assert!(typed_checked > 100, "{typed_checked}");
    assert!(fields_checked > 30, "{fields_checked}");
    assert!(fortran_seen > 40, "{fortran_seen}");
}

/// NumPy's object arrays are pickles: NumPy loads them only with `allow_pickle=True`;
/// we never do.
#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn object_arrays_numpy_writes_are_refused() {
    let v = npy_oracle::eval_json(
        "buf = io.BytesIO(); np.save(buf, np.array([1, 'a', None], dtype=object), allow_pickle=True); result = buf.getvalue().hex()",
    )
    .unwrap();
    let err = read_every_way(&unhex(v.as_str().unwrap())).unwrap_err();
    assert_eq!(err.kind().name(), "object_dtype");
}

/// `np.load(mmap_mode='r')`, our map and our read see the same bytes of a larger file.
#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn numpy_memmap_agrees() {
    let scratch = Scratch::new();
    let path = scratch.dir.path().join("big.npy");
    let code = format!(
        "a = np.lib.format.open_memmap({:?}, mode='w+', dtype='<f4', shape=(300, 257), fortran_order=True)\n\
         a[:] = np.arange(300 * 257, dtype='<f4').reshape(300, 257) / 7\n\
         a.flush(); del a\n\
         m = np.load({:?}, mmap_mode='r')\n\
         result = {{'c': m.tobytes(order='C').hex(), 'offset': int(m.offset)}}",
        path.display().to_string(),
        path.display().to_string()
    );
    let v = npy_oracle::eval_json(&code).unwrap();
    // SAFETY: the test's own file, in its own temporary directory; NumPy has closed
    // it, and nothing writes it while it is mapped.
    let file = unsafe { NpyFile::map(&path) }.unwrap();
    assert_eq!(file.layout().data_offset(), v["offset"].as_u64().unwrap());
    let c_order: Vec<u8> = file.view().items_c_order().flatten().copied().collect();
    assert_eq!(c_order, unhex(v["c"].as_str().unwrap()));
    let from_file = NpyBuffer::read_file(&path).unwrap();
    assert_eq!(from_file.bytes(), file.bytes());
}
