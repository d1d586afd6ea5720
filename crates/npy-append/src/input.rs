//! Appending another `.npy` array: header checks, casts, and reordering between C and
//! Fortran layouts in bounded memory.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::Path;

use npy_header::{python_tuple, Parsed, MAX_PREAMBLE_LEN};

use crate::cast::{Cast, Converter};
use crate::error::{Error, ErrorKind, Result};
use crate::journal::Progress;
use crate::layout::{describe_axis, parser};
use crate::storage::Storage;
use crate::writer::{Appender, Sink, SCRATCH_BYTES};

/// Memory for reordering between C and Fortran layouts: 8 MiB, or one row when a row is
/// larger.
pub const REORDER_BYTES: u64 = 8 << 20;

/// Bytes read at a time when no reordering is needed.
const COPY_BYTES: u64 = 1 << 20;

/// An input array: its header and where its data is.
struct Source {
    parsed: Parsed,
    /// The full shape, a 4.0 input's growth axis resolved.
    shape: Vec<u64>,
    /// Stream position of the first data byte.
    data_at: u64,
    data_bytes: u64,
}

fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

impl Source {
    /// Reads the header at the stream's position (preamble first, its length checked
    /// before the header is read) and finds the data.
    fn read<R: Read + Seek>(r: &mut R) -> Result<Source> {
        let io = |e| Error::io("cannot read the input", e);
        let base = r.stream_position().map_err(io)?;
        let mut pre = [0u8; MAX_PREAMBLE_LEN];
        let n = read_full(r, &mut pre).map_err(io)?;
        let parser = parser();
        let preamble = parser
            .parse_preamble(&pre[..n])
            .map_err(|e| Error::header("the input's header", e))?;
        let data_offset = preamble.data_offset();
        // Bounded: the preamble's length field was checked against MAX_HEADER_LEN.
        let mut bytes = vec![
            0u8;
            usize::try_from(data_offset).expect(
                "the preamble parser checked the length field against MAX_HEADER_LEN"
            )
        ];
        let head = n.min(bytes.len());
        bytes[..head].copy_from_slice(&pre[..head]);
        let got = head + read_full(r, &mut bytes[head..]).map_err(io)?;
        bytes.truncate(got);
        let parsed = parser
            .parse(&bytes)
            .map_err(|e| Error::header("the input's header", e))?;
        if parsed.header.dtype().has_object() {
            return Err(Error::new(
                ErrorKind::ObjectDtype,
                "the input's dtype holds Python objects: its data is a pickle, not rows",
            ));
        }
        let end = r.seek(SeekFrom::End(0)).map_err(io)?;
        let data_len = end.saturating_sub(base + data_offset);
        if let (Some(shape), Ok(Some(need))) =
            (parsed.header.fixed_shape(), parsed.header.data_bytes())
        {
            if data_len < need {
                return Err(Error::new(
                    ErrorKind::NeedsRecovery,
                    format!(
                        "the input holds {data_len} bytes of data but its shape {} needs {need}: it is truncated (recover it first)",
                        python_tuple(shape)
                    ),
                ));
            }
        }
        let resolved = parsed
            .header
            .resolve(data_len)
            .map_err(|e| Error::header("the input", e))?;
        Ok(Source {
            shape: resolved.shape,
            data_at: base + data_offset,
            data_bytes: resolved.data_bytes,
            parsed,
        })
    }
}

/// How an input's bytes become the file's rows.
struct Plan {
    rows: u64,
    convert: Option<Converter>,
    /// Reorder lines along the growth axis (the input is in the other order).
    reorder: Option<Reorder>,
}

struct Reorder {
    /// Non-growth dimensions, in axis order.
    dims: Vec<u64>,
    /// Whether the input is in C order (so the file is in Fortran order).
    input_c: bool,
}

impl<S: Storage, J: Storage> Appender<S, J> {
    /// Appends the rows of another `.npy` array read from `input` (starting at its
    /// current position). Its shape must equal the file's except on the growth axis,
    /// and its dtype must be the file's unless `cast` allows the conversion
    /// ([`Cast::Safe`]). An array in the other order (C into a Fortran-order file or the
    /// reverse) is reordered, as npy-append-array does; that needs `Seek` and at most
    /// [`REORDER_BYTES`] of memory (or one row, if larger). A format 4.0 input
    /// contributes its whole rows.
    ///
    /// On a mismatch the file is not touched; if reading the input fails midway, the
    /// rows already written are cut off again.
    pub fn append_npy<R: Read + Seek>(&self, input: R, cast: Cast) -> Result<Range<u64>> {
        self.append_npy_with_progress(input, cast, &mut |_, _| {})
    }

