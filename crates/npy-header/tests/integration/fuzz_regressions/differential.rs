//! Differential testing against NumPy's own header reader.
//!
//! Each input file goes through `npy_header::parse` (default limits) and through
//! `numpy.lib.format.read_magic` + `numpy.lib._format_impl._read_array_header` (default
//! `max_header_size`) in the embedded NumPy of `npy-oracle`. Where the two disagree —
//! one accepts and the other refuses, or both accept with a different meaning — the
//! disagreement is classified by [`classify`], which reproduces the rule of each
//! deliberate difference of `spec/npy-format.md` ("Deliberate differences", `DIFF-n`).
//! A disagreement no rule explains fails the test.
//!
//! Format 4.0 is NumPy's 3.0 plus `-1` on the growth axis, which NumPy cannot read by
//! its version byte; a 4.0 input is therefore given to NumPy as 3.0, and an open growth
//! axis is expected back as `-1`.
//!
//! Inputs: the conformance samples and corpus, every committed fuzz regression, the local fuzz
//! corpora (`fuzz/corpus/*`, git-ignored; present after fuzzing), directories named in
//! `NPY_DIFF_CORPUS` (`:`-separated), and `NPY_DIFF_CASES` generated inputs (default
//! 3000): headers built from a grammar that reaches every documented difference, and
//! token-level mutations of the other inputs. The generator is seeded (`NPY_DIFF_SEED`,
//! default 1), so a run is reproducible. Undocumented disagreements are written to
//! `fuzz/artifacts/differential/` for minimization.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use npy_header::{Error, ErrorKind, Header, Parsed, Version, Warning};
use serde_json::Value;

/// What NumPy's header reader made of one input.
#[derive(Debug)]
pub struct Numpy {
    /// `None` if NumPy accepted; otherwise `"ExceptionType: message"`.
    pub error: Option<String>,
    pub shape: Vec<String>,
    pub fortran: bool,
    pub descr: Option<String>,
    pub itemsize: u64,
    /// NumPy warned that the header needed its Python 2 repair pass.
    pub py2_warning: bool,
    pub bool_dim: bool,
    pub negative_dim: bool,
    /// A dimension beyond 2⁶³−1, or a data size beyond it (zero dimensions skipped).
    pub too_big: bool,
    /// Characters in the decoded header text.
    pub chars: u64,
    pub duplicate_keys: bool,
    /// NumPy refused a 1.0/2.0 header that it reads as 3.0 once its Python 2 suffixes
    /// are dropped: its retry broke the layout (`DIFF-21`).
    pub retry_broken: bool,
    /// Python type name of the raw `descr` value.
    pub descr_type: String,
}

/// The verdict on one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Agree,
    /// A disagreement explained by the deliberate difference with this id.
    Documented(&'static str),
    /// A disagreement no documented difference explains.
    Undocumented(String),
}

const NUMPY_BATCH: &str = r#"
import ast
import re
MAXI = 2**63 - 1

# A Python 2 `L` suffix after a number (G-5), removed in place.
L_SUFFIX = re.compile(r'(?<=[0-9A-Za-z_.])(?:[ \t\x0c]|\\\r?\n|\\\r)*L(?![0-9A-Za-z_])')

def retry_broken(data):
    """A 1.0/2.0 header NumPy refused that it reads as 3.0 once its L suffixes are
    dropped in place: the refusal came from its Python 2 retry (DIFF-21)."""
    if len(data) < 10 or data[6] not in (1, 2):
        return False
    n = 2 if data[6] == 1 else 4
    hlen = int.from_bytes(data[8:8 + n], 'little')
    text = data[8 + n:8 + n + hlen].decode('latin1')
    stripped = L_SUFFIX.sub('', text)
    if stripped == text:
        return False
    body = stripped.encode('utf8')
    v3 = b'\x93NUMPY\x03\x00' + len(body).to_bytes(4, 'little') + body
    try:
        f = io.BytesIO(v3)
        fmt_impl._read_array_header(f, fmt.read_magic(f))
        return True
    except Exception:
        return False

