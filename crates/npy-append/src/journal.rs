//! The recovery journal: how header rewrites and in-place data moves survive a crash.
//!
//! # Where it lives, and why
//!
//! The journal is a file of its own beside the array ([`Sidecar`](crate::Sidecar):
//! `NAME.npy-journal` for `NAME.npy`), as SQLite's rollback journal is. Nothing this
//! crate journals is ever written into the array's file past its data, so:
//!
//! * no byte that was not appended as row data can be counted as rows, by a reader
//!   following a 4.0 file (which counts rows from the file size), or by `recover`
//!   adopting whole rows, whatever failed, at any instant (`A-8`);
//! * row data cannot pose as a journal: whoever controls the rows (untrusted bytes
//!   logged as `u1`) cannot make `recover` change the header, the dtype or the shape;
//! * a failed journal write (a full disk, `EIO`, a signal) leaves at most an incomplete
//!   journal, which never changed the array: `recover` removes it.
//!
//! The array's file is changed only after the journal record describing the change is
//! durable (written and `fdatasync`ed, and the directory `fsync`ed when the journal
//! file was created). A journal file that holds no valid record therefore belongs to
//! an operation that had not touched the array yet. When the operation is done and its
//! changes to the array are durable, the journal is removed (unlinked, and the
//! directory `fsync`ed) before anything else happens to the array, so a journal is
//! never older than the array's last change.
//!
//! # Format
//!
//! The journal file holds payloads, then two 80-byte footer slots; the last 160 bytes
//! of the file are always the footers. A footer is valid when its magic, fields and
//! CRC-32 (over the payload and the footer) check out; the valid footer with the
//! highest sequence number wins. All integers are little-endian.
//!
//! | footer bytes | field |
//! |---|---|
//! | 0..8 | magic `\x93NPYJRN\x02` |
//! | 8..12 | operation: 1 header rewrite, 2 data move, 3 range insert (u32) |
//! | 12..16 | zero |
//! | 16..24 | sequence number (u64) |
//! | 24..32 | payload offset in the journal (u64) |
//! | 32..40 | payload length (u64) |
//! | 40..48 | header length: the payload starts with the new header (u64) |
//! | 48..72 | three arguments (u64 each, below) |
//! | 72..76 | CRC-32 of the payload and footer bytes 0..72 |
//! | 76..80 | zero |
//!
//! A record is believed only if its header parses as a header of exactly its length
//! and its fields agree with each other, with the journal's length and with the
//! array's file (its length, below); a valid record that does not fit the array is
//! refused ([`Found::Foreign`]), never applied.
//!
//! **Header rewrite** (1): the payload, at offset 0, is the new header, of the old
//! header's length (or longer, for a file that holds no data). Arguments: the data
//! end (where the array's file is cut afterwards) and the file's length when the
//! record was written. Steps: record, sync; header at offset 0, sync; cut the array at
//! the data end (when it was longer), sync; remove the journal. The array's length is
//! then one of the two recorded.
//!
//! **Data move** (2, in-place `ensure_appendable` by moving the data): two payload
//! slots of *new header length + chunk* bytes each, the chunk being the move's chunk
//! size or the data length if smaller. Arguments: the old data offset, the data length
//! and the source offset of the chunk in the payload. The move goes last chunk first;
//! each chunk is journaled (in slot *sequence mod 2*, synced) before it is copied, and
//! the copy synced before the next record overwrites the slot before last. A torn
//! journal write therefore leaves the previous record intact, and a chunk whose copy
//! was interrupted is redone from the journal's copy (its source may already be
//! overwritten). Then the new header is written and synced, and the journal removed.
//! The array's length is between the old data end and the new one.
//!
//! **Range insert** (3, in-place `ensure_appendable` by
//! `fallocate(FALLOC_FL_INSERT_RANGE)`): the payload is the new header. Arguments: the
//! old data offset and the data length. The record is synced; then *G* = new header
//! length − old data offset bytes are inserted at offset 0 of the array (shifting the
//! old header and the data) and synced with `fsync`; then the new header is written
//! over the first new-header-length bytes and synced; then the journal is removed. The
//! array's length tells whether the insert happened: the old data end (then `recover`
//! removes the journal, and the file is the original) or that plus *G* (then `recover`
//! writes the header). An insert of a file with few extents is one journaled metadata
//! change: it happens whole or not at all. But ext4 (when the shift outgrows a
//! transaction) and XFS (one transaction per extent, the size first) may commit a long
//! shift in steps, last extent first, so a power loss can leave the size grown and only
//! the tail shifted. The first extent, which holds the old header, is shifted last:
//! while the file still starts with the old header's preamble (its length field says
//! the old data offset), the shift is incomplete, and `recover` refuses rather than
//! write the header over unshifted data ([`insert_is_half_done`]). After a complete
//! shift the first bytes are a hole (zeros) or, the header write having begun, the new
//! header's preamble.

