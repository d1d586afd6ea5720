//! Views of array data: raw bytes, rows, items, typed slices and structured fields.

use std::mem::{align_of, size_of};
use std::ops::Range;

use npy_header::{ByteOrder, Dtype, Element, Field, Kind};

use crate::error::{Error, ErrorKind};
use crate::layout::Layout;

/// A read-only view of an array's data, borrowed from an [`crate::NpyFile`] or an
/// [`crate::NpyBuffer`]: the two give equal views of the same file.
///
/// Indices and [`ArrayView::items`] follow the storage order (C or Fortran);
/// [`ArrayView::item`] and [`ArrayView::items_c_order`] take logical indices, as
/// NumPy's `arr[i, j]` and `arr.flat` do, whatever the storage order.
#[derive(Clone, Debug)]
pub struct ArrayView<'a> {
    dtype: &'a Dtype,
    fortran_order: bool,
    growth_axis: Option<usize>,
    shape: Vec<u64>,
    strides: &'a [u64],
    row_bytes: u64,
    data: &'a [u8],
    file_offset: u64,
}

impl<'a> ArrayView<'a> {
    pub(crate) fn new(layout: &'a Layout, data: &'a [u8]) -> ArrayView<'a> {
        debug_assert_eq!(data.len() as u64, layout.data_bytes());
        ArrayView {
            dtype: layout.dtype(),
            fortran_order: layout.fortran_order(),
            growth_axis: layout.growth_axis(),
            shape: layout.shape().to_vec(),
            strides: layout.strides(),
            row_bytes: layout.row_bytes(),
            data,
            file_offset: layout.data_offset(),
        }
    }

    /// The data type of one item.
    pub fn dtype(&self) -> &'a Dtype {
        self.dtype
    }

    /// The shape.
    pub fn shape(&self) -> &[u64] {
        &self.shape
    }

    /// Bytes to step along each axis (see [`Layout::strides`]).
    pub fn strides(&self) -> &'a [u64] {
        self.strides
    }

    /// Whether the data is in Fortran order.
    pub fn fortran_order(&self) -> bool {
        self.fortran_order
    }

    /// Number of items.
    pub fn len(&self) -> u64 {
        self.shape.iter().product()
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of one item.
    pub fn itemsize(&self) -> usize {
        // Item sizes are below 2^31 (`MAX_ITEMSIZE`) and the data is in memory.
        usize::try_from(self.dtype.itemsize()).expect("item size fits in memory")
    }

    /// The raw bytes of the array in storage order, exactly as in the file.
    pub fn bytes(&self) -> &'a [u8] {
        self.data
    }

    /// Offset in the file of the first byte of this view.
    pub fn file_offset(&self) -> u64 {
        self.file_offset
    }

    /// Length of the growth axis (axis 0 in C order, the last in Fortran order); 1
    /// for a 0-d array.
    pub fn rows(&self) -> u64 {
        self.growth_axis.map_or(1, |axis| self.shape[axis])
    }

    /// The rows `range` of the growth axis, as a view of the same array with that
    /// axis shortened. Rows are contiguous in either order, so this is a sub-slice.
    ///
    /// ```
    /// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../conformance/samples/c_order_f8_2d.npy");
    /// let buffer = npy_mmap::NpyBuffer::read_file(path)?;
    /// let view = buffer.view();
    /// let middle = view.slice_rows(1..2)?;
    /// assert_eq!(middle.shape(), [1, 4]);
    /// assert_eq!(middle.bytes(), &view.bytes()[32..64]);
    /// assert_eq!(middle.file_offset(), 128 + 32);
    /// # Ok::<(), npy_mmap::Error>(())
    /// ```
    pub fn slice_rows(&self, range: Range<u64>) -> Result<ArrayView<'a>, Error> {
        let Some(axis) = self.growth_axis else {
            return Err(Error::new(
                ErrorKind::OutOfBounds,
                "a 0-d array has no rows (bytes() gives its one item)",
            ));
        };
        let rows = self.shape[axis];
        if range.start > range.end || range.end > rows {
            return Err(Error::new(
                ErrorKind::OutOfBounds,
                format!(
                    "rows {}..{} are outside the array's {rows} rows",
                    range.start, range.end
                ),
            ));
        }
        // Within the data, whose length is a usize.
        let start = to_usize(range.start * self.row_bytes);
        let end = to_usize(range.end * self.row_bytes);
        let mut shape = self.shape.clone();
        shape[axis] = range.end - range.start;
        Ok(ArrayView {
            shape,
            data: &self.data[start..end],
            file_offset: self.file_offset + start as u64,
            ..self.clone()
        })
    }

    /// The bytes of the item at a logical index (one entry per axis, `[]` for a 0-d
    /// array), or `None` if the index is outside the shape.
    pub fn item(&self, index: &[u64]) -> Option<&'a [u8]> {
        let offset = item_offset(&self.shape, self.strides, index)?;
        Some(&self.data[offset..offset + self.itemsize()])
    }

    /// The items' bytes in storage order.
    pub fn items(&self) -> Items<'a> {
        Items {
            data: self.data,
            itemsize: self.itemsize(),
            next: 0,
            end: self.len(),
        }
    }

    /// The items' bytes in logical C order (NumPy's `arr.flat`), whatever the storage
    /// order: for a Fortran-order array this follows the strides.
    pub fn items_c_order(&self) -> COrderItems<'a> {
        COrderItems::new(self.data, self.itemsize(), &self.shape, self.strides, 0)
    }

    /// The data as a slice of `T`, in storage order, without copying.
    ///
    /// Errors: [`ErrorKind::TypeMismatch`] unless the dtype is a scalar of `T`'s kind
    /// and size; [`ErrorKind::ByteOrder`] unless its byte order is this machine's;
    /// [`ErrorKind::Unaligned`] unless the data's file offset is a multiple of `T`'s
    /// alignment (NumPy's 64-byte aligned headers always are; both readers keep the
    /// file's alignment, so the answer depends only on the file). [`ArrayView::to_vec`]
    /// copies in all three of the last cases.
    ///
    /// ```
    /// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../conformance/samples/c_order_f8_2d.npy");
    /// let buffer = npy_mmap::NpyBuffer::read_file(path)?;
    /// let values: &[f64] = buffer.view().as_slice()?;
    /// assert_eq!(values.len(), 12);
    /// assert!(buffer.view().as_slice::<f32>().is_err());
    /// # Ok::<(), npy_mmap::Error>(())
    /// ```
    pub fn as_slice<T: Element>(&self) -> Result<&'a [T], Error> {
        let order = check_type::<T>(self.dtype)?;
        if order != ByteOrder::NotApplicable && order != ByteOrder::NATIVE {
            return Err(Error::new(
                ErrorKind::ByteOrder,
                format!(
                    "cannot view {}-endian {} data as &[{}] on this {}-endian machine (to_vec() copies it and swaps the bytes)",
                    endian_name(order),
                    self.dtype.to_descr(),
                    T::RUST_NAME,
                    endian_name(ByteOrder::NATIVE),
                ),
            ));
        }
        if self.data.is_empty() {
            // No address to be misaligned: the two readers' empty slices differ in
            // address, and must not differ in result.
            return Ok(&[]);
        }
        let align = align_of::<T>();
        if self.data.as_ptr() as usize % align != 0 {
            return Err(Error::new(
                ErrorKind::Unaligned { align },
                format!(
                    "cannot view the data at file offset {} as &[{}]: the offset is not a multiple of {align}, the type's alignment (to_vec() copies it instead)",
                    self.file_offset,
                    T::RUST_NAME
                ),
            )
            .at(self.file_offset));
        }
        // Both readers place the data at an address congruent to its file offset.
        debug_assert_eq!(self.file_offset % align as u64, 0);
        bytemuck::try_cast_slice(self.data).map_err(|e| {
            Error::new(
                ErrorKind::Unaligned { align },
                format!("cannot view the data as &[{}]: {e}", T::RUST_NAME),
            )
        })
    }

    /// The data as a vector of `T`, in storage order: a copy, with the bytes swapped
    /// when the file's byte order is not this machine's, from any alignment.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>, Error> {
        let order = check_type::<T>(self.dtype)?;
        Ok(read_items(self.items(), order).collect())
    }

    /// The field `name` (or with that title) of a structured dtype: its offset and
    /// dtype within an item, and its bytes for each item.
    ///
    /// ```
    /// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../conformance/samples/structured_padded.npy");
    /// // dtype {'names': ['a', 'b', 'c'], 'formats': ['<i4', '<f8', 'u1'], 'offsets': [0, 8, 16], 'itemsize': 24}
    /// let buffer = npy_mmap::NpyBuffer::read_file(path)?;
    /// let b = buffer.view().field("b")?;
    /// assert_eq!((b.offset(), b.stride(), b.len()), (8, 24, 3));
    /// assert_eq!(b.dtype().to_descr(), "'<f8'");
    /// assert_eq!(b.to_vec::<f64>()?.len(), 3);
    /// assert_eq!(b.get(1).unwrap(), &buffer.view().bytes()[32..40]);
    /// # Ok::<(), npy_mmap::Error>(())
    /// ```
    pub fn field(&self, name: &str) -> Result<FieldView<'a>, Error> {
        FieldView::lookup(self.clone(), self.dtype, 0, name)
    }

    /// The data as an `ndarray` view with the array's shape and strides (C or
    /// Fortran order), without copying. Fails as [`ArrayView::as_slice`] does.
    #[cfg(feature = "ndarray")]
    pub fn to_ndarray<T: Element>(&self) -> Result<ndarray::ArrayViewD<'a, T>, Error> {
        use ndarray::ShapeBuilder;
        let slice = self.as_slice::<T>()?;
        // Each dimension is at most the item count, which is within the data.
        let dims: Vec<usize> = self.shape.iter().map(|&d| to_usize(d)).collect();
        let shape = ndarray::IxDyn(&dims);
        let result = if self.fortran_order {
            ndarray::ArrayViewD::from_shape(shape.f(), slice)
        } else {
            ndarray::ArrayViewD::from_shape(shape, slice)
        };
        result.map_err(|e| {
            Error::new(
                ErrorKind::DataTooLarge {
                    size: self.data.len() as u64,
                    limit: isize::MAX as u64,
                },
                format!("ndarray cannot describe this array: {e}"),
            )
        })
    }
}