def one(data):
    f = io.BytesIO(data)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        try:
            v = fmt.read_magic(f)
            shape, fo, dt = fmt_impl._read_array_header(f, v)
        except Exception as e:
            return {'error': (type(e).__name__ + ': ' + str(e))[:400],
                    'retry_broken': retry_broken(data)}
    r = {'error': None, 'shape': [repr(x) for x in shape], 'fortran': fo,
         'itemsize': dt.itemsize}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            r['descr'] = repr(fmt.dtype_to_descr(dt))
    except Exception:
        r['descr'] = None
    r['py2_warning'] = any('Python 2' in str(w.message) for w in caught)
    ints = [x for x in shape if type(x) is int]
    r['bool_dim'] = any(type(x) is bool for x in shape)
    r['negative_dim'] = any(x < 0 for x in ints)
    size = dt.itemsize
    big = False
    for x in ints:
        if x > MAXI:
            big = True
        if x > 0:
            size *= x
    r['too_big'] = big or size > MAXI
    n = 2 if v == (1, 0) else 4
    hlen = int.from_bytes(data[8:8 + n], 'little')
    text = data[8 + n:8 + n + hlen].decode('latin1' if v < (3, 0) else 'utf8')
    r['chars'] = len(text)
    try:
        tree = ast.parse(text.lstrip(' \t'), mode='eval')
    except SyntaxError:
        tree = ast.parse(fmt_impl._filter_header(text).lstrip(' \t'), mode='eval')
    keys = [ast.literal_eval(k) for k in tree.body.keys]
    r['duplicate_keys'] = len(keys) != len(set(keys))
    r['descr_type'] = type(ast.literal_eval(tree.body)['descr']).__name__
    return r

result = [one(bytes.fromhex(h)) for h in INPUTS]
"#;

/// Runs NumPy's reader over many inputs in one call into the embedded interpreter.
pub fn numpy_read(inputs: &[Vec<u8>]) -> Vec<Numpy> {
    let mut out = Vec::with_capacity(inputs.len());
    for batch in inputs.chunks(1000) {
        let mut code = String::from("INPUTS = [");
        for input in batch {
            code.push('\'');
            for b in numpy_view(input).iter() {
                write!(code, "{b:02x}").unwrap();
            }
            code.push_str("',");
        }
        code.push_str("]\n");
        code.push_str(NUMPY_BATCH);
        let v = npy_oracle::eval_json(&code).unwrap_or_else(|e| panic!("oracle: {e}"));
        for r in v.as_array().expect("a list") {
            out.push(numpy_from_json(r));
        }
    }
    out
}

fn numpy_from_json(r: &Value) -> Numpy {
    let s = |k: &str| r[k].as_str().map(str::to_string);
    let b = |k: &str| r[k].as_bool().unwrap_or(false);
    Numpy {
        error: s("error"),
        shape: r["shape"]
            .as_array()
            .map(|a| a.iter().map(|d| d.as_str().unwrap().to_string()).collect())
            .unwrap_or_default(),
        fortran: b("fortran"),
        descr: s("descr"),
        itemsize: r["itemsize"].as_u64().unwrap_or(0),
        py2_warning: b("py2_warning"),
        bool_dim: b("bool_dim"),
        negative_dim: b("negative_dim"),
        too_big: b("too_big"),
        chars: r["chars"].as_u64().unwrap_or(0),
        duplicate_keys: b("duplicate_keys"),
        retry_broken: b("retry_broken"),
        descr_type: s("descr_type").unwrap_or_default(),
    }
}

/// The bytes NumPy is given: a 4.0 file is offered as 3.0 (see the module docs).
fn numpy_view(input: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if input.len() >= 8 && input[..6] == npy_header::MAGIC[..] && input[6..8] == [4, 0] {
        let mut v = input.to_vec();
        v[6] = 3;
        v.into()
    } else {
        input.into()
    }
}