use std::io;

use crate::layout::{parser, MAX_HEADER_LEN, MAX_PREAMBLE_LEN_U64};
use crate::storage::{read_exact_at, write_all_at, Storage};

const MAGIC: &[u8; 8] = b"\x93NPYJRN\x02";
pub(crate) const FOOTER_LEN: u64 = 80;
const FOOTER: usize = 80;
const CRC_AT: usize = 72;

/// The largest chunk an in-place move uses and a journal record may hold: 64 MiB. It
/// bounds what `recover` reads from a journal.
pub const MAX_MOVE_CHUNK: u64 = 64 << 20;

/// A progress callback: bytes done, bytes in total.
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64);

/// What a journal record finishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    /// Write the payload (a whole header) at offset 0, then cut the file at `data_end`.
    Header { data_end: u64 },
    /// One chunk of an in-place move; the payload is the new header, then the chunk.
    Move {
        old_offset: u64,
        data_len: u64,
        chunk_src: u64,
    },
    /// An in-place `ensure_appendable` by range insert; the payload is the new header.
    /// When `inserted`, write it at 0; else the file is the original.
    Insert {
        old_offset: u64,
        data_len: u64,
        inserted: bool,
    },
}

/// A valid record that fits the array's file.
pub(crate) struct Record {
    pub op: Op,
    pub seq: u64,
    pub header_len: u64,
    pub payload: Vec<u8>,
    /// The length of one payload slot (data moves: the new header and one chunk).
    pub slot_len: u64,
}

/// What a journal holds.
pub(crate) enum Found {
    /// Nothing: no journal file, or an empty one.
    Empty,
    /// Bytes without a valid record: an operation was interrupted before its first
    /// record was complete, so it had not changed the array.
    Incomplete,
    /// A valid record that does not fit the array's file (it was copied, replaced or
    /// changed since): applying it could damage the file. Why, in words.
    Foreign(String),
    /// A record to finish.
    Record(Record),
}

struct Footer {
    code: u32,
    seq: u64,
    payload_offset: u64,
    payload_len: u64,
    header_len: u64,
    args: [u64; 3],
}

impl Footer {
    fn encode(&self, payload: &[&[u8]]) -> [u8; FOOTER] {
        let mut f = [0u8; FOOTER];
        f[..8].copy_from_slice(MAGIC);
        f[8..12].copy_from_slice(&self.code.to_le_bytes());
        let fields = [
            self.seq,
            self.payload_offset,
            self.payload_len,
            self.header_len,
            self.args[0],
            self.args[1],
            self.args[2],
        ];
        for (i, v) in fields.iter().enumerate() {
            f[16 + 8 * i..24 + 8 * i].copy_from_slice(&v.to_le_bytes());
        }
        let crc = checksum(payload, &f[..CRC_AT]);
        f[CRC_AT..CRC_AT + 4].copy_from_slice(&crc.to_le_bytes());
        f
    }

    fn decode(f: &[u8; FOOTER]) -> Option<(Footer, u32)> {
        if &f[..8] != MAGIC {
            return None;
        }
        let u32_at = |i: usize| {
            u32::from_le_bytes(
                f[i..i + 4]
                    .try_into()
                    .expect("a 4-byte field of the footer"),
            )
        };
        let u64_at = |i: usize| {
            u64::from_le_bytes(
                f[i..i + 8]
                    .try_into()
                    .expect("an 8-byte field of the footer"),
            )
        };
        let footer = Footer {
            code: u32_at(8),
            seq: u64_at(16),
            payload_offset: u64_at(24),
            payload_len: u64_at(32),
            header_len: u64_at(40),
            args: [u64_at(48), u64_at(56), u64_at(64)],
        };
        Some((footer, u32_at(CRC_AT)))
    }
}

fn checksum(payload: &[&[u8]], footer: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    for p in payload {
        h.update(p);
    }
    h.update(footer);
    h.finalize()
}

