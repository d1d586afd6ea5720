//! The properties of the `load_paths` target, over the public API of `npy-mmap`.
//!
//! Plain Rust, no libFuzzer: the target calls it, and so does
//! `crates/npy-mmap/tests/integration/fuzz_regressions.rs`, so that `cargo test` runs
//! the same checks over every committed finding.

use std::io::{self, Read};
use std::path::Path;

use npy_mmap::{ArrayView, Error, Layout, NpyBuffer, NpyFile};

/// A reader that returns one byte per `read` call, as a slow pipe may.
pub struct OneByteReader<'a>(pub &'a [u8]);

impl Read for OneByteReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((&b, rest)), Some(slot)) => {
                *slot = b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

/// What one reader made of the bytes, comparable across readers.
#[derive(Debug, PartialEq)]
enum Outcome {
    Ok {
        layout: Layout,
        bytes: Vec<u8>,
        c_order: Vec<u8>,
    },
    Err {
        kind: String,
        offset: Option<u64>,
        message: String,
    },
}

fn outcome_of(layout: &Layout, view: &ArrayView<'_>) -> Outcome {
    Outcome::Ok {
        layout: layout.clone(),
        bytes: view.bytes().to_vec(),
        c_order: view.items_c_order().flatten().copied().collect(),
    }
}

fn error_of(e: &Error) -> Outcome {
    Outcome::Err {
        kind: e.kind().name().to_string(),
        offset: e.offset(),
        message: e.message().to_string(),
    }
}

fn buffered(r: &Result<NpyBuffer, Error>) -> Outcome {
    match r {
        Ok(b) => outcome_of(b.layout(), &b.view()),
        Err(e) => {
            assert_eq!(e.path(), None, "a stream error names a path");
            error_of(e)
        }
    }
}

/// Writes `data` to `path`, the caller's scratch file (overwritten).
pub fn write_input(data: &[u8], path: &Path) {
    std::fs::write(path, data).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// The `load_paths` target: `data`, which [`write_input`] wrote to `path`, is read by
/// the memory-mapped loader (`mapped`, the caller's `NpyFile::map(path)`: only the
/// caller can promise that nothing else writes the file while it is mapped), by the
/// file reader, by the streaming reader fed the whole input, and by the streaming reader
/// fed one byte at a time. All four give the same verdict: the same layout, data bytes
/// and items in logical order, or the same error kind, offset and message. An accepted
/// file's header, data and trailing bytes add up to the input. The file readers' errors
/// name the file, the streams' do not.
pub fn load_paths(data: &[u8], path: &Path, mapped: Result<NpyFile, Error>) {
    let mapped = match mapped {
        Ok(f) => {
            let layout = f.layout();
            assert_eq!(f.file_len(), data.len() as u64, "mapped another length");
            assert_eq!(
                layout.data_offset() + layout.data_bytes() + layout.trailing_bytes(),
                data.len() as u64,
                "header, data and trailing bytes do not add up to the file: {layout:?}"
            );
            assert_eq!(
                f.bytes().len() as u64,
                layout.data_bytes(),
                "the map is not the data"
            );
            outcome_of(layout, &f.view())
        }
        Err(e) => {
            assert_eq!(
                e.path(),
                Some(path),
                "a mapped error does not name the file"
            );
            let msg = e.message();
            assert!(
                !msg.is_empty() && !msg.starts_with(char::is_uppercase) && !msg.ends_with('.'),
                "error message is not lowercase without a trailing period: {msg:?}"
            );
            error_of(&e)
        }
    };
    let from_file = match NpyBuffer::read_file(path) {
        Ok(b) => outcome_of(b.layout(), &b.view()),
        Err(e) => {
            assert_eq!(e.path(), Some(path), "a file error does not name the file");
            error_of(&e)
        }
    };
    assert_eq!(mapped, from_file, "mapped and read from the file differ");
    let whole = buffered(&NpyBuffer::read(data));
    assert_eq!(mapped, whole, "mapped and read whole differ");
    let trickled = buffered(&NpyBuffer::read(OneByteReader(data)));
    assert_eq!(
        mapped, trickled,
        "mapped and read one byte at a time differ"
    );
}