/// The type string quoted at the start of a "… is not a data type NumPy understands"
/// message, as this crate writes it (`{s:?}`), unescaped.
fn rejected_type_string(msg: &str) -> Option<String> {
    let quoted = msg
        .strip_suffix(" is not a data type NumPy understands")?
        .strip_prefix('"')?
        .strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            't' => out.push('\t'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            '0' => out.push('\0'),
            'u' => {
                let hex: String = chars.by_ref().skip(1).take_while(|&c| c != '}').collect();
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
            }
            other => out.push(other),
        }
    }
    Some(out)
}

/// Reproduces each deliberate difference's rule on one disagreement where NumPy
/// accepted and this crate refused.
fn documented_refusal(e: &Error, np: &Numpy, version: Option<Version>) -> Option<&'static str> {
    let msg = e.message();
    let descr_msg = |needle: &str| e.kind() == &ErrorKind::InvalidDescr && msg.contains(needle);
    Some(match e.kind() {
        ErrorKind::DuplicateKey if np.duplicate_keys => "DIFF-1",
        ErrorKind::InvalidShape if np.bool_dim && msg.contains("not True or False") => "DIFF-2",
        ErrorKind::InvalidShape | ErrorKind::InvalidGrowthDim if np.negative_dim => "DIFF-3",
        ErrorKind::InvalidShape | ErrorKind::DataTooLarge { .. } if np.too_big => "DIFF-4",
        ErrorKind::InvalidDescr if np.descr_type == "tuple" && msg.contains("whole descr") => {
            "DIFF-5"
        }
        ErrorKind::InvalidDescr if rejected_type_string(msg).is_some_and(|s| s.contains('/')) => {
            "DIFF-6"
        }
        ErrorKind::InvalidDescr
            if rejected_type_string(msg).is_some_and(|s| is_diff7_string(&s)) =>
        {
            "DIFF-7"
        }
        // At the top or as a field's type: descr_to_dtype iterates any container, and
        // every descr that is neither a str nor a list of fields is rejected.
        ErrorKind::InvalidDescr
            if msg.starts_with("descr must be a type string or a list of fields, not a")
                || msg.starts_with("a field must be a tuple, not a str") =>
        {
            "DIFF-8"
        }
        _ if descr_msg("a subarray type is a (type, shape) pair, not a") => "DIFF-9",
        _ if descr_msg("a field title must be a string") => "DIFF-10",
        ErrorKind::Syntax
            if msg.starts_with("\\N{...} escapes are not supported")
                || msg.starts_with("escape names a lone surrogate") =>
        {
            "DIFF-11"
        }
        ErrorKind::HeaderTooLong { len, limit }
            if version.is_some_and(Version::is_utf8) && np.chars <= *limit && len > limit =>
        {
            "DIFF-12"
        }
        ErrorKind::NestTooDeep { limit: 64 } => "DIFF-13",
        ErrorKind::TooManyDims { limit: 64 } if np.shape.len() > 64 => "DIFF-20",
        _ if descr_msg("a subarray of a zero-byte subarray with an int shape") => "DIFF-16",
        ErrorKind::InvalidDescr
            if rejected_type_string(msg).is_some_and(|s| is_type_number(&s)) =>
        {
            "DIFF-18"
        }
        // NumPy took the "shape" as a second dtype over the same bytes, or None as none.
        _ if descr_msg("an empty list is not a subarray shape")
            || descr_msg("subarray dimension must be an int, not a")
            || descr_msg("subarray shape must be an int or a tuple of ints, not a") =>
        {
            "DIFF-19"
        }
        ErrorKind::Syntax
            if np.py2_warning
                && version.is_some_and(|v| v <= Version::V2_0)
                && (msg.starts_with("the header's last line holds only indentation")
                    || msg.starts_with("unexpected indentation before the header dict")) =>
        {
            "DIFF-17"
        }
        _ => return None,
    })
}

/// DIFF-18: one character whose code point is a NumPy type number (0 to 23), maybe
/// after a byte-order character.
fn is_type_number(s: &str) -> bool {
    let body = s.trim_start_matches(['<', '>', '|', '=']);
    body.chars().count() == 1 && body.chars().all(|c| u32::from(c) < 24)
}

