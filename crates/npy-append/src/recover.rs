//! `recover`: make an interrupted file consistent again without moving its data.

use std::path::Path;

use npy_header::{python_tuple, Parsed, Version};

use crate::error::{Error, ErrorKind, Result};
use crate::files::open_locked;
use crate::journal::{self, Found, Op};
use crate::layout::{parser, read_header, read_header_of, Geometry, HeaderState};
use crate::sidecar::sidecar;
use crate::storage::{write_all_at, Storage};
use crate::writer::Durability;

/// Which whole rows beyond the header's count `recover` keeps (1.0–3.0 files).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Adopt {
    /// Every whole row the file holds, whatever the header says (npy-append-array's
    /// `recover`). Right after a process crash (rows written are in the page cache) and
    /// for files written with [`HeaderPolicy::OnFlush`](crate::HeaderPolicy::OnFlush);
    /// after a power loss the rows past the header's count may be blocks that never
    /// reached the disk (zeros or stale bytes).
    #[default]
    WholeRows,
    /// Only rows the header counts, clamped to what the file holds (`A-7`). With
    /// [`Durability::Synced`](crate::Durability::Synced) every counted row was on disk
    /// before the count was, so nothing recovered is garbage.
    Counted,
}

/// How `recover` treats what it finds.
#[derive(Clone, Debug)]
pub struct RecoverOptions {
    adopt: Adopt,
    zerofill_incomplete: bool,
    template: Option<Parsed>,
    durability: Durability,
}

impl Default for RecoverOptions {
    fn default() -> RecoverOptions {
        RecoverOptions {
            adopt: Adopt::default(),
            zerofill_incomplete: false,
            template: None,
            durability: Durability::Synced,
        }
    }
}

impl RecoverOptions {
    /// The defaults: [`Adopt::WholeRows`], a partial trailing row truncated, no
    /// template, [`Durability::Synced`].
    pub fn new() -> RecoverOptions {
        RecoverOptions::default()
    }

    /// Whether the repair is made durable. [`Durability::Synced`] (the default): a
    /// header rewrite goes through the journal and every step is `fdatasync`ed, so a
    /// power loss during `recover` leaves a file that `recover` finishes (`A-7`).
    /// [`Durability::None`]: the header is written in place and the file cut, with no
    /// journal and no `fdatasync`, as npy-append-array's `recover` does; about ten
    /// times faster, and safe if this process crashes (run `recover` again), but a
    /// power loss during the call may leave a torn header that needs a
    /// [template](RecoverOptions::template). Finishing an interrupted journaled
    /// operation first is always synced.
    pub fn durability(mut self, durability: Durability) -> RecoverOptions {
        self.durability = durability;
        self
    }

    /// Sets which rows beyond the header's count are kept.
    pub fn adopt(mut self, adopt: Adopt) -> RecoverOptions {
        self.adopt = adopt;
        self
    }

    /// Completes a partial trailing row with zero bytes instead of cutting it off
    /// (npy-append-array's `zerofill_incomplete`). With [`Adopt::Counted`], only a
    /// partial row the header counts is completed.
    pub fn zerofill_incomplete(mut self, yes: bool) -> RecoverOptions {
        self.zerofill_incomplete = yes;
        self
    }

    /// The header to use when the file's own does not parse (a crash tore it, or
    /// garbage replaced it): the first bytes of a file with the same dtype, order,
    /// non-growth dimensions, version and header length, such as the file as it was
    /// created. The row count is then taken from the file size. Errors if `header` is
    /// not a valid header.
    pub fn template(mut self, header: &[u8]) -> Result<RecoverOptions> {
        let parsed = parser()
            .parse(header)
            .map_err(|e| Error::header("the template header", e))?;
        self.template = Some(parsed);
        Ok(self)
    }

    /// [`RecoverOptions::template`] with the header of the file at `path` (the file as
    /// it was created, or another written alike), read up to its data.
    pub fn template_file(mut self, path: impl AsRef<Path>) -> Result<RecoverOptions> {
        let path = path.as_ref();
        let file = std::fs::File::open(path)
            .map_err(|e| Error::io("cannot open the template", e).with_path(path))?;
        let snap = read_header(&file)
            .map_err(|e| Error::io("cannot read the template", e).with_path(path))?;
        match snap.state {
            HeaderState::Valid(parsed) => {
                self.template = Some(parsed);
                Ok(self)
            }
            HeaderState::BadText { error, .. } | HeaderState::BadPreamble(error) => {
                Err(Error::header("the template header", error).with_path(path))
            }
        }
    }
}

