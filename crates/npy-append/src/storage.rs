//! The file layer every operation goes through.

use std::fs::File;
use std::io;
use std::sync::Arc;

/// Positional I/O on one file: everything this crate does to a file goes through these
/// calls, so tests can substitute a file that simulates crashes or injects failures
/// (this crate's tests take theirs from the repository's unpublished `npy-testing`).
///
/// Implemented for [`std::fs::File`] with `pread`/`pwrite` (`std::os::unix::fs::FileExt`;
/// this crate is unix-only) and, on Linux, `fallocate(FALLOC_FL_INSERT_RANGE)`; and for
/// references, `Box` and `Arc` of any storage.
///
/// The contract is that of the system calls: `write_at` may write fewer bytes than
/// given (callers loop), `read_at` returns 0 at the end of the file, `sync_data` is
/// `fdatasync` (data and the size, not other metadata), `sync_all` is `fsync`. Methods
/// take `&self`: a file is shared by the threads of one writer, which serialises its
/// own calls.
#[allow(clippy::len_without_is_empty)] // a file's length is not a collection's
pub trait Storage {
    /// Reads up to `buf.len()` bytes at `offset`; returns how many (0 at the end).
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
    /// Writes up to `buf.len()` bytes at `offset`, extending the file if needed;
    /// returns how many. A short count is not an error.
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize>;
    /// The current length in bytes.
    fn len(&self) -> io::Result<u64>;
    /// Truncates or extends (with zeros) to `len` bytes.
    fn set_len(&self, len: u64) -> io::Result<()>;
    /// Makes written data and the length durable (`fdatasync`).
    fn sync_data(&self) -> io::Result<()>;
    /// Makes everything about the file durable (`fsync`).
    fn sync_all(&self) -> io::Result<()>;
    /// Inserts `len` zero bytes (a hole) at `offset`, shifting the bytes from `offset`
    /// on towards the end without copying them: `fallocate(FALLOC_FL_INSERT_RANGE)`,
    /// which ext4 and XFS do in time proportional to the file's extents, as one
    /// journaled metadata change. An error of kind [`io::ErrorKind::Unsupported`] means
    /// that this file cannot do it (the default; another filesystem or operating
    /// system, or `offset` and `len` not multiples of the filesystem's block size) and
    /// that nothing changed; callers then move the data instead. Not durable until
    /// [`Storage::sync_all`] (an extent change is not data that `fdatasync` must flush).
    fn insert_range(&self, offset: u64, len: u64) -> io::Result<()> {
        let _ = (offset, len);
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "this storage cannot insert a range",
        ))
    }
}

#[cfg(not(unix))]
compile_error!(
    "npy-append uses positional file I/O (std::os::unix::fs::FileExt): only unix targets are supported"
);

#[cfg(unix)]
impl Storage for File {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        std::os::unix::fs::FileExt::read_at(self, buf, offset)
    }
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
        std::os::unix::fs::FileExt::write_at(self, buf, offset)
    }
    fn len(&self) -> io::Result<u64> {
        Ok(self.metadata()?.len())
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        File::set_len(self, len)
    }
    fn sync_data(&self) -> io::Result<()> {
        File::sync_data(self)
    }
    fn sync_all(&self) -> io::Result<()> {
        File::sync_all(self)
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn insert_range(&self, offset: u64, len: u64) -> io::Result<()> {
        use rustix::fs::{fallocate, FallocateFlags};
        use rustix::io::Errno;
        match fallocate(self, FallocateFlags::INSERT_RANGE, offset, len) {
            Ok(()) => Ok(()),
            // EOPNOTSUPP: the filesystem (or ext4 with data=journal, or a file without
            // extents) cannot; EINVAL: not multiples of its block size (or a kernel
            // before 4.1); ENOSYS: no fallocate at all.
            Err(e) if e == Errno::OPNOTSUPP || e == Errno::INVAL || e == Errno::NOSYS => {
                Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    format!("fallocate(FALLOC_FL_INSERT_RANGE) is refused: {e}"),
                ))
            }
            Err(e) => Err(e.into()),
        }
    }
}

macro_rules! forward {
    ($($t:ty),*) => {$(
        impl<S: Storage + ?Sized> Storage for $t {
            fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
                (**self).read_at(buf, offset)
            }
            fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
                (**self).write_at(buf, offset)
            }
            fn len(&self) -> io::Result<u64> {
                (**self).len()
            }
            fn set_len(&self, len: u64) -> io::Result<()> {
                (**self).set_len(len)
            }
            fn sync_data(&self) -> io::Result<()> {
                (**self).sync_data()
            }
            fn sync_all(&self) -> io::Result<()> {
                (**self).sync_all()
            }
            fn insert_range(&self, offset: u64, len: u64) -> io::Result<()> {
                (**self).insert_range(offset, len)
            }
        }
    )*};
}

forward!(&S, Box<S>, Arc<S>);

/// Reads exactly `buf.len()` bytes at `offset`, retrying short reads.
pub(crate) fn read_exact_at<S: Storage + ?Sized>(
    s: &S,
    mut buf: &mut [u8],
    mut offset: u64,
) -> io::Result<()> {
    while !buf.is_empty() {
        match s.read_at(buf, offset) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file ended early",
                ))
            }
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Writes all of `buf` at `offset`, continuing after short writes.
pub(crate) fn write_all_at<S: Storage + ?Sized>(
    s: &S,
    mut buf: &[u8],
    mut offset: u64,
) -> io::Result<()> {
    while !buf.is_empty() {
        match s.write_at(buf, offset) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "the file accepted no more bytes",
                ))
            }
            Ok(n) => {
                buf = &buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