/// DIFF-7: comma-separated formats, repeat counts, `T`, signs or whitespace in sizes.
fn is_diff7_string(s: &str) -> bool {
    let body = s.trim_start_matches(['<', '>', '|', '=']);
    s.contains(',')
        || body.starts_with(|c: char| c.is_ascii_digit() || c == '(')
        || body.starts_with('T')
        || body
            .chars()
            .skip(1)
            .any(|c| c.is_ascii_whitespace() || c == '\x0b' || c == '+')
}

/// Compares one input's two readings and explains any disagreement.
pub fn classify(input: &[u8], ours: &Result<Parsed, Error>, np: &Numpy) -> Verdict {
    let version = (input.len() >= 8)
        .then(|| Version::from_bytes(input[6], input[7]))
        .flatten();
    match (ours, &np.error) {
        (Err(_), Some(_)) => Verdict::Agree,
        (Err(e), None) => match documented_refusal(e, np, version) {
            Some(id) => Verdict::Documented(id),
            None => Verdict::Undocumented(format!(
                "NumPy accepts (shape {:?}, descr {:?}); we refuse: {} {e}",
                np.shape,
                np.descr,
                e.kind().name()
            )),
        },
        (Ok(p), Some(_))
            if np.retry_broken
                && p.warnings
                    .iter()
                    .any(|w| matches!(w, Warning::Python2LongSuffix { .. })) =>
        {
            Verdict::Documented("DIFF-21")
        }
        (Ok(p), Some(npe)) => Verdict::Undocumented(format!(
            "we accept ({} {:?}); NumPy refuses: {npe}",
            p.header.dtype().to_descr(),
            shape_text(&p.header)
        )),
        (Ok(p), None) => {
            let h = &p.header;
            let shape = shape_text(h);
            let descr = h.dtype().to_descr();
            let py2 = p
                .warnings
                .iter()
                .any(|w| matches!(w, Warning::Python2LongSuffix { .. }));
            let mut diffs = Vec::new();
            if shape != np.shape {
                diffs.push(format!("shape {shape:?} vs NumPy {:?}", np.shape));
            }
            if h.fortran_order() != np.fortran {
                diffs.push("fortran_order".to_string());
            }
            if np.descr.as_deref() != Some(descr.as_str()) {
                diffs.push(format!("descr {descr} vs NumPy {:?}", np.descr));
            }
            if h.dtype().itemsize() != np.itemsize {
                diffs.push(format!(
                    "itemsize {} vs NumPy {}",
                    h.dtype().itemsize(),
                    np.itemsize
                ));
            }
            if py2 != np.py2_warning {
                diffs.push(format!(
                    "Python 2 suffix warning: ours {py2}, NumPy {}",
                    np.py2_warning
                ));
            }
            if diffs.is_empty() {
                Verdict::Agree
            } else {
                Verdict::Undocumented(format!("both accept, but {}", diffs.join("; ")))
            }
        }
    }
}

/// Reads and classifies every input; returns the verdicts in input order.
/// The shape as NumPy's reader reports it: `-1` stays on an open growth axis.
fn shape_text(h: &Header) -> Vec<String> {
    h.dims()
        .map(|d| d.map_or_else(|| "-1".to_string(), |d| d.to_string()))
        .collect()
}

pub fn run(inputs: &[Vec<u8>]) -> Vec<Verdict> {
    run_counting(inputs).0
}

/// As [`run`], and counts the inputs both readers accept.
pub fn run_counting(inputs: &[Vec<u8>]) -> (Vec<Verdict>, usize) {
    let numpy = numpy_read(inputs);
    let mut both_accept = 0;
    let verdicts = inputs
        .iter()
        .zip(&numpy)
        .map(|(input, np)| {
            let ours = npy_header::parse(input);
            both_accept += usize::from(ours.is_ok() && np.error.is_none());
            classify(input, &ours, np)
        })
        .collect();
    (verdicts, both_accept)
}

// ---------------------------------------------------------------------------------------
// Inputs

