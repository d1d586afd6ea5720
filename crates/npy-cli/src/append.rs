//! The commands that change files, backed by the `npy-append` crate: `append`,
//! `recover`, `ensure-appendable`, `finalize` and `convert`.
//!
//! Each prints a one-line summary per file on success (exit 0), or
//! `error: PATH: message` on stderr (exit 1). Operations that move data show a
//! progress bar on stderr when it is a terminal.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use npy_append::{
    Adopt, Appender, Cast, Converted, Durability, EnsureMode, HeaderPolicy, MoveOptions, NewArray,
    Options, RecoverOptions, Recovered, Replayed,
};
use npy_header::{python_tuple, Version};

const APPEND_EXAMPLES: &str = "\
Examples:
  npy append all.npy part1.npy part2.npy    Create all.npy from part1's dtype and order
  npy append --sync log.npy batch.npy       Durable when the command returns
  npy append --v4 stream.npy chunk.npy      A 4.0 file (finalize it for NumPy)

DEST grows along its growth axis (axis 0 in C order, the last axis in Fortran order);
every source must have DEST's dtype (or, with --safe-cast, one NumPy casts to it
safely) and the same other dimensions. A source in the other order is reordered.
If DEST does not exist, it is created with the first source's dtype, order and
other dimensions. Sources must be regular files (they are read with seeks): a pipe,
FIFO or device is refused before DEST is touched, as is a DEST that is not a regular
file or is a symbolic link to nothing.

A source that is refused (a dtype or shape mismatch, a header that does not parse, a
read error) is not appended at all: DEST is left as it was before that source, with
the sources before it appended. An I/O error on DEST (a full disk, a failing device)
can leave part of a source in DEST, and rows the header does not count. The command
then reads DEST again and prints, for each source, how many of its rows reached the
file and how many of them the header counts; what the header counts and how many
bytes of data the file holds; and what `npy recover` keeps (with --counted, only the
rows the header counts).

Exit status: 0 if every source was appended, 1 otherwise.";

const RECOVER_EXAMPLES: &str = "\
Examples:
  npy recover data.npy                      Cut a partial row, keep every whole row
  npy recover --counted data.npy            Keep only rows the header counts
  npy recover --like template.npy data.npy  The header is garbled: use another's
  npy recover --no-sync data.npy            No journal or fdatasync (a process crash is safe)

No data is moved. An operation that was interrupted (a header rewrite, finalize,
convert, ensure-appendable --in-place) left its journal beside the file, FILE-journal:
it is finished first (or, if it had not inserted its room yet, undone: run it again);
a journal without a complete record, whose operation had not touched FILE yet, is
removed; a journal that does not fit FILE is refused and nothing is changed. The
journal never lies in FILE, so no policy ever takes its bytes, or those of any
interrupted or failed operation, for rows. The row count then comes from the file
size: a partial trailing row is cut (or completed with zeros, --zerofill-incomplete),
a count larger than the file holds is clamped, and whole rows beyond the count are
kept (as npy-append-array does) unless --counted. After a process crash or an I/O
error those rows are ones an append wrote; after a power loss they may be blocks
that never reached the disk (zeros or stale bytes), while counted rows of a file
appended with --sync are always intact.

Exit status: 0 if the file is consistent afterwards, 1 otherwise.";

const ENSURE_EXAMPLES: &str = "\
Examples:
  npy ensure-appendable old.npy             Rewrite beside it, then rename over it
  npy ensure-appendable --in-place old.npy  Make room within the file
  npy ensure-appendable --out new.npy old.npy
                                            An appendable copy; old.npy is left alone

