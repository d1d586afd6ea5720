//! Test doubles for [`Storage`]: [`MemFile`], [`CrashFile`] and [`FaultyFile`] (see the
//! crate docs).

use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use npy_append::Storage;

use crate::Rng;

fn guard<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read_from(bytes: &[u8], buf: &mut [u8], offset: u64) -> usize {
    let Ok(start) = usize::try_from(offset) else {
        return 0;
    };
    if start >= bytes.len() {
        return 0;
    }
    let n = buf.len().min(bytes.len() - start);
    buf[..n].copy_from_slice(&bytes[start..start + n]);
    n
}

fn write_into(bytes: &mut Vec<u8>, buf: &[u8], offset: u64) {
    let start = usize::try_from(offset).expect("in-memory files fit in memory");
    if bytes.len() < start + buf.len() {
        bytes.resize(start + buf.len(), 0);
    }
    bytes[start..start + buf.len()].copy_from_slice(buf);
}

fn insert_into(bytes: &mut Vec<u8>, offset: u64, len: u64) -> io::Result<()> {
    let at = usize::try_from(offset).expect("in-memory files fit in memory");
    let n = usize::try_from(len).expect("in-memory files fit in memory");
    // As ext4: the offset must lie inside the file.
    if at >= bytes.len() {
        return Err(io::Error::from_raw_os_error(22));
    }
    bytes.splice(at..at, std::iter::repeat_n(0u8, n));
    Ok(())
}

fn resize(bytes: &mut Vec<u8>, len: u64) {
    bytes.resize(
        usize::try_from(len).expect("in-memory files fit in memory"),
        0,
    );
}

/// A file in memory; syncing does nothing. It can insert ranges of any size.
#[derive(Debug, Default)]
pub struct MemFile {
    bytes: Mutex<Vec<u8>>,
}

impl MemFile {
    /// An empty file.
    pub fn new() -> MemFile {
        MemFile::default()
    }

    /// A file holding `bytes`.
    pub fn from_bytes(bytes: Vec<u8>) -> MemFile {
        MemFile {
            bytes: Mutex::new(bytes),
        }
    }

    /// A copy of the contents.
    pub fn bytes(&self) -> Vec<u8> {
        guard(&self.bytes).clone()
    }
}

impl Storage for MemFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        Ok(read_from(&guard(&self.bytes), buf, offset))
    }
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
        write_into(&mut guard(&self.bytes), buf, offset);
        Ok(buf.len())
    }
    fn len(&self) -> io::Result<u64> {
        Ok(guard(&self.bytes).len() as u64)
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        resize(&mut guard(&self.bytes), len);
        Ok(())
    }
    fn sync_data(&self) -> io::Result<()> {
        Ok(())
    }
    fn sync_all(&self) -> io::Result<()> {
        Ok(())
    }
    fn insert_range(&self, offset: u64, len: u64) -> io::Result<()> {
        insert_into(&mut guard(&self.bytes), offset, len)
    }
}

/// A change not yet made durable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pending {
    /// `write_at(bytes, offset)`.
    Write {
        /// Where.
        offset: u64,
        /// What.
        bytes: Vec<u8>,
    },
    /// `set_len(len)`.
    SetLen(u64),
    /// `insert_range(offset, len)`: applied whole or not at all.
    InsertRange {
        /// Where.
        offset: u64,
        /// How many bytes.
        len: u64,
    },
}

/// What a power loss did to one pending write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fate {
    /// It reached the disk.
    Applied,
    /// It did not.
    Dropped,
    /// Its first `n` bytes did.
    Torn(usize),
    /// Random bytes took its place.
    Garbled,
    /// Each of its pieces in one 512-byte sector of the file reached the disk or not,
    /// independently: a later sector can land without an earlier one.
    Sectors,
}

/// The sector size of [`Fate::Sectors`].
pub const SECTOR: u64 = 512;

#[derive(Debug, Default)]
struct CrashState {
    durable: Vec<u8>,
    current: Vec<u8>,
    pending: Vec<Pending>,
}