/// SplitMix64: a tiny deterministic generator, so that a seed names a run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).expect("below n")
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// Wraps header text in a preamble of `major`.0 with the right length field.
pub fn wrap(major: u8, text: &[u8]) -> Vec<u8> {
    let mut out = npy_header::MAGIC.to_vec();
    out.extend_from_slice(&[major, 0]);
    if major == 1 {
        let len = u16::try_from(text.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
    } else {
        let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_le_bytes());
    }
    out.extend_from_slice(text);
    out
}

/// Pads dict text with spaces and a newline so the data starts on a multiple of 64, as
/// NumPy does (the usual case), or leaves it as is.
fn padded(major: u8, mut text: Vec<u8>, rng: &mut Rng) -> Vec<u8> {
    if rng.chance(8) {
        return text;
    }
    let pre = if major == 1 { 10 } else { 12 };
    while (pre + text.len() + 1) % 64 != 0 {
        text.push(b' ');
    }
    text.push(b'\n');
    text
}

/// Type strings NumPy writes or reads without fuss.
const TYPES: &[&str] = &[
    "<f8",
    ">f8",
    "<f4",
    "<f2",
    "<f16",
    "<i4",
    ">i2",
    "|i1",
    "|u1",
    "<u8",
    "|b1",
    "<c8",
    "<c16",
    "<c32",
    "|S5",
    "|S0",
    "<U3",
    "<U0",
    "|V4",
    "|V0",
    "|O",
    "<M8[ns]",
    "<m8[D]",
    "<M8",
    "<M8[25s]",
    ">m8[us]",
    "<M8[generic]",
];

/// Other spellings: accepted by NumPy, by both, or by neither.
const ODD_TYPES: &[&str] = &[
    "f8",
    "=f8",
    "|f8",
    "?",
    "b",
    "b1",
    "B",
    "h",
    "i",
    "l",
    "L",
    "q",
    "p",
    "N",
    "e",
    "d",
    "g",
    "G",
    "F",
    "D",
    "c",
    "O8",
    "O4",
    "S",
    "U",
    "V",
    "a",
    "a5",
    "<a5",
    "|a",
    "i08",
    "f3",
    "x8",
    "<",
    "",
    "int",
    "float",
    "complex",
    "long",
    "ulong",
    "longdouble",
    "complex256",
    "float128",
    "str",
    "bytes",
    "void",
    "object",
    "bool",
    "int64",
    "datetime64",
    "datetime64[ms]",
    "<timedelta64[2h]",
    "M8[0ns]",
    "M8[ 2s]",
    "M8[+2s]",
    "M8[02ns]",
    "M8[2147483648s]",
    "M8[\\u03bcs]",
    "M[ns]",
    "M8[B]",
    "M8[ns/2]",
    "M8[Y/2]",
    "M8[s/7]",
    "\\x0c",
    "<\\x07",
    "\\t",
    "\\x11",
    "\\x17",
    "\\x18",
    "f8,i4",
    "2f8",
    "(2,)f8",
    "T",
    "S+5",
    "S 5",
    "S5 ",
    "\\N{LATIN SMALL LETTER F}8",
    "\\x66\\x38",
    "\\u0066\\u0038",
    "\\ud800",
];

const ODD_NAMES: &[&str] = &[
    "",
    "x y",
    "caf\u{e9}",
    "\u{6e29}\u{5ea6}",
    "it\\'s",
    "\\N{LATIN SMALL LETTER A}",
    "\\ud800",
    "\\x00",
    "\\t",
    "\u{a0}",
    "\u{200b}",
    "\\U0001f600",
    "ab",
    "a",
];

