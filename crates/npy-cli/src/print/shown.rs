//! The items a repr shows, read from a file by position: the summary of an array
//! larger than memory reads a few pages, and the file is never mapped.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

use npy_header::Dtype;
use npy_mmap::Layout;

use super::{for_each_index, shown_indices, summarises, Array, Options};

/// The items [`array_repr`](super::array_repr) shows of an array, read from its file,
/// and no others.
///
/// ```
/// use std::fs::File;
/// use npy_cli::print::{array_repr, Options, Shown};
///
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../conformance/samples/c_order_f8_2d.npy");
/// let layout = npy_mmap::NpyBuffer::read_file(path)?.layout().clone();
/// let first_row = [1, 4]; // repr(arr[:1])
/// let shown = Shown::read(&File::open(path)?, &layout, &first_row, Options::default())?;
/// assert_eq!(array_repr(&shown, &first_row, Options::default())?, "array([[0.  , 0.25, 0.5 , 0.75]])");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Shown {
    dtype: Dtype,
    shape: Vec<u64>,
    /// The indices shown along each axis, ascending.
    axes: Vec<Vec<u64>>,
    itemsize: usize,
    /// The items at every combination of `axes`, in C order.
    bytes: Vec<u8>,
}

impl Shown {
    /// Reads from `file` the items that `array_repr(_, shape, options)` shows of the
    /// array `layout` describes (`shape` is the layout's, or shorter on the first
    /// axis). Items that lie next to each other in the file are read together: the
    /// runs along the last axis of a C-order array, whole rows of `npy head`.
    ///
    /// `layout` must have been resolved against `file` (so every item shown lies
    /// within its size); if the file has since shrunk, the read fails.
    pub fn read(
        file: &File,
        layout: &Layout,
        shape: &[u64],
        options: Options,
    ) -> io::Result<Shown> {
        debug_assert!(shape.len() == layout.shape().len());
        debug_assert!(shape.iter().zip(layout.shape()).all(|(s, l)| s <= l));
        let axes = shown_indices(shape, summarises(shape, options));
        // Item sizes are below 2^31; the items shown are a subset of the array's, whose
        // bytes the layout checked against the file's size.
        let itemsize = usize::try_from(layout.dtype().itemsize()).map_err(too_large)?;
        let count = axes
            .iter()
            .map(Vec::len)
            .try_fold(1usize, usize::checked_mul);
        let total = count
            .and_then(|n| n.checked_mul(itemsize))
            .ok_or_else(|| too_large(()))?;
        // (file offset, offset in `bytes`, length) of each run of adjacent items.
        let mut runs: Vec<(u64, usize, usize)> = Vec::new();
        let mut at = 0;
        for_each_index(&axes, &mut |index| {
            let offset = layout.data_offset()
                + index
                    .iter()
                    .zip(layout.strides())
                    .map(|(i, stride)| i * stride)
                    .sum::<u64>();
            match runs.last_mut() {
                Some((start, _, len)) if *start + *len as u64 == offset => *len += itemsize,
                _ => runs.push((offset, at, itemsize)),
            }
            at += itemsize;
        });
        let mut bytes = vec![0; total];
        let mut reader = file;
        for (offset, at, len) in runs {
            reader.seek(SeekFrom::Start(offset))?;
            reader
                .read_exact(&mut bytes[at..at + len])
                .map_err(|e| match e.kind() {
                    io::ErrorKind::UnexpectedEof => io::Error::new(
                        e.kind(),
                        "the file ended before the items shown: another program truncated it while it was read",
                    ),
                    _ => e,
                })?;
        }
        Ok(Shown {
            dtype: layout.dtype().clone(),
            shape: layout.shape().to_vec(),
            axes,
            itemsize,
            bytes,
        })
    }
}

fn too_large<E>(_: E) -> io::Error {
    io::Error::new(
        io::ErrorKind::OutOfMemory,
        "the items shown do not fit in memory",
    )
}

impl Array for Shown {
    fn dtype(&self) -> &Dtype {
        &self.dtype
    }

    fn shape(&self) -> &[u64] {
        &self.shape
    }

    fn item(&self, index: &[u64]) -> Option<&[u8]> {
        if index.len() != self.axes.len() {
            return None;
        }
        let mut flat = 0;
        for (shown, i) in self.axes.iter().zip(index) {
            flat = flat * shown.len() + shown.binary_search(i).ok()?;
        }
        let start = flat * self.itemsize;
        self.bytes.get(start..start + self.itemsize)
    }
}
