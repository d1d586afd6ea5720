//! The properties the fuzz targets check, over the public API of `npy-header`.
//!
//! Plain Rust with no libFuzzer in it: the fuzz targets call it, and so does the
//! regression replay (`crates/npy-header/tests/integration/fuzz_regressions.rs`), so
//! that `cargo test` on stable Rust runs exactly the same checks over every committed
//! finding. Each check panics when a property fails; that is how both libFuzzer and the
//! test harness learn of it.

use arbitrary::{Result as ArbResult, Unstructured};
use npy_header::{
    ByteOrder, Category, Dtype, Error, ErrorKind, Field, Header, HeaderParser, Kind, Limits,
    Parsed, Scalar, TimeUnit, Version, Warning, MAX_DIM, MAX_ITEMSIZE, MAX_PREAMBLE_LEN,
};

/// Peak heap bytes `npy_header::parse` may hold, per byte of input.
///
/// Why 64: the parser keeps one value node (40 bytes) per literal and the smallest
/// literal with its separator is 2 bytes (`0,`), so a header of such literals costs
/// about 20 bytes per input byte, and up to twice that while a `Vec` grows;
/// interpreting the tree adds less than the tree itself. The hand-made worst cases in
/// `fuzz/regressions/parse_header/heap-worst-case-*` measure 32.8, so 64 leaves a
/// factor of 2. Run the target with `NPY_FUZZ_ALLOC_REPORT=<min input length>` to print
/// each new worst ratio it sees.
pub const ALLOC_PER_INPUT_BYTE: usize = 64;

/// Peak heap bytes `npy_header::parse` may hold regardless of the input length: error
/// values, messages that quote a few fixed phrases, small vectors.
pub const ALLOC_FIXED: usize = 64 * 1024;

/// The most heap `npy_header::parse` may hold at once for an input of `len` bytes
/// (the input includes the preamble and any data after the header).
pub fn alloc_bound(len: usize) -> usize {
    len.saturating_mul(ALLOC_PER_INPUT_BYTE)
        .saturating_add(ALLOC_FIXED)
}

/// Panics if a parse of `len` input bytes held more than [`alloc_bound`] at its peak.
pub fn check_alloc_bound(len: usize, peak: usize) {
    let bound = alloc_bound(len);
    assert!(
        peak <= bound,
        "parse held {peak} heap bytes at its peak for {len} input bytes (bound {bound})"
    );
}

fn lenient() -> HeaderParser {
    HeaderParser::with_limits(Limits::none())
}

/// The `parse_header` target: `result` is `npy_header::parse(data)` (the caller measures
/// its allocations). Checks that the error or the header is self-consistent and that
/// every other way of reading the same bytes gives the same answer.
pub fn parse_header(data: &[u8], result: Result<Parsed, Error>) {
    // A file reader reads the preamble first, then exactly the header text.
    let parser = HeaderParser::new();
    let two_step = parser
        .parse_preamble(&data[..data.len().min(MAX_PREAMBLE_LEN)])
        .and_then(|pre| {
            let start = pre.version.preamble_len();
            let end = usize::try_from(pre.data_offset())
                .unwrap_or(usize::MAX)
                .min(data.len());
            parser.parse_text(pre, &data[start.min(end)..end])
        });
    assert_eq!(
        two_step, result,
        "parse_preamble + parse_text disagree with parse"
    );

    match &result {
        Err(e) => check_error(data, e),
        Ok(p) => check_parsed(data, p),
    }

    // Limits only ever turn an accepted header into a limit error: without them the
    // same header is accepted, and a format error stays the same error.
    let unlimited = lenient().parse(data);
    match (&result, &unlimited) {
        (Ok(p), Ok(q)) => assert_eq!(p, q, "raising the limits changed the header"),
        (Ok(_), Err(e)) => panic!("accepted with default limits, rejected without: {e}"),
        (Err(e), _) if e.category() == Category::Limit => {}
        (Err(e), other) => assert_eq!(
            Err(e),
            other.as_ref(),
            "raising the limits changed a format error"
        ),
    }
}