    /// [`Appender::append_npy`] for a file by path; errors about the input name it.
    pub fn append_npy_file(&self, path: impl AsRef<Path>, cast: Cast) -> Result<Range<u64>> {
        self.append_npy_file_with_progress(path, cast, &mut |_, _| {})
    }

    /// [`Appender::append_npy_file`], calling `progress(done, total)` with input bytes.
    pub fn append_npy_file_with_progress(
        &self,
        path: impl AsRef<Path>,
        cast: Cast,
        progress: Progress<'_>,
    ) -> Result<Range<u64>> {
        let path = path.as_ref();
        let mut file =
            File::open(path).map_err(|e| Error::io("cannot open the input", e).with_path(path))?;
        let src = Source::read(&mut file).map_err(|e| e.with_path(path))?;
        self.append_source(&mut file, &src, cast, progress)
            .map_err(|e| match e.kind() {
                ErrorKind::Io if e.path().is_none() => e.with_path(path),
                _ => e,
            })
    }

    /// [`Appender::append_npy`], calling `progress(done, total)` with input bytes.
    pub fn append_npy_with_progress<R: Read + Seek>(
        &self,
        mut input: R,
        cast: Cast,
        progress: Progress<'_>,
    ) -> Result<Range<u64>> {
        let src = Source::read(&mut input).map_err(|e| self.err(e))?;
        self.append_source(&mut input, &src, cast, progress)
    }

    fn append_source<R: Read + Seek>(
        &self,
        input: &mut R,
        src: &Source,
        cast: Cast,
        progress: Progress<'_>,
    ) -> Result<Range<u64>> {
        let plan = self.plan(src, cast).map_err(|e| self.err(e))?;
        self.append_with(plan.rows, |sink| plan.copy(input, src, sink, progress))
    }

    fn plan(&self, src: &Source, cast: Cast) -> Result<Plan> {
        let geo = self.geometry();
        let file = &geo.header;
        let input = &src.parsed.header;
        let axis = geo.axis;
        let same_dims = src.shape.len() == file.ndim()
            && src
                .shape
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != axis)
                .map(|(_, d)| d)
                .eq(file.row_shape());
        if !same_dims {
            return Err(Error::new(
                ErrorKind::ShapeMismatch,
                format!(
                    "cannot append an array of shape {} to an array of shape {}: the shapes may differ only on the growth axis ({})",
                    python_tuple(&src.shape),
                    python_tuple(&geo.shape(self.rows())),
                    describe_axis(file.fortran_order(), file.ndim())
                ),
            ));
        }
        let (input, file) = (input.dtype(), file.dtype());
        let convert = if input == file {
            None
        } else {
            let conv = Converter::plan(input, file);
            let descr = |d: &npy_header::Dtype| format!("{} ({d})", d.to_descr());
            let why = match (&conv, cast) {
                (Some(c), _) if cast.allows(input, file) => {
                    return self.plan_rows(src, Some(c.clone()));
                }
                (Some(_), _) => {
                    "the dtypes differ by a safe cast, which is made only when asked for"
                }
                (None, _) => "not a safe cast: it could lose information or change meaning",
            };
            return Err(Error::new(
                ErrorKind::DtypeMismatch,
                format!(
                    "cannot append {} data to an array of {}: {why}",
                    descr(input),
                    descr(file)
                ),
            ));
        };
        self.plan_rows(src, convert)
    }

    fn plan_rows(&self, src: &Source, convert: Option<Converter>) -> Result<Plan> {
        let geo = self.geometry();
        let axis = geo.axis;
        let rows = src.shape[axis];
        let input_fortran = src.parsed.header.fortran_order();
        let mut dims = src.shape.clone();
        dims.remove(axis);
        let row_items: u64 = dims.iter().product();
        let ordered_differently =
            input_fortran != geo.header.fortran_order() && src.shape.len() >= 2;
        // Both layouts put the same bytes in the same places when at most one
        // dimension besides the growth axis is longer than 1 and the rows are single
        // items or there is a single row.
        let identical =
            row_items <= 1 || (rows <= 1 && dims.iter().filter(|&&d| d > 1).count() <= 1);
        let reorder = (ordered_differently && !identical).then_some(Reorder {
            dims,
            input_c: !input_fortran,
        });
        Ok(Plan {
            rows,
            convert,
            reorder,
        })
    }
}