A header without NumPy's spare growth-axis space (NumPy before 1.24, other writers)
cannot grow in place. This rewrites it with NumPy's layout and moves the data after
it. The default and --out write a new file and rename it (crash-safe, needs space
for a copy; by default the file a symlink names is replaced, with its owner and
mode, and a file with several hard links is refused); --out copies a file that is
appendable already as it is, and refuses a PATH that exists. --in-place inserts 4 KiB
at the start of the file where the filesystem can (ext4, XFS on Linux: no data moves,
whatever the size; the header is padded with up to 4 KiB of spaces, which NumPy
reads), else, or with --exact-layout, moves the data backwards in journaled chunks
(NumPy's exact header). A crash midway is finished by `npy recover`, except a power
loss during the insert of a file of many
extents (XFS; ext4 for very fragmented files), which can leave it half done: keep a
copy, or use the default mode, where that matters.

A header that NumPy's layout would take past NumPy's default max_header_size (10000
bytes, which np.load then refuses without max_header_size= or allow_pickle=True) is
left alone unless --allow-large-header is given.

Exit status: 0 if the file is appendable afterwards, 1 otherwise.";

const FINALIZE_EXAMPLES: &str = "\
Examples:
  npy finalize stream.npy

The -1 of a 4.0 header becomes the number of whole rows, and the version the one
NumPy chooses (1.0 unless the header needs 2.0 or 3.0), rewritten in place. A partial
trailing row is cut first.

Exit status: 0 on success, 1 otherwise.";

const CONVERT_EXAMPLES: &str = "\
Examples:
  npy convert --to-version 4 data.npy       Open-ended: the length comes from the size
  npy convert --to-version 1 data.npy

In place when the new header fits in the old one's length (usually: NumPy's spare
growth-axis space absorbs it) and keeps the room it had to grow; otherwise the file
is rewritten beside itself and renamed over, as ensure-appendable does (a header
that would pass NumPy's max_header_size needs --allow-large-header, and a file with
several hard links is refused). Where only the room was at stake, those two convert
in place instead, with a warning.

Exit status: 0 on success, 1 otherwise.";

/// The commands that change files.
#[derive(Debug, Subcommand)]
pub enum AppendCommand {
    /// Append the rows of .npy files to DEST, creating it if it does not exist.
    #[command(after_help = APPEND_EXAMPLES)]
    Append(AppendArgs),
    /// Make a file an interrupted append (or crash) left inconsistent readable again.
    #[command(after_help = RECOVER_EXAMPLES)]
    Recover(RecoverArgs),
    /// Rewrite a header that has no room to grow so that the file can be appended to.
    #[command(name = "ensure-appendable", after_help = ENSURE_EXAMPLES)]
    EnsureAppendable(EnsureArgs),
    /// Turn a format 4.0 file into one today's NumPy reads.
    #[command(after_help = FINALIZE_EXAMPLES)]
    Finalize(FinalizeArgs),
    /// Change a file's format version (1, 2, 3 or 4).
    #[command(after_help = CONVERT_EXAMPLES)]
    Convert(ConvertArgs),
}

/// Arguments of `npy append`.
#[derive(Debug, Args)]
pub struct AppendArgs {
    /// The file to append to (created from the first source if missing).
    pub dest: PathBuf,
    /// The .npy files whose rows to append, in order (regular files, not pipes).
    #[arg(required = true, value_name = "SRC")]
    pub sources: Vec<PathBuf>,
    /// Create DEST in format 4.0 (the header says -1 and is never rewritten).
    #[arg(long)]
    pub v4: bool,
    /// Rewrite the header only when closing DEST, not after every write.
    #[arg(long)]
    pub header_on_close: bool,
    /// Make every header rewrite durable in order (fdatasync the data, then the
    /// header), and everything durable before exiting.
    #[arg(long)]
    pub sync: bool,
    /// Convert sources whose dtype NumPy casts to DEST's safely (int16 into float32…).
    #[arg(long)]
    pub safe_cast: bool,
}

/// Arguments of `npy recover`.
#[derive(Debug, Args)]
pub struct RecoverArgs {
    /// The file to recover.
    pub file: PathBuf,
    /// Complete a partial trailing row with zero bytes instead of cutting it.
    #[arg(long)]
    pub zerofill_incomplete: bool,
    /// Keep only rows the header counts (clamped to the file size), not every whole row.
    #[arg(long)]
    pub counted: bool,
    /// If FILE's header does not parse, use this file's header (same dtype, order,
    /// other dimensions and header length) and count rows from the size.
    #[arg(long, value_name = "TEMPLATE")]
    pub like: Option<PathBuf>,
    /// Skip the journal and every fdatasync, as npy-append-array does: safe if this
    /// process crashes (run recover again), not if the power fails during it.
    #[arg(long)]
    pub no_sync: bool,
}

/// Arguments of `npy ensure-appendable`.
#[derive(Debug, Args)]
pub struct EnsureArgs {
    /// The file to make appendable.
    pub file: PathBuf,
    /// Move the data within FILE instead of rewriting it beside FILE.
    #[arg(long, conflicts_with = "out")]
    pub in_place: bool,
    /// Write the appendable copy to PATH and leave FILE as it is.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// With --in-place, always move the data, for NumPy's exact header (no range insert
    /// and its padding).
    #[arg(long, requires = "in_place")]
    pub exact_layout: bool,
    /// Grow the header past NumPy's default max_header_size (10000 bytes), which
    /// np.load then refuses without max_header_size= or allow_pickle=True.
    #[arg(long)]
    pub allow_large_header: bool,
}