/// Reads the journal `j` of an array whose file is `data_len` bytes long.
pub(crate) fn find<J: Storage + ?Sized>(j: &J, data_len: u64) -> io::Result<Found> {
    let len = j.len()?;
    if len == 0 {
        return Ok(Found::Empty);
    }
    let Some(footers_at) = len.checked_sub(2 * FOOTER_LEN) else {
        return Ok(Found::Incomplete);
    };
    let mut best: Option<(Footer, Vec<u8>)> = None;
    for slot in 0..2 {
        let mut raw = [0u8; FOOTER];
        read_exact_at(j, &mut raw, footers_at + slot * FOOTER_LEN)?;
        let Some((f, crc)) = Footer::decode(&raw) else {
            continue;
        };
        if !consistent(&f, footers_at) || best.as_ref().is_some_and(|(b, _)| b.seq >= f.seq) {
            continue;
        }
        // Bounded by `consistent`: a header within MAX_HEADER_LEN and a chunk within
        // MAX_MOVE_CHUNK.
        let payload_len = usize::try_from(f.payload_len).expect("checked against MAX_MOVE_CHUNK");
        let mut payload = vec![0u8; payload_len];
        read_exact_at(j, &mut payload, f.payload_offset)?;
        if checksum(&[&payload], &raw[..CRC_AT]) != crc {
            continue;
        }
        // Only a valid header of exactly that length is ever written to the array.
        let header_len = usize::try_from(f.header_len).expect("checked against MAX_HEADER_LEN");
        if !parser()
            .parse(&payload[..header_len])
            .is_ok_and(|p| p.data_offset() == f.header_len)
        {
            continue;
        }
        best = Some((f, payload));
    }
    let Some((f, payload)) = best else {
        return Ok(Found::Incomplete);
    };
    Ok(match fits(&f, data_len) {
        Ok(op) => Found::Record(Record {
            op,
            seq: f.seq,
            header_len: f.header_len,
            payload,
            slot_len: footers_at / 2,
        }),
        Err(why) => Found::Foreign(why),
    })
}

/// Checks a footer's fields against each other and the journal's length, before
/// anything is read from them.
fn consistent(f: &Footer, footers_at: u64) -> bool {
    let header_ok = f.header_len > MAX_PREAMBLE_LEN_U64
        && f.header_len <= MAX_PREAMBLE_LEN_U64 + MAX_HEADER_LEN
        && f.header_len <= f.payload_len
        && f.payload_len - f.header_len <= MAX_MOVE_CHUNK
        && f.payload_offset
            .checked_add(f.payload_len)
            .is_some_and(|end| end <= footers_at);
    if !header_ok {
        return false;
    }
    match f.code {
        1 => {
            let data_end = f.args[0];
            f.payload_offset == 0
                && f.payload_len == f.header_len
                && footers_at == f.header_len
                && data_end >= f.header_len
        }
        2 => {
            let [old_offset, data_len, chunk_src] = f.args;
            let slot_len = footers_at / 2;
            let chunk_len = f.payload_len - f.header_len;
            // The chunk size: at most MAX_MOVE_CHUNK and the data length.
            let chunk = slot_len.saturating_sub(f.header_len);
            footers_at.is_multiple_of(2)
                && chunk > 0
                && chunk <= MAX_MOVE_CHUNK
                && chunk <= data_len
                && f.payload_offset == (f.seq % 2) * slot_len
                && f.payload_len <= slot_len
                && chunk_len > 0
                && old_offset < f.header_len
                && chunk_src >= old_offset
                && chunk_src
                    .checked_add(chunk_len)
                    .zip(old_offset.checked_add(data_len))
                    .is_some_and(|(end, data_end)| end <= data_end)
        }
        3 => {
            let [old_offset, data_len, _] = f.args;
            f.payload_offset == 0
                && f.payload_len == f.header_len
                && footers_at == f.header_len
                && old_offset < f.header_len
                && old_offset.checked_add(data_len).is_some()
        }
        _ => false,
    }
}

/// The operation of a consistent footer, if the array's file (`data_len` bytes) is
/// one the operation can have left; else why not.
fn fits(f: &Footer, data_len: u64) -> Result<Op, String> {
    let fail = |expected: String| {
        Err(format!(
            "the journal describes a file of {expected} bytes, but the array's file has {data_len}"
        ))
    };
    match f.code {
        1 => {
            let [data_end, len_before, _] = f.args;
            if data_len == data_end || data_len == len_before {
                Ok(Op::Header { data_end })
            } else if data_end == len_before {
                fail(data_end.to_string())
            } else {
                fail(format!("{len_before} or {data_end}"))
            }
        }
        2 => {
            let [old_offset, data_len_moved, chunk_src] = f.args;
            let old_end = old_offset + data_len_moved;
            let new_end = f.header_len.saturating_add(data_len_moved);
            if (old_end..=new_end).contains(&data_len) {
                Ok(Op::Move {
                    old_offset,
                    data_len: data_len_moved,
                    chunk_src,
                })
            } else {
                fail(format!("{old_end} to {new_end}"))
            }
        }
        _ => {
            let [old_offset, data_len_moved, _] = f.args;
            let old_end = old_offset + data_len_moved;
            let gap = f.header_len - old_offset;
            let inserted = if data_len == old_end {
                false
            } else if old_end.checked_add(gap) == Some(data_len) {
                true
            } else {
                return fail(format!("{old_end} or {}", old_end.saturating_add(gap)));
            };
            Ok(Op::Insert {
                old_offset,
                data_len: data_len_moved,
                inserted,
            })
        }
    }
}

