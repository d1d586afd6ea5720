//! The properties of the `append_ops` target: sequences of operations on an
//! `npy-append` writer over a crash-simulating file, checked against a model after
//! every simulated crash and recovery.
//!
//! Plain Rust, no libFuzzer: the target calls it, and so does
//! `crates/npy-append/tests/integration/fuzz_regressions.rs`.
//!
//! The checks are the crate manual's crash-guarantee table ("Crash guarantees" in
//! `crates/npy-append/src/lib.rs`), row by row, and no more:
//!
//! | crash | writer | recovered rows |
//! |---|---|---|
//! | process | any | exactly a prefix of the rows appended, holding every row flushed; with a 0-byte buffer and `WholeRows` (or `EveryWrite` and `Counted`), all of them |
//! | power | `Synced`, 1.0–3.0, `Counted` | a prefix of the rows appended holding every acknowledged row |
//! | power | `Synced`, 1.0–3.0, `WholeRows` | every acknowledged row, then anything |
//! | power | `None`, 1.0–3.0 | every acknowledged row, then anything; but when the header's count changed its number of digits since the last sync, the count may read fewer rows (only those that are read are checked, and only when the row shape survived) |
//! | power | 4.0 | every acknowledged row, then anything |
//!
//! "Acknowledged": appended before a `sync()` (with `Synced`, also a `flush()`) that
//! returned `Ok`. Before anything was synced the disk may hold no header at all, and
//! `recover` may then refuse. Every recovery also passes the `recover` target's checks
//! (the loader accepts the result, whole rows only, idempotent).

use std::sync::Arc;

use arbitrary::{Result as ArbResult, Unstructured};
use npy_append::{Adopt, Appender, Durability, HeaderPolicy, NewArray, Options, RecoverOptions};
use npy_header::{ByteOrder, Dtype, Field, Header, Kind, Scalar, Version};
use npy_testing::{CrashFile, Rng};

use crate::recover::{load, recover_and_check};

/// At most this many operations per input, so that an input costs little.
const MAX_OPS: usize = 48;

fn scalar(kind: Kind, order: ByteOrder, size: u64) -> Dtype {
    Dtype::Scalar(Scalar::new(kind, order, size).expect("a size the kind has"))
}

/// The dtypes a new file may have: sizes 1, 2, 3 (a record), 4, 8 and 0 (`|S0`).
fn dtypes() -> [Dtype; 6] {
    [
        scalar(Kind::UInt, ByteOrder::NotApplicable, 1),
        scalar(Kind::Int, ByteOrder::Big, 2),
        Dtype::Record {
            fields: vec![
                Field {
                    name: "a".into(),
                    title: None,
                    dtype: scalar(Kind::UInt, ByteOrder::NotApplicable, 1),
                    offset: 0,
                },
                Field {
                    name: "b".into(),
                    title: None,
                    dtype: scalar(Kind::UInt, ByteOrder::Little, 2),
                    offset: 1,
                },
            ],
            itemsize: 3,
        },
        scalar(Kind::Float, ByteOrder::Little, 4),
        scalar(Kind::Float, ByteOrder::Little, 8),
        scalar(Kind::Bytes, ByteOrder::NotApplicable, 0),
    ]
}

/// What the writer was created with.
#[derive(Clone, Debug)]
struct Setup {
    new: NewArray,
    dtype: Dtype,
    row_shape: Vec<u64>,
    opts: Options,
    v4: bool,
    durability: Durability,
    policy: HeaderPolicy,
    buffer_bytes: usize,
}

fn arbitrary_setup(u: &mut Unstructured<'_>) -> ArbResult<Setup> {
    let dtype = u.choose(&dtypes())?.clone();
    let ndim = u.int_in_range(0..=2)?;
    let mut row_shape = Vec::with_capacity(ndim);
    for _ in 0..ndim {
        row_shape.push(u.int_in_range(0..=3)?);
    }
    let version = *u.choose(&Version::ALL)?;
    let policy = *u.choose(&[HeaderPolicy::EveryWrite, HeaderPolicy::OnFlush])?;
    let durability = *u.choose(&[Durability::None, Durability::Synced])?;
    let buffer_bytes = *u.choose(&[0, 7, 64, 4096])?;
    let new = NewArray::new(dtype.clone(), row_shape.clone())
        .fortran_order(u.arbitrary()?)
        .version(version);
    Ok(Setup {
        new,
        dtype,
        row_shape,
        opts: Options::new()
            .header_policy(policy)
            .durability(durability)
            .buffer_bytes(buffer_bytes),
        v4: version == Version::V4_0,
        durability,
        policy,
        buffer_bytes,
    })
}