fn check_error(data: &[u8], e: &Error) {
    let msg = e.message();
    assert!(!msg.is_empty(), "empty error message for {:?}", e.kind());
    assert!(
        !msg.starts_with(char::is_uppercase) && !msg.ends_with('.'),
        "error message is not lowercase without a trailing period: {msg:?}"
    );
    if let Some(off) = e.offset() {
        assert!(
            off <= data.len() as u64,
            "error offset {off} is past the end of the {} input bytes: {e}",
            data.len()
        );
    }
    assert!(
        e.category() != Category::Parameter,
        "parsing reported a caller error: {e}"
    );
    assert!(!e.kind().name().is_empty());
    assert!(e.to_string().contains(msg));
}

fn check_parsed(data: &[u8], p: &Parsed) {
    let h = &p.header;
    let offset = p.data_offset();
    assert!(offset <= data.len() as u64, "data offset past the input");
    assert_eq!(
        Version::from_bytes(data[6], data[7]),
        Some(p.version),
        "version"
    );
    let text_end = usize::try_from(offset).expect("offset <= len");
    let text = &data[p.version.preamble_len()..text_end];

    // Bytes after the header are never read.
    assert_eq!(
        npy_header::parse(&data[..text_end]).as_ref(),
        Ok(p),
        "the bytes after the header changed the result"
    );

    check_relaid(data, p);

    assert!(h.ndim() <= 64, "more dimensions than the default limit");
    assert!(
        !h.is_open_ended() || p.version == Version::V4_0,
        "-1 accepted before 4.0"
    );
    if h.is_open_ended() {
        assert!(!h.dtype().has_object(), "open-ended object array accepted");
        let row = h.row_bytes().expect("row size was checked while parsing");
        assert!(
            row > 0 && row <= MAX_DIM,
            "open-ended header with {row}-byte rows"
        );
    } else {
        let size = h
            .data_bytes()
            .expect("size was checked while parsing")
            .expect("fixed header");
        assert!(size <= MAX_DIM);
    }
    check_dtype(h.dtype(), true);
    // Display and descr never fail or panic, whatever the names hold.
    assert!(!h.dtype().to_string().is_empty());
    assert!(!h.dtype().to_descr().is_empty());

    let expect_warning = |w: &dyn Fn(&Warning) -> bool, present: bool, what: &str| {
        assert_eq!(p.warnings.iter().any(w), present, "warning {what} is wrong");
    };
    expect_warning(
        &|w| matches!(w, Warning::MissingNewline),
        text.last() != Some(&b'\n'),
        "MissingNewline",
    );
    expect_warning(
        &|w| matches!(w, Warning::UnalignedData { .. }),
        !offset.is_multiple_of(64),
        "UnalignedData",
    );
    expect_warning(
        &|w| matches!(w, Warning::ObjectDtype),
        h.dtype().has_object(),
        "ObjectDtype",
    );
    for w in &p.warnings {
        assert!(!w.to_string().is_empty());
    }

    // Resolving against the real data length, and against absurd ones, stays consistent.
    let data_len = data.len() as u64 - offset;
    for len in [data_len, 0, MAX_DIM, u64::MAX] {
        check_resolve(h, len);
    }
}

/// The same header laid out differently reads the same: one more space after the
/// opening brace, one less before the final newline. Headers in NumPy's exact layout go
/// through a fast path; this sends the same header through the general parser.
fn check_relaid(data: &[u8], p: &Parsed) {
    let start = p.version.preamble_len();
    let end = usize::try_from(p.data_offset()).expect("offset <= len");
    let text = &data[start..end];
    if text.first() != Some(&b'{') || !text.ends_with(b" \n") {
        return;
    }
    let mut relaid = data[..start].to_vec();
    relaid.extend_from_slice(b"{ ");
    relaid.extend_from_slice(&text[1..text.len() - 2]);
    relaid.push(b'\n');
    let again = npy_header::parse(&relaid)
        .unwrap_or_else(|e| panic!("the same header with one space moved fails: {e}"));
    assert_eq!(
        again.header, p.header,
        "the same header with one space moved reads differently"
    );
}