/// What `recover` found and did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recovered {
    /// The file's format version.
    pub version: Version,
    /// The shape now in the header (for 4.0 files, with the derived row count).
    pub shape: Vec<u64>,
    /// The row count the header stated before (`None` for 4.0 files and for headers
    /// that did not parse).
    pub header_rows: Option<u64>,
    /// The rows the file holds now.
    pub rows: u64,
    /// Bytes cut off the end.
    pub truncated_bytes: u64,
    /// Zero bytes added to complete a partial row.
    pub zero_filled_bytes: u64,
    /// An interrupted header rewrite, data move or range insert that was finished (or,
    /// for a range insert that had not happened, undone) first.
    pub replayed: Option<Replayed>,
    /// Whether the header did not parse and the template was used.
    pub used_template: bool,
}

impl Recovered {
    /// Whether the file was changed.
    pub fn changed(&self) -> bool {
        self.replayed.is_some()
            || self.truncated_bytes > 0
            || self.zero_filled_bytes > 0
            || self.used_template
            || self.header_rows.is_some_and(|h| h != self.rows)
    }
}

/// An interrupted operation that `recover` finished from its journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Replayed {
    /// A header rewrite (appending with `Durability::Synced`, `recover`, `finalize`,
    /// `convert`).
    HeaderRewrite,
    /// An in-place `ensure_appendable` data move.
    DataMove,
    /// An in-place `ensure_appendable` by range insert, interrupted after the insert:
    /// the new header was written and the journal cut.
    RangeInsert,
    /// An in-place `ensure_appendable` by range insert, interrupted before the insert:
    /// the journal was cut, and the file is the original (not appendable yet; run
    /// `ensure_appendable` again).
    RangeInsertUndone,
    /// An operation interrupted before its journal record was complete: it had not
    /// changed the file, and its incomplete journal was removed.
    Discarded,
}

/// Makes an interrupted file consistent: readable by NumPy again (1.0–3.0), or ending
/// with whole rows (4.0). Takes the file's lock.
///
/// First, an interrupted header rewrite, data move or range insert (found by its
/// journal, the file `NAME-journal` beside it: [`Sidecar`](crate::Sidecar)) is
/// finished; an incomplete journal, whose operation had not changed the file yet, is
/// removed; a journal that does not fit the file is refused
/// ([`ErrorKind::Unrecoverable`], nothing changed). Then the row count is derived from the file size
/// without moving any data: a partial trailing row is cut off, or completed with zeros
/// ([`RecoverOptions::zerofill_incomplete`]); whole rows beyond the header's count are
/// kept or not according to [`Adopt`]; a count larger than the file holds (a header
/// torn by a crash) is clamped. The header is rewritten in place through the journal,
/// so `recover` itself is crash-safe, and it is idempotent. Every check is made before
/// anything is written: on an error the file is unchanged.
///
/// ```
/// # use npy_append::{recover, Appender, NewArray, Options, RecoverOptions};
/// # use npy_header::{ByteOrder, Dtype, Kind, Scalar};
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("a.npy");
/// # let f4 = Dtype::Scalar(Scalar::new(Kind::Float, ByteOrder::Little, 4).unwrap());
/// # let w = Appender::create(&path, &NewArray::new(f4, [2]), Options::new())?;
/// # w.append(&[1f32, 2., 3., 4.])?;
/// # w.close()?;
/// // A crash left 2 whole rows and 5 bytes of a third after the header's count of 2.
/// let mut bytes = std::fs::read(&path)?;
/// bytes.extend_from_slice(&[0; 13]);
/// std::fs::write(&path, &bytes)?;
/// let done = recover(&path, &RecoverOptions::new())?;
/// assert_eq!((done.header_rows, done.rows, done.truncated_bytes), (Some(2), 3, 5));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn recover(path: impl AsRef<Path>, opts: &RecoverOptions) -> Result<Recovered> {
    let path = path.as_ref();
    let file = open_locked(path)?;
    let journal = sidecar(path)?;
    recover_on(&file, &journal, opts).map_err(|e| e.with_path(path))
}