fn int_text(rng: &mut Rng, value: &str, major: u8) -> String {
    let mut s = if rng.chance(6) {
        match rng.below(5) {
            0 if value.parse::<u64>().is_ok() => format!("0x{:x}", value.parse::<u64>().unwrap()),
            1 if value.parse::<u64>().is_ok() => format!("0o{:o}", value.parse::<u64>().unwrap()),
            2 if value.len() > 1 && !value.starts_with('-') => {
                format!("{}_{}", &value[..1], &value[1..])
            }
            3 => format!("({value})"),
            _ if !value.starts_with('-') => format!("+{value}"),
            _ => value.to_string(),
        }
    } else {
        value.to_string()
    };
    if major <= 2 && rng.chance(12) {
        s.push_str(rng.pick(&["L", " L", "L L", "\\\nL", "\x0cL"]));
    }
    s
}

fn quoted(rng: &mut Rng, body: &str) -> String {
    if !rng.chance(6) {
        return format!("'{body}'");
    }
    match rng.below(5) {
        0 => format!("\"{body}\""),
        1 => format!("u'{body}'"),
        2 if body.chars().count() > 1 => {
            let split = body.chars().next().map_or(0, char::len_utf8);
            format!("'{}' '{}'", &body[..split], &body[split..])
        }
        3 => format!("b'{body}'"),
        _ => format!("r'{body}'"),
    }
}

fn quoted_pick(rng: &mut Rng, items: &[&str]) -> String {
    let body = rng.pick(items);
    quoted(rng, body)
}

fn gen_dim(rng: &mut Rng, major: u8) -> String {
    if !rng.chance(5) {
        let v = rng.pick(&[0u64, 1, 2, 3, 5, 10, 1000]).to_string();
        return int_text(rng, &v, major);
    }
    let v = match rng.below(9) {
        0 => "-1".to_string(),
        1 => "-2".to_string(),
        2 => "9223372036854775807".to_string(),
        3 => "9223372036854775808".to_string(),
        4 => "18446744073709551616".to_string(),
        5 => "4611686018427387904".to_string(),
        6 => {
            return rng
                .pick(&["True", "False", "1.0", "None", "'3'", "1j"])
                .to_string()
        }
        7 => {
            let depth = rng.pick(&[10usize, 63, 64, 65, 70, 199, 200, 201]);
            return format!("{}{}{}", "(".repeat(depth), rng.below(5), ")".repeat(depth));
        }
        _ => (1u64 << (20 + rng.below(44))).to_string(),
    };
    int_text(rng, &v, major)
}

fn gen_shape(rng: &mut Rng, major: u8) -> String {
    if rng.chance(60) {
        // Around NumPy's 64-dimension limit (DIFF-20).
        return format!("({})", "1, ".repeat(63 + rng.below(4)));
    }
    let n = rng.below(5);
    let dims: Vec<String> = (0..n).map(|_| gen_dim(rng, major)).collect();
    match rng.below(24) {
        0 => format!("[{}]", dims.join(", ")),
        1 => gen_dim(rng, major),
        _ if n == 1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    }
}

fn gen_type(rng: &mut Rng, depth: usize, major: u8) -> String {
    match rng.below(12) {
        0 if depth < 3 => gen_fields(rng, depth + 1, major),
        1 if depth < 3 => {
            let inner = gen_type(rng, depth + 1, major);
            let shape = gen_shape(rng, major);
            if rng.chance(6) {
                format!("({inner}, {shape}, 'x')")
            } else {
                format!("({inner}, {shape})")
            }
        }
        2 => quoted_pick(rng, ODD_TYPES),
        _ => quoted_pick(rng, TYPES),
    }
}

fn gen_name(rng: &mut Rng, i: usize) -> String {
    let name = if rng.chance(6) {
        rng.pick(ODD_NAMES).to_string()
    } else {
        format!("{}{i}", rng.pick(&["f", "x", "a", "caf\u{e9}", "\u{6e29}"]))
    };
    let name = quoted(rng, &name);
    if !rng.chance(8) {
        return name;
    }
    let title = if rng.chance(3) {
        rng.pick(&["None", "1", "b'x'"]).to_string()
    } else {
        quoted(rng, &format!("t{i}"))
    };
    format!("({title}, {name})")
}

