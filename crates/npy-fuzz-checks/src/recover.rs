//! The properties of the `recover` target, over the public API of `npy-append` and
//! `npy-mmap` (with the in-memory file of `npy-testing`).
//!
//! Plain Rust, no libFuzzer: the target calls it, and so does
//! `crates/npy-append/tests/integration/fuzz_regressions.rs`, so that `cargo test` runs
//! the same checks over every committed finding. The `append_ops` checks use
//! [`recover_and_check`] after every simulated crash. Each check panics when a property fails.

use npy_append::{recover_on, Adopt, Error, RecoverOptions, Recovered, MAX_HEADER_LEN};
use npy_header::{ByteOrder, Dtype, Header, HeaderParser, Kind, Scalar, Version};
use npy_mmap::{Loader, NpyBuffer};
use npy_testing::MemFile;

/// Headers the `recover` target may pass as [`RecoverOptions::template`]: a 1.0 file of
/// bytes, a 1.0 C-order file of rows of three `<f8`, a 4.0 file of `<i4` (all as
/// `np.save` or the appender would write them for 0 rows).
pub fn templates() -> Vec<Vec<u8>> {
    let scalar = |kind, order, size| {
        Dtype::Scalar(Scalar::new(kind, order, size).expect("a size the kind has"))
    };
    let headers = [
        (
            Header::new(
                scalar(Kind::UInt, ByteOrder::NotApplicable, 1),
                false,
                vec![0],
            ),
            Version::V1_0,
        ),
        (
            Header::new(scalar(Kind::Float, ByteOrder::Little, 8), false, vec![0, 3]),
            Version::V1_0,
        ),
        (
            Header::open_ended(scalar(Kind::Int, ByteOrder::Little, 4), false, vec![]),
            Version::V4_0,
        ),
    ];
    headers
        .iter()
        .map(|(h, v)| h.emit(Some(*v)).expect("a plain header").bytes)
        .collect()
}

/// The options a leading byte chooses: bit 0 [`Adopt::Counted`], bit 1
/// `zerofill_incomplete`, bits 2–3 a template (0: none, 1–3: [`templates`]).
pub fn options_from_byte(b: u8) -> RecoverOptions {
    options_from_byte_for(b, &[])
}

/// [`options_from_byte`] for the file `bytes`: zero-filling is turned off when its header
/// (or the template, if it is the one used) has rows larger than [`MAX_ZEROFILL_ROW`].
pub fn options_from_byte_for(b: u8, bytes: &[u8]) -> RecoverOptions {
    let adopt = if b & 1 == 0 {
        Adopt::WholeRows
    } else {
        Adopt::Counted
    };
    let opts = RecoverOptions::new()
        .adopt(adopt)
        .zerofill_incomplete(b & 2 != 0);
    let opts = match usize::from((b >> 2) & 3) {
        0 => opts,
        n => opts
            .template(&templates()[n - 1])
            .expect("the templates are valid headers"),
    };
    bounded(bytes, &opts, b & 2 != 0)
}

/// The `recover` target: the first byte chooses the options ([`options_from_byte`]),
/// the rest is the file. See [`recover_and_check`].
pub fn recover(data: &[u8]) {
    let Some((&first, file)) = data.split_first() else {
        return;
    };
    let _ = recover_and_check(
        file.to_vec(),
        Vec::new(),
        &options_from_byte_for(first, file),
    );
}

/// Rows larger than this are not completed with zeros by the harness: completing one
/// writes a whole row, whose size the (untrusted) header states, so a 100-byte file can
/// ask for terabytes of zeros, more than an in-memory file can hold.
pub const MAX_ZEROFILL_ROW: u64 = 1 << 20;

/// `opts` with `zerofill_incomplete` turned off when the header of `bytes` (or the
/// template, if it is the one used) has rows larger than [`MAX_ZEROFILL_ROW`].
fn bounded(bytes: &[u8], opts: &RecoverOptions, zerofill: bool) -> RecoverOptions {
    let row = |b: &[u8]| {
        HeaderParser::new()
            .max_header_len(MAX_HEADER_LEN)
            .parse(b)
            .ok()
            .and_then(|p| p.header.row_bytes().ok())
    };
    let big = |r: Option<u64>| r.is_some_and(|r| r > MAX_ZEROFILL_ROW);
    if zerofill && (big(row(bytes)) || templates().iter().any(|t| big(row(t)))) {
        opts.clone().zerofill_incomplete(false)
    } else {
        opts.clone()
    }
}

/// The parser `npy-append` reads headers with: default limits, 1 MiB headers.
fn loader() -> Loader {
    Loader::with_parser(HeaderParser::new().max_header_len(MAX_HEADER_LEN))
}

