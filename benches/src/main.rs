//! `npy-bench OP DIR ITERS`: runs one operation ITERS times on files in DIR and prints
//! `{"op": ..., "iters": ..., "ns_per_op": ...}`. `benches/compare.py` calls it in turn
//! with its Python equivalent (A B A B ...), so that both sides are timed in the same
//! run, each in its own process and from its own clock; setup (making files) is not
//! timed. Operations:
//!
//! * `parse-typical`, `parse-structured20`: `npy_header::parse` of the header bytes.
//! * `open`: `npy_mmap::NpyFile::map` of `DIR/big.npy` (made by the caller).
//! * `save`: remove and create `DIR/save.npy`, write a (1000, 128) `<f8` array of
//!   zeros with `Appender` and close it (what `np.save` does: no fsync).
//! * `append-every`, `append-onflush`, `append-v4`: create `DIR/append.npy`, then time
//!   ITERS appends of one 128-byte row and the close: header rewritten on every append
//!   (no buffer), header written on close (default 1 MiB buffer), format 4.0;
//!   `append-onflush-batch` and `append-v4-batch` the same through one `Batch` (the
//!   writer's lock taken once, not per append); `append-onflush-ring` and
//!   `append-v4-ring` overwrite an 8 MiB ring of cached pages instead of a new file.
//! * `recover`: ITERS times, extend `DIR/big.npy` by 5 bytes (untimed) and `recover`
//!   it (the partial row is cut, and the cut `fdatasync`ed); `recover-unsynced` the
//!   same with `Durability::None` (no `fdatasync`, as npy-append-array).
//! * `ensure-in-place`: ITERS times, write `DIR/tight.npy` (untimed: a 128-byte header
//!   without spare room, as NumPy before 1.24 wrote, and 1 GiB of data as a hole) and
//!   `ensure_appendable` it in place.
//! * Memory: `append-mib` appends ITERS MiB as 128-byte rows to a new file;
//!   `ensure-gib` and `ensure-chunked-gib` make a file of ITERS GiB as above and
//!   `ensure_appendable` it in place once, by range insert or by the chunked move.
//!   The JSON's `peak_rss_kib` is the process's peak resident memory (every
//!   operation reports it).

// `deny`, not `forbid`: the `open` operation maps a file, which takes `unsafe`,
// allowed in `open` alone.
#![deny(unsafe_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use npy_append::{
    ensure_appendable, ensure_appendable_with, recover, Appender, Durability, EnsureMode,
    HeaderPolicy, MoveOptions, NewArray, Options, RecoverOptions, Storage,
};
use npy_benches::{f8, old_header, ring_appender, structured_header, typical_header, ROW_BYTES};
use npy_header::Version;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [op, dir, iters] = args.as_slice() else {
        eprintln!("usage: npy-bench OP DIR ITERS");
        std::process::exit(2);
    };
    let dir = Path::new(dir);
    let iters: u32 = iters.parse().expect("ITERS is a number");
    let elapsed = run(op, dir, iters);
    println!(
        "{{\"op\": \"{op}\", \"iters\": {iters}, \"ns_per_op\": {}, \"peak_rss_kib\": {}}}",
        elapsed.as_nanos() as f64 / f64::from(iters),
        peak_rss_kib()
    );
}

