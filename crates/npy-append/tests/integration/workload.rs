//! A seeded append workload and the oracle for what survives a crash: the recovered
//! rows are a prefix of what was appended, with no hole, and include every row
//! acknowledged by a returned `sync()`.

use npy_append::{Appender, Durability, HeaderPolicy, NewArray, Options, Storage};
use npy_header::Version;
use npy_testing::Rng;

use crate::common::dtype;

/// Values per row; rows are `<u2`, so 6 bytes.
pub const ROW_ITEMS: usize = 3;
pub const ROW_BYTES: u64 = 6;

/// The bytes of rows `start..start + n`: every row distinct and never all zeros.
#[allow(clippy::cast_possible_truncation)] // the low bits make the pattern
pub fn rows(start: u64, n: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(usize::try_from(n * ROW_BYTES).unwrap());
    for i in start..start + n {
        let v = [
            i as u16 ^ 0xa5a5,
            (i >> 16) as u16 ^ 0x5a5a,
            (i.wrapping_mul(7919)) as u16 | 1,
        ];
        for x in v {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
    out
}

#[derive(Clone, Debug)]
pub struct Workload {
    pub version: Version,
    pub fortran: bool,
    pub policy: HeaderPolicy,
    pub buffer: usize,
    pub durability: Durability,
    /// Rows per append, and whether `sync()` follows it.
    pub steps: Vec<(u64, bool)>,
}

/// What a run did before it stopped.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Whether `create` returned.
    pub created: bool,
    /// Rows covered by the last `sync()` that returned `Ok`.
    pub acknowledged: u64,
    /// Rows appended (accepted by `append`).
    pub appended: u64,
    /// Rows passed to `append`, including a failed last call (whose rows may have
    /// reached the file before the failure).
    pub attempted: u64,
    /// The first error.
    pub error: Option<npy_append::Error>,
}

impl Workload {
    /// A random workload: version, order, header policy, buffer, steps.
    pub fn random(rng: &mut Rng, version: Version, durability: Durability) -> Workload {
        let steps = (0..rng.usize(1..25))
            .map(|_| {
                // Mostly small appends, sometimes one that crosses a power of ten.
                let n = if rng.u8(0..8) == 0 {
                    rng.u64(1..200)
                } else {
                    rng.u64(1..12)
                };
                (n, rng.u8(0..3) == 0)
            })
            .collect();
        Workload {
            version,
            fortran: rng.bool(),
            policy: if rng.bool() {
                HeaderPolicy::EveryWrite
            } else {
                HeaderPolicy::OnFlush
            },
            buffer: [0, 7, 64, 4096][rng.usize(0..4)],
            durability,
            steps,
        }
    }

    pub fn new_array(&self) -> NewArray {
        NewArray::new(dtype("'<u2'"), [ROW_ITEMS as u64])
            .fortran_order(self.fortran)
            .version(self.version)
    }

    pub fn options(&self) -> Options {
        Options::new()
            .header_policy(self.policy)
            .buffer_bytes(self.buffer)
            .durability(self.durability)
    }

    /// Runs until done or the first error; then drops the writer (which flushes, if it
    /// still can).
    pub fn run<S: Storage, J: Storage>(&self, storage: S, journal: J) -> Outcome {
        let mut out = Outcome::default();
        let w = match Appender::create_on(storage, journal, &self.new_array(), self.options()) {
            Ok(w) => w,
            Err(e) => {
                out.error = Some(e);
                return out;
            }
        };
        out.created = true;
        for &(n, sync) in &self.steps {
            out.attempted += n;
            if let Err(e) = w.append_bytes(&rows(out.appended, n)) {
                out.error = Some(e);
                return out;
            }
            out.appended += n;
            if sync {
                match w.sync() {
                    Ok(()) => out.acknowledged = out.appended,
                    Err(e) => {
                        out.error = Some(e);
                        return out;
                    }
                }
            }
        }
        match w.close() {
            Ok(n) => assert_eq!(n, out.appended),
            Err(e) => out.error = Some(e),
        }
        out
    }
}

/// Checks a recovered file: it parses, its data is exactly `rows(0, n)` for its row
/// count `n`, and `n >= acknowledged`. With `exact_prefix` false (4.0 files, no
/// count), only the first `acknowledged` rows must match. Returns `n`.
pub fn check_recovered(bytes: &[u8], acknowledged: u64, exact_prefix: bool) -> Result<u64, String> {
    let parsed =
        npy_header::parse(bytes).map_err(|e| format!("recovered header does not parse: {e}"))?;
    let data = &bytes[usize::try_from(parsed.data_offset()).unwrap()..];
    let resolved = parsed
        .header
        .resolve(data.len() as u64)
        .map_err(|e| format!("recovered data does not fit: {e}"))?;
    if resolved.trailing_bytes != 0 {
        return Err(format!(
            "{} bytes after the last row",
            resolved.trailing_bytes
        ));
    }
    let axis = parsed.header.growth_axis().unwrap();
    let n = resolved.shape[axis];
    if n < acknowledged {
        return Err(format!(
            "{n} rows recovered, but {acknowledged} were acknowledged by sync()"
        ));
    }
    let checked = if exact_prefix { n } else { acknowledged };
    let want = rows(0, checked);
    if data[..want.len()] != want[..] {
        let bad = (0..checked)
            .find(|&i| {
                let r = usize::try_from(i * ROW_BYTES).unwrap()
                    ..usize::try_from((i + 1) * ROW_BYTES).unwrap();
                data[r.clone()] != want[r]
            })
            .unwrap();
        return Err(format!(
            "row {bad} of {n} is not what was appended (acknowledged: {acknowledged})"
        ));
    }
    Ok(n)
}