/// The writer and the model of what it was given.
struct Run {
    setup: Setup,
    file: Arc<CrashFile>,
    /// The array's journal, on the same simulated disk.
    journal: Arc<CrashFile>,
    writer: Option<Appender<Arc<CrashFile>, Arc<CrashFile>>>,
    row_bytes: u64,
    /// The data of every row appended, in order (failed appends included: their rows
    /// may have reached the file).
    appended: Vec<u8>,
    /// Rows every one of which reached the file (a flush or sync returned `Ok`, or,
    /// with a 0-byte buffer, the append did).
    flushed: u64,
    /// Rows the header in the file counts at least: those before the last `flush`,
    /// `sync` or `close` that returned `Ok` (with `EveryWrite` and a 0-byte buffer,
    /// before the last append that returned `Ok`).
    counted: u64,
    /// Rows acknowledged in the sense of the crash-guarantee table.
    acked: u64,
    /// Whether an operation failed (the power went down, or the writer is poisoned):
    /// rows appended since may not have reached the file.
    failed: bool,
    /// The header as the file was created (or recovered), passed to `recover` as its
    /// template: a power loss can garble a header write beyond parsing, and the table's
    /// promises assume the caller then supplies the header (`RecoverOptions::template`).
    template: Vec<u8>,
    /// Whether a power failure is armed on this file.
    armed: bool,
    /// Whether `acked` rests on a sync (or a file made durable by recovery): before
    /// that, the disk may hold no header.
    durable_header: bool,
}

impl Run {
    /// Rows appended (rows of 0 bytes are never appended: nothing could count them).
    fn rows(&self) -> u64 {
        self.appended
            .len()
            .checked_div(usize::try_from(self.row_bytes).unwrap_or(usize::MAX))
            .unwrap_or(0) as u64
    }
}

/// The bytes of `n` rows starting at row `first`, distinct per row and input.
fn pattern(first: u64, n: u64, row_bytes: u64, salt: u8) -> Vec<u8> {
    let mut out = Vec::new();
    for r in first..first + n {
        for i in 0..row_bytes {
            let x = r.wrapping_mul(0x9e37_79b9).wrapping_add(i.wrapping_mul(31));
            out.push((x ^ (x >> 8) ^ u64::from(salt)).to_le_bytes()[0]);
        }
    }
    out
}

/// With `NPY_FUZZ_TRACE` set, each operation, the model after it and each crash are
/// printed (to follow a finding: replay it with `cargo test` or the target).
fn tracing() -> bool {
    static TRACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("NPY_FUZZ_TRACE").is_some())
}

/// The `append_ops` target: operations chosen by `data`, checked as the module
/// documentation says.
pub fn append_ops(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let mut run: Option<Run> = None;
    let trace = tracing();
    for _ in 0..MAX_OPS {
        if u.is_empty() {
            break;
        }
        if step(&mut u, &mut run).is_err() {
            break;
        }
        if trace {
            if let Some(r) = &run {
                eprintln!(
                    "rows {} flushed {} counted {} acked {} failed {} ops {} down {} writer {}",
                    r.rows(),
                    r.flushed,
                    r.counted,
                    r.acked,
                    r.failed,
                    r.file.ops(),
                    r.file.is_down(),
                    r.writer.is_some()
                );
            }
        }
    }
}

fn create(setup: Setup) -> Option<Run> {
    let file = Arc::new(CrashFile::new());
    let journal = Arc::new(file.on_same_disk());
    let writer = Appender::create_on(
        Arc::clone(&file),
        Arc::clone(&journal),
        &setup.new,
        setup.opts.clone(),
    )
    .ok()?;
    let row_bytes = writer.row_bytes();
    let offset = usize::try_from(writer.data_offset()).expect("a small header");
    let template = file.page_cache()[..offset].to_vec();
    // `create_on` with `Synced` syncs the new header before it returns.
    let durable_header = setup.durability == Durability::Synced;
    Some(Run {
        template,
        setup,
        file,
        journal,
        writer: Some(writer),
        row_bytes,
        appended: Vec::new(),
        flushed: 0,
        counted: 0,
        acked: 0,
        failed: false,
        armed: false,
        durable_header,
    })
}