/// Arguments of `npy finalize`.
#[derive(Debug, Args)]
pub struct FinalizeArgs {
    /// The format 4.0 file.
    pub file: PathBuf,
}

/// Arguments of `npy convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// The format version to convert to.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=4))]
    pub to_version: u8,
    /// The file to convert.
    pub file: PathBuf,
    /// Grow the header past NumPy's default max_header_size (10000 bytes), which
    /// np.load then refuses without max_header_size= or allow_pickle=True.
    #[arg(long)]
    pub allow_large_header: bool,
}

/// Runs one of the commands.
pub fn run(cmd: &AppendCommand, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<u8> {
    let result = match cmd {
        AppendCommand::Append(a) => append(a, out),
        AppendCommand::Recover(a) => recover(a, out),
        AppendCommand::EnsureAppendable(a) => ensure(a, out, err),
        AppendCommand::Finalize(a) => finalize(a, out, err),
        AppendCommand::Convert(a) => convert(a, out, err),
    };
    out.flush()?;
    match result {
        Ok(()) => Ok(0),
        Err(Failure::Write(e)) => Err(e),
        Err(f) => {
            report(f, err)?;
            Ok(1)
        }
    }
}

/// Prints a failure on `err` as `error: PATH: message`, one line per error.
fn report(f: Failure, err: &mut dyn Write) -> io::Result<()> {
    match f {
        Failure::Write(e) => Err(e),
        Failure::Npy(e, path) => {
            match e.path() {
                Some(_) => writeln!(err, "error: {e}")?,
                None => writeln!(err, "error: {}: {e}", path.display())?,
            }
            match hint(&e) {
                Some(hint) => writeln!(err, "hint: {hint}"),
                None => Ok(()),
            }
        }
        Failure::Other(message, path) => writeln!(err, "error: {}: {message}", path.display()),
        Failure::Several(all) => all.into_iter().try_for_each(|f| report(f, err)),
    }
}

/// What to run, in this tool's words, for the errors whose remedy is another command
/// or option (the library's messages name no interface).
fn hint(e: &npy_append::Error) -> Option<&'static str> {
    match e.kind() {
        npy_append::ErrorKind::NotAppendable => Some(
            "`npy ensure-appendable FILE` gives the header room (--in-place keeps the file where it is)",
        ),
        npy_append::ErrorKind::NeedsRecovery => Some("`npy recover FILE` makes the file complete again"),
        npy_append::ErrorKind::Unrecoverable if e.message().contains("with a template") => {
            Some("`npy recover --like TEMPLATE FILE` takes the header from TEMPLATE")
        }
        // Only when a safe cast would do: "not a safe cast" needs another remedy.
        npy_append::ErrorKind::DtypeMismatch if e.message().contains("differ by a safe cast") => {
            Some("pass --safe-cast to convert, as NumPy's casting='safe' allows")
        }
        _ => None,
    }
}

/// Why a command failed: an operation or a check of this tool (reported, exit 1), or
/// writing the output.
enum Failure {
    Npy(npy_append::Error, PathBuf),
    Other(String, PathBuf),
    /// Several errors, in the order they happened (an append, then closing the file).
    Several(Vec<Failure>),
    Write(io::Error),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        Failure::Write(e)
    }
}

/// Attaches the path an error without one concerns.
trait Context<T> {
    fn at(self, path: &Path) -> Result<T, Failure>;
}

impl<T> Context<T> for npy_append::Result<T> {
    fn at(self, path: &Path) -> Result<T, Failure> {
        self.map_err(|e| Failure::Npy(e, path.to_path_buf()))
    }
}

