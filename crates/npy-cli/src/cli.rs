//! The command line: argument definitions (clap) and the commands.
//!
//! Exit status: 0 when every file is valid, 1 when a file is invalid or unreadable
//! (including a 1.0–3.0 file whose data is shorter than its shape needs) or cannot be
//! printed, 2 for a usage error.

use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use npy_header::{HeaderParser, Limits};
use npy_mmap::{Layout, Loader, NpyBuffer};
use serde::Serialize;

use crate::print::{array_repr, summarises, Array, Options, Shown};
use crate::read::{read_header, ReadError};
use crate::report::{ErrorJson, Report};
use crate::validate::{check, collect, line, summary, Verdict};

const MAIN_EXAMPLES: &str = "\
Examples:
  npy inspect data.npy                  Show what the header says
  npy inspect --json data.npy | jq .shape
  npy validate conformance/samples      Check every .npy file under a directory
  npy cat data.npy                      Print the array as NumPy's repr() does
  npy head -n 5 data.npy                Print its first 5 rows
  npy append all.npy a.npy b.npy        Append arrays (also: recover, finalize, ...)

Exit status: 0 if every file is valid, 1 if any is invalid or unreadable, 2 for a
usage error. Run `npy help <command>` for details.";

const INSPECT_EXAMPLES: &str = "\
Examples:
  npy inspect data.npy
  npy inspect --json data.npy
  npy inspect --max-header-len 1000000 wide_struct.npy

The shape is resolved against the file size: a format 4.0 header's -1 becomes the
number of whole rows the data holds; `header shape` shows the header as stored.

Exit status: 0 for a valid header with enough data. 1 for an invalid header or an
unreadable file: nothing on stdout (with --json, an object with `file` and `error`),
and on stderr `error: FILE: <kind> at byte N: <message>`. 1 also when a 1.0-3.0
file's data is shorter than its shape needs: the header is still printed (shape
`unresolved`; in JSON `shape` and `trailing_bytes` are null and `error` is set),
then the error on stderr.";

const VALIDATE_EXAMPLES: &str = "\
Examples:
  npy validate data.npy
  npy validate conformance/samples other.npy

Output, one line per file, then a summary:
  ok   PATH  <version> <descr> <shape>
  ok   PATH  <version> <descr> <shape> (warning: ...)
  FAIL PATH  <kind> at byte N: <message>
  N files: X ok, Y failed

A file passes when its header is valid and its data fits the shape: formats 1.0-3.0
need at least prod(shape) * itemsize bytes (extra bytes are a warning), an
open-ended 4.0 file whole rows (a partial trailing row is a warning). Directories
are searched recursively for *.npy, sorted by path; files named explicitly are
checked whatever their name.

Exit status: 0 if every file passes, 1 otherwise.";

const CAT_EXAMPLES: &str = "\
Examples:
  npy cat data.npy
  npy cat --all data.npy                Every item, however many
  some-program | npy cat -              Read the file from stdin

The output is what NumPy's repr() prints for np.load(FILE) with the default print
options: arrays of more than 1000 items are summarised with `...` (3 items at each
edge of each axis) and get `shape=`. Of a file with more than 16 MiB of data only
the items shown are read; `-` reads stdin to its end. A 4.0 file's partial trailing
row is not part of the array.

Exit status: 0 if the array was printed, 1 if the file is invalid or unreadable, or
its dtype cannot be printed (Python objects, longdouble).";

const HEAD_EXAMPLES: &str = "\
Examples:
  npy head data.npy                     The first 10 rows: repr(np.load(FILE)[:10])
  npy head -n 3 data.npy
  npy head -n 3 - < data.npy

Rows are along the first axis whatever the storage order (NumPy's arr[:N]); a 0-d
array is printed whole. Of a file with more than 16 MiB of data only the items
shown are read.

Exit status as for `npy cat`.";

/// Inspect, validate, print, append to, recover and convert NumPy `.npy` files (format
/// 1.0 to 4.0), and run the conformance suite.
#[derive(Debug, Parser)]
#[command(name = "npy", version, after_help = MAIN_EXAMPLES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what a file's header says: version, dtype, shape, sizes and offsets.
    ///
    /// Reads only the header, never the array data: the data length comes from the
    /// file size.
    #[command(after_help = INSPECT_EXAMPLES)]
    Inspect(InspectArgs),
    /// Check that files are valid .npy files whose data fits their header.
    ///
    /// Prints one line per file and a summary.
    #[command(after_help = VALIDATE_EXAMPLES)]
    Validate(ValidateArgs),
    /// Print an array as NumPy's repr() does, summarised with `...` when large.
    #[command(after_help = CAT_EXAMPLES)]
    Cat(CatArgs),
    /// Print the first N rows of an array as NumPy's repr() does.
    #[command(after_help = HEAD_EXAMPLES)]
    Head(HeadArgs),
    /// npy append, recover, ensure-appendable, finalize, convert.
    #[command(flatten)]
    Append(crate::append::AppendCommand),
    /// Run the conformance corpus against this reader or another one.
    ///
    /// Prints every case grouped by requirement, each requirement's tally and a
    /// summary.
    Conformance(npy_conformance::ConformanceArgs),
}