fn gen_fields(rng: &mut Rng, depth: usize, major: u8) -> String {
    let n = rng.below(5);
    let mut items = Vec::new();
    for i in 0..n {
        let name = gen_name(rng, i);
        let ty = gen_type(rng, depth, major);
        let item = match rng.below(10) {
            0 => format!("({name}, {ty}, {})", gen_shape(rng, major)),
            1 => format!("({name}, {ty}, {})", gen_dim(rng, major)),
            // Zero-byte subarray bases and unsized bases with an int shape (D-6, DIFF-16).
            2 => format!(
                "({name}, {}, {})",
                rng.pick(&[
                    "('<f8', (0,))",
                    "('<i4', (2, 0))",
                    "'S'",
                    "'U'",
                    "'V'",
                    "'S0'"
                ]),
                rng.pick(&[
                    "3",
                    "0",
                    "(2,)",
                    "()",
                    "[]",
                    "[2]",
                    "None",
                    "[('x', '<u2'), ('y', '<u2')]"
                ])
            ),
            3 if rng.chance(4) => quoted_pick(rng, &["ab", "abc", "a", "<f8"]),
            _ => format!("({name}, {ty})"),
        };
        items.push(item);
    }
    if rng.chance(20) {
        format!("{{{}}}", items.join(", "))
    } else {
        format!("[{}]", items.join(", "))
    }
}

fn gen_descr(rng: &mut Rng, major: u8) -> String {
    match rng.below(16) {
        0..=5 => gen_fields(rng, 0, major),
        6 => format!("({}, {})", gen_type(rng, 1, major), gen_shape(rng, major)),
        7 => rng
            .pick(&[
                "{'ab': 0}",
                "{'ab'}",
                "['ab']",
                "['<f8']",
                "b'<f8'",
                "3",
                "None",
            ])
            .to_string(),
        8 | 9 => quoted_pick(rng, ODD_TYPES),
        _ => quoted_pick(rng, TYPES),
    }
}

/// A header from a grammar that reaches every documented difference; most choices are
/// ordinary, so that most headers are valid and their meanings get compared.
pub fn generate(rng: &mut Rng) -> Vec<u8> {
    let major = rng.pick(&[1u8, 1, 2, 3, 3, 4]);
    let mut entries = vec![
        format!("{}: {}", quoted(rng, "descr"), gen_descr(rng, major)),
        format!(
            "{}: {}",
            quoted(rng, "fortran_order"),
            if rng.chance(12) {
                rng.pick(&["0", "None", "'False'"])
            } else {
                rng.pick(&["False", "True"])
            }
        ),
        format!("{}: {}", quoted(rng, "shape"), gen_shape(rng, major)),
    ];
    if rng.chance(16) {
        let dup = entries[rng.below(3)].clone();
        entries.push(dup);
    }
    if rng.chance(30) {
        entries.remove(rng.below(entries.len()));
    }
    if rng.chance(4) {
        let n = entries.len();
        entries.swap(rng.below(n), rng.below(n));
    }
    let sep = if rng.chance(5) {
        rng.pick(&[",", " , ", ",\n ", ", # c\n", ",\\\n "])
    } else {
        ", "
    };
    let mut text = String::new();
    if rng.chance(8) {
        text.push_str(rng.pick(&[
            " ",
            "\t",
            "\n",
            "# c\n",
            "\x0c ",
            " \x0c ",
            "\n\x0c ",
            "\x0c",
            "# c\n\x0c",
        ]));
    }
    text.push('{');
    text.push_str(&entries.join(sep));
    text.push_str(if rng.chance(6) {
        rng.pick(&["}", ",}"])
    } else {
        ", }"
    });
    let mut bytes = text.into_bytes();
    if major <= 2 {
        // Latin-1 headers: a non-ASCII character is one byte.
        let s = String::from_utf8(bytes).expect("generated as UTF-8");
        bytes = s
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
            .collect();
    }
    let mut bytes = padded(major, bytes, rng);
    if rng.chance(15) {
        let tail: &[u8] = rng.pick(&[&b"\n  "[..], b"\n\t", b"\n\x0c ", b"\\\n", b"  ", b"\r\n"]);
        bytes.extend_from_slice(tail);
    }
    if rng.chance(30) {
        // Long headers: around the 10000-byte limit, with multi-byte characters in 3.0.
        let fill = if major >= 3 { "\u{e9}" } else { " " };
        let n = 4_950 + rng.below(2) * 100;
        let comment = format!("# {}\n", fill.repeat(n));
        let mut long = comment.into_bytes();
        long.extend_from_slice(&bytes);
        bytes = long;
    }
    wrap(major, &bytes)
}