fn step(u: &mut Unstructured<'_>, run: &mut Option<Run>) -> ArbResult<()> {
    let Some(r) = run.as_mut() else {
        *run = create(arbitrary_setup(u)?);
        return Ok(());
    };
    let op = u.int_in_range(0..=15)?;
    if tracing() {
        eprintln!("op {op}");
    }
    match op {
        0 => *run = create(arbitrary_setup(u)?),
        1..=6 => {
            let n = u.int_in_range(0..=5)?;
            let salt = u.arbitrary()?;
            append(r, n, salt);
        }
        7 | 8 => {
            if let Some(w) = &r.writer {
                let synced = r.setup.durability == Durability::Synced;
                committed(r, w.flush().is_ok(), synced);
            }
        }
        9 | 10 => {
            if let Some(w) = &r.writer {
                committed(r, w.sync().is_ok(), true);
            }
        }
        11 => {
            // The power fails a few calls from now (appends, flushes and syncs fail
            // from then on, until the crash is recovered from).
            // Armed once per file: a later arming would bring a machine that is down
            // back up without a crash.
            let k = u.int_in_range(0..=12)?;
            if !r.armed {
                r.file.crash_after(r.file.ops() + k);
                r.armed = true;
            }
        }
        12 => reopen(r),
        _ => {
            let power = u.arbitrary::<bool>()?;
            let seed = u.arbitrary()?;
            let adopt = *u.choose(&[Adopt::WholeRows, Adopt::Counted])?;
            let zerofill = u.arbitrary()?;
            *run = crash_and_recover(r, power, seed, adopt, zerofill);
        }
    }
    Ok(())
}

fn append(r: &mut Run, n: u64, salt: u8) {
    let Some(w) = &r.writer else { return };
    if r.row_bytes == 0 {
        // Rows of no bytes cannot be told apart or counted from the data.
        return;
    }
    let bytes = pattern(r.rows(), n, r.row_bytes, salt);
    let ok = w.append_bytes(&bytes).is_ok();
    r.appended.extend_from_slice(&bytes);
    r.failed |= !ok;
    if ok && r.setup.buffer_bytes == 0 {
        r.flushed = r.rows();
        if r.setup.policy == HeaderPolicy::EveryWrite {
            r.counted = r.rows();
        }
    }
}

/// What a `flush`, `sync` or `close` that returned `ok` promises: every row written and
/// counted, and, when `durable`, acknowledged with its header on disk. A failure leaves
/// the writer failed.
fn committed(r: &mut Run, ok: bool, durable: bool) {
    if !ok {
        r.failed = true;
        return;
    }
    r.flushed = r.rows();
    r.counted = r.rows();
    if durable {
        r.acked = r.rows();
        r.durable_header = true;
    }
}

/// Closes the writer and opens the file again (a clean restart, no crash).
fn reopen(r: &mut Run) {
    if r.failed {
        // What the failed writer left is for `recover`, after a crash.
        return;
    }
    let Some(w) = r.writer.take() else { return };
    let synced = r.setup.durability == Durability::Synced;
    committed(r, w.close().is_ok(), synced);
    // A writer that failed leaves a file that may need recovery: opening may refuse.
    r.writer = Appender::open_on(
        Arc::clone(&r.file),
        Arc::clone(&r.journal),
        r.setup.opts.clone(),
    )
    .ok();
}

/// The count in a 1.0–3.0 header, if the bytes start with one that parses.
fn header_count(bytes: &[u8]) -> Option<u64> {
    npy_header::parse(bytes).ok()?.header.growth_len()
}

fn digits(n: u64) -> usize {
    n.to_string().len()
}

/// The shape of a row: the header's shape without the growth axis (none for 0-d).
fn row_shape(h: &Header) -> Option<Vec<u64>> {
    h.growth_axis().map(|_| h.row_shape().to_vec())
}