fn check_dtype(d: &Dtype, top: bool) {
    assert!(d.itemsize() <= MAX_ITEMSIZE, "item size beyond NumPy's");
    match d {
        Dtype::Scalar(s) => {
            let rebuilt = Scalar::new(s.kind(), s.byte_order(), s.itemsize()).and_then(|r| match s
                .time_unit()
            {
                Some((count, unit)) => r.with_time_unit(count, unit),
                None => Some(r),
            });
            assert_eq!(rebuilt.as_ref(), Some(s), "scalar the constructor refuses");
            assert!(
                s.time_unit().is_none() || matches!(s.kind(), Kind::Datetime | Kind::Timedelta),
                "time unit on a non-time type"
            );
        }
        Dtype::Record { fields, itemsize } => {
            let mut end = 0;
            for f in fields {
                assert!(f.offset >= end, "fields overlap");
                end = f.offset + f.dtype.itemsize();
                check_dtype(&f.dtype, false);
            }
            assert!(end <= *itemsize, "fields past the item size");
        }
        Dtype::Subarray { base, shape } => {
            assert!(!top, "a subarray as the whole dtype");
            assert!(!shape.is_empty(), "subarray with an empty shape");
            check_dtype(base, false);
        }
    }
}

fn check_resolve(h: &Header, data_len: u64) {
    match h.resolve(data_len) {
        Ok(r) => {
            assert_eq!(
                r.data_bytes.checked_add(r.trailing_bytes),
                Some(data_len),
                "resolved bytes do not add up"
            );
            assert_eq!(r.shape.len(), h.ndim());
            assert!(
                r.data_bytes <= MAX_DIM,
                "resolved to {} data bytes, more than an array can address",
                r.data_bytes
            );
            if h.is_open_ended() && data_len <= MAX_DIM {
                assert!(r.trailing_bytes < r.row_bytes, "a whole row left over");
            }
        }
        Err(e) => {
            assert!(
                !h.is_open_ended(),
                "open-ended header failed to resolve: {e}"
            );
            assert_eq!(e.kind(), &ErrorKind::DataLength, "{e}");
        }
    }
}

/// The `roundtrip` target, both halves on every input:
///
/// 1. the bytes as a file: whatever `parse` accepts, `emit` writes in the same version
///    and `parse` reads back as the same header; writing that again gives the same
///    bytes (parse → emit → parse is a fixed point);
/// 2. the bytes as the choices that build a header ([`arbitrary_header`]): `emit`
///    either refuses with [`ErrorKind::CannotEmit`] or writes bytes that `parse` reads
///    back as exactly that header.
pub fn roundtrip(data: &[u8]) {
    fixed_point(data);
    if let Ok((header, version)) = arbitrary_header(&mut Unstructured::new(data)) {
        emit_then_parse(&header, version);
    }
}

fn fixed_point(data: &[u8]) {
    let Ok(first) = npy_header::parse(data) else {
        return;
    };
    // A 1.0 or 2.0 header can spell characters outside latin-1 as escapes
    // ('\U0001f600'); writing it back then needs 3.0, as NumPy would choose.
    let emitted = match first.header.emit(Some(first.version)) {
        Ok(emitted) => emitted,
        Err(e) if !first.version.is_utf8() && e.message().contains("outside latin-1") => first
            .header
            .emit(None)
            .unwrap_or_else(|e| panic!("cannot write back a header we read: {e}")),
        Err(e) => panic!("cannot write back a header we read: {e}"),
    };
    let second = lenient()
        .parse(&emitted.bytes)
        .unwrap_or_else(|e| panic!("cannot read back a header we wrote: {e}"));
    assert_eq!(
        second.header, first.header,
        "parse → emit → parse changed it"
    );
    assert_eq!(second.version, emitted.version);
    let again = second
        .header
        .emit(Some(second.version))
        .expect("emitted once");
    assert_eq!(again.bytes, emitted.bytes, "emit is not a fixed point");
    // Letting emit choose the version also reads back the same.
    emit_then_parse(&first.header, None);
}