/// Whether items of `kind` (of `T`'s size) are `T`s: its own kind, and for `u8` also
/// NumPy's `bool`, whose bytes (0 and 1 from NumPy, any from elsewhere) a `u8` holds.
fn reads_as<T: Element>(kind: Kind) -> bool {
    kind == T::KIND || (T::KIND == Kind::UInt && size_of::<T>() == 1 && kind == Kind::Bool)
}

/// `T`'s byte order requirement met? Returns the dtype's byte order if the dtype is
/// `T`.
fn check_type<T: Element>(dtype: &Dtype) -> Result<ByteOrder, Error> {
    match dtype {
        Dtype::Scalar(s) if reads_as::<T>(s.kind()) && s.itemsize() == size_of::<T>() as u64 => {
            Ok(s.byte_order())
        }
        Dtype::Record { .. } => Err(Error::new(
            ErrorKind::TypeMismatch,
            format!(
                "cannot read structured data as {}: look up a field with field()",
                T::RUST_NAME
            ),
        )),
        other => Err(Error::new(
            ErrorKind::TypeMismatch,
            format!(
                "cannot read {} data ({other}) as {}: ask for the type its dtype names",
                other.to_descr(),
                T::RUST_NAME
            ),
        )),
    }
}

fn endian_name(order: ByteOrder) -> &'static str {
    match order {
        ByteOrder::Big => "big",
        _ => "little",
    }
}

