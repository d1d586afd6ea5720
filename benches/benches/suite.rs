//! The speed targets of the npy crates, each next to a peer or a physical floor measured
//! in the same run (absolute times do not transfer between machines; ratios do).
//!
//! Run: `cargo bench -p npy-benches` (a few minutes). `NPY_BENCH_BIG=1` makes the
//! `ensure_appendable` group measure 1 GiB as well as 64 MiB (several minutes more).
//! Under `cargo test --all-targets` (CI) every routine runs once on small inputs.
//!
//! Writes are measured as overwriting pages already in the page cache, without fsync
//! (the first option): the appender writes through `npy_benches::Ring`, which
//! maps data offsets into a window written before timing, and the `pwrite` floor writes
//! the same offsets of the same window. The Python peers are in `benches/compare.py`.

use std::fs::{File, OpenOptions};
use std::hint::black_box;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BatchSize, BenchmarkGroup, BenchmarkId, Criterion,
    SamplingMode, Throughput,
};
use ndarray_npy::ViewNpyExt;
use npy_append::{
    ensure_appendable, ensure_appendable_with, recover, Durability, EnsureMode, HeaderPolicy,
    Method, MoveOptions, Options, RecoverOptions,
};
use npy_benches::{
    nested_header, old_header_file, ring_appender, sparse_rows_file, structured_header,
    typical_header, ROW_BYTES,
};
use npy_header::Version;

/// Criterion passes `--bench` under `cargo bench`; a test run of the target does not.
fn benching() -> bool {
    std::env::args().any(|a| a == "--bench")
}

fn npyz_parse(bytes: &[u8]) -> usize {
    let f = npyz::NpyFile::new(bytes).expect("npyz parses the header");
    f.shape().len()
}

fn header_parse(c: &mut Criterion) {
    let typical = typical_header();
    // ndarray-npy parses only as part of viewing an array, so it gets the header and
    // the (zero) data; the view itself is O(1).
    let mut typical_file = typical.clone();
    typical_file.resize(typical.len() + 1000 * 128 * 8, 0);
    let mut g = c.benchmark_group("header_parse/typical_f8_1000x128");
    g.throughput(Throughput::Bytes(typical.len() as u64));
    g.bench_function("npy-header", |b| {
        b.iter(|| npy_header::parse(black_box(&typical)).unwrap())
    });
    g.bench_function("npyz", |b| b.iter(|| npyz_parse(black_box(&typical))));
    g.bench_function("ndarray-npy", |b| {
        b.iter(|| {
            ndarray::ArrayViewD::<f64>::view_npy(black_box(&typical_file))
                .unwrap()
                .len()
        })
    });
    g.finish();

    // ndarray-npy reads no structured dtypes.
    let structured = structured_header(20);
    let mut g = c.benchmark_group("header_parse/structured_20_fields");
    g.throughput(Throughput::Bytes(structured.len() as u64));
    g.bench_function("npy-header", |b| {
        b.iter(|| npy_header::parse(black_box(&structured)).unwrap())
    });
    g.bench_function("npyz", |b| b.iter(|| npyz_parse(black_box(&structured))));
    g.finish();

    // The curve over depth: npyz only up to depth 6, its parser being exponential in
    // depth (seconds beyond that). Each level is two brackets (`[(`), so depth 64 needs
    // the bracket limit raised from its default of 64 to 130.
    let parser = npy_header::HeaderParser::new().max_depth(130);
    let mut g = c.benchmark_group("header_parse/nested_depth");
    for depth in [1usize, 2, 4, 6, 8, 12, 16, 24, 32, 48, 64] {
        let bytes = nested_header(depth);
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_with_input(BenchmarkId::new("npy-header", depth), &bytes, |b, bytes| {
            b.iter(|| parser.parse(black_box(bytes)).unwrap())
        });
        if depth <= 6 {
            g.bench_with_input(BenchmarkId::new("npyz", depth), &bytes, |b, bytes| {
                b.iter(|| npyz_parse(black_box(bytes)))
            });
        }
    }
    g.finish();
}

/// The floor: open and map the whole file, nothing else.
fn open_and_map(path: &Path) -> memmap2::Mmap {
    let file = File::open(path).expect("open");
    // SAFETY: the file lives in this benchmark's private temporary directory and
    // nothing truncates or writes it while mapped.
    let map = unsafe { memmap2::Mmap::map(&file) }.expect("map");
    debug_assert_eq!(map.len() as u64, file.metadata().expect("metadata").len());
    map
}

