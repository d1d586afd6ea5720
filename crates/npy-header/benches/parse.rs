//! Header parsing speed, side by side with the `npyz` crate in the same run.
//!
//! Run: `cargo bench -p npy-header --bench parse`. Groups: a typical header, a
//! 20-field structured header, and nesting depth 1..=64 (npyz only up to depth 6: its
//! parser is exponential in depth and takes seconds beyond that).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use npy_header::{ByteOrder, Dtype, Field, Header, Kind, Scalar};

fn f8() -> Dtype {
    Dtype::Scalar(Scalar::new(Kind::Float, ByteOrder::Little, 8).unwrap())
}

fn typical() -> Vec<u8> {
    Header::new(f8(), false, vec![1000, 128])
        .emit(None)
        .unwrap()
        .bytes
}

fn structured(n: u64) -> Vec<u8> {
    let fields = (0..n)
        .map(|i| Field {
            name: format!("field_{i}"),
            title: None,
            dtype: f8(),
            offset: i * 8,
        })
        .collect();
    Header::new(
        Dtype::Record {
            fields,
            itemsize: n * 8,
        },
        false,
        vec![1000],
    )
    .emit(None)
    .unwrap()
    .bytes
}

fn nested(depth: usize) -> Vec<u8> {
    let mut dtype = f8();
    for _ in 0..depth {
        let size = dtype.itemsize();
        dtype = Dtype::Record {
            fields: vec![Field {
                name: "x".into(),
                title: None,
                dtype,
                offset: 0,
            }],
            itemsize: size,
        };
    }
    Header::new(dtype, false, vec![10])
        .emit(None)
        .unwrap()
        .bytes
}

fn npyz_parse(bytes: &[u8]) -> usize {
    let f = npyz::NpyFile::new(bytes).expect("npyz parses the header");
    f.shape().len()
}

fn bench(c: &mut Criterion) {
    for (name, bytes) in [
        ("typical_f8_1000x128", typical()),
        ("structured_20_fields", structured(20)),
    ] {
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function("npy-header", |b| {
            b.iter(|| npy_header::parse(black_box(&bytes)).unwrap())
        });
        g.bench_function("npyz", |b| b.iter(|| npyz_parse(black_box(&bytes))));
        g.finish();
    }
    let mut g = c.benchmark_group("nested_depth");
    for depth in [1usize, 2, 4, 6, 8, 12, 16, 24, 31] {
        let bytes = nested(depth);
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_with_input(BenchmarkId::new("npy-header", depth), &bytes, |b, bytes| {
            b.iter(|| npy_header::parse(black_box(bytes)).unwrap())
        });
        if depth <= 6 {
            g.bench_with_input(BenchmarkId::new("npyz", depth), &bytes, |b, bytes| {
                b.iter(|| npyz_parse(black_box(bytes)))
            });
        }
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