/// A byte-progress bar on stderr; hidden when stderr is not a terminal.
fn bar(total: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(total);
    pb.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

fn append(a: &AppendArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let opts = Options::new()
        .header_policy(if a.header_on_close {
            HeaderPolicy::OnFlush
        } else {
            HeaderPolicy::EveryWrite
        })
        .durability(if a.sync {
            Durability::Synced
        } else {
            Durability::None
        });
    let cast = if a.safe_cast { Cast::Safe } else { Cast::No };
    // Everything is checked before DEST is created or opened: a source that cannot be
    // used must leave it as it was.
    let created = !dest_exists(&a.dest)?;
    for src in &a.sources {
        check_source(src)?;
    }
    let mut sources = a.sources.as_slice();
    let w = if created {
        // The first source decides the dtype, order and other dimensions.
        let first = &sources[0];
        let header = read_npy_header(first)?;
        let mut new = NewArray::like(&header).at(first)?;
        if a.v4 {
            new = new.version(Version::V4_0);
        }
        Appender::create(&a.dest, &new, opts).at(&a.dest)?
    } else {
        let w = Appender::open(&a.dest, opts).at(&a.dest)?;
        if a.v4 && w.version() != Version::V4_0 {
            return Err(Failure::Other(
                format!(
                    "exists in format {}: --v4 applies only when creating the file (convert it with `npy convert --to-version 4`)",
                    w.version()
                ),
                a.dest.clone(),
            ));
        }
        w
    };
    let before = w.rows();
    let axis = w.header().growth_axis().unwrap_or(0);
    let total: u64 = sources
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .sum();
    let pb = bar(total, "appending");
    let mut done = 0u64;
    let mut tried = Vec::new();
    let mut appended = 0usize;
    let mut failures = Vec::new();
    while let Some((src, rest)) = sources.split_first() {
        let base = done;
        let start = w.rows();
        let r = w.append_npy_file_with_progress(src, cast, &mut |d, _| pb.set_position(base + d));
        done += std::fs::metadata(src).map_or(0, |m| m.len());
        pb.set_position(done);
        match r {
            Ok(range) => {
                appended += 1;
                tried.push(Tried {
                    path: src,
                    start,
                    rows: Some(range.end - range.start),
                });
            }
            Err(e) => {
                tried.push(Tried {
                    path: src,
                    start,
                    rows: source_rows(src, axis),
                });
                failures.push(Failure::Npy(e, src.clone()));
                break;
            }
        }
        sources = rest;
    }
    pb.finish_and_clear();
    let accepted = w.rows();
    let header = w.header();
    let version = w.version();
    // Closing writes what is buffered. After an I/O error the writer refuses to
    // (`Poisoned`), which repeats the error already kept.
    if let Err(e) = w.close() {
        if failures.is_empty() || *e.kind() != npy_append::ErrorKind::Poisoned {
            failures.push(Failure::Npy(e, a.dest.clone()));
        }
    }
    // After an error, what the file holds, read again now that the writer is gone:
    // the summary states that, not what the writer accepted.
    let held = (!failures.is_empty()).then(|| Held::read(&a.dest));
    match &held {
        Some(held) if !held.as_ref().is_ok_and(|h| h.is_exactly(accepted)) => {
            let full = failures.iter().any(|f| {
                matches!(f, Failure::Npy(e, _)
                    if e.io_error().is_some_and(|e| e.kind() == io::ErrorKind::StorageFull))
            });
            describe_partial_append(out, a, created, &tried, held, full)?;
        }
        _ => {
            writeln!(
                out,
                "{}: {}appended {appended} of {} files ({}): shape {}, format {version}",
                a.dest.display(),
                if created { "created; " } else { "" },
                a.sources.len(),
                rows(accepted - before),
                python_tuple(
                    header
                        .fixed_shape()
                        .expect("a writer's header counts its rows")
                ),
            )?;
        }
    }
    match failures.len() {
        0 => Ok(()),
        1 => Err(failures.remove(0)),
        _ => Err(Failure::Several(failures)),
    }
}

/// A source `append` tried: the first row it was to become and how many rows it has
/// (`None` if that could not be read).
struct Tried<'a> {
    path: &'a Path,
    start: u64,
    rows: Option<u64>,
}

/// How many rows a source has along DEST's growth axis, as far as its header and size
/// say (for a source that failed, whose rows the writer did not report).
fn source_rows(src: &Path, axis: usize) -> Option<u64> {
    let parser = npy_header::HeaderParser::new().max_header_len(npy_append::MAX_HEADER_LEN);
    let f = crate::read::read_header(src, &parser).ok()?;
    let resolved = f.parsed.header.resolve(f.data_len()).ok()?;
    resolved.shape.get(axis).copied()
}

