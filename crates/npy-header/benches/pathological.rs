//! Hostile headers: the parser's time per byte stays flat as they grow (linear time).
//!
//! Run: `cargo bench -p npy-header --bench pathological`. Each group measures one shape
//! of input at several sizes with `Throughput::Bytes`, so linear time shows as the same
//! bytes per second at every size:
//!
//! - `pathological_nesting`: a shape entry in parentheses nested to the default limit
//!   (64 brackets in all) and, with the limits lifted, to CPython's 200;
//! - `pathological_fields`: structured descrs of 100 to 10,000 fields (the header-length
//!   limit lifted), and `npyz`, a peer, on the same bytes; and writing them back;
//! - `pathological_max_header`: headers at the default maximum length, 10,000 bytes,
//!   filled four ways (one long name, many short fields, a long comment, many unknown
//!   escapes);
//! - `pathological_huge_int`: a shape entry of 1,000 to 9,000 digits (refused as too
//!   large, after reading every digit).
//!
//! `fuzz/README.md` and the README's security section quote the results.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use npy_header::{HeaderParser, Limits, Version};

/// A 3.0 file holding a header of `descr` and `shape`, padded as NumPy pads.
fn header(descr: &str, shape: &str) -> Vec<u8> {
    npy_testing::header::padded(
        Version::V3_0,
        &format!("{{'descr': {descr}, 'fortran_order': False, 'shape': {shape}, }}"),
    )
}

/// A shape entry inside `depth` brackets in all: the dict, the shape tuple, and
/// `depth - 2` parentheses around the integer.
fn nested(depth: usize) -> Vec<u8> {
    let parens = depth - 2;
    header(
        "'<f8'",
        &format!("({}3{},)", "(".repeat(parens), ")".repeat(parens)),
    )
}

fn fields(n: usize) -> Vec<u8> {
    let list: Vec<String> = (0..n).map(|i| format!("('f{i:05}', '<f8')")).collect();
    header(&format!("[{}]", list.join(", ")), "(10,)")
}

/// Headers of exactly 10,000 bytes of text (NumPy's and this reader's default limit):
/// the `@` of a skeleton filled with copies of a unit, then spaces and a newline.
fn at_max_length(kind: &str) -> Vec<u8> {
    let (skeleton, unit) = match kind {
        "long_name" => (
            "{'descr': [('@', '<f8')], 'fortran_order': False, 'shape': (3,), }",
            "n".to_string(),
        ),
        "many_fields" => (
            "{'descr': [@], 'fortran_order': False, 'shape': (3,), }",
            String::new(),
        ),
        "long_comment" => (
            "{'descr': '<f8', # @\n'fortran_order': False, 'shape': (3,), }",
            "c".to_string(),
        ),
        "unknown_escapes" => (
            "{'descr': [('@', '<f8')], 'fortran_order': False, 'shape': (3,), }",
            "\\q".to_string(),
        ),
        _ => unreachable!("a kind above"),
    };
    let room = 9_990 - skeleton.len();
    let filler = if kind == "many_fields" {
        let mut list = String::new();
        for i in 0.. {
            let field = format!("('{i:x}', '|u1'), ");
            if list.len() + field.len() > room {
                break;
            }
            list.push_str(&field);
        }
        list
    } else {
        unit.repeat(room / unit.len())
    };
    npy_testing::header::padded_to(Version::V3_0, 12 + 10_000, &skeleton.replace('@', &filler))
}

fn huge_int(digits: usize) -> Vec<u8> {
    header("'<f8'", &format!("({},)", "9".repeat(digits)))
}

fn npyz_parse(bytes: &[u8]) -> usize {
    let f = npyz::NpyFile::new(bytes).expect("npyz parses the header");
    f.shape().len()
}

fn bench(c: &mut Criterion) {
    let default = HeaderParser::new();
    let lifted = HeaderParser::with_limits(Limits::none());

    let mut g = c.benchmark_group("pathological_nesting");
    g.sample_size(30);
    for depth in [8usize, 16, 32, 64, 200] {
        let bytes = nested(depth);
        let parser = if depth <= 64 { &default } else { &lifted };
        parser.parse(&bytes).expect("valid at its limit");
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_with_input(BenchmarkId::new("npy-header", depth), &bytes, |b, bytes| {
            b.iter(|| parser.parse(black_box(bytes)).unwrap())
        });
    }
    g.finish();

    let mut g = c.benchmark_group("pathological_fields");
    g.sample_size(20);
    for n in [100usize, 1_000, 10_000] {
        let bytes = fields(n);
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_with_input(BenchmarkId::new("npy-header", n), &bytes, |b, bytes| {
            b.iter(|| lifted.parse(black_box(bytes)).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("npyz", n), &bytes, |b, bytes| {
            b.iter(|| npyz_parse(black_box(bytes)))
        });
        // Writing the same header back: emit checks names for clashes too.
        let parsed = lifted.parse(&bytes).unwrap();
        g.bench_with_input(
            BenchmarkId::new("npy-header-emit", n),
            &parsed.header,
            |b, h| b.iter(|| black_box(h).emit(Some(parsed.version)).unwrap()),
        );
    }
    g.finish();

    let mut g = c.benchmark_group("pathological_max_header");
    g.sample_size(30);
    for kind in [
        "long_name",
        "many_fields",
        "long_comment",
        "unknown_escapes",
    ] {
        let bytes = at_max_length(kind);
        assert_eq!(bytes.len(), 12 + 10_000);
        default.parse(&bytes).expect("valid at the maximum length");
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_with_input(BenchmarkId::new("npy-header", kind), &bytes, |b, bytes| {
            b.iter(|| default.parse(black_box(bytes)).unwrap())
        });
    }
    g.finish();

    let mut g = c.benchmark_group("pathological_huge_int");
    g.sample_size(30);
    for digits in [1_000usize, 3_000, 9_000] {
        let bytes = huge_int(digits);
        default.parse(&bytes).expect_err("too large a dimension");
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_with_input(
            BenchmarkId::new("npy-header", digits),
            &bytes,
            |b, bytes| b.iter(|| default.parse(black_box(bytes)).unwrap_err()),
        );
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(300))
        .measurement_time(std::time::Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