fn emit_then_parse(header: &Header, version: Option<Version>) {
    let out = match header.emit(version) {
        Ok(out) => out,
        Err(e) => {
            assert_eq!(e.kind(), &ErrorKind::CannotEmit, "emit failed with {e:?}");
            return;
        }
    };
    if let Some(v) = version {
        assert_eq!(out.version, v, "emit changed the requested version");
    }
    assert_eq!(out.bytes.len() % 64, 0, "data does not start aligned");
    assert_eq!(out.bytes.last(), Some(&b'\n'));
    let back = lenient()
        .parse(&out.bytes)
        .unwrap_or_else(|e| panic!("cannot read back what emit wrote: {e}\n{header:?}"));
    assert_eq!(&back.header, header, "emit → parse changed the header");
    assert_eq!(back.version, out.version);
    assert!(
        back.warnings
            .iter()
            .all(|w| matches!(w, Warning::ObjectDtype)),
        "emitted header draws warnings: {:?}",
        back.warnings
    );

    // Rewriting the header in place at the same length gives the same header.
    let len = out.bytes.len() as u64;
    let rewritten = header
        .emit_in_place(out.version, len)
        .expect("a header fits its own length");
    assert_eq!(rewritten.len() as u64, len);
    assert_eq!(
        lenient().parse(&rewritten).map(|p| p.header).as_ref(),
        Ok(header),
        "emit_in_place changed the header"
    );
}

const KINDS: [Kind; 11] = [
    Kind::Bool,
    Kind::Int,
    Kind::UInt,
    Kind::Float,
    Kind::Complex,
    Kind::Bytes,
    Kind::Unicode,
    Kind::Void,
    Kind::Object,
    Kind::Datetime,
    Kind::Timedelta,
];

const ORDERS: [ByteOrder; 3] = [ByteOrder::Little, ByteOrder::Big, ByteOrder::NotApplicable];

const UNITS: [TimeUnit; 13] = [
    TimeUnit::Years,
    TimeUnit::Months,
    TimeUnit::Weeks,
    TimeUnit::Days,
    TimeUnit::Hours,
    TimeUnit::Minutes,
    TimeUnit::Seconds,
    TimeUnit::Milliseconds,
    TimeUnit::Microseconds,
    TimeUnit::Nanoseconds,
    TimeUnit::Picoseconds,
    TimeUnit::Femtoseconds,
    TimeUnit::Attoseconds,
];

/// Builds a header (and maybe a version to write it in) from fuzzer choices. Most
/// choices go through the checked constructors; one in sixteen scalars and every
/// field offset are set directly, as a caller building a header by hand may, so that
/// `emit`'s refusal of values it cannot write faithfully is fuzzed too.
pub fn arbitrary_header(u: &mut Unstructured<'_>) -> ArbResult<(Header, Option<Version>)> {
    let dtype = arbitrary_dtype(u, 0)?;
    let fortran_order = u.arbitrary()?;
    let ndim = u.int_in_range(0..=5)?;
    let mut shape = Vec::with_capacity(ndim);
    for _ in 0..ndim {
        shape.push(arbitrary_size(u)?);
    }
    // Drawn after the shape, whose growth-axis entry an open-ended header drops, so
    // that the committed fuzz inputs decode as they always have.
    let open_ended = u.ratio(1, 4)?;
    let version = if u.arbitrary()? {
        Some(*u.choose(&Version::ALL)?)
    } else {
        None
    };
    let header = match (open_ended, shape.is_empty()) {
        (true, false) => {
            let axis = if fortran_order { shape.len() - 1 } else { 0 };
            shape.remove(axis);
            Header::open_ended(dtype, fortran_order, shape)
        }
        _ => Header::new(dtype, fortran_order, shape),
    };
    Ok((header, version))
}

/// Mostly small numbers, sometimes anything (to reach the overflow checks).
fn arbitrary_size(u: &mut Unstructured<'_>) -> ArbResult<u64> {
    Ok(match u.int_in_range(0..=9)? {
        0 => u.arbitrary()?,
        1 => *u.choose(&[MAX_DIM, MAX_DIM + 1, u64::MAX, MAX_ITEMSIZE, 1 << 32])?,
        _ => u.int_in_range(0..=12)?,
    })
}

