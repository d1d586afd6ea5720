//! Views of files built here: typed slices, 0-d, empty, Fortran order, fields,
//! ndarray, and refresh of files that grow.

use std::fs::OpenOptions;
use std::io::{Seek, SeekFrom, Write};

use npy_header::{ByteOrder, Dtype, Field, Header, Kind, Version};
use npy_mmap::{NpyBuffer, NpyFile};

use crate::common::{file_bytes, read_every_way, scalar, Scratch};

fn le_bytes_u32(values: impl IntoIterator<Item = u32>) -> Vec<u8> {
    values.into_iter().flat_map(u32::to_le_bytes).collect()
}

#[test]
fn typed_slices_of_every_element_type() {
    fn check<T: npy_mmap::Element + PartialEq + std::fmt::Debug>(kind: Kind, expect: &[T]) {
        let size = std::mem::size_of::<T>() as u64;
        for order in [ByteOrder::Little, ByteOrder::Big] {
            let header = Header::new(scalar(kind, order, size), false, vec![expect.len() as u64]);
            let mut data: Vec<u8> = bytemuck::cast_slice(expect).to_vec();
            let native = order == ByteOrder::NATIVE || size == 1;
            if !native {
                // Store in the other byte order (each part of a complex separately).
                let part = if kind == Kind::Complex {
                    size / 2
                } else {
                    size
                };
                for chunk in data.chunks_mut(usize::try_from(part).unwrap()) {
                    chunk.reverse();
                }
            }
            let file = read_every_way(&file_bytes(&header, None, &data)).unwrap();
            assert_eq!(
                file.view().to_vec::<T>().unwrap(),
                expect,
                "{kind:?} {order:?}"
            );
            if native || kind == Kind::Bool {
                assert_eq!(file.view().as_slice::<T>().unwrap(), expect);
            } else {
                assert!(file.view().as_slice::<T>().is_err());
            }
        }
    }
    check::<i8>(Kind::Int, &[-128, 0, 127]);
    check::<i16>(Kind::Int, &[-32768, 1, 32767]);
    check::<i32>(Kind::Int, &[i32::MIN, -1, i32::MAX]);
    check::<i64>(Kind::Int, &[i64::MIN, 2, i64::MAX]);
    check::<u8>(Kind::UInt, &[0, 1, 255]);
    check::<u8>(Kind::Bool, &[0, 1, 1]);
    check::<u16>(Kind::UInt, &[0, 258, u16::MAX]);
    check::<u32>(Kind::UInt, &[0, 0x0102_0304, u32::MAX]);
    check::<u64>(Kind::UInt, &[0, 0x0102_0304_0506_0708, u64::MAX]);
    check::<f32>(Kind::Float, &[0.5, -1.25, f32::INFINITY]);
    check::<f64>(Kind::Float, &[0.1, -2.5e300, f64::NEG_INFINITY]);
    check::<[f32; 2]>(Kind::Complex, &[[1.0, -2.0], [0.25, 8.0]]);
    check::<[f64; 2]>(Kind::Complex, &[[1e-300, 3.5], [-0.0, 7.0]]);
}

#[test]
fn zero_d_and_empty_arrays() {
    let f8 = scalar(Kind::Float, ByteOrder::Little, 8);
    let file = read_every_way(&file_bytes(
        &Header::new(f8.clone(), false, vec![]),
        None,
        &2.5f64.to_le_bytes(),
    ))
    .unwrap();
    let view = file.view();
    assert_eq!(view.shape(), [] as [u64; 0]);
    assert_eq!((view.len(), view.rows()), (1, 1));
    assert_eq!(view.strides(), [] as [u64; 0]);
    assert_eq!(view.as_slice::<f64>().unwrap(), [2.5]);
    assert_eq!(view.item(&[]), Some(&2.5f64.to_le_bytes()[..]));
    assert_eq!(view.items_c_order().count(), 1);

    for (shape, fortran) in [
        (vec![0], false),
        (vec![0, 5], false),
        (vec![3, 0], true),
        (vec![2, 0, 4], false),
    ] {
        let header = Header::new(f8.clone(), fortran, shape.clone());
        let file = read_every_way(&file_bytes(&header, None, &[])).unwrap();
        assert_eq!(file.bytes(), [] as [u8; 0]);
        let view = file.view();
        assert_eq!(view.shape(), shape);
        assert!(view.is_empty());
        assert_eq!(view.as_slice::<f64>().unwrap(), [] as [f64; 0]);
        assert_eq!(view.to_vec::<f64>().unwrap(), Vec::<f64>::new());
        assert_eq!(view.items_c_order().count(), 0);
        assert_eq!(view.item(&vec![0; shape.len()]), None);
        // With trailing bytes, still nothing is mapped.
        let file = read_every_way(&file_bytes(&header, None, &[1, 2, 3])).unwrap();
        assert_eq!(file.layout().trailing_bytes(), 3);
        assert!(file.bytes().is_empty());
    }
    // An open-ended file with no rows yet, and with only part of one.
    let header = Header::open_ended(f8, false, vec![2]);
    let file = read_every_way(&file_bytes(&header, None, &[])).unwrap();
    assert_eq!(file.layout().shape(), [0, 2]);
    let file = read_every_way(&file_bytes(&header, None, &[9; 15])).unwrap();
    assert_eq!(file.layout().shape(), [0, 2]);
    assert!(file.layout().has_partial_row());
    assert_eq!(file.layout().trailing_bytes(), 15);
}