impl Plan {
    fn copy<R: Read + Seek, S: Storage, J: Storage>(
        &self,
        r: &mut R,
        src: &Source,
        sink: &mut Sink<'_, S, J>,
        progress: Progress<'_>,
    ) -> Result<()> {
        let io = |e| Error::io("cannot read the input", e);
        let total = src.data_bytes;
        if total == 0 {
            return Ok(());
        }
        let item = src.parsed.header.dtype().itemsize();
        let mut out = Vec::new();
        match &self.reorder {
            None => {
                r.seek(SeekFrom::Start(src.data_at)).map_err(io)?;
                let chunk = (COPY_BYTES / item).max(1) * item;
                let mut buf = vec![
                    0u8;
                    usize::try_from(chunk.min(total))
                        .expect("at most COPY_BYTES or one item, below 2 GiB")
                ];
                let mut done = 0;
                while done < total {
                    let n = usize::try_from((total - done).min(chunk)).expect("at most one chunk");
                    r.read_exact(&mut buf[..n]).map_err(io)?;
                    self.push(&buf[..n], &mut out, sink)?;
                    done += n as u64;
                    progress(done, total);
                }
            }
            Some(re) => re.copy(r, src, self.rows, item, sink, progress, |bytes, sink| {
                self.push(bytes, &mut out, sink)
            })?,
        }
        Ok(())
    }

    fn push<S: Storage, J: Storage>(
        &self,
        bytes: &[u8],
        out: &mut Vec<u8>,
        sink: &mut Sink<'_, S, J>,
    ) -> Result<()> {
        match &self.convert {
            None => sink.push(bytes),
            Some(c) => {
                // Convert a scratch-sized piece at a time to bound memory.
                let step = (SCRATCH_BYTES / c.in_size().max(1)).max(1) * c.in_size();
                for piece in bytes.chunks(step.max(1)) {
                    out.clear();
                    c.convert(piece, out);
                    sink.push(out)?;
                }
                Ok(())
            }
        }
    }
}

impl Reorder {
    /// Copies `rows` rows, a batch at a time: from each line along the growth axis
    /// (contiguous in the input) the batch's items, scattered to their places in the
    /// file's order.
    #[allow(clippy::too_many_arguments)]
    fn copy<R: Read + Seek, S: Storage, J: Storage>(
        &self,
        r: &mut R,
        src: &Source,
        rows: u64,
        item: u64,
        sink: &mut Sink<'_, S, J>,
        progress: Progress<'_>,
        mut push: impl FnMut(&[u8], &mut Sink<'_, S, J>) -> Result<()>,
    ) -> Result<()> {
        let io = |e| Error::io("cannot read the input", e);
        let row_items: u64 = self.dims.iter().product();
        let row_bytes = row_items * item;
        let batch = (REORDER_BYTES / row_bytes).clamp(1, rows);
        let mut out = vec![
            0u8;
            usize::try_from(batch * row_bytes).expect(
                "one batch: at most REORDER_BYTES or one row, which a 64-bit usize holds"
            )
        ];
        let mut line = vec![
            0u8;
            usize::try_from(batch * item)
                .expect("a batch's items, fewer than its bytes")
        ];
        let isz = usize::try_from(item).expect("item sizes fit in memory");
        // Stride of each dimension in the file's order of a row.
        let nd = self.dims.len();
        let mut stride = vec![0u64; nd];
        let mut acc = 1;
        let file_order: Vec<usize> = if self.input_c {
            (0..nd).collect() // the file is Fortran: the first dimension varies fastest
        } else {
            (0..nd).rev().collect()
        };
        for &k in &file_order {
            stride[k] = acc;
            acc *= self.dims[k];
        }
        // The input enumerates lines in its own order: the last dimension fastest for
        // C, the first for Fortran, the reverse of the file's order.
        let input_order: Vec<usize> = file_order.iter().rev().copied().collect();
        let total = src.data_bytes;
        let mut j0 = 0;
        while j0 < rows {
            let b = batch.min(rows - j0);
            let bsz = usize::try_from(b).expect("at most one batch");
            let mut m = vec![0u64; nd];
            let mut pos = 0u64;
            for l in 0..row_items {
                r.seek(SeekFrom::Start(src.data_at + (l * rows + j0) * item))
                    .map_err(io)?;
                r.read_exact(&mut line[..bsz * isz]).map_err(io)?;
                for t in 0..bsz {
                    let at = usize::try_from((t as u64 * row_items + pos) * item)
                        .expect("an offset inside the batch's buffer");
                    out[at..at + isz].copy_from_slice(&line[t * isz..(t + 1) * isz]);
                }
                for &k in &input_order {
                    m[k] += 1;
                    pos += stride[k];
                    if m[k] < self.dims[k] {
                        break;
                    }
                    pos -= self.dims[k] * stride[k];
                    m[k] = 0;
                }
            }
            push(
                &out[..bsz * usize::try_from(row_bytes).expect("a row, within the batch's buffer")],
                sink,
            )?;
            j0 += b;
            progress(j0 * row_bytes, total);
        }
        Ok(())
    }
}
