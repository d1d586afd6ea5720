//! The recovery journal: how header rewrites and in-place data moves survive a crash.
//!
//! An in-place header rewrite can tear (a sector write lands partly), and a torn header
//! whose count changed length can read as a valid but smaller count, or shift the other
//! dimensions. So every rewrite that is not a same-length increase of the count (those
//! tear only into counts between the old value and one the file size clamps) is
//! journaled: the new header is first written after the data, with a checksummed footer
//! at the very end of the file, and made durable; then the header is written in place;
//! then the file is cut back to the data. [`crate::recover`] finds a journal by its
//! footer and finishes the rewrite.
//!
//! Layout at the end of the file: payloads, then two 80-byte footer slots; the last
//! 160 bytes of the file are always the footers. A footer is valid when its magic,
//! fields and CRC-32 (over the payload and the footer) check out; the valid footer with
//! the highest sequence number wins.
//!
//! | footer bytes | field |
//! |---|---|
//! | 0..8 | magic `\x93NPYJRN\x01` |
//! | 8..12 | operation: 1 header rewrite, 2 data move, 3 range insert (u32 LE) |
//! | 16..24 | sequence number (u64 LE) |
//! | 24..32 | payload offset |
//! | 32..40 | payload length |
//! | 40..48 | header length (the payload starts with the new header) |
//! | 48..72 | three arguments (below) |
//! | 72..76 | CRC-32 of the payload and footer bytes 0..72 |
//!
//! A record whose header does not parse as a header of exactly its length is ignored.
//!
//! Header rewrite: argument 1 is the data end, where the file is cut afterwards. Data
//! move (in-place `ensure_appendable`): arguments are the old data offset, the data
//! length and the source offset of the chunk in the payload. The move goes last chunk
//! first, and each chunk is journaled (and synced) before it is copied, alternating
//! between two payload slots, so a torn journal write always leaves the previous
//! record intact and a chunk whose copy was interrupted is redone from the journal's
//! copy (its source may already be overwritten).
//!
//! Range insert (in-place `ensure_appendable` by `fallocate(FALLOC_FL_INSERT_RANGE)`):
//! arguments are the old data offset, the data length and the file length with the
//! record, before the insert. The record is written after the data and synced; then
//! *G* = new header length − old data offset bytes are inserted at offset 0 (shifting
//! the old header, the data and the record) and synced with `fsync`; then the new
//! header is written over the first new-header-length bytes and synced; then the file
//! is cut after the data. The payload offset in the footer is where the record was
//! written; the file length tells whether the insert happened: the recorded length
//! (then `recover` only cuts the record, and the file is the original) or that plus *G*
//! (then `recover` writes the header and cuts). An insert of a file with few extents
//! is one journaled metadata change: it happens whole or not at all. But ext4 (when
//! the shift outgrows a transaction) and XFS (one transaction per extent, the size
//! first) may commit a long shift in steps, last extent first, so a power loss can
//! leave the size grown and only the tail shifted. The first extent, which holds the
//! old header, is shifted last: while the file still starts with the old header's
//! preamble (its length field says the old data offset), the shift is incomplete, and
//! `recover` refuses rather than write the header over unshifted data
//! ([`insert_is_half_done`]). After a complete shift the first bytes are a hole
//! (zeros) or, the header write having begun, the new header's preamble.

use std::io;

use crate::layout::{parser, MAX_HEADER_LEN, MAX_PREAMBLE_LEN_U64};
use crate::storage::{read_exact_at, write_all_at, Storage};

const MAGIC: &[u8; 8] = b"\x93NPYJRN\x01";
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
    /// When `inserted`, write it at 0 and cut the file after the data; else cut the
    /// record off (the file is the original).
    Insert {
        old_offset: u64,
        data_len: u64,
        inserted: bool,
    },
}