/// [`recover`] on any storage `s`, whose journal is `j` (see [`Sidecar`](crate::Sidecar)).
/// No lock is taken.
pub fn recover_on<S: Storage + ?Sized, J: Storage + ?Sized>(
    s: &S,
    j: &J,
    opts: &RecoverOptions,
) -> Result<Recovered> {
    let io = |what: &'static str| move |e| Error::io(what, e);
    let len = s.len().map_err(io("cannot read the file's length"))?;
    let replayed = match journal::find(j, len).map_err(io("cannot read the recovery journal"))? {
        Found::Empty => None,
        Found::Incomplete => {
            // Its operation had not changed the file (the journal's records are durable
            // before the file is touched).
            journal::remove(j).map_err(io("cannot remove the incomplete recovery journal"))?;
            Some(Replayed::Discarded)
        }
        Found::Foreign(why) => {
            return Err(Error::new(
                ErrorKind::Unrecoverable,
                format!(
                    "the recovery journal beside the file does not belong to it ({why}): it was left by an interrupted operation on another file of this name, or the file was changed since; nothing was changed: remove the journal if it is not this file's"
                ),
            ))
        }
        Found::Record(rec) => {
            if let Op::Insert {
                inserted: true,
                old_offset,
                ..
            } = rec.op
            {
                if journal::insert_is_half_done(s, old_offset)
                    .map_err(io("cannot read the header"))?
                {
                    return Err(Error::new(
                        ErrorKind::Unrecoverable,
                        format!(
                            "an in-place ensure_appendable was cut off by a power loss while the filesystem inserted {} bytes at the start: only part of the file was shifted, so the first bytes are still at their old offsets and the rest moved; nothing was changed: restore the file from a copy",
                            rec.header_len - old_offset
                        ),
                    ));
                }
            }
            journal::replay(s, j, &rec, &mut |_, _| {})
                .map_err(io("cannot finish the interrupted operation"))?;
            Some(match rec.op {
                Op::Header { .. } => Replayed::HeaderRewrite,
                Op::Move { .. } => Replayed::DataMove,
                Op::Insert { inserted: true, .. } => Replayed::RangeInsert,
                Op::Insert {
                    inserted: false, ..
                } => Replayed::RangeInsertUndone,
            })
        }
    };
    // Replaying changed the length; otherwise the one just read stands.
    let snap = match replayed {
        Some(_) => read_header(s),
        None => read_header_of(s, len),
    }
    .map_err(io("cannot read the header"))?;
    let (parsed, used_template) = match (snap.state, &opts.template) {
        (HeaderState::Valid(p), _) => (p, false),
        (HeaderState::BadText { preamble, .. }, Some(t))
            if preamble.version == t.version && preamble.data_offset() == t.data_offset() =>
        {
            (t.clone(), true)
        }
        (HeaderState::BadText { preamble, .. }, Some(t)) => {
            return Err(Error::new(
                ErrorKind::Unrecoverable,
                format!(
                    "the header does not parse, and the template does not fit it: the file is format {} with {} header bytes, the template format {} with {}",
                    preamble.version,
                    preamble.data_offset(),
                    t.version,
                    t.data_offset()
                ),
            ))
        }
        (HeaderState::BadPreamble(_), Some(t)) => (t.clone(), true),
        (HeaderState::BadText { error, .. } | HeaderState::BadPreamble(error), None) => {
            return Err(Error::new(
                ErrorKind::Unrecoverable,
                format!(
                    "the header does not parse ({error}): if a crash tore it, recover it with a template: a file with the same dtype, order, other dimensions, version and header length, such as this file as it was created"
                ),
            )
            .caused_by(error))
        }
    };
    let mut plan = plan(&parsed, snap.file_len, opts, used_template)?;
    plan.replayed = replayed;
    apply(s, j, &parsed, snap.file_len, &plan, opts.durability)?;
    Ok(plan.into_recovered(&parsed))
}

struct Plan {
    header_rows: Option<u64>,
    rows: u64,
    /// The data end afterwards.
    end: u64,
    /// The header to write, when it changes.
    header: Option<Vec<u8>>,
    replayed: Option<Replayed>,
    used_template: bool,
    file_len: u64,
}

impl Plan {
    fn into_recovered(self, parsed: &Parsed) -> Recovered {
        let header = &parsed.header;
        let mut shape = header.row_shape().to_vec();
        if let Some(axis) = header.growth_axis() {
            shape.insert(axis, self.rows);
        }
        Recovered {
            version: parsed.version,
            shape,
            header_rows: self.header_rows,
            rows: self.rows,
            truncated_bytes: self.file_len.saturating_sub(self.end),
            zero_filled_bytes: self.end.saturating_sub(self.file_len),
            replayed: self.replayed,
            used_template: self.used_template,
        }
    }
}