/// Writes a one-record journal: `payload` at offset 0, its footer and an empty second
/// footer slot. Refuses a journal that is not empty (an earlier operation's record
/// would then stand before the footers).
fn write_record<J: Storage + ?Sized>(
    j: &J,
    code: u32,
    payload: &[u8],
    args: [u64; 3],
) -> io::Result<()> {
    let len = j.len()?;
    if len != 0 {
        return Err(io::Error::other(format!(
            "the journal holds {len} bytes of an earlier operation: run recover"
        )));
    }
    let header_len = payload.len() as u64;
    let footer = Footer {
        code,
        seq: 0,
        payload_offset: 0,
        payload_len: header_len,
        header_len,
        args,
    }
    .encode(&[payload]);
    let mut record = Vec::with_capacity(payload.len() + 2 * FOOTER);
    record.extend_from_slice(payload);
    record.extend_from_slice(&footer);
    record.extend_from_slice(&[0u8; FOOTER]);
    write_all_at(j, &record, 0)
}

/// Removes the journal: the operation it described is durable in the array.
pub(crate) fn remove<J: Storage + ?Sized>(j: &J) -> io::Result<()> {
    j.set_len(0)?;
    j.sync_data()
}

/// Rewrites the header (same length) crash-safely and cuts the file at `data_end`
/// (see the module docs). `file_len` is the current length (less than `data_end` only
/// when a file without data gets a longer header); the data it keeps must be durable
/// already.
pub(crate) fn write_header<S: Storage + ?Sized, J: Storage + ?Sized>(
    s: &S,
    j: &J,
    header: &[u8],
    data_end: u64,
    file_len: u64,
) -> io::Result<()> {
    write_record(j, 1, header, [data_end, file_len, 0])?;
    j.sync_data()?;
    write_all_at(s, header, 0)?;
    s.sync_data()?;
    if file_len > data_end {
        s.set_len(data_end)?;
        s.sync_data()?;
    }
    remove(j)
}

/// Gives the file `new_header` (longer than `old_offset` by a multiple of the
/// filesystem's block size) by inserting the difference at offset 0, through a range
/// insert record (see the module docs). Returns `Ok(false)` when the storage cannot
/// insert a range: the journal is removed again and the file is as it was.
pub(crate) fn insert_header<S: Storage + ?Sized, J: Storage + ?Sized>(
    s: &S,
    j: &J,
    new_header: &[u8],
    old_offset: u64,
    data_len: u64,
) -> io::Result<bool> {
    let gap = new_header.len() as u64 - old_offset;
    write_record(j, 3, new_header, [old_offset, data_len, 0])?;
    j.sync_data()?;
    match s.insert_range(0, gap) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::Unsupported => {
            remove(j)?;
            return Ok(false);
        }
        Err(e) => return Err(e),
    }
    // The extents changed, not the data: fdatasync need not flush that.
    s.sync_all()?;
    write_all_at(s, new_header, 0)?;
    s.sync_data()?;
    remove(j)?;
    Ok(true)
}

/// Whether a range insert whose size change reached the disk left the file's first
/// extent unshifted (see the module docs): the file still starts with a preamble
/// whose header ends at `old_offset`.
pub(crate) fn insert_is_half_done<S: Storage + ?Sized>(s: &S, old_offset: u64) -> io::Result<bool> {
    let mut pre = [0u8; npy_header::MAX_PREAMBLE_LEN];
    read_exact_at(s, &mut pre, 0)?;
    Ok(parser()
        .parse_preamble(&pre)
        .is_ok_and(|p| p.data_offset() == old_offset))
}

/// An in-place move of `data_len` (> 0) bytes from `old_offset` to behind
/// `new_header`.
pub(crate) struct Move<'a> {
    pub new_header: &'a [u8],
    pub old_offset: u64,
    pub data_len: u64,
    /// Bytes per chunk (and per journal payload slot, after the header); never more
    /// than `data_len`, so a small file's journal stays small.
    pub chunk: u64,
}