/// A valid record found at the end of a file.
pub(crate) struct Record {
    pub op: Op,
    pub seq: u64,
    pub header_len: u64,
    pub payload: Vec<u8>,
    /// Where the payloads start (the data end for header rewrites, the new data end
    /// for moves).
    pub footers_at: u64,
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
        let u64_at = |i: usize| u64::from_le_bytes(f[i..i + 8].try_into().expect("8 bytes"));
        let footer = Footer {
            code: u32::from_le_bytes(f[8..12].try_into().expect("4 bytes")),
            seq: u64_at(16),
            payload_offset: u64_at(24),
            payload_len: u64_at(32),
            header_len: u64_at(40),
            args: [u64_at(48), u64_at(56), u64_at(64)],
        };
        let crc = u32::from_le_bytes(f[CRC_AT..CRC_AT + 4].try_into().expect("4 bytes"));
        Some((footer, crc))
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

/// The valid journal record at the end of the file, if there is one.
pub(crate) fn find<S: Storage + ?Sized>(s: &S, file_len: u64) -> io::Result<Option<Record>> {
    let Some(footers_at) = file_len.checked_sub(2 * FOOTER_LEN) else {
        return Ok(None);
    };
    let mut best: Option<Record> = None;
    for slot in 0..2 {
        let mut raw = [0u8; FOOTER];
        read_exact_at(s, &mut raw, footers_at + slot * FOOTER_LEN)?;
        let Some((f, crc)) = Footer::decode(&raw) else {
            continue;
        };
        let Some((op, payload_at)) = plausible(&f, footers_at) else {
            continue;
        };
        if best.as_ref().is_some_and(|b| b.seq >= f.seq) {
            continue;
        }
        // Bounded by `plausible`: a header within MAX_HEADER_LEN and a chunk within
        // MAX_MOVE_CHUNK.
        let mut payload = vec![0u8; usize::try_from(f.payload_len).expect("bounded")];
        read_exact_at(s, &mut payload, payload_at)?;
        if checksum(&[&payload], &raw[..CRC_AT]) != crc {
            continue;
        }
        // Only a valid header of exactly that length is ever written to the file.
        let header = &payload[..usize::try_from(f.header_len).expect("bounded")];
        if !parser()
            .parse(header)
            .is_ok_and(|p| p.data_offset() == f.header_len)
        {
            continue;
        }
        best = Some(Record {
            op,
            seq: f.seq,
            header_len: f.header_len,
            payload,
            footers_at,
        });
    }
    Ok(best)
}

/// Checks a footer's fields against each other and the file before anything is read
/// from them. Returns the operation and where its payload is now.
fn plausible(f: &Footer, footers_at: u64) -> Option<(Op, u64)> {
    let header_ok = f.header_len > MAX_PREAMBLE_LEN_U64
        && f.header_len <= MAX_PREAMBLE_LEN_U64 + MAX_HEADER_LEN
        && f.header_len <= f.payload_len
        && f.payload_len - f.header_len <= MAX_MOVE_CHUNK
        && f.payload_offset.checked_add(f.payload_len)? <= footers_at;
    if !header_ok {
        return None;
    }
    match f.code {
        1 => {
            let data_end = f.args[0];
            (f.payload_len == f.header_len
                && data_end == f.payload_offset
                && data_end >= f.header_len)
                .then_some((Op::Header { data_end }, f.payload_offset))
        }
        2 => {
            let [old_offset, data_len, chunk_src] = f.args;
            let chunk_len = f.payload_len - f.header_len;
            let new_end = f.header_len.checked_add(data_len)?;
            let ok = old_offset < f.header_len
                && chunk_src >= old_offset
                && chunk_src.checked_add(chunk_len)? <= old_offset.checked_add(data_len)?
                && f.payload_offset >= new_end;
            ok.then_some((
                Op::Move {
                    old_offset,
                    data_len,
                    chunk_src,
                },
                f.payload_offset,
            ))
        }
        3 => {
            let [old_offset, data_len, len_before] = f.args;
            let gap = f.header_len.checked_sub(old_offset).filter(|&g| g > 0)?;
            let ok = f.payload_len == f.header_len
                && f.payload_offset == old_offset.checked_add(data_len)?
                && len_before
                    == f.payload_offset
                        .checked_add(f.payload_len + 2 * FOOTER_LEN)?;
            if !ok {
                return None;
            }
            let file_len = footers_at + 2 * FOOTER_LEN;
            let inserted = if file_len == len_before {
                false
            } else if file_len == len_before.checked_add(gap)? {
                true
            } else {
                return None;
            };
            // The record sits right before the footers, shifted by the insert or not.
            Some((
                Op::Insert {
                    old_offset,
                    data_len,
                    inserted,
                },
                footers_at - f.payload_len,
            ))
        }
        _ => None,
    }
}

/// Rewrites the header (same length) crash-safely and cuts the file at `data_end`:
/// journal at `data_end`, sync, header in place, sync, cut, sync. `file_len` is the
/// current length (bytes past `data_end` are overwritten or cut).
pub(crate) fn write_header<S: Storage + ?Sized>(
    s: &S,
    header: &[u8],
    data_end: u64,
    file_len: u64,
) -> io::Result<()> {
    let journal_end = write_header_record(s, 1, header, data_end, [data_end, 0, 0])?;
    if file_len > journal_end {
        // The footers must end the file to be found.
        s.set_len(journal_end)?;
    }
    s.sync_data()?;
    write_all_at(s, header, 0)?;
    s.sync_data()?;
    s.set_len(data_end)?;
    s.sync_data()
}

/// Writes at `data_end` a record whose payload is `header`: the payload, its footer and
/// an empty second footer slot. Returns where the record ends.
fn write_header_record<S: Storage + ?Sized>(
    s: &S,
    code: u32,
    header: &[u8],
    data_end: u64,
    args: [u64; 3],
) -> io::Result<u64> {
    let header_len = header.len() as u64;
    let footer = Footer {
        code,
        seq: 0,
        payload_offset: data_end,
        payload_len: header_len,
        header_len,
        args,
    }
    .encode(&[header]);
    let mut record = Vec::with_capacity(header.len() + 2 * FOOTER);
    record.extend_from_slice(header);
    record.extend_from_slice(&footer);
    record.extend_from_slice(&[0u8; FOOTER]);
    write_all_at(s, &record, data_end)?;
    Ok(data_end + record.len() as u64)
}

/// Gives the file `new_header` (longer than `old_offset` by a multiple of the
/// filesystem's block size) by inserting the difference at offset 0, through a range
/// insert record (see the module docs). Returns `Ok(false)` when the storage cannot
/// insert a range: the record is cut off again and the file is as it was.
pub(crate) fn insert_header<S: Storage + ?Sized>(
    s: &S,
    new_header: &[u8],
    old_offset: u64,
    data_len: u64,
) -> io::Result<bool> {
    let header_len = new_header.len() as u64;
    let gap = header_len - old_offset;
    let data_end = old_offset + data_len;
    let len_before = data_end + header_len + 2 * FOOTER_LEN;
    write_header_record(
        s,
        3,
        new_header,
        data_end,
        [old_offset, data_len, len_before],
    )?;
    s.sync_data()?;
    match s.insert_range(0, gap) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::Unsupported => {
            s.set_len(data_end)?;
            s.sync_data()?;
            return Ok(false);
        }
        Err(e) => return Err(e),
    }
    // The extents changed, not the data: fdatasync need not flush that.
    s.sync_all()?;
    write_all_at(s, new_header, 0)?;
    s.sync_data()?;
    s.set_len(header_len + data_len)?;
    s.sync_data()?;
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

/// An in-place move of `data_len` bytes from `old_offset` to behind `new_header`.
pub(crate) struct Move<'a> {
    pub new_header: &'a [u8],
    pub old_offset: u64,
    pub data_len: u64,
    /// Bytes per chunk (and per journal payload slot, after the header).
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