/// Works out the new row count and header, without writing anything.
fn plan(
    parsed: &Parsed,
    file_len: u64,
    opts: &RecoverOptions,
    used_template: bool,
) -> Result<Plan> {
    let header = &parsed.header;
    let data_offset = parsed.data_offset();
    if header.dtype().has_object() {
        return Err(Error::new(
            ErrorKind::ObjectDtype,
            "the dtype holds Python objects: the data is one pickle, not rows, and cannot be recovered",
        ));
    }
    if file_len < data_offset {
        return Err(Error::new(
            ErrorKind::Unrecoverable,
            format!("the file ends inside its header ({file_len} of {data_offset} bytes)"),
        ));
    }
    let data_len = file_len - data_offset;
    // The template's header replaces a garbled one as it is (same length).
    let template_bytes = || {
        header
            .emit_in_place(parsed.version, data_offset)
            .map_err(|e| Error::new(ErrorKind::Unrecoverable, e.message().to_string()))
    };
    let mut plan = Plan {
        header_rows: None,
        rows: 0,
        end: file_len,
        header: None,
        replayed: None,
        used_template,
        file_len,
    };
    if header.growth_axis().is_none() {
        // 0-d: one item, nothing to count.
        let item = header.dtype().itemsize();
        if data_len < item && !opts.zerofill_incomplete {
            return Err(Error::new(
                ErrorKind::Unrecoverable,
                format!(
                    "the 0-d array's data is incomplete ({data_len} of {item} bytes) and has no rows to cut: pass zerofill_incomplete to complete it with zeros"
                ),
            ));
        }
        plan.rows = 1;
        plan.end = data_offset + item;
        if used_template {
            plan.header = Some(template_bytes()?);
        }
        return Ok(plan);
    }
    let geo = Geometry::new(parsed)?;
    let h = geo.count().filter(|_| !used_template);
    plan.header_rows = h;
    let row = geo.row_bytes;
    let rows = match data_len.checked_div(row) {
        // Rows of 0 bytes: the count cannot be checked against the size, so the
        // header's stands, and there is no data to keep.
        None => h.unwrap_or(0),
        Some(whole) => {
            let whole = whole.min(geo.max_rows());
            let partial = data_len - whole * row > 0;
            let fill = opts.zerofill_incomplete && partial && whole < geo.max_rows();
            match (h, opts.adopt) {
                (Some(h), Adopt::Counted) if h <= whole => h,
                _ => whole + u64::from(fill),
            }
        }
    };
    plan.rows = rows;
    plan.end = data_offset + rows * row;
    if header.is_open_ended() {
        if used_template {
            plan.header = Some(template_bytes()?);
        }
    } else if h != Some(rows) {
        plan.header = Some(geo.header_bytes(rows).map_err(|_| {
            Error::new(
                ErrorKind::NotAppendable,
                format!(
                    "the header has no room for the recovered shape {}: run ensure_appendable first, then recover",
                    python_tuple(&geo.shape(rows))
                ),
            )
        })?);
    }
    Ok(plan)
}

fn apply<S: Storage + ?Sized, J: Storage + ?Sized>(
    s: &S,
    j: &J,
    parsed: &Parsed,
    file_len: u64,
    plan: &Plan,
    durability: Durability,
) -> Result<()> {
    let io = |what: &'static str| move |e| Error::io(what, e);
    let synced = durability == Durability::Synced;
    if plan.end > file_len {
        // Less than a row, but a row's size comes from the header, which may be
        // hostile: extending the file reads as zeros without writing them (a hole where
        // the filesystem has them), so a 100-byte file claiming terabyte rows costs no
        // disk and no time.
        s.set_len(plan.end)
            .map_err(io("cannot complete the partial row"))?;
        if synced {
            s.sync_data()
                .map_err(io("cannot sync the data (fdatasync)"))?;
        }
    }
    match &plan.header {
        Some(bytes) if synced => {
            debug_assert_eq!(bytes.len() as u64, parsed.data_offset());
            journal::write_header(s, j, bytes, plan.end, file_len.max(plan.end))
                .map_err(io("cannot rewrite the header"))?;
        }
        Some(bytes) => {
            // The count first: a crash before the cut leaves whole rows counted and
            // bytes after them, which `recover` cuts again.
            write_all_at(s, bytes, 0).map_err(io("cannot write the header"))?;
            if plan.end < file_len {
                s.set_len(plan.end)
                    .map_err(io("cannot cut off the partial row"))?;
            }
        }
        None if plan.end < file_len => {
            s.set_len(plan.end)
                .map_err(io("cannot cut off the partial row"))?;
            if synced {
                s.sync_data()
                    .map_err(io("cannot sync the data (fdatasync)"))?;
            }
        }
        None => {}
    }
    Ok(())
}