impl Move<'_> {
    fn new_offset(&self) -> u64 {
        self.new_header.len() as u64
    }

    fn shift(&self) -> u64 {
        self.new_offset() - self.old_offset
    }

    fn slot_len(&self) -> u64 {
        self.new_offset() + self.chunk
    }

    fn footers_at(&self) -> u64 {
        2 * self.slot_len()
    }

    /// Moves the chunks below `src_end`, last first, starting with sequence number
    /// `seq`, then writes the header and removes the journal.
    pub fn run<S: Storage + ?Sized, J: Storage + ?Sized>(
        &self,
        s: &S,
        j: &J,
        mut src_end: u64,
        mut seq: u64,
        progress: Progress<'_>,
    ) -> io::Result<()> {
        debug_assert!(self.chunk >= 1 && self.chunk <= self.data_len.max(1));
        let cap = usize::try_from(self.chunk).expect("a chunk is at most MAX_MOVE_CHUNK");
        let mut buf = vec![0u8; cap];
        let total = self.data_len;
        while src_end > self.old_offset {
            let src = src_end.saturating_sub(self.chunk).max(self.old_offset);
            let len = usize::try_from(src_end - src).expect("at most one chunk");
            let chunk = &mut buf[..len];
            read_exact_at(s, chunk, src)?;
            self.journal_chunk(j, seq, src, chunk)?;
            write_all_at(s, chunk, src + self.shift())?;
            s.sync_data()?;
            progress(total - (src - self.old_offset), total);
            src_end = src;
            seq += 1;
        }
        write_all_at(s, self.new_header, 0)?;
        s.sync_data()?;
        remove(j)
    }

    fn journal_chunk<J: Storage + ?Sized>(
        &self,
        j: &J,
        seq: u64,
        src: u64,
        chunk: &[u8],
    ) -> io::Result<()> {
        let slot = seq % 2;
        let payload_offset = slot * self.slot_len();
        let footer = Footer {
            code: 2,
            seq,
            payload_offset,
            payload_len: self.new_offset() + chunk.len() as u64,
            header_len: self.new_offset(),
            args: [self.old_offset, self.data_len, src],
        }
        .encode(&[self.new_header, chunk]);
        let footers_at = self.footers_at();
        if seq == 0 {
            let len = j.len()?;
            if len != 0 {
                return Err(io::Error::other(format!(
                    "the journal holds {len} bytes of an earlier operation: run recover"
                )));
            }
            // The journal's final length at once, the other slot's footer zeros, so that
            // the footers end the file from the first record on.
            write_all_at(j, &[0u8; FOOTER], footers_at + (1 - slot) * FOOTER_LEN)?;
        }
        write_all_at(j, self.new_header, payload_offset)?;
        write_all_at(j, chunk, payload_offset + self.new_offset())?;
        write_all_at(j, &footer, footers_at + slot * FOOTER_LEN)?;
        j.sync_data()
    }
}

/// Finishes what a journal record describes. Afterwards there is no journal.
pub(crate) fn replay<S: Storage + ?Sized, J: Storage + ?Sized>(
    s: &S,
    j: &J,
    rec: &Record,
    progress: Progress<'_>,
) -> io::Result<()> {
    let header =
        &rec.payload[..usize::try_from(rec.header_len).expect("checked against MAX_HEADER_LEN")];
    match rec.op {
        Op::Header { data_end } => {
            write_all_at(s, header, 0)?;
            s.sync_data()?;
            if s.len()? > data_end {
                s.set_len(data_end)?;
                s.sync_data()?;
            }
            remove(j)
        }
        Op::Move {
            old_offset,
            data_len,
            chunk_src,
        } => {
            let mv = Move {
                new_header: header,
                old_offset,
                data_len,
                chunk: rec.slot_len - rec.header_len,
            };
            let body = &rec.payload[header.len()..];
            write_all_at(s, body, chunk_src + mv.shift())?;
            s.sync_data()?;
            mv.run(s, j, chunk_src, rec.seq + 1, progress)
        }
        Op::Insert {
            inserted: false, ..
        } => remove(j),
        Op::Insert {
            data_len,
            inserted: true,
            ..
        } => {
            // A process crash may have come before the insert was made durable.
            s.sync_all()?;
            write_all_at(s, header, 0)?;
            s.sync_data()?;
            remove(j)?;
            progress(data_len, data_len);
            Ok(())
        }
    }
}