/// What DEST holds, from its header and size.
struct Held {
    /// The rows the header counts (`None` for format 4.0, whose size counts them).
    counted: Option<u64>,
    /// Bytes after the header.
    data: u64,
    row_bytes: u64,
    /// The header's shape (for 4.0, with the whole rows on the growth axis).
    shape: Vec<u64>,
    version: Version,
}

impl Held {
    fn read(path: &Path) -> Result<Held, String> {
        let parser = npy_header::HeaderParser::new().max_header_len(npy_append::MAX_HEADER_LEN);
        let f = crate::read::read_header(path, &parser).map_err(|e| e.to_string())?;
        let h = &f.parsed.header;
        let row_bytes = h.row_bytes().map_err(|e| e.to_string())?;
        let axis = h
            .growth_axis()
            .ok_or("the array is 0-d: it has no rows".to_string())?;
        let data = f.data_len();
        let counted = h.growth_len();
        let rows = counted.unwrap_or_else(|| data.checked_div(row_bytes).unwrap_or(0));
        let mut shape = h.row_shape().to_vec();
        shape.insert(axis, rows);
        Ok(Held {
            counted,
            data,
            row_bytes,
            shape,
            version: f.parsed.version,
        })
    }

    /// Rows whose bytes are all in the file.
    fn whole_rows(&self) -> u64 {
        match self.row_bytes {
            0 => self.counted.unwrap_or(0),
            r => self.data / r,
        }
    }

    /// Bytes of a partial row after the whole ones.
    fn partial(&self) -> u64 {
        self.data.checked_rem(self.row_bytes).unwrap_or(0)
    }

    /// The rows `npy recover --counted` keeps: the header's count, clamped to the
    /// whole rows.
    fn kept_counted(&self) -> u64 {
        self.counted
            .map_or(self.whole_rows(), |c| c.min(self.whole_rows()))
    }

    /// Whether the file is exactly an array of `rows` rows, as the writer left it when
    /// nothing failed on the way to the disk.
    fn is_exactly(&self, rows: u64) -> bool {
        self.data == rows * self.row_bytes
            && self.whole_rows() == rows
            && self.counted.is_none_or(|c| c == rows)
    }
}