fn open(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut sizes = vec![("4KiB", 4u64 << 10)];
    if benching() {
        sizes.push(("4GiB", 4u64 << 30));
    }
    let mut g = c.benchmark_group("open_map");
    for (label, size) in sizes {
        let path = sparse_rows_file(dir.path(), &format!("{label}.npy"), size);
        g.bench_function(format!("npy-mmap/{label}"), |b| {
            b.iter(|| {
                // SAFETY: the file lives in this benchmark's private temporary
                // directory and nothing truncates or writes it while mapped.
                unsafe { npy_mmap::NpyFile::map(black_box(&path)) }
                    .unwrap()
                    .bytes()
                    .len()
            })
        });
        g.bench_function(format!("floor/{label}"), |b| {
            b.iter(|| open_and_map(black_box(&path)).len())
        });
        g.bench_function(format!("ndarray-npy/{label}"), |b| {
            b.iter(|| {
                let map = open_and_map(black_box(&path));
                let view = ndarray::ArrayViewD::<f64>::view_npy(&map).unwrap();
                view.len()
            })
        });
    }
    g.finish();
}

fn append_row(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let window = 8u64 << 20;
    let row = [0u8; ROW_BYTES];
    let mut g = c.benchmark_group("append_row_128B");
    g.throughput(Throughput::Bytes(ROW_BYTES as u64));
    let cases = [
        (
            "header_every_append",
            Options::new().buffer_bytes(0),
            Version::V1_0,
        ),
        (
            "buffered_header_on_close",
            Options::new().header_policy(HeaderPolicy::OnFlush),
            Version::V1_0,
        ),
        ("v4_buffered", Options::new(), Version::V4_0),
    ];
    bench_appends(&mut g, dir.path(), window, &row, cases);
    let floor = ring_appender(
        &dir.path().join("floor"),
        window,
        Options::new(),
        Version::V1_0,
    );
    let ring = floor.storage();
    let mut at = floor.data_offset();
    g.bench_function("floor/one_pwrite", |b| {
        b.iter(|| {
            ring.file()
                .write_at(black_box(&row), ring.place(at))
                .unwrap();
            at += ROW_BYTES as u64;
        })
    });
    g.finish();
}

/// `npy-append/<name>`: appends of `bytes` to a ring of `window` bytes in `dir`, one
/// writer per setting.
fn bench_appends<const N: usize>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    dir: &Path,
    window: u64,
    bytes: &[u8],
    settings: [(&str, Options, Version); N],
) {
    for (name, opts, v) in settings {
        let w = ring_appender(&dir.join(name), window, opts, v);
        g.bench_function(format!("npy-append/{name}"), |b| {
            b.iter(|| w.append_bytes(black_box(bytes)).unwrap())
        });
        w.close().expect("close");
    }
}

fn append_chunk(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let chunk_len = 1usize << 20;
    let window = 64u64 << 20;
    let chunk = vec![0u8; chunk_len];
    let mut g = c.benchmark_group("append_chunk_1MiB");
    g.throughput(Throughput::Bytes(chunk_len as u64));
    // The default rewrites the header after every chunk (a second, small pwrite); with
    // the header on flush or in 4.0 an append is one pwrite of the chunk.
    let others = [
        (
            "header_on_flush",
            Options::new().header_policy(HeaderPolicy::OnFlush),
            Version::V1_0,
        ),
        ("v4", Options::new(), Version::V4_0),
    ];
    bench_appends(&mut g, dir.path(), window, &chunk, others);
    let w = ring_appender(
        &dir.path().join("ours"),
        window,
        Options::new(),
        Version::V1_0,
    );
    g.bench_function("npy-append/header_every_append", |b| {
        b.iter(|| w.append_bytes(black_box(&chunk)).unwrap())
    });
    let ring = w.storage();
    let mut at = w.data_offset();
    g.bench_function("floor/write", |b| {
        b.iter(|| {
            ring.file()
                .write_all_at(black_box(&chunk), ring.place(at))
                .unwrap();
            at += chunk_len as u64;
        })
    });
    g.finish();
}

fn recover_group(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut g = c.benchmark_group("recover_partial_row");
    let synced = RecoverOptions::new();
    let unsynced = RecoverOptions::new().durability(Durability::None);
    for (label, size) in [("64KiB", 64u64 << 10), ("2GiB", 2u64 << 30)] {
        let path = sparse_rows_file(dir.path(), &format!("{label}.npy"), size);
        let full = std::fs::metadata(&path).expect("stat").len();
        // Each call finds 5 bytes of a row that was never finished and cuts them: synced
        // (the default: the cut is fdatasynced) and not (as npy-append-array).
        for (name, opts) in [("npy-append", &synced), ("npy-append-unsynced", &unsynced)] {
            g.bench_function(format!("{name}/{label}"), |b| {
                b.iter_batched(
                    || {
                        let f = OpenOptions::new().write(true).open(&path).expect("open");
                        f.set_len(full + 5).expect("extend");
                    },
                    |()| recover(black_box(&path), opts).unwrap(),
                    BatchSize::PerIteration,
                )
            });
        }
    }
    g.finish();
}