    /// The journal starts at the end of the moved data.
    fn journal_at(&self) -> u64 {
        self.new_offset() + self.data_len
    }

    fn footers_at(&self) -> u64 {
        self.journal_at() + 2 * self.slot_len()
    }

    /// Moves the chunks below `src_end`, last first, starting with sequence number
    /// `seq`, then writes the header and cuts the journal.
    pub fn run<S: Storage + ?Sized>(
        &self,
        s: &S,
        mut src_end: u64,
        mut seq: u64,
        progress: Progress<'_>,
    ) -> io::Result<()> {
        let cap = usize::try_from(self.chunk.min(self.data_len)).expect("chunk is bounded");
        let mut buf = vec![0u8; cap];
        let total = self.data_len;
        while src_end > self.old_offset {
            let src = src_end.saturating_sub(self.chunk).max(self.old_offset);
            let len = usize::try_from(src_end - src).expect("at most one chunk");
            let chunk = &mut buf[..len];
            read_exact_at(s, chunk, src)?;
            self.journal_chunk(s, seq, src, chunk)?;
            write_all_at(s, chunk, src + self.shift())?;
            s.sync_data()?;
            progress(total - (src - self.old_offset), total);
            src_end = src;
            seq += 1;
        }
        write_all_at(s, self.new_header, 0)?;
        s.sync_data()?;
        s.set_len(self.journal_at())?;
        s.sync_data()
    }