fn run(op: &str, dir: &Path, iters: u32) -> Duration {
    match op {
        "parse-typical" => parse(&typical_header(), iters),
        "parse-structured20" => parse(&structured_header(20), iters),
        "open" => open(&dir.join("big.npy"), iters),
        "save" => {
            let path = dir.join("save.npy");
            let data = vec![0u8; 1000 * 128 * 8];
            let t = Instant::now();
            for _ in 0..iters {
                let _ = std::fs::remove_file(&path);
                let w = Appender::create(&path, &NewArray::new(f8(), [128]), Options::new())
                    .expect("create");
                w.append_bytes(&data).expect("append");
                w.close().expect("close");
            }
            t.elapsed()
        }
        "append-every"
        | "append-onflush"
        | "append-v4"
        | "append-onflush-batch"
        | "append-v4-batch"
        | "append-onflush-ring"
        | "append-v4-ring" => {
            let (setting, how) = op["append-".len()..]
                .split_once('-')
                .unwrap_or((&op["append-".len()..], ""));
            let (opts, version) = match setting {
                "every" => (Options::new().buffer_bytes(0), Version::V1_0),
                "onflush" => (
                    Options::new().header_policy(HeaderPolicy::OnFlush),
                    Version::V1_0,
                ),
                _ => (Options::new(), Version::V4_0),
            };
            if how == "ring" {
                let path = dir.join("ring.npy");
                let _ = std::fs::remove_file(&path);
                let w = ring_appender(&path, 8 << 20, opts, version);
                // Clean pages: a write to one under writeback waits for it.
                w.storage().file().sync_all().expect("sync the ring");
                append_rows(w, iters, false)
            } else {
                let path = dir.join("append.npy");
                let _ = std::fs::remove_file(&path);
                let new = NewArray::new(f8(), [16]).version(version);
                let w = Appender::create(&path, &new, opts).expect("create");
                append_rows(w, iters, how == "batch")
            }
        }
        "recover" => recover_big(dir, iters, RecoverOptions::new()),
        "append-mib" => {
            // ITERS MiB as 128-byte rows, one append each, to a new file.
            let path = dir.join("stream.npy");
            let _ = std::fs::remove_file(&path);
            let w = Appender::create(&path, &NewArray::new(f8(), [16]), Options::new())
                .expect("create");
            let row = [7u8; ROW_BYTES];
            let t = Instant::now();
            for _ in 0..u64::from(iters) * (1 << 20) / ROW_BYTES as u64 {
                w.append_bytes(std::hint::black_box(&row)).expect("append");
            }
            w.close().expect("close");
            let elapsed = t.elapsed();
            std::fs::remove_file(&path).expect("remove");
            elapsed
        }
        "ensure-gib" | "ensure-chunked-gib" => {
            // Once, on a file of ITERS GiB: by range insert, or by the chunked move.
            let path = dir.join("tight.npy");
            make_tight(&path, u64::from(iters) << 30);
            let opts = MoveOptions::new().insert_range(op == "ensure-gib");
            let t = Instant::now();
            let done = ensure_appendable_with(&path, EnsureMode::InPlace, &opts, &mut |_, _| {})
                .expect("ensure_appendable");
            let elapsed = t.elapsed();
            assert!(!done.already, "the header had no room");
            std::fs::remove_file(&path).expect("remove");
            elapsed
        }
        "ensure-in-place" => {
            let path = dir.join("tight.npy");
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                make_tight(&path, ENSURE_BYTES);
                let t = Instant::now();
                let done =
                    ensure_appendable(&path, EnsureMode::InPlace).expect("ensure_appendable");
                total += t.elapsed();
                assert!(!done.already, "the header had no room");
            }
            total
        }
        "recover-unsynced" => recover_big(
            dir,
            iters,
            RecoverOptions::new().durability(Durability::None),
        ),
        _ => {
            eprintln!("unknown operation {op}");
            std::process::exit(2);
        }
    }
}

/// `open`: maps `path` `iters` times.
#[allow(unsafe_code)]
fn open(path: &Path, iters: u32) -> Duration {
    let t = Instant::now();
    for _ in 0..iters {
        // SAFETY: the caller (`compare.py`) made the file in its own directory before
        // the run, and nothing truncates or writes it while it is mapped.
        let f = unsafe { npy_mmap::NpyFile::map(path) }.expect("map");
        std::hint::black_box(f.bytes().len());
    }
    t.elapsed()
}

/// Data bytes of the `ensure-in-place` file: 1 GiB.
const ENSURE_BYTES: u64 = 1 << 30;

/// Writes [`old_header`] (a header without room for a longer count, as NumPy before
/// 1.24 wrote it) and then `bytes` of data as a hole: the move reads zeros and writes
/// real blocks. `compare.py` makes the same file for npy-append-array.
fn make_tight(path: &Path, bytes: u64) {
    let file = old_header(bytes / 8);
    let _ = std::fs::remove_file(path);
    std::fs::write(path, &file).expect("write the header");
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open");
    f.set_len(128 + bytes).expect("extend");
}

/// The process's peak resident memory (`VmHWM`), in KiB; 0 where /proc is missing.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

fn recover_big(dir: &Path, iters: u32, opts: RecoverOptions) -> Duration {
    let path = dir.join("big.npy");
    let size = std::fs::metadata(&path).expect("stat").len();
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open");
        f.set_len(size + 5).expect("extend");
        drop(f);
        let t = Instant::now();
        let done = recover(&path, &opts).expect("recover");
        total += t.elapsed();
        assert_eq!(done.truncated_bytes, 5, "a partial row was cut");
    }
    total
}

fn parse(bytes: &[u8], iters: u32) -> Duration {
    let t = Instant::now();
    for _ in 0..iters {
        std::hint::black_box(npy_header::parse(std::hint::black_box(bytes)).expect("parse"));
    }
    t.elapsed()
}

/// Times `iters` appends of a 128-byte row to `w` and closing it; with `batch`,
/// through one [`npy_append::Batch`] (the writer's lock taken once).
fn append_rows<S: Storage>(w: Appender<S>, iters: u32, batch: bool) -> Duration {
    let row = [0u8; ROW_BYTES];
    let t = Instant::now();
    if batch {
        let mut batch = w.batch();
        for _ in 0..iters {
            batch
                .append_bytes(std::hint::black_box(&row))
                .expect("append");
        }
    } else {
        for _ in 0..iters {
            w.append_bytes(std::hint::black_box(&row)).expect("append");
        }
    }
    w.close().expect("close");
    t.elapsed()
}
