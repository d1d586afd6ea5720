//! Arbitrary bytes → `npy_header::parse` with the default limits: never panics, stays
//! within a heap bound linear in the input, and agrees with every other way of
//! reading the same bytes (see `npy_fuzz_checks::checks::parse_header`).

#![no_main]
#![forbid(unsafe_code)]

use std::alloc::System;
use std::sync::atomic::{AtomicUsize, Ordering};

use libfuzzer_sys::fuzz_target;
use npy_fuzz_checks::checks;
use peakmem_alloc::{PeakMemAlloc, PeakMemAllocTrait};

#[global_allocator]
static HEAP: PeakMemAlloc<System> = PeakMemAlloc::new(System);

/// Largest peak seen, in bytes per 1000 input bytes, for `NPY_FUZZ_ALLOC_REPORT=1`.
static WORST_PER_MILLE: AtomicUsize = AtomicUsize::new(0);

fuzz_target!(|data: &[u8]| {
    HEAP.reset_peak_memory();
    let result = npy_header::parse(data);
    let peak = HEAP.get_peak_memory();
    checks::check_alloc_bound(data.len(), peak);
    report_worst(data.len(), peak);
    checks::parse_header(data, result);
});

/// With `NPY_FUZZ_ALLOC_REPORT=N`, prints each new worst ratio of peak heap to input
/// length among inputs of at least N bytes (large enough that fixed costs do not
/// dominate), so the bound can be stated with a measured figure next to it.
fn report_worst(len: usize, peak: usize) {
    let Some(min_len) = std::env::var("NPY_FUZZ_ALLOC_REPORT")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    else {
        return;
    };
    if len < min_len.max(1) {
        return;
    }
    let per_mille = peak.saturating_mul(1000) / len;
    if WORST_PER_MILLE.fetch_max(per_mille, Ordering::Relaxed) < per_mille {
        eprintln!(
            "alloc: new worst {}.{:03} heap bytes per input byte ({peak} for {len})",
            per_mille / 1000,
            per_mille % 1000
        );
    }
}