/// Arguments of `npy inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The .npy file.
    pub file: PathBuf,
    /// Print one JSON object instead of `key: value` lines.
    #[arg(long)]
    pub json: bool,
    /// Limits for untrusted headers.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Arguments of `npy cat`.
#[derive(Debug, Args)]
pub struct CatArgs {
    /// The .npy file, or `-` for stdin.
    pub file: PathBuf,
    /// Print every item instead of summarising arrays of more than 1000 items.
    #[arg(long)]
    pub all: bool,
    /// Limits for untrusted headers.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Arguments of `npy head`.
#[derive(Debug, Args)]
pub struct HeadArgs {
    /// How many rows (along the first axis) to print.
    #[arg(short = 'n', long = "lines", value_name = "N", default_value_t = 10)]
    pub rows: u64,
    /// The .npy file, or `-` for stdin.
    pub file: PathBuf,
    /// Print every item of the rows instead of summarising more than 1000 items.
    #[arg(long)]
    pub all: bool,
    /// Limits for untrusted headers.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Arguments of `npy validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Files to check, and directories to search recursively for *.npy files.
    #[arg(required = true, value_name = "FILE_OR_DIR")]
    pub paths: Vec<PathBuf>,
    /// Limits for untrusted headers.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Limits for reading untrusted headers.
#[derive(Debug, Args)]
pub struct LimitArgs {
    /// Refuse headers longer than N bytes (NumPy's default limit is 10000; NumPy
    /// itself refuses longer ones unless told the file is trusted).
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_header_len)]
    pub max_header_len: u64,
}

impl LimitArgs {
    /// The parser these limits configure.
    pub fn parser(&self) -> HeaderParser {
        HeaderParser::new().max_header_len(self.max_header_len)
    }
}