#[test]
fn fortran_order_rows_and_logical_order() {
    // np.asfortranarray(np.arange(24, dtype='<u4').reshape(2, 3, 4)): storage order is
    // column-major, so storage item k is at logical index (k % 2, k / 2 % 3, k / 6).
    let u4 = scalar(Kind::UInt, ByteOrder::Little, 4);
    let logical = |i: u32, j: u32, k: u32| i * 12 + j * 4 + k;
    let mut storage = Vec::new();
    for k in 0..4 {
        for j in 0..3 {
            for i in 0..2 {
                storage.push(logical(i, j, k));
            }
        }
    }
    let header = Header::new(u4, true, vec![2, 3, 4]);
    let file = read_every_way(&file_bytes(&header, None, &le_bytes_u32(storage.clone()))).unwrap();
    let view = file.view();
    assert_eq!(view.strides(), [4, 8, 24]);
    assert_eq!(view.as_slice::<u32>().unwrap(), storage);
    let c_order: Vec<u8> = view.items_c_order().flatten().copied().collect();
    assert_eq!(c_order, le_bytes_u32(0..24));
    assert_eq!(view.item(&[1, 2, 3]), Some(&23u32.to_le_bytes()[..]));
    // Rows run along the last axis: rows 1..3 are arr[:, :, 1:3].
    let rows = view.slice_rows(1..3).unwrap();
    assert_eq!(rows.shape(), [2, 3, 2]);
    assert_eq!(
        rows.item(&[1, 2, 0]),
        Some(&logical(1, 2, 1).to_le_bytes()[..])
    );
    let sub: Vec<u8> = rows.items_c_order().flatten().copied().collect();
    let expect: Vec<u32> = (0..2)
        .flat_map(|i| (0..3).flat_map(move |j| (1..3).map(move |k| logical(i, j, k))))
        .collect();
    assert_eq!(sub, le_bytes_u32(expect));

    let nd = view.to_ndarray::<u32>().unwrap();
    assert_eq!(nd.shape(), [2, 3, 4]);
    assert_eq!(nd.strides(), [1, 2, 6]);
    assert_eq!(nd[[1, 2, 3]], 23);
    assert_eq!(
        nd.iter().copied().collect::<Vec<_>>(),
        (0..24).collect::<Vec<_>>()
    );
}

#[test]
fn ndarray_views_in_c_order() {
    let i2 = scalar(Kind::Int, ByteOrder::NATIVE, 2);
    let data: Vec<u8> = (0i16..6).flat_map(i16::to_ne_bytes).collect();
    let file = read_every_way(&file_bytes(
        &Header::new(i2, false, vec![2, 3]),
        None,
        &data,
    ))
    .unwrap();
    let nd = file.view().to_ndarray::<i16>().unwrap();
    assert_eq!(nd.strides(), [3, 1]);
    assert_eq!(nd[[1, 0]], 3);
    assert!(file.view().to_ndarray::<u16>().is_err());
}