/// The calls made to the files of one disk, and when its power fails.
#[derive(Debug, Default)]
struct Clock {
    ops: u64,
    down_at: Option<u64>,
}

impl Clock {
    fn is_down(&self) -> bool {
        self.down_at.is_some_and(|d| self.ops >= d)
    }
}

/// A file in memory that simulates power loss (see the crate docs).
#[derive(Debug, Default)]
pub struct CrashFile {
    state: Mutex<CrashState>,
    clock: Arc<Mutex<Clock>>,
}

impl CrashFile {
    /// An empty file, nothing pending.
    pub fn new() -> CrashFile {
        CrashFile::default()
    }

    /// A file whose durable contents are `bytes`.
    pub fn from_bytes(bytes: Vec<u8>) -> CrashFile {
        CrashFile {
            state: Mutex::new(CrashState {
                current: bytes.clone(),
                durable: bytes,
                ..CrashState::default()
            }),
            clock: Arc::default(),
        }
    }

    /// An empty file on the same disk as this one: calls to either count towards
    /// [`CrashFile::ops`], and the power fails for both at once.
    pub fn on_same_disk(&self) -> CrashFile {
        self.on_same_disk_with(Vec::new())
    }

    /// [`CrashFile::on_same_disk`], whose durable contents are `bytes`.
    pub fn on_same_disk_with(&self, bytes: Vec<u8>) -> CrashFile {
        CrashFile {
            clock: Arc::clone(&self.clock),
            ..CrashFile::from_bytes(bytes)
        }
    }

    /// Mutating calls (`write_at`, `set_len`, `sync_data`, `sync_all`,
    /// `insert_range`) made so far to the files of this disk.
    pub fn ops(&self) -> u64 {
        guard(&self.clock).ops
    }

    /// The power fails before mutating call number `op` (counting from 0, as
    /// [`CrashFile::ops`]): that call and every later one to a file of this disk, reads
    /// included, fail with an I/O error and change nothing.
    pub fn crash_after(&self, op: u64) {
        guard(&self.clock).down_at = Some(op);
    }

    /// Whether the power has failed.
    pub fn is_down(&self) -> bool {
        guard(&self.clock).is_down()
    }

    /// The changes since the last sync, in order.
    pub fn pending(&self) -> Vec<Pending> {
        guard(&self.state).pending.clone()
    }

    /// What the disk holds as of the last sync.
    pub fn durable(&self) -> Vec<u8> {
        guard(&self.state).durable.clone()
    }

    /// What a process crash leaves: everything written (the page cache survives).
    pub fn page_cache(&self) -> Vec<u8> {
        guard(&self.state).current.clone()
    }

    /// What the disk holds after a power loss now, each pending write's fate and the
    /// length drawn from `rng`.
    pub fn power_loss(&self, rng: &mut Rng) -> Vec<u8> {
        self.power_loss_with(rng, |rng, _| match rng.u8(0..5) {
            0 => Fate::Applied,
            1 => Fate::Dropped,
            2 => Fate::Torn(0),
            3 => Fate::Sectors,
            _ => Fate::Garbled,
        })
    }