fn read_items<'a, T: Element>(
    items: impl Iterator<Item = &'a [u8]> + 'a,
    order: ByteOrder,
) -> impl Iterator<Item = T> + 'a {
    let swap = order != ByteOrder::NotApplicable && order != ByteOrder::NATIVE;
    items.map(move |bytes| {
        let value: T = bytemuck::pod_read_unaligned(bytes);
        if swap {
            value.swap_bytes()
        } else {
            value
        }
    })
}

/// Offsets within data are below its length, a `usize`.
fn to_usize(n: u64) -> usize {
    usize::try_from(n).expect("offset within the data")
}

fn item_offset(shape: &[u64], strides: &[u64], index: &[u64]) -> Option<usize> {
    if index.len() != shape.len() || index.iter().zip(shape).any(|(i, d)| i >= d) {
        return None;
    }
    Some(to_usize(
        index.iter().zip(strides).map(|(i, s)| i * s).sum(),
    ))
}

/// Items' bytes in storage order ([`ArrayView::items`], [`FieldView::items`]).
#[derive(Clone, Debug)]
pub struct Items<'a> {
    data: &'a [u8],
    itemsize: usize,
    next: u64,
    end: u64,
}

impl<'a> Iterator for Items<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.next == self.end {
            return None;
        }
        let start = to_usize(self.next) * self.itemsize;
        self.next += 1;
        Some(&self.data[start..start + self.itemsize])
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::try_from(self.end - self.next).unwrap_or(usize::MAX);
        (n, usize::try_from(self.end - self.next).ok())
    }
}

/// Items' bytes in logical C order ([`ArrayView::items_c_order`],
/// [`FieldView::items_c_order`]).
#[derive(Clone, Debug)]
pub struct COrderItems<'a> {
    data: &'a [u8],
    itemsize: usize,
    shape: Vec<u64>,
    strides: &'a [u64],
    base: usize,
    index: Vec<u64>,
    remaining: u64,
}

impl<'a> COrderItems<'a> {
    fn new(
        data: &'a [u8],
        itemsize: usize,
        shape: &[u64],
        strides: &'a [u64],
        base: usize,
    ) -> COrderItems<'a> {
        COrderItems {
            data,
            itemsize,
            shape: shape.to_vec(),
            strides,
            base,
            index: vec![0; shape.len()],
            remaining: shape.iter().product(),
        }
    }
}