/// Runs `recover_on` over `bytes` and their journal in memory and checks its promise:
/// it either refuses with an error (lowercase, no trailing period) and leaves the bytes
/// as they were, or
/// yields a file that the `npy-mmap` loader accepts, whose data is whole rows (no
/// trailing bytes), whose shape is the one `recover` reports, and on which `recover`
/// again changes nothing. Returns the recovered bytes and what `recover` reported.
pub fn recover_and_check(
    bytes: Vec<u8>,
    journal: Vec<u8>,
    opts: &RecoverOptions,
) -> Result<(Vec<u8>, Recovered), Error> {
    let file = MemFile::from_bytes(bytes.clone());
    let journal = MemFile::from_bytes(journal);
    let done = match recover_on(&file, &journal, opts) {
        Ok(done) => done,
        Err(e) => {
            check_error(&e);
            assert!(
                file.bytes() == bytes,
                "recover failed ({e}) and changed the file"
            );
            return Err(e);
        }
    };
    let after = file.bytes();
    assert_eq!(
        done.changed(),
        after != bytes || done.replayed.is_some(),
        "recover says changed = {} but the bytes {}: {done:?}",
        done.changed(),
        if after == bytes {
            "did not change"
        } else {
            "changed"
        },
    );
    check_loadable(&after, &done);

    assert_eq!(
        journal.bytes().len(),
        0,
        "recover succeeded and left a journal: {done:?}"
    );
    let again = recover_on(&file, &journal, opts)
        .unwrap_or_else(|e| panic!("recover accepted the file it recovered only once: {e}"));
    assert!(
        file.bytes() == after,
        "recover is not idempotent: the second run changed the file ({again:?})"
    );
    assert!(
        !again.changed(),
        "the second recover reports a change: {again:?}"
    );
    assert_eq!(
        again.shape, done.shape,
        "the second recover reads another shape"
    );
    Ok((after, done))
}

fn check_error(e: &Error) {
    let msg = e.message();
    assert!(!msg.is_empty(), "empty error message ({:?})", e.kind());
    assert!(
        !msg.starts_with(char::is_uppercase) && !msg.ends_with('.'),
        "error message is not lowercase without a trailing period: {msg:?}"
    );
}

/// The recovered file loads, holds whole rows only, and has the shape `recover` said.
fn check_loadable(bytes: &[u8], done: &Recovered) {
    let buf = loader()
        .read(bytes)
        .unwrap_or_else(|e| panic!("the loader refuses what recover made: {e}\n{done:?}"));
    let layout = buf.layout();
    assert_eq!(
        layout.trailing_bytes(),
        0,
        "recover left bytes after the data: {layout:?}"
    );
    assert_eq!(
        layout.data_offset() + layout.data_bytes(),
        bytes.len() as u64,
        "data offset and data do not add up to the file"
    );
    assert_eq!(
        layout.version(),
        done.version,
        "recover reported another version"
    );
    assert_eq!(layout.shape(), done.shape, "recover reported another shape");
}

/// The data bytes of a file the loader accepts (rows in file order), its row size and
/// its header; for the `append_ops` checks.
pub fn load(bytes: &[u8]) -> (Vec<u8>, u64, Header) {
    let buf: NpyBuffer = loader()
        .read(bytes)
        .unwrap_or_else(|e| panic!("a recovered file does not load: {e}"));
    let row_bytes = buf.layout().row_bytes();
    (
        buf.bytes().to_vec(),
        row_bytes,
        buf.layout().header().clone(),
    )
}

/// The `recover_journal` target: untrusted journal bytes beside an array. The first
/// byte chooses the options ([`options_from_byte`]; bit 7 also asks for a valid
/// checksum), the next two the length of the array (little-endian), then the array,
/// then the journal. With bit 7 set, the CRC-32 of the last footer slot whose payload
/// lies within the journal is made to match (`spec/npy-format.md` section 9.1), so
/// that the fields' own checks and the replay are reached, not only the checksum.
pub fn recover_journal(data: &[u8]) {
    let [first, lo, hi, rest @ ..] = data else {
        return;
    };
    let split = usize::from(u16::from_le_bytes([*lo, *hi])).min(rest.len());
    let (file, journal) = rest.split_at(split);
    let mut journal = journal.to_vec();
    if first & 0x80 != 0 {
        seal_a_footer(&mut journal);
    }
    let _ = recover_and_check(
        file.to_vec(),
        journal,
        &options_from_byte_for(first & 0x7f, file),
    );
}

/// Makes the CRC-32 of one footer slot match its payload, when the payload it names is
/// inside the journal.
fn seal_a_footer(journal: &mut [u8]) {
    const FOOTER: usize = 80;
    let Some(footers_at) = journal.len().checked_sub(2 * FOOTER) else {
        return;
    };
    for slot in [1, 0] {
        let at = footers_at + slot * FOOTER;
        let field =
            |i: usize| u64::from_le_bytes(journal[at + i..at + i + 8].try_into().expect("8 bytes"));
        let (offset, len) = (field(24), field(32));
        let Some(end) = offset.checked_add(len).filter(|&e| e <= footers_at as u64) else {
            continue;
        };
        let payload = &journal[usize::try_from(offset).expect("within the journal")
            ..usize::try_from(end).expect("within the journal")];
        let mut crc = crc32fast::Hasher::new();
        crc.update(payload);
        crc.update(&journal[at..at + 72]);
        let sum = crc.finalize().to_le_bytes();
        journal[at + 72..at + 76].copy_from_slice(&sum);
        return;
    }
}