const TOKENS: &[&str] = &[
    "'",
    "\"",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    " ",
    "\n",
    "\t",
    "\x0c",
    "#",
    "\\\n",
    "-1",
    "0",
    "1",
    "L",
    "True",
    "False",
    "None",
    "'<f8'",
    "'|V4'",
    "'a'",
    "''",
    "()",
    "(3,)",
    "9223372036854775808",
    "0x10",
    "1_0",
    "1.5",
    "1j",
    "b''",
    "r'\\'",
    "\\N{LATIN SMALL LETTER A}",
    "\\ud800",
    "\u{e9}",
    "'descr'",
    "'shape'",
    "'fortran_order'",
    "set()",
];

/// A token-level mutation of a file's header text, re-wrapped with a valid preamble.
pub fn mutate(rng: &mut Rng, file: &[u8]) -> Vec<u8> {
    let (major, text) = match npy_header::HeaderParser::new().parse_preamble(file) {
        Ok(pre) => {
            let start = pre.version.preamble_len();
            let end = usize::try_from(pre.data_offset())
                .unwrap_or(usize::MAX)
                .min(file.len());
            (pre.version.major(), file[start.min(end)..end].to_vec())
        }
        Err(_) => (1, file.to_vec()),
    };
    let mut text = text;
    for _ in 0..=rng.below(3) {
        let at = rng.below(text.len() + 1);
        match rng.below(4) {
            0 => {
                let tok = rng.pick(TOKENS).as_bytes();
                text.splice(at..at, tok.iter().copied());
            }
            1 if at < text.len() => {
                let end = (at + 1 + rng.below(8)).min(text.len());
                text.drain(at..end);
            }
            2 if at < text.len() => {
                let tok = rng.pick(TOKENS).as_bytes();
                let end = (at + 1 + rng.below(4)).min(text.len());
                text.splice(at..end, tok.iter().copied());
            }
            _ if at < text.len() => text[at] = rng.next().to_le_bytes()[0],
            _ => {}
        }
    }
    let major = if rng.chance(10) {
        rng.pick(&[1u8, 2, 3, 4])
    } else {
        major
    };
    wrap(major, &text)
}

/// Files of the conformance samples and corpus, the fuzz regressions and the local
/// fuzz corpora.
pub fn corpus_files(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut dirs = vec![root.join("conformance/samples")];
    for base in ["conformance/corpus", "fuzz/regressions", "fuzz/corpus"] {
        if let Ok(entries) = std::fs::read_dir(root.join(base)) {
            dirs.extend(entries.filter_map(Result::ok).map(|e| e.path()));
        }
    }
    if let Some(extra) = std::env::var_os("NPY_DIFF_CORPUS") {
        dirs.extend(std::env::split_paths(&extra));
    }
    let mut files = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            // Open findings are tracked one by one (`differential_findings_classify_as_recorded`).
            let open = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("open-"));
            if path.is_file() && !open {
                let bytes = std::fs::read(&path).expect("readable corpus file");
                files.push((path, bytes));
            }
        }
    }
    files.sort();
    files
}

/// Counts of verdicts by id, for the report.
pub fn tally(verdicts: &[Verdict]) -> BTreeMap<String, usize> {
    let mut t = BTreeMap::new();
    for v in verdicts {
        let key = match v {
            Verdict::Agree => "agree".to_string(),
            Verdict::Documented(id) => (*id).to_string(),
            Verdict::Undocumented(_) => "UNDOCUMENTED".to_string(),
        };
        *t.entry(key).or_insert(0) += 1;
    }
    t
}