impl<'a> Iterator for COrderItems<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let offset = self.base
            + to_usize(
                self.index
                    .iter()
                    .zip(self.strides)
                    .map(|(i, s)| i * s)
                    .sum(),
            );
        for axis in (0..self.index.len()).rev() {
            self.index[axis] += 1;
            if self.index[axis] < self.shape[axis] {
                break;
            }
            self.index[axis] = 0;
        }
        Some(&self.data[offset..offset + self.itemsize])
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::try_from(self.remaining).unwrap_or(usize::MAX);
        (n, usize::try_from(self.remaining).ok())
    }
}

/// One field of a structured array: the field's bytes within each item, a strided
/// view (the stride is the item size).
///
/// Nested structured fields are looked up with [`FieldView::field`]; their offsets add
/// up.
#[derive(Clone, Debug)]
pub struct FieldView<'a> {
    field: &'a Field,
    offset: u64,
    array: ArrayView<'a>,
}

impl<'a> FieldView<'a> {
    fn lookup(
        array: ArrayView<'a>,
        dtype: &'a Dtype,
        base: u64,
        name: &str,
    ) -> Result<FieldView<'a>, Error> {
        let Dtype::Record { fields, .. } = dtype else {
            return Err(Error::new(
                ErrorKind::NoSuchField,
                format!(
                    "no field {name:?}: the dtype {} is not structured",
                    dtype.to_descr()
                ),
            ));
        };
        let Some(field) = dtype.field(name) else {
            let names: Vec<String> = fields.iter().map(|f| format!("{:?}", f.name)).collect();
            return Err(Error::new(
                ErrorKind::NoSuchField,
                format!(
                    "no field {name:?}: the fields are {}",
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                ),
            ));
        };
        Ok(FieldView {
            field,
            offset: base + field.offset,
            array,
        })
    }

    /// The field's name.
    pub fn name(&self) -> &'a str {
        &self.field.name
    }

    /// The field's title, if it has one.
    pub fn title(&self) -> Option<&'a str> {
        self.field.title.as_deref()
    }

    /// The field's data type.
    pub fn dtype(&self) -> &'a Dtype {
        &self.field.dtype
    }

    /// Offset of the field within an item of the array (nested offsets added up).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Bytes from one item's field to the next item's, in storage order: the item
    /// size of the array.
    pub fn stride(&self) -> usize {
        self.array.itemsize()
    }

    /// Number of items (that of the array).
    pub fn len(&self) -> u64 {
        self.array.len()
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.array.is_empty()
    }

    /// The array's shape.
    pub fn shape(&self) -> &[u64] {
        self.array.shape()
    }

    fn field_size(&self) -> usize {
        usize::try_from(self.field.dtype.itemsize()).expect("field size fits in memory")
    }

    /// The field's bytes in item `i`, storage order.
    pub fn get(&self, i: u64) -> Option<&'a [u8]> {
        if i >= self.len() {
            return None;
        }
        let start = to_usize(i) * self.stride() + to_usize(self.offset);
        Some(&self.array.data[start..start + self.field_size()])
    }

    /// The field's bytes at a logical index of the array.
    pub fn item(&self, index: &[u64]) -> Option<&'a [u8]> {
        let start =
            item_offset(self.array.shape(), self.array.strides, index)? + to_usize(self.offset);
        Some(&self.array.data[start..start + self.field_size()])
    }

    /// The field's bytes for each item, in storage order.
    pub fn items(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let (stride, offset, size) = (self.stride(), to_usize(self.offset), self.field_size());
        let data = self.array.data;
        (0..to_usize(self.len())).map(move |i| {
            let start = i * stride + offset;
            &data[start..start + size]
        })
    }

    /// The field's bytes for each item, in logical C order.
    pub fn items_c_order(&self) -> COrderItems<'a> {
        COrderItems::new(
            self.array.data,
            self.field_size(),
            self.array.shape(),
            self.array.strides,
            to_usize(self.offset),
        )
    }

    /// A field of this field, when it is itself structured.
    pub fn field(&self, name: &str) -> Result<FieldView<'a>, Error> {
        FieldView::lookup(self.array.clone(), &self.field.dtype, self.offset, name)
    }

    /// The field's values as `T`, in storage order (a copy: a field is strided, so it
    /// cannot be a slice). Bytes are swapped when the field's byte order is not this
    /// machine's.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>, Error> {
        let order = check_type::<T>(&self.field.dtype)?;
        Ok(read_items(self.items(), order).collect())
    }
}