fn crash_and_recover(
    r: &mut Run,
    power: bool,
    seed: u64,
    adopt: Adopt,
    zerofill: bool,
) -> Option<Run> {
    // What the disk holds is taken before the writer is dropped: a crash does not run
    // the writer's drop (which would write its buffer out).
    let (image, journal) = if power {
        let mut rng = Rng::with_seed(seed);
        (r.file.power_loss(&mut rng), r.journal.power_loss(&mut rng))
    } else {
        (r.file.page_cache(), r.journal.page_cache())
    };
    let durable = r.file.durable();
    let page_cache = r.file.page_cache();
    drop(r.writer.take());
    let opts = RecoverOptions::new()
        .adopt(adopt)
        .zerofill_incomplete(zerofill)
        .template(&r.template)
        .expect("the header the file was created with");
    let s = &r.setup;

    // When a power loss may have torn a 1.0–3.0 header rewrite that changed the
    // count's number of digits (only `Synced` journals those), the table promises less.
    let digits_may_tear = power
        && !s.v4
        && s.durability == Durability::None
        && match (header_count(&durable), header_count(&page_cache)) {
            (Some(a), Some(b)) => digits(a) != digits(b),
            _ => true,
        };
    let must_recover = !power || (r.durable_header && !digits_may_tear);
    if tracing() {
        eprintln!(
            "crash: power {power}, durable count {:?}, page-cache count {:?}, digits may tear {digits_may_tear}",
            header_count(&durable),
            header_count(&page_cache)
        );
        for p in r.file.pending() {
            match p {
                npy_testing::Pending::Write { offset, bytes } => eprintln!(
                    "  pending write at {offset}: {:?}",
                    String::from_utf8_lossy(&bytes)
                ),
                other => eprintln!("  pending {other:?}"),
            }
        }
        eprintln!(
            "  image: {:?}",
            String::from_utf8_lossy(&image[..image.len().min(128)])
        );
    }

    let result = recover_and_check(image, journal, &opts);
    let (bytes, _) = match result {
        Ok(ok) => ok,
        Err(e) => {
            assert!(
                !must_recover,
                "recover refused after a {} crash ({:?}, acked {} of {} rows): {e}",
                if power { "power" } else { "process" },
                s,
                r.acked,
                r.rows()
            );
            return None;
        }
    };
    let (data, row_bytes, header) = load(&bytes);
    let same_rows = row_bytes == r.row_bytes
        && *header.dtype() == s.dtype
        && row_shape(&header).as_ref() == Some(&s.row_shape);
    let recovered_rows = data.len() as u64 / row_bytes.max(1);
    let appended = &r.appended;
    let ctx = || {
        format!(
            "{} crash, {adopt:?}, zerofill {zerofill}, {s:?}: recovered {recovered_rows} rows; appended {}, flushed {}, acknowledged {}",
            if power { "power" } else { "process" },
            r.rows(),
            r.flushed,
            r.acked
        )
    };
    if !digits_may_tear {
        assert!(
            same_rows,
            "recover changed the row shape or dtype: {header:?}; {}",
            ctx()
        );
    }
    if same_rows && r.row_bytes > 0 {
        let rb = usize::try_from(r.row_bytes).expect("small rows");
        let acked = usize::try_from(r.acked).expect("few rows") * rb;
        if !power {
            assert!(
                data.len() <= appended.len() && data[..] == appended[..data.len()],
                "not a prefix of the rows appended: {}",
                ctx()
            );
            // `Counted` keeps the rows the header counts (a 4.0 header counts none:
            // whole rows then).
            let kept = if adopt == Adopt::Counted && !s.v4 {
                r.counted
            } else {
                r.flushed
            };
            assert!(recovered_rows >= kept, "flushed rows lost: {}", ctx());
            let all = r.setup.buffer_bytes == 0
                && !r.failed
                && (adopt == Adopt::WholeRows
                    || s.v4
                    || r.setup.policy == HeaderPolicy::EveryWrite);
            if all {
                assert_eq!(
                    recovered_rows,
                    r.rows(),
                    "rows that reached the file lost: {}",
                    ctx()
                );
            }
        } else if digits_may_tear {
            let n = data.len().min(acked);
            assert!(
                data[..n] == appended[..n],
                "an acknowledged row reads back changed: {}",
                ctx()
            );
        } else {
            if r.durable_header {
                assert!(
                    data.len() >= acked && data[..acked] == appended[..acked],
                    "acknowledged rows lost or changed: {}",
                    ctx()
                );
            }
            if s.durability == Durability::Synced && !s.v4 && adopt == Adopt::Counted {
                assert!(
                    data.len() <= appended.len() && data[..] == appended[..data.len()],
                    "not a prefix of the rows appended: {}",
                    ctx()
                );
            }
        }
    }

    // Continue from the recovered file, now durable: its rows are the new baseline.
    let offset = bytes.len() - data.len();
    let template = bytes[..offset].to_vec();
    let file = Arc::new(CrashFile::from_bytes(bytes));
    // `recover` removed the journal.
    let journal = Arc::new(file.on_same_disk());
    let writer = Appender::open_on(
        Arc::clone(&file),
        Arc::clone(&journal),
        r.setup.opts.clone(),
    )
    .ok();
    let rows = if row_bytes == 0 { 0 } else { recovered_rows };
    let mut setup = r.setup.clone();
    // After a torn header the rows may have another shape; later checks hold the file
    // to what it now is.
    setup.dtype = header.dtype().clone();
    setup.row_shape = row_shape(&header).unwrap_or_default();
    Some(Run {
        template,
        setup,
        file,
        journal,
        writer,
        row_bytes,
        appended: data,
        flushed: rows,
        counted: rows,
        acked: rows,
        failed: false,
        armed: false,
        durable_header: true,
    })
}