    /// [`CrashFile::power_loss`] with each write's fate chosen by `fate` (a
    /// `Fate::Torn(n)` it returns is cut to a random prefix shorter than the write
    /// whatever `n` is, unless `n` is already shorter).
    pub fn power_loss_with(
        &self,
        rng: &mut Rng,
        mut fate: impl FnMut(&mut Rng, &Pending) -> Fate,
    ) -> Vec<u8> {
        let st = guard(&self.state);
        let mut image = st.durable.clone();
        let mut lengths = vec![st.durable.len() as u64];
        let mut len = st.durable.len() as u64;
        for p in &st.pending {
            match p {
                Pending::Write { offset, bytes } => {
                    len = len.max(offset + bytes.len() as u64);
                    match fate(rng, p) {
                        Fate::Applied => write_into(&mut image, bytes, *offset),
                        Fate::Dropped => {}
                        Fate::Torn(n) => {
                            let n = if n > 0 && n < bytes.len() {
                                n
                            } else {
                                rng.usize(0..bytes.len().max(1))
                            };
                            write_into(&mut image, &bytes[..n.min(bytes.len())], *offset);
                        }
                        Fate::Garbled => {
                            let noise: Vec<u8> = (0..bytes.len()).map(|_| rng.u8(..)).collect();
                            write_into(&mut image, &noise, *offset);
                        }
                        Fate::Sectors => {
                            let mut at = *offset;
                            let end = offset + bytes.len() as u64;
                            while at < end {
                                let next = ((at / SECTOR + 1) * SECTOR).min(end);
                                if rng.bool() {
                                    let index = |o: u64| {
                                        usize::try_from(o - offset).expect("inside the write")
                                    };
                                    write_into(&mut image, &bytes[index(at)..index(next)], at);
                                }
                                at = next;
                            }
                        }
                    }
                }
                Pending::SetLen(l) => {
                    len = *l;
                    if matches!(fate(rng, p), Fate::Applied) {
                        let keep = (*l).min(image.len() as u64);
                        resize(&mut image, keep);
                    }
                }
                Pending::InsertRange { offset, len: n } => {
                    // A journaled metadata change: the size and the shift go together.
                    if matches!(fate(rng, p), Fate::Applied) && *offset < image.len() as u64 {
                        insert_into(&mut image, *offset, *n).expect("inside the image");
                        len += n;
                        // Every earlier length is superseded by the shift.
                        lengths.clear();
                    }
                }
            }
            lengths.push(len);
        }
        let chosen = lengths[rng.usize(0..lengths.len())];
        resize(&mut image, chosen);
        image
    }

    /// Counts a mutating call; errors once the power is down.
    fn op(&self) -> io::Result<()> {
        let mut clock = guard(&self.clock);
        if clock.is_down() {
            return Err(down());
        }
        clock.ops += 1;
        Ok(())
    }

    /// Errors once the power is down.
    fn up(&self) -> io::Result<()> {
        if self.is_down() {
            return Err(down());
        }
        Ok(())
    }

    fn sync(&self) -> io::Result<()> {
        let mut st = guard(&self.state);
        self.op()?;
        st.durable = st.current.clone();
        st.pending.clear();
        Ok(())
    }
}

fn down() -> io::Error {
    io::Error::other("simulated power loss: the machine is down")
}

impl Storage for CrashFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let st = guard(&self.state);
        self.up()?;
        Ok(read_from(&st.current, buf, offset))
    }
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
        let mut st = guard(&self.state);
        self.op()?;
        write_into(&mut st.current, buf, offset);
        st.pending.push(Pending::Write {
            offset,
            bytes: buf.to_vec(),
        });
        Ok(buf.len())
    }
    fn len(&self) -> io::Result<u64> {
        let st = guard(&self.state);
        self.up()?;
        Ok(st.current.len() as u64)
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        let mut st = guard(&self.state);
        self.op()?;
        resize(&mut st.current, len);
        st.pending.push(Pending::SetLen(len));
        Ok(())
    }
    fn sync_data(&self) -> io::Result<()> {
        self.sync()
    }
    fn sync_all(&self) -> io::Result<()> {
        self.sync()
    }
    fn insert_range(&self, offset: u64, len: u64) -> io::Result<()> {
        let mut st = guard(&self.state);
        self.op()?;
        insert_into(&mut st.current, offset, len)?;
        st.pending.push(Pending::InsertRange { offset, len });
        Ok(())
    }
}

/// A kind of [`Storage`] call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Call {
    /// `read_at`
    Read,
    /// `write_at`
    Write,
    /// `len`
    Len,
    /// `set_len`
    SetLen,
    /// `sync_data`
    SyncData,
    /// `sync_all`
    SyncAll,
    /// `insert_range`
    InsertRange,
}