/// The floor of a move: shift `data_len` bytes at `from` forward by `shift`, chunk by
/// chunk, last chunk first, and write the new header; no journal, no fsync.
fn chunked_move(
    file: &File,
    from: u64,
    data_len: u64,
    shift: u64,
    header: &[u8],
    chunk: &mut [u8],
) {
    let step = chunk.len() as u64;
    let mut end = data_len;
    while end > 0 {
        let start = end.saturating_sub(step);
        let n = usize::try_from(end - start).expect("chunk fits");
        file.read_exact_at(&mut chunk[..n], from + start)
            .expect("read");
        file.write_all_at(&chunk[..n], from + start + shift)
            .expect("write");
        end = start;
    }
    file.write_all_at(header, 0).expect("header");
}

/// An old file of `data_bytes` as `old_header_file` writes it, made durable: an old file
/// is on disk, and a sync of the whole file would otherwise be charged to the first
/// `fdatasync` of the journaled variants.
fn durable_old_file(path: &Path, data_bytes: u64) {
    old_header_file(path, data_bytes);
    File::open(path).and_then(|f| f.sync_all()).expect("fsync");
}

/// Restores the file a range insert made appendable to the old one without rewriting
/// its data: `FALLOC_FL_COLLAPSE_RANGE` takes the inserted 4 KiB out again, then the old
/// header is written back and the file synced. O(1), so that the range insert, which is
/// O(1) too, can be timed over many iterations on a real file of `data_bytes`.
#[cfg(target_os = "linux")]
fn restore_after_insert(path: &Path, old_header: &[u8], data_bytes: u64) {
    use rustix::fs::{fallocate, FallocateFlags};
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let len = file.metadata().unwrap().len();
    if len == 128 + 4096 + data_bytes {
        fallocate(&file, FallocateFlags::COLLAPSE_RANGE, 0, 4096).expect("collapse range");
    } else {
        assert_eq!(len, 128 + data_bytes, "the old file or the inserted one");
    }
    file.write_all_at(old_header, 0).expect("header");
    file.sync_all().expect("fsync");
}

fn ensure(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let sizes: &[u64] = if !benching() {
        &[1 << 20]
    } else if std::env::var_os("NPY_BENCH_BIG").is_some() {
        &[64 << 20, 1 << 30]
    } else {
        &[64 << 20]
    };
    let path = dir.path().join("old.npy");
    let mut g = c.benchmark_group("ensure_appendable_in_place");
    // Each iteration rewrites the file in its setup: few iterations, the same number
    // per sample.
    g.sample_size(10);
    g.sampling_mode(SamplingMode::Flat);
    for &data_bytes in sizes {
        let label = format!("{}MiB", data_bytes >> 20);
        g.throughput(Throughput::Bytes(data_bytes));
        g.measurement_time(Duration::from_secs(if data_bytes > 64 << 20 {
            30
        } else {
            10
        }));
        // Ours, the default: a range insert where the filesystem can (ext4 here).
        let method = std::cell::Cell::new(None);
        durable_old_file(&path, data_bytes);
        let old_header = std::fs::read(&path).unwrap()[..128].to_vec();
        g.bench_function(format!("npy-append/{label}"), |b| {
            b.iter_batched(
                || {
                    #[cfg(target_os = "linux")]
                    restore_after_insert(&path, &old_header, data_bytes);
                    #[cfg(not(target_os = "linux"))]
                    durable_old_file(&path, data_bytes);
                },
                |()| {
                    let done = ensure_appendable(&path, EnsureMode::InPlace).unwrap();
                    assert!(!done.already, "the header grew");
                    method.set(Some(done.method));
                },
                BatchSize::PerIteration,
            )
        });
        eprintln!("npy-append/{label} made room by {:?}", method.get());
        // Ours, the journaled chunked move (the fallback, and the opt-out).
        let growth = std::cell::Cell::new(0);
        let chunked = MoveOptions::new().insert_range(false);
        g.bench_function(format!("npy-append-chunked/{label}"), |b| {
            b.iter_batched(
                || durable_old_file(&path, data_bytes),
                |()| {
                    let done = ensure_appendable_with(
                        &path,
                        EnsureMode::InPlace,
                        &chunked,
                        &mut |_, _| {},
                    )
                    .unwrap();
                    assert_eq!(done.method, Method::ChunkedMove);
                    growth.set(done.header_growth);
                },
                BatchSize::PerIteration,
            )
        });
        // npy-append-array's algorithm: the same shift (NumPy's header) and the same
        // 16 MiB chunks, no journal, no sync.
        let shift = growth.get();
        assert!(shift > 0, "the header grew");
        let header = vec![b' '; usize::try_from(128 + shift).expect("small")];
        let mut chunk =
            vec![0u8; usize::try_from(npy_append::DEFAULT_CHUNK_BYTES).expect("16 MiB")];
        g.bench_function(format!("floor_chunked_move/{label}"), |b| {
            b.iter_batched(
                || durable_old_file(&path, data_bytes),
                |()| {
                    let file = OpenOptions::new()
                        .read(true)
                        .write(true)
                        .open(&path)
                        .unwrap();
                    chunked_move(&file, 128, data_bytes, shift, &header, &mut chunk);
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = header_parse, open, append_row, append_chunk, recover_group, ensure
}
criterion_main!(benches);
