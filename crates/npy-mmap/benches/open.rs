//! Open time of a 4 KiB and a 4 GiB file, each next to its floor measured in the same
//! run: `File::open` plus a memmap2 map of the same bytes, which is the least any
//! mapped reader can do. The difference is reading and parsing the header and
//! checking its numbers against the file's size. For the 4 KiB file, also the time to
//! read it into memory instead (`NpyBuffer::read_file`).
//!
//! Run: `cargo bench -p npy-mmap --bench open`. The 4 GiB file is sparse (`set_len`
//! in a temporary directory, removed at the end) and costs no disk space; it is only
//! made when the benchmark is run by `cargo bench`, not when the bench target is run as
//! a test (`cargo test --all-targets`, as CI does).

use std::fs::File;
use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion};
use npy_header::{ByteOrder, Dtype, Header, Kind, Scalar};
use npy_mmap::{NpyBuffer, NpyFile};

/// Writes a C-order `<f8` file of `total` bytes (header included) whose data is
/// sparse: only the header is written.
fn make_file(dir: &Path, name: &str, total: u64) -> PathBuf {
    let f8 = Dtype::Scalar(Scalar::new(Kind::Float, ByteOrder::Little, 8).expect("f8"));
    let probe = Header::new(f8.clone(), false, vec![0])
        .emit(None)
        .expect("header");
    let items = (total - probe.bytes.len() as u64) / 8;
    let header = Header::new(f8, false, vec![items])
        .emit(None)
        .expect("header");
    assert_eq!(header.bytes.len(), probe.bytes.len(), "same header length");
    let path = dir.join(name);
    let mut file = File::create(&path).expect("create");
    file.write_all(&header.bytes).expect("write header");
    file.set_len(total).expect("extend");
    path
}

/// The floor: open and map the whole file, nothing else.
fn open_and_map(path: &Path) -> usize {
    let file = File::open(path).expect("open");
    // SAFETY: the file lives in this benchmark's private temporary directory and
    // nothing truncates or writes it while mapped.
    let map = unsafe { memmap2::Mmap::map(&file) }.expect("map");
    debug_assert_eq!(map.len() as u64, file.metadata().expect("metadata").len());
    map.len()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    // Criterion passes `--bench` under `cargo bench`; a test run of the target does not.
    let benching = std::env::args().any(|a| a == "--bench");
    let mut sizes = vec![("4KiB", 4u64 << 10)];
    if benching {
        sizes.push(("4GiB", 4u64 << 30));
    }
    let mut g = c.benchmark_group("open");
    for (label, size) in sizes {
        let path = make_file(dir.path(), &format!("{label}.npy"), size);
        g.bench_function(format!("npy-mmap/{label}"), |b| {
            b.iter(|| {
                // SAFETY: the file lives in this benchmark's private temporary
                // directory and nothing truncates or writes it while mapped.
                let file = unsafe { NpyFile::map(black_box(&path)) }.expect("map");
                file.bytes().len()
            })
        });
        if size <= 1 << 20 {
            g.bench_function(format!("npy-mmap read_file/{label}"), |b| {
                b.iter(|| {
                    let buffer = NpyBuffer::read_file(black_box(&path)).expect("read");
                    buffer.bytes().len()
                })
            });
        }
        g.bench_function(format!("floor/{label}"), |b| {
            b.iter(|| open_and_map(black_box(&path)))
        });
    }
    g.finish();
    drop(dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