/// A failure to inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// `write_at` writes only this many bytes (at least 1) and reports it: a legal short
    /// write the caller must continue. Other calls ignore it.
    Short(usize),
    /// `ENOSPC`: no space left on the device.
    NoSpace,
    /// `EIO`: an I/O error (for `sync_*`, the fsync error that may mean lost pages).
    Eio,
}

impl Fault {
    fn error(self) -> io::Error {
        // Linux and macOS agree on these numbers.
        match self {
            Fault::NoSpace => io::Error::from_raw_os_error(28),
            Fault::Eio | Fault::Short(_) => io::Error::from_raw_os_error(5),
        }
    }
}

/// Wraps a storage and makes chosen calls fail; logs every call.
///
/// An array and its journal can share one log ([`FaultyFile::sharing`]): calls are then
/// numbered across both, so a plan can fail "the third write", whichever file it goes
/// to.
#[derive(Debug)]
pub struct FaultyFile<S> {
    inner: S,
    plan: Arc<Mutex<Plan>>,
}

#[derive(Debug, Default)]
struct Plan {
    log: Vec<Call>,
    faults: Vec<(Call, u64, Fault)>,
}

impl<S: Storage> FaultyFile<S> {
    /// Wraps `inner`; no faults yet.
    pub fn new(inner: S) -> FaultyFile<S> {
        FaultyFile {
            inner,
            plan: Arc::default(),
        }
    }

    /// Wraps `inner` with the same log and plan as this file.
    pub fn sharing<T: Storage>(&self, inner: T) -> FaultyFile<T> {
        FaultyFile {
            inner,
            plan: Arc::clone(&self.plan),
        }
    }

    /// Makes call number `nth` (from 0) of kind `call` fail with `fault`, once.
    pub fn fail(&self, call: Call, nth: u64, fault: Fault) {
        guard(&self.plan).faults.push((call, nth, fault));
    }

    /// Every call made so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        guard(&self.plan).log.clone()
    }

    /// How many calls of kind `call` were made.
    pub fn count(&self, call: Call) -> u64 {
        guard(&self.plan).log.iter().filter(|&&c| c == call).count() as u64
    }

    /// The wrapped storage.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Logs the call; the fault planned for it, if any.
    fn enter(&self, call: Call) -> Option<Fault> {
        let mut plan = guard(&self.plan);
        let nth = plan.log.iter().filter(|&&c| c == call).count() as u64;
        plan.log.push(call);
        let at = plan
            .faults
            .iter()
            .position(|&(c, n, _)| c == call && n == nth)?;
        Some(plan.faults.remove(at).2)
    }
}

impl<S: Storage> Storage for FaultyFile<S> {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        match self.enter(Call::Read) {
            Some(f) => Err(f.error()),
            None => self.inner.read_at(buf, offset),
        }
    }
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
        match self.enter(Call::Write) {
            Some(Fault::Short(n)) => self
                .inner
                .write_at(&buf[..n.clamp(1, buf.len().max(1)).min(buf.len())], offset),
            Some(f) => Err(f.error()),
            None => self.inner.write_at(buf, offset),
        }
    }
    fn len(&self) -> io::Result<u64> {
        match self.enter(Call::Len) {
            Some(f) => Err(f.error()),
            None => self.inner.len(),
        }
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        match self.enter(Call::SetLen) {
            Some(f) => Err(f.error()),
            None => self.inner.set_len(len),
        }
    }
    fn sync_data(&self) -> io::Result<()> {
        match self.enter(Call::SyncData) {
            Some(f) => Err(f.error()),
            None => self.inner.sync_data(),
        }
    }
    fn sync_all(&self) -> io::Result<()> {
        match self.enter(Call::SyncAll) {
            Some(f) => Err(f.error()),
            None => self.inner.sync_all(),
        }
    }
    fn insert_range(&self, offset: u64, len: u64) -> io::Result<()> {
        match self.enter(Call::InsertRange) {
            Some(f) => Err(f.error()),
            None => self.inner.insert_range(offset, len),
        }
    }
}