/// After an I/O error left DEST other than the writer meant: which sources reached it
/// whole, how many rows of the others did and how many of those the header counts,
/// what the file holds, and how `npy recover` makes it consistent.
fn describe_partial_append(
    out: &mut dyn Write,
    a: &AppendArgs,
    created: bool,
    tried: &[Tried<'_>],
    held: &Result<Held, String>,
    full: bool,
) -> io::Result<()> {
    let dest = a.dest.display();
    let held = match held {
        Ok(h) => h,
        Err(e) => {
            return writeln!(
                out,
                "{dest}: {}an I/O error stopped the append, and the file cannot be read now ({e}): see `npy inspect {dest}`, then `npy recover {dest}`",
                if created { "created; " } else { "" },
            );
        }
    };
    let whole = held.whole_rows();
    let counted = held.counted.unwrap_or(whole);
    let whole_files = tried
        .iter()
        .filter(|t| t.rows.is_some_and(|n| t.start + n <= whole))
        .count();
    writeln!(
        out,
        "{dest}: {}an I/O error stopped the append: {whole_files} of {} files reached the file whole; by file:",
        if created { "created; " } else { "" },
        a.sources.len(),
    )?;
    for t in tried {
        let in_file = whole.saturating_sub(t.start);
        let line = match t.rows {
            Some(n) => {
                let in_file = in_file.min(n);
                let of_counted = counted.saturating_sub(t.start).min(n);
                let counts = match of_counted {
                    c if c == in_file => String::new(),
                    0 => " (the header counts none of them)".to_string(),
                    c => format!(" (the header counts {c} of them)"),
                };
                if in_file == n {
                    format!("all {n} rows{counts}")
                } else if in_file == 0 {
                    format!("none of its {n} rows")
                } else {
                    format!("{in_file} of its {n} rows{counts}")
                }
            }
            None => format!("{in_file} rows (how many it has could not be read)"),
        };
        writeln!(out, "  {}: {line}", t.path.display())?;
    }
    for src in &a.sources[tried.len()..] {
        writeln!(out, "  {}: not appended", src.display())?;
    }
    let partial = match held.partial() {
        0 => String::new(),
        p => format!(" and {p} bytes of a partial row"),
    };
    let count = match held.counted {
        Some(c) => format!("the header counts {c} rows"),
        None => "the header counts no rows (format 4.0: the size does)".to_string(),
    };
    writeln!(
        out,
        "{dest}: {count}, shape {}, format {}; the file holds {} bytes of data: {whole} whole rows of {} bytes{partial}",
        python_tuple(&held.shape),
        held.version,
        held.data,
        held.row_bytes,
    )?;
    // Where DEST's rows and those of each source that reached the file whole end.
    let ends: Vec<u64> = tried
        .first()
        .map(|t| t.start)
        .into_iter()
        .chain(tried.iter().filter_map(|t| t.rows.map(|n| t.start + n)))
        .filter(|&end| end <= whole)
        .collect();
    let boundary = |rows: u64| ends.contains(&rows);
    let whole_prefix = ends.iter().copied().max().unwrap_or(whole);
    let cut = if held.partial() > 0 {
        " and cuts the partial row"
    } else {
        ""
    };
    let advice = if held.counted.is_none() {
        let mut advice = if held.partial() > 0 {
            format!("`npy recover {dest}` keeps the {whole} whole rows{cut}")
        } else {
            format!("the file is a complete format 4.0 array of {whole} rows")
        };
        if whole > whole_prefix {
            advice.push_str(&format!(
                "; {} of them are from a file that was not appended whole (format 4.0 has no count to cut them at)",
                whole - whole_prefix
            ));
        }
        advice
    } else {
        let kept = held.kept_counted();
        if kept < whole {
            let which = if Some(kept) == ends.first().copied() {
                " (those the file had before)"
            } else if boundary(kept) {
                " (whole files only)"
            } else {
                ""
            };
            format!(
                "`npy recover --counted {dest}` keeps only the {kept} rows the header counts{which}; `npy recover {dest}` keeps all {whole} whole rows ({} of them not counted){cut}",
                whole - kept
            )
        } else if held.partial() > 0 || held.counted.is_some_and(|c| c > whole) {
            format!("`npy recover {dest}` keeps the {whole} whole rows{cut}")
        } else {
            "the file is consistent: nothing to recover".to_string()
        }
    };
    let note = if full && advice.contains("npy recover") {
        // recover first writes the new header to its journal beside the file.
        "; the filesystem is full and recover needs a little room for its journal: free some first (or add --no-sync, which writes none but is not safe against a power loss during it)"
    } else {
        ""
    };
    writeln!(out, "{dest}: {advice}{note}")
}

/// What a file that is not a regular file is, for messages.
fn file_kind(t: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a pipe or FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

/// Whether DEST exists as a regular file (or a link to one); `false` if there is
/// nothing at its path. Anything else is refused: a directory, a FIFO or device (which
/// `append` would block on or cannot write rows to), and a symbolic link to nothing
/// (creating DEST would fail on the link, and writing through it is not what the
/// command says).
fn dest_exists(dest: &Path) -> Result<bool, Failure> {
    let fail = |message: String| Failure::Other(message, dest.to_path_buf());
    let meta = match std::fs::symlink_metadata(dest) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(fail(format!("cannot look at the file: {e}"))),
    };
    let meta = if meta.file_type().is_symlink() {
        match std::fs::metadata(dest) {
            Ok(m) => m,
            Err(e) => {
                let to = std::fs::read_link(dest)
                    .map_or_else(|_| "?".to_string(), |t| t.display().to_string());
                return Err(fail(if e.kind() == io::ErrorKind::NotFound {
                    format!(
                        "is a symbolic link to {to}, which does not exist: append does not create files through a link (create {to} first, e.g. by appending to it, or remove the link)"
                    )
                } else {
                    format!("is a symbolic link to {to}, which cannot be followed: {e}")
                }));
            }
        }
    } else {
        meta
    };
    if !meta.is_file() {
        return Err(fail(format!(
            "is {}, not a regular file: DEST must be a .npy file, or a path where nothing is (to create one)",
            file_kind(meta.file_type())
        )));
    }
    Ok(true)
}

/// Refuses a source that is not a regular file before anything is written. Sources are
/// read with seeks (to find their length, to reorder them), which a pipe, FIFO or
/// device does not allow; and opening a FIFO that nobody writes to would wait forever.
/// The type is checked without opening the file.
fn check_source(src: &Path) -> Result<(), Failure> {
    let fail = |message: String| Failure::Other(message, src.to_path_buf());
    if src == Path::new("-") && !src.exists() {
        return Err(fail(
            "standard input cannot be a source: sources are read with seeks, which a pipe does not allow; save it to a file first (nothing was appended)".to_string(),
        ));
    }
    let meta = std::fs::metadata(src).map_err(|e| fail(format!("cannot open the input: {e}")))?;
    if !meta.is_file() {
        return Err(fail(format!(
            "is {}, not a regular file: sources are read with seeks, which it does not allow; save it to a file first (nothing was appended)",
            file_kind(meta.file_type())
        )));
    }
    std::fs::File::open(src).map_err(|e| fail(format!("cannot open the input: {e}")))?;
    Ok(())
}

fn read_npy_header(path: &Path) -> Result<npy_header::Header, Failure> {
    let bytes = read_head(path)?;
    npy_header::HeaderParser::new()
        .max_header_len(npy_append::MAX_HEADER_LEN)
        .parse(&bytes)
        .map(|p| p.header)
        .map_err(|e| Failure::Other(format!("the header is not valid: {e}"), path.to_path_buf()))
}

/// The first bytes of a file: enough for any header this tool reads.
fn read_head(path: &Path) -> Result<Vec<u8>, Failure> {
    use std::io::Read;
    let fail =
        |what: &str, e: io::Error| Failure::Other(format!("{what}: {e}"), path.to_path_buf());
    let f = std::fs::File::open(path).map_err(|e| fail("cannot open the file", e))?;
    let mut buf = Vec::new();
    f.take(npy_append::MAX_HEADER_LEN + 16)
        .read_to_end(&mut buf)
        .map_err(|e| fail("cannot read the file", e))?;
    Ok(buf)
}

fn recover(a: &RecoverArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let mut opts = RecoverOptions::new()
        .zerofill_incomplete(a.zerofill_incomplete)
        .adopt(if a.counted {
            Adopt::Counted
        } else {
            Adopt::WholeRows
        })
        .durability(if a.no_sync {
            Durability::None
        } else {
            Durability::Synced
        });
    if let Some(like) = &a.like {
        opts = opts.template_file(like).at(like)?;
    }
    let done = npy_append::recover(&a.file, &opts).at(&a.file)?;
    writeln!(out, "{}: {}", a.file.display(), describe_recovery(&done))?;
    Ok(())
}

/// `1 row`, `n rows`.
fn rows(n: u64) -> String {
    if n == 1 {
        "1 row".to_string()
    } else {
        format!("{n} rows")
    }
}

/// One line saying what `recover` found and did.
pub fn describe_recovery(r: &Recovered) -> String {
    let mut parts = Vec::new();
    if let Some(op) = r.replayed {
        parts.push(match op {
            Replayed::HeaderRewrite => "finished an interrupted header rewrite".to_string(),
            Replayed::DataMove => "finished an interrupted in-place data move".to_string(),
            Replayed::RangeInsert => "finished an interrupted in-place range insert".to_string(),
            Replayed::RangeInsertUndone => {
                "undid an in-place range insert that had not happened: run ensure-appendable again"
                    .to_string()
            }
            Replayed::Discarded => {
                "removed the journal of an operation interrupted before it changed the file"
                    .to_string()
            }
            _ => "finished an interrupted operation".to_string(),
        });
    }
    if r.used_template {
        parts.push("the header did not parse: rewrote it from the template".to_string());
    }
    match r.header_rows {
        Some(h) if h != r.rows => parts.push(format!("{} (the header said {h})", rows(r.rows))),
        _ => parts.push(rows(r.rows)),
    }
    if r.truncated_bytes > 0 {
        parts.push(format!("cut {} bytes", r.truncated_bytes));
    }
    if r.zero_filled_bytes > 0 {
        parts.push(format!(
            "completed a partial row with {} zero bytes",
            r.zero_filled_bytes
        ));
    }
    let verb = if r.changed() {
        "recovered"
    } else {
        "nothing to recover"
    };
    format!(
        "{verb}: {}; shape {}, format {}",
        parts.join(", "),
        python_tuple(&r.shape),
        r.version
    )
}

/// Warns when a header this command rewrote is longer than NumPy reads by default.
fn warn_large_header(err: &mut dyn Write, file: &Path, header_len: u64) -> io::Result<()> {
    let limit = npy_header::Limits::default().max_header_len;
    if header_len <= limit {
        return Ok(());
    }
    writeln!(
        err,
        "warning: {}: the header is {header_len} bytes long, past NumPy's default max_header_size ({limit}): np.load reads the file only with max_header_size={header_len} or allow_pickle=True, npy inspect only with --max-header-len {header_len}",
        file.display()
    )
}

fn ensure(a: &EnsureArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), Failure> {
    let mode = match (&a.out, a.in_place) {
        (Some(p), _) => EnsureMode::To(p.clone()),
        (None, true) => EnsureMode::InPlace,
        (None, false) => EnsureMode::Replace,
    };
    let size = std::fs::metadata(&a.file).map_or(0, |m| m.len());
    let pb = bar(size, "moving data");
    let done = npy_append::ensure_appendable_with(
        &a.file,
        mode.clone(),
        &MoveOptions::new()
            .insert_range(!a.exact_layout)
            .allow_large_header(a.allow_large_header),
        &mut |d, t| {
            pb.set_length(t);
            pb.set_position(d);
        },
    );
    pb.finish_and_clear();
    let done = done.at(&a.file)?;
    let line = if done.already {
        match &mode {
            EnsureMode::To(p) => format!(
                "already appendable: copied unchanged to {} ({} data bytes); format {}",
                p.display(),
                done.data_bytes,
                done.version
            ),
            _ => "already appendable: nothing to do".to_string(),
        }
    } else {
        let how = match &mode {
            EnsureMode::InPlace => done.method.to_string(),
            EnsureMode::To(p) => format!("copied to {}", p.display()),
            _ => "rewritten beside it and renamed over it".to_string(),
        };
        format!(
            "header grown by {} bytes ({how}), {} data bytes; format {}",
            done.header_growth, done.data_bytes, done.version
        )
    };
    writeln!(out, "{}: {line}", a.file.display())?;
    if !done.already {
        let target = match &mode {
            EnsureMode::To(p) => p,
            _ => &a.file,
        };
        warn_large_header(err, target, done.header_len)?;
    }
    Ok(())
}

fn finalize(a: &FinalizeArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), Failure> {
    let done = npy_append::finalize(&a.file).at(&a.file)?;
    writeln!(out, "{}", converted_line(&a.file, &done, None))?;
    if done.lost_room {
        warn_lost_room(err, &a.file, "")?;
    }
    Ok(())
}

/// Warns that a conversion in place left the header no room to grow, `why` (empty, or
/// a parenthesis starting with a space).
fn warn_lost_room(err: &mut dyn Write, file: &Path, why: &str) -> io::Result<()> {
    writeln!(
        err,
        "warning: {}: converted in place, leaving the header no room for a longer growth-axis length{why}: run `npy ensure-appendable --in-place` before appending to it",
        file.display()
    )
}

/// `FILE: format A -> B[, how]; shape S[; cut N bytes of a partial row]`.
fn converted_line(file: &Path, done: &Converted, how: Option<&str>) -> String {
    let how = how.map_or(String::new(), |h| format!(", {h};"));
    let sep = if how.is_empty() { "," } else { "" };
    let mut line = format!(
        "{}: format {} -> {}{how}{sep} shape {}",
        file.display(),
        done.from,
        done.to,
        python_tuple(&done.shape)
    );
    if done.trimmed_bytes > 0 {
        line.push_str(&format!(
            "; cut {} bytes of a partial row",
            done.trimmed_bytes
        ));
    }
    line
}

fn convert(a: &ConvertArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), Failure> {
    let to = Version::ALL[usize::from(a.to_version - 1)];
    let size = std::fs::metadata(&a.file).map_or(0, |m| m.len());
    let pb = bar(size, "rewriting");
    let opts = MoveOptions::new().allow_large_header(a.allow_large_header);
    let done = npy_append::convert_with(&a.file, to, &opts, &mut |d, t| {
        pb.set_length(t);
        pb.set_position(d);
    });
    pb.finish_and_clear();
    let done = done.at(&a.file)?;
    let how = if done.from == done.to {
        "already: nothing to do"
    } else if done.in_place {
        "in place"
    } else {
        "rewritten (the header grew)"
    };
    writeln!(out, "{}", converted_line(&a.file, &done, Some(how)))?;
    if !done.in_place {
        warn_large_header(err, &a.file, done.header_len)?;
    }
    if done.lost_room {
        warn_lost_room(
            err,
            &a.file,
            " (a rewrite that kept it would split the file's hard links or pass NumPy's max_header_size)",
        )?;
    }
    Ok(())
}