fn arbitrary_dtype(u: &mut Unstructured<'_>, depth: u32) -> ArbResult<Dtype> {
    if depth < 4 && u.ratio(1, 4)? {
        arbitrary_record(u, depth)
    } else {
        Ok(Dtype::Scalar(arbitrary_scalar(u)?))
    }
}

fn arbitrary_scalar(u: &mut Unstructured<'_>) -> ArbResult<Scalar> {
    let kind = *u.choose(&KINDS)?;
    let byte_order = *u.choose(&ORDERS)?;
    let itemsize = match kind {
        Kind::Bool => 1,
        Kind::Int | Kind::UInt => *u.choose(&[1, 2, 4, 8])?,
        Kind::Float => *u.choose(&[2, 4, 8, 16])?,
        Kind::Complex => *u.choose(&[8, 16, 32])?,
        Kind::Bytes | Kind::Void => u.int_in_range(0..=40)?,
        Kind::Unicode => 4 * u.int_in_range(0..=10)?,
        Kind::Object | Kind::Datetime | Kind::Timedelta => 8,
    };
    let mut s = Scalar::new(kind, byte_order, itemsize).expect("a size the kind has");
    if matches!(kind, Kind::Datetime | Kind::Timedelta) && u.arbitrary()? {
        let count = if u.ratio(1, 8)? {
            u.arbitrary()?
        } else {
            u.int_in_range(1..=1000)?
        };
        // A count NumPy does not have (past 2^31-1) is refused: no unit then.
        if let Some(with) = s.clone().with_time_unit(count, *u.choose(&UNITS)?) {
            s = with;
        }
    }
    Ok(s)
}

fn arbitrary_record(u: &mut Unstructured<'_>, depth: u32) -> ArbResult<Dtype> {
    let n = u.int_in_range(0..=6)?;
    let mut fields = Vec::with_capacity(n);
    let mut offset = 0u64;
    for _ in 0..n {
        let mut dtype = arbitrary_dtype(u, depth + 1)?;
        if u.ratio(1, 4)? {
            // An empty subarray shape is refused by emit; let it happen now and then.
            let min_dims = usize::from(!u.ratio(1, 8)?);
            let ndim = u.int_in_range(min_dims..=3)?;
            let mut shape = Vec::with_capacity(ndim);
            for _ in 0..ndim {
                shape.push(u.int_in_range(0..=4)?);
            }
            dtype = Dtype::Subarray {
                base: Box::new(dtype),
                shape,
            };
        }
        let gap = if u.ratio(1, 4)? {
            u.int_in_range(1..=8)?
        } else {
            0
        };
        // Offsets are set directly; one in sixteen may overlap or go backwards.
        let field_offset = if u.ratio(1, 16)? {
            u.int_in_range(0..=offset)?
        } else {
            offset.saturating_add(gap)
        };
        let size = dtype.itemsize();
        fields.push(Field {
            name: arbitrary_name(u)?,
            title: if u.ratio(1, 6)? {
                Some(arbitrary_name(u)?)
            } else {
                None
            },
            dtype,
            offset: field_offset,
        });
        offset = field_offset.saturating_add(size);
    }
    let tail = if u.ratio(1, 4)? {
        u.int_in_range(0..=8)?
    } else {
        0
    };
    Ok(Dtype::Record {
        fields,
        itemsize: offset.saturating_add(tail),
    })
}

/// Field names: mostly from a small alphabet (so that clashes happen), sometimes any
/// string (quotes, escapes, non-latin-1 characters, unassigned code points).
fn arbitrary_name(u: &mut Unstructured<'_>) -> ArbResult<String> {
    if u.ratio(1, 3)? {
        let s: String = u.arbitrary()?;
        return Ok(s.chars().take(12).collect());
    }
    let len = u.int_in_range(0..=3)?;
    let mut s = String::with_capacity(len);
    for _ in 0..len {
        s.push(*u.choose(&['a', 'b', '\'', '"', '\\', '\n', 'é', '温', '\u{a0}'])?);
    }
    Ok(s)
}