    fn journal_chunk<S: Storage + ?Sized>(
        &self,
        s: &S,
        seq: u64,
        src: u64,
        chunk: &[u8],
    ) -> io::Result<()> {
        let slot = seq % 2;
        let payload_offset = self.journal_at() + slot * self.slot_len();
        let footer = Footer {
            code: 2,
            seq,
            payload_offset,
            payload_len: self.new_offset() + chunk.len() as u64,
            header_len: self.new_offset(),
            args: [self.old_offset, self.data_len, src],
        }
        .encode(&[self.new_header, chunk]);
        write_all_at(s, self.new_header, payload_offset)?;
        write_all_at(s, chunk, payload_offset + self.new_offset())?;
        let footers_at = self.footers_at();
        if seq == 0 {
            // The other slot's footer: zeros, so that the footers end the file.
            write_all_at(s, &[0u8; FOOTER], footers_at + FOOTER_LEN)?;
        }
        write_all_at(s, &footer, footers_at + slot * FOOTER_LEN)?;
        s.sync_data()
    }
}

/// Finishes what a journal record describes. Afterwards the file has no journal.
pub(crate) fn replay<S: Storage + ?Sized>(
    s: &S,
    rec: &Record,
    progress: Progress<'_>,
) -> io::Result<()> {
    let header = &rec.payload[..usize::try_from(rec.header_len).expect("bounded")];
    match rec.op {
        Op::Header { data_end } => {
            write_all_at(s, header, 0)?;
            s.sync_data()?;
            s.set_len(data_end)?;
            s.sync_data()
        }
        Op::Move {
            old_offset,
            data_len,
            chunk_src,
        } => {
            let journal_at = rec.header_len + data_len;
            // The slots sit between the moved data and the footers.
            let chunk = (rec.footers_at - journal_at) / 2 - rec.header_len;
            let mv = Move {
                new_header: header,
                old_offset,
                data_len,
                chunk: chunk.max(1),
            };
            let body = &rec.payload[header.len()..];
            write_all_at(s, body, chunk_src + mv.shift())?;
            s.sync_data()?;
            mv.run(s, chunk_src, rec.seq + 1, progress)
        }
        Op::Insert {
            old_offset,
            data_len,
            inserted: false,
        } => {
            s.set_len(old_offset + data_len)?;
            s.sync_data()
        }
        Op::Insert {
            data_len,
            inserted: true,
            ..
        } => {
            // A process crash may have come before the insert was made durable.
            s.sync_all()?;
            write_all_at(s, header, 0)?;
            s.sync_data()?;
            s.set_len(rec.header_len + data_len)?;
            s.sync_data()?;
            progress(data_len, data_len);
            Ok(())
        }
    }
}
