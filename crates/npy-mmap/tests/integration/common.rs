//! Helpers: building files, reading them every way, and checking the ways agree.

use std::path::{Path, PathBuf};

use npy_header::{ByteOrder, Dtype, Header, Kind, Scalar, Version};
use npy_mmap::{ArrayView, Error, Layout, NpyBuffer, NpyFile};

/// A reader that returns one byte per `read` call, as a slow pipe may: the fuzz
/// target's, so that both feed the streaming reader the same way.
pub use npy_fuzz_checks::load_paths::OneByteReader;

/// A temporary directory holding test files; removed when dropped.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).expect("write test file");
        path
    }
}

pub fn scalar(kind: Kind, order: ByteOrder, size: u64) -> Dtype {
    Dtype::Scalar(Scalar::new(kind, order, size).expect("valid scalar"))
}

/// Header bytes (as NumPy would write them) followed by `data`.
pub fn file_bytes(header: &Header, version: Option<Version>, data: &[u8]) -> Vec<u8> {
    let mut out = header.emit(version).expect("emittable header").bytes;
    out.extend_from_slice(data);
    out
}

/// A 1.0 file whose header text is `dict` followed by `pad` spaces and a newline, so
/// the data offset can be anything (NumPy's writer always makes it a multiple of 64).
pub fn v1_with_padding(dict: &str, pad: usize, data: &[u8]) -> Vec<u8> {
    let spaces = " ".repeat(pad);
    let mut out = npy_testing::header::raw(Version::V1_0, &format!("{dict}{spaces}\n"));
    out.extend_from_slice(data);
    out
}

/// What one reader made of a file, in a form the others can be compared with.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    Ok {
        layout: Layout,
        bytes: Vec<u8>,
        c_order: Vec<u8>,
        /// `as_slice::<u8/u16/u32/u64>` results: Ok(len) or the error text.
        slices: Vec<Result<usize, String>>,
    },
    Err {
        kind: String,
        offset: Option<u64>,
        message: String,
    },
}

fn err(e: &Error) -> Outcome {
    Outcome::Err {
        kind: e.kind().name().to_string(),
        offset: e.offset(),
        message: e.message().to_string(),
    }
}

fn slice_len<T: npy_mmap::Element>(view: &ArrayView<'_>) -> Result<usize, String> {
    view.as_slice::<T>()
        .map(<[T]>::len)
        .map_err(|e| e.to_string())
}

pub fn describe(view: &ArrayView<'_>, layout: &Layout) -> Outcome {
    Outcome::Ok {
        layout: layout.clone(),
        bytes: view.bytes().to_vec(),
        c_order: view.items_c_order().flatten().copied().collect(),
        slices: vec![
            slice_len::<u8>(view),
            slice_len::<i16>(view),
            slice_len::<u32>(view),
            slice_len::<f64>(view),
            slice_len::<[f64; 2]>(view),
        ],
    }
}

/// Reads `bytes` mapped (from a temporary file), read whole from that file, from a
/// slice, and one byte at a time; asserts the four agree (layouts, bytes, logical
/// order, typed-slice results, or error kind, offset and message; the two file readers'
/// errors name the file, the streams' do not) and returns the mapped reader's result.
pub fn read_every_way(bytes: &[u8]) -> Result<NpyFile, Error> {
    let scratch = Scratch::new();
    let path = scratch.write("a.npy", bytes);
    // SAFETY: the file is this function's own, in its own temporary directory, and
    // nothing writes it while it is mapped.
    let mapped = unsafe { NpyFile::map(&path) };
    let from_file = NpyBuffer::read_file(&path);
    let whole = NpyBuffer::read(bytes);
    let trickled = NpyBuffer::read(OneByteReader(bytes));
    let m = match &mapped {
        Ok(f) => {
            check_view_consistency(&f.view());
            describe(&f.view(), f.layout())
        }
        Err(e) => {
            assert_eq!(e.path(), Some(path.as_path()));
            err(e)
        }
    };
    let outcome = |r: &Result<NpyBuffer, Error>, path: Option<&Path>| match r {
        Ok(b) => describe(&b.view(), b.layout()),
        Err(e) => {
            assert_eq!(e.path(), path);
            err(e)
        }
    };
    assert_eq!(
        m,
        outcome(&from_file, Some(&path)),
        "mapped and read from the file differ"
    );
    assert_eq!(m, outcome(&whole, None), "mapped and read whole differ");
    assert_eq!(
        m,
        outcome(&trickled, None),
        "mapped and read one byte at a time differ"
    );
    mapped
}

/// `item`, `items`, `items_c_order` and the strides tell the same story.
pub fn check_view_consistency(view: &ArrayView<'_>) {
    let shape = view.shape().to_vec();
    let n = view.len();
    assert_eq!(view.items().count() as u64, n);
    assert_eq!(
        view.items().flatten().copied().collect::<Vec<u8>>(),
        view.bytes()
    );
    let mut index = vec![0u64; shape.len()];
    for (count, item) in view.items_c_order().enumerate() {
        assert_eq!(view.item(&index), Some(item), "index {index:?}");
        let offset: u64 = index.iter().zip(view.strides()).map(|(i, s)| i * s).sum();
        let start = usize::try_from(offset).unwrap();
        assert_eq!(&view.bytes()[start..start + view.itemsize()], item);
        if count + 1 < usize::try_from(n).unwrap() {
            for axis in (0..index.len()).rev() {
                index[axis] += 1;
                if index[axis] < shape[axis] {
                    break;
                }
                index[axis] = 0;
            }
        }
    }
    if !shape.is_empty() {
        let mut outside = shape.clone();
        *outside.last_mut().unwrap() += 1;
        assert_eq!(view.item(&outside), None);
        assert_eq!(view.item(&shape[..shape.len() - 1]), None);
    }
}

/// Lowercase hex to bytes.
pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}