#[test]
fn nested_and_subarray_fields() {
    let u1 = scalar(Kind::UInt, ByteOrder::NotApplicable, 1);
    let i2 = scalar(Kind::Int, ByteOrder::Big, 2);
    let inner = Dtype::Record {
        fields: vec![
            Field {
                name: "lo".into(),
                title: None,
                dtype: u1.clone(),
                offset: 0,
            },
            Field {
                name: "hi".into(),
                title: Some("High".into()),
                dtype: i2.clone(),
                offset: 2,
            },
        ],
        itemsize: 4,
    };
    let dtype = Dtype::Record {
        fields: vec![
            Field {
                name: "tag".into(),
                title: None,
                dtype: u1.clone(),
                offset: 0,
            },
            Field {
                name: "pair".into(),
                title: None,
                dtype: inner,
                offset: 1,
            },
            Field {
                name: "grid".into(),
                title: None,
                dtype: Dtype::Subarray {
                    base: Box::new(i2),
                    shape: vec![2],
                },
                offset: 5,
            },
        ],
        itemsize: 10,
    };
    // Item n: tag n, pair (lo 10+n, pad, hi -n big-endian), grid [n, 2n] big-endian, pad.
    let mut data = Vec::new();
    for n in 0u8..3 {
        let neg = (-i16::from(n)).to_be_bytes();
        data.extend_from_slice(&[n, 10 + n, 0, neg[0], neg[1]]);
        data.extend_from_slice(&i16::from(n).to_be_bytes());
        data.extend_from_slice(&(2 * i16::from(n)).to_be_bytes());
        data.push(0xee);
    }
    let file = read_every_way(&file_bytes(
        &Header::new(dtype, false, vec![3]),
        None,
        &data,
    ))
    .unwrap();
    let view = file.view();
    let tag = view.field("tag").unwrap();
    assert_eq!(tag.to_vec::<u8>().unwrap(), [0, 1, 2]);
    let pair = view.field("pair").unwrap();
    assert_eq!(
        (pair.offset(), pair.stride(), pair.dtype().itemsize()),
        (1, 10, 4)
    );
    let hi = pair.field("High").unwrap();
    assert_eq!(
        (hi.name(), hi.title(), hi.offset()),
        ("hi", Some("High"), 3)
    );
    assert_eq!(hi.to_vec::<i16>().unwrap(), [0, -1, -2]);
    assert_eq!(pair.field("lo").unwrap().get(2), Some(&[12u8][..]));
    let grid = view.field("grid").unwrap();
    assert_eq!(grid.get(2), Some(&[0, 2, 0, 4][..]));
    assert_eq!(grid.item(&[1]), Some(&[0, 1, 0, 2][..]));
    assert!(
        grid.to_vec::<i16>().is_err(),
        "a subarray field is not a scalar"
    );
    assert_eq!(grid.items().count(), 3);
    assert_eq!(
        grid.items_c_order().collect::<Vec<_>>(),
        grid.items().collect::<Vec<_>>()
    );
}

/// A 4.0 file grows by whole rows; refresh exposes them and never the partial one.
#[test]
fn refresh_open_ended() {
    let s = Scratch::new();
    for fortran in [false, true] {
        let header = Header::open_ended(scalar(Kind::UInt, ByteOrder::Little, 4), fortran, vec![2]);
        let path = s.write("grow.npy", &header.emit(None).unwrap().bytes);
        // SAFETY: the test's own file, in its own temporary directory, only appended
        // to (and its header rewritten) while it is mapped.
        let mut file = unsafe { NpyFile::map(&path) }.unwrap();
        assert_eq!(file.layout().rows(), 0);
        assert!(file.bytes().is_empty());
        let mut w = OpenOptions::new().append(true).open(&path).unwrap();
        let all = le_bytes_u32(0..10);
        w.write_all(&all[..13]).unwrap(); // a row and 5 bytes
        assert_eq!(file.refresh().unwrap(), 1);
        assert_eq!(file.layout().trailing_bytes(), 5);
        assert_eq!(file.view().as_slice::<u32>().unwrap(), [0, 1]);
        assert_eq!(file.refresh().unwrap(), 0);
        w.write_all(&all[13..]).unwrap();
        assert_eq!(file.refresh().unwrap(), 4);
        let shape = if fortran { [2, 5] } else { [5, 2] };
        assert_eq!(file.layout().shape(), shape);
        assert_eq!(
            file.view().as_slice::<u32>().unwrap(),
            (0..10).collect::<Vec<_>>()
        );
        assert!(!file.layout().has_partial_row());
        // A stream of the same bytes agrees.
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(NpyBuffer::read(&bytes[..]).unwrap().layout(), file.layout());
    }
}

/// A 1.0–3.0 file grows by rows appended and then its header rewritten (`A-4`).
#[test]
fn refresh_rewritten_header() {
    let s = Scratch::new();
    for version in [Version::V1_0, Version::V2_0, Version::V3_0] {
        let u4 = scalar(Kind::UInt, ByteOrder::Little, 4);
        let header = Header::new(u4.clone(), false, vec![1, 3]);
        let path = s.write(
            "append.npy",
            &file_bytes(&header, Some(version), &le_bytes_u32(0..3)),
        );
        // SAFETY: the test's own file, in its own temporary directory, only appended
        // to (and its header rewritten) while it is mapped.
        let mut file = unsafe { NpyFile::map(&path) }.unwrap();
        let total = file.layout().data_offset();
        let mut w = OpenOptions::new().write(true).open(&path).unwrap();
        // Data first: the reader still sees the header's one row, plus trailing bytes.
        w.seek(SeekFrom::End(0)).unwrap();
        w.write_all(&le_bytes_u32(3..9)).unwrap();
        assert_eq!(file.refresh().unwrap(), 0);
        assert_eq!(file.layout().trailing_bytes(), 24);
        // Then the header: now it counts the rows.
        let new = Header::new(u4, false, vec![3, 3])
            .emit_in_place(version, total)
            .unwrap();
        w.seek(SeekFrom::Start(0)).unwrap();
        w.write_all(&new).unwrap();
        assert_eq!(file.refresh().unwrap(), 2);
        assert_eq!(file.layout().shape(), [3, 3]);
        assert_eq!(
            file.view().as_slice::<u32>().unwrap(),
            (0..9).collect::<Vec<_>>()
        );
        assert_eq!(file.layout().version(), version);
    }
}
