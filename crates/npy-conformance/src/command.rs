//! `npy conformance`: the arguments and the command.

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::output;
use crate::readers::{Adapter, Reader};
use crate::{run_cases, Corpus, Run, Selection};

const EXAMPLES: &str = "\
Examples:
  npy conformance                                   This program's own reader
  npy conformance --failures-only
  npy conformance --reader 'python3 conformance/adapters/numpy_adapter.py' --known numpy
  npy conformance --format junit > conformance.xml
  npy conformance --reader 'node my_adapter.js' --profile strict --unsupported v4,big-endian
  npy conformance --list-features

The corpus is built into this program; --corpus DIR runs another copy (a directory
holding manifest.json and the files it lists, such as conformance/ in the repository).

The reader command is split into words like a shell does (no expansion) and run as
`CMD FILE` for every case, with NPY_MAX_HEADER_LEN set to the case's header-length
limit. It prints one JSON line {\"version\", \"descr\", \"fortran_order\", \"shape\",
\"data_sha256\"} and exits 0 to accept, or exits 1 to reject (optionally printing
{\"unsupported\": [FEATURE, ...]}). Any other exit is a crash; a timeout, a crash or a
broken protocol fails the case whatever was expected. See conformance/README.md in the
repository.

Exit status: 0 if every case passes (or is a known difference, or unsupported), 1 if
any fails, 2 for a usage error or a corpus that cannot be read.";

/// Arguments of `npy conformance`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct ConformanceArgs {
    /// The corpus directory, holding manifest.json [default: the corpus built into this
    /// program]
    #[arg(long, value_name = "DIR")]
    pub corpus: Option<PathBuf>,
    /// Run another reader through an adapter command instead of this program's reader.
    #[arg(long, value_name = "CMD")]
    pub reader: Option<String>,
    /// Accept the differences the manifest records for this reader (e.g. `numpy`).
    #[arg(long, value_name = "NAME")]
    pub known: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// List only the cases that fail (text format).
    #[arg(long)]
    pub failures_only: bool,
    /// Run only the cases whose file path contains this text.
    #[arg(long, value_name = "TEXT")]
    pub only: Option<String>,
    /// Run only the cases of this reader profile: `strict` (the header grammar writers
    /// emit and its common variations) or `full` (every case, the default).
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Features the reader does not support, comma-separated (see --list-features): a
    /// valid file using one that the reader refuses counts as unsupported, not failed.
    #[arg(long, value_name = "FEATURES", value_delimiter = ',')]
    pub unsupported: Vec<String>,
    /// List the profiles and the features --unsupported takes, and exit.
    #[arg(long)]
    pub list_features: bool,
    /// Seconds an adapter may take on one file before it is killed and the case fails.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub timeout: f64,
    /// Cases run at the same time [default: the number of CPUs]
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table: every case grouped by its main requirement, then a summary.
    Text,
    /// One JSON object: summary, per-requirement counts and every case.
    Json,
    /// JUnit XML, one test suite per requirement.
    Junit,
}

/// `npy conformance`: runs the corpus (the built-in one unless `--corpus` names another)
/// against `own_reader`, or against `--reader`'s adapter, and writes the report to
/// `out`. Returns the exit status: 0 if every case passes, 1 if one fails, 2 for a usage
/// error or a corpus that cannot be read (the error is written to `err`).
pub fn command(
    args: &ConformanceArgs,
    own_reader: &dyn Reader,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<u8> {
    if !(args.timeout > 0.0 && args.timeout.is_finite()) {
        writeln!(err, "error: --timeout must be a positive number of seconds")?;
        return Ok(2);
    }
    let adapter = match &args.reader {
        None => None,
        Some(cmd) => match Adapter::new(cmd, Duration::from_secs_f64(args.timeout)) {
            Ok(a) => Some(a),
            Err(e) => {
                writeln!(err, "error: {e}")?;
                return Ok(2);
            }
        },
    };
    let reader: &dyn Reader = match &adapter {
        Some(a) => a,
        None => own_reader,
    };
    let corpus = match &args.corpus {
        Some(dir) => Corpus::open(dir),
        None => Corpus::built_in(),
    };
    let corpus = match corpus {
        Ok(c) => c,
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok(2);
        }
    };
    let manifest = corpus.manifest();
    if args.list_features {
        writeln!(out, "profiles (--profile):")?;
        for (name, what) in &manifest.profiles {
            writeln!(out, "  {name:<16} {what}")?;
        }
        writeln!(out, "features (--unsupported):")?;
        for (name, what) in &manifest.features {
            let n = manifest
                .cases
                .iter()
                .filter(|c| c.features.contains(name))
                .count();
            writeln!(out, "  {name:<16} {what} ({n} cases)")?;
        }
        return Ok(0);
    }
    if let Some(p) = args
        .profile
        .as_ref()
        .filter(|p| !manifest.profiles.contains_key(*p))
    {
        let names: Vec<&str> = manifest.profiles.keys().map(String::as_str).collect();
        writeln!(
            err,
            "error: unknown profile {p:?}: the manifest defines {}",
            names.join(", ")
        )?;
        return Ok(2);
    }
    if let Some(f) = args
        .unsupported
        .iter()
        .find(|f| !manifest.features.contains_key(*f))
    {
        let names: Vec<&str> = manifest.features.keys().map(String::as_str).collect();
        writeln!(
            err,
            "error: unknown feature {f:?}: the manifest defines {} (see --list-features)",
            names.join(", ")
        )?;
        return Ok(2);
    }
    let selection = Selection {
        only: args.only.clone(),
        profile: args.profile.clone(),
        unsupported: args.unsupported.clone(),
    };
    let jobs = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let outcomes = run_cases(&corpus, reader, args.known.as_deref(), &selection, jobs);
    let run = Run {
        corpus: &corpus,
        reader: reader.name(),
        known: args.known.clone(),
        profile: args.profile.clone(),
        unsupported: args.unsupported.clone(),
        outcomes,
    };
    match args.format {
        Format::Text => output::text(&run, args.failures_only, out)?,
        Format::Json => output::json(&run, out)?,
        Format::Junit => output::junit(&run, out)?,
    }
    out.flush()?;
    Ok(if run.counts().fail() == 0 { 0 } else { 1 })
}