/// Runs a parsed command line, writing results to `out` and errors to `err`.
/// Returns the exit status; an `Err` is a failure to write the output.
pub fn run(cli: &Cli, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<u8> {
    match &cli.command {
        Command::Inspect(args) => inspect(args, out, err),
        Command::Validate(args) => validate(args, out),
        Command::Cat(args) => print(&args.file, None, args.all, &args.limits, out, err),
        Command::Head(args) => print(
            &args.file,
            Some(args.rows),
            args.all,
            &args.limits,
            out,
            err,
        ),
        Command::Append(cmd) => crate::append::run(cmd, out, err),
        Command::Conformance(args) => {
            npy_conformance::command(args, &crate::conformance::OwnReader, out, err)
        }
    }
}

/// Files with more array data than this are not read whole by `npy cat` and `npy
/// head`, only the items they show.
const READ_WHOLE: u64 = 16 << 20;

/// An array read for printing: from stdin, a file read whole, or the items shown of a
/// large file.
///
/// Files are read, never memory-mapped. A map is sound only while no other program
/// truncates or rewrites the file (see `npy_mmap::NpyFile::map`), and this command is
/// given any path: a file `np.save` is rewriting, or one another process recovers,
/// must at worst print stale values or fail, not crash or read bytes that change
/// under a reference. Nor is a map needed: a repr shows at most a few thousand items,
/// so a file with up to [`READ_WHOLE`] bytes of data is read whole and a larger one
/// only where the items shown are ([`Shown`]): a summary of an array larger than
/// memory reads a few pages, as the map did.
enum Source {
    Read(NpyBuffer),
    Shown(Shown),
}

impl Source {
    /// The array at `path` (`-` for stdin), for printing its first `rows` rows (all
    /// with `None`) with `options`.
    fn open(
        path: &Path,
        rows: Option<u64>,
        options: Options,
        limits: &LimitArgs,
    ) -> Result<Source, ReadError> {
        let loader = Loader::with_parser(limits.parser());
        if path == Path::new("-") {
            return Ok(Source::Read(loader.read(io::stdin().lock())?));
        }
        if let Some(shown) = read_shown(path, rows, options, loader.parser())? {
            return Ok(Source::Shown(shown));
        }
        Ok(Source::Read(loader.read_file(path)?))
    }
}

/// The items shown of a file with more than [`READ_WHOLE`] bytes of data, not all of
/// whose items are shown; `None` for any other file, including one that cannot be
/// read: the loader reads it whole, or reports it in its own words.
fn read_shown(
    path: &Path,
    rows: Option<u64>,
    options: Options,
    parser: &HeaderParser,
) -> Result<Option<Shown>, ReadError> {
    let Ok(file) = File::open(path) else {
        return Ok(None);
    };
    // The header, then the size, as the loader reads them (a count a writer has
    // rewritten is backed by data in the size).
    let Ok(parsed) = npy_mmap::read_header(&mut BufReader::new(&file), parser) else {
        return Ok(None);
    };
    let data_offset = parsed.data_offset();
    let file_len = file.metadata()?.len();
    if parsed.header.dtype().has_object() {
        return Ok(None);
    }
    let Ok(layout) = Layout::new(
        parsed,
        file_len.saturating_sub(data_offset),
        parser.limits(),
    ) else {
        return Ok(None);
    };
    let shape = printed_shape(layout.shape(), rows);
    let everything = shape == layout.shape() && !summarises(&shape, options);
    if layout.data_bytes() <= READ_WHOLE || everything {
        return Ok(None);
    }
    Ok(Some(Shown::read(&file, &layout, &shape, options)?))
}

/// The shape `npy cat` (`rows: None`) or `npy head -n ROWS` prints of an array: the
/// first axis cut to `rows`, as NumPy's `arr[:rows]`.
fn printed_shape(shape: &[u64], rows: Option<u64>) -> Vec<u64> {
    let mut shape = shape.to_vec();
    if let (Some(n), Some(first)) = (rows, shape.first_mut()) {
        *first = (*first).min(n);
    }
    shape
}

/// `npy cat` (`rows: None`) and `npy head` (`rows: Some(n)`): NumPy's repr of the
/// array, or of `arr[:n]`.
pub fn print(
    path: &Path,
    rows: Option<u64>,
    all: bool,
    limits: &LimitArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<u8> {
    let name = path.display().to_string();
    let options = Options { all };
    let source = match Source::open(path, rows, options, limits) {
        Ok(source) => source,
        Err(e) => {
            writeln!(err, "error: {name}: {e}")?;
            return Ok(1);
        }
    };
    let view;
    let array: &dyn Array = match &source {
        Source::Read(buffer) => {
            view = buffer.view();
            &view
        }
        Source::Shown(shown) => shown,
    };
    let shape = printed_shape(array.shape(), rows);
    match array_repr(array, &shape, options) {
        Ok(text) => {
            writeln!(out, "{text}")?;
            out.flush()?;
            Ok(0)
        }
        Err(e) => {
            writeln!(err, "error: {name}: {e}")?;
            Ok(1)
        }
    }
}

/// `npy inspect`.
pub fn inspect(args: &InspectArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<u8> {
    let path = args.file.display().to_string();
    let file = match read_header(&args.file, &args.limits.parser()) {
        Ok(file) => file,
        Err(e) => {
            if args.json {
                let json = FailJson {
                    file: &path,
                    error: ErrorJson::from(&e),
                };
                writeln!(out, "{}", serde_json::to_string(&json)?)?;
            }
            out.flush()?;
            writeln!(err, "error: {path}: {e}")?;
            return Ok(1);
        }
    };
    let report = Report::new(path.as_str(), file, args.limits.parser().limits());
    if args.json {
        writeln!(out, "{}", report.to_json())?;
    } else {
        report.write_human(out)?;
    }
    out.flush()?;
    match report.error() {
        Some(e) => {
            writeln!(err, "error: {path}: {e}")?;
            Ok(1)
        }
        None => Ok(0),
    }
}

/// What `npy inspect --json` prints when the header cannot be read.
#[derive(Serialize)]
struct FailJson<'a> {
    file: &'a str,
    error: ErrorJson,
}

/// `npy validate`.
pub fn validate(args: &ValidateArgs, out: &mut dyn Write) -> io::Result<u8> {
    let parser = args.limits.parser();
    let (mut ok, mut failed) = (0usize, 0usize);
    for arg in &args.paths {
        for found in collect(arg) {
            let verdict = match found.error {
                Some(e) => Verdict::Fail(format!("io: {e}")),
                None => check(&found.path, &parser),
            };
            if verdict.is_ok() {
                ok += 1;
            } else {
                failed += 1;
            }
            writeln!(out, "{}", line(&found.path, &verdict))?;
        }
    }
    writeln!(out, "{}", summary(ok, failed))?;
    Ok(if failed == 0 { 0 } else { 1 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults() {
        let cli = Cli::try_parse_from(["npy", "inspect", "x.npy"]).unwrap();
        let Command::Inspect(args) = cli.command else {
            panic!()
        };
        assert!(!args.json);
        assert_eq!(args.limits.max_header_len, 10_000);
        assert!(Cli::try_parse_from(["npy", "validate"]).is_err());
    }

    #[test]
    fn inspect_missing_file() {
        let cli = Cli::try_parse_from(["npy", "inspect", "--json", "/nonexistent/x.npy"]).unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(run(&cli, &mut out, &mut err).unwrap(), 1);
        let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(json["error"]["kind"], "io");
        let err = String::from_utf8(err).unwrap();
        assert!(err.starts_with("error: /nonexistent/x.npy: io: "), "{err}");
    }
}
