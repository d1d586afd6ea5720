//! Every error, word for word, from the mapped reader, the file reader and the
//! streaming reader.

use std::fs::OpenOptions;

use npy_header::{ByteOrder, Header, HeaderParser, Kind, Version};
use npy_mmap::{ErrorKind, Loader, NpyBuffer, NpyFile};

use crate::common::{file_bytes, read_every_way, scalar, v1_with_padding, Scratch};

fn f8_header(shape: Vec<u64>) -> Header {
    Header::new(scalar(Kind::Float, ByteOrder::Little, 8), false, shape)
}

#[test]
fn data_shorter_than_the_header_says() {
    for version in [Version::V1_0, Version::V2_0, Version::V3_0] {
        let bytes = file_bytes(&f8_header(vec![4, 4]), Some(version), &[0; 96]);
        let err = read_every_way(&bytes).unwrap_err();
        assert_eq!(
            err.kind(),
            &ErrorKind::DataTooShort {
                needed: 128,
                available: 96
            }
        );
        assert_eq!(err.kind().name(), "data_length");
        assert_eq!(err.offset(), None);
        assert_eq!(
            err.message(),
            "file holds 96 bytes of data but the header's shape needs 128: it was truncated or an append was interrupted (recover the file to keep its whole rows)"
        );
        let path = err.path().unwrap().display().to_string();
        assert_eq!(err.to_string(), format!("{path}: {}", err.message()));
    }
    // One byte short is short; the exact length and more are fine.
    let header = f8_header(vec![2]);
    let err = read_every_way(&file_bytes(&header, None, &[0; 15])).unwrap_err();
    assert_eq!(
        err.message(),
        "file holds 15 bytes of data but the header's shape needs 16: it was truncated or an append was interrupted (recover the file to keep its whole rows)"
    );
    assert!(read_every_way(&file_bytes(&header, None, &[0; 16])).is_ok());
    let extra = read_every_way(&file_bytes(&header, None, &[0; 19])).unwrap();
    assert_eq!(extra.layout().trailing_bytes(), 3);
    assert_eq!(extra.bytes().len(), 16);
}

/// A header that claims a terabyte over 100 bytes of data is refused by each reader
/// having cost what the file holds: the file reader checks the claim against the
/// file's size before it sizes anything, the stream grows with what arrives.
#[test]
fn a_huge_claim_is_refused_before_memory_is_sized_from_it() {
    let bytes = file_bytes(&f8_header(vec![1 << 37]), None, &[0; 100]);
    let err = read_every_way(&bytes).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::DataTooShort {
            needed: 1 << 40,
            available: 100
        }
    );
}

#[test]
fn truncated_header() {
    let full = file_bytes(&f8_header(vec![3]), None, &[0; 24]);
    let err = read_every_way(&full[..40]).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::Header(npy_header::ErrorKind::Truncated {
            needed: 128,
            available: 40
        })
    );
    assert_eq!(err.kind().name(), "truncated");
    assert_eq!(err.offset(), Some(40));
    assert_eq!(
        err.message(),
        "file ends after 40 bytes, inside the header (which needs 128)"
    );
    let path = err.path().unwrap().display().to_string();
    assert_eq!(
        err.to_string(),
        format!(
            "{path}: at byte 40: file ends after 40 bytes, inside the header (which needs 128)"
        )
    );
    assert!(err.header_error().is_some());

    let err = read_every_way(&full[..9]).unwrap_err();
    assert_eq!(
        err.message(),
        "file ends after 9 bytes, inside the header length field (which needs 10)"
    );
    let err = read_every_way(&[]).unwrap_err();
    assert_eq!(
        err.message(),
        "file ends after 0 bytes, inside the magic string and version (which needs 8)"
    );
}

#[test]
fn bad_magic() {
    let err = read_every_way(b"\x93NUMPZ\x01\x00v\x00{}").unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::Header(npy_header::ErrorKind::BadMagic)
    );
    assert_eq!(err.kind().name(), "bad_magic");
    assert_eq!(err.offset(), Some(5));
    assert_eq!(
        err.message(),
        "not a .npy file: it does not start with the magic string \\x93NUMPY"
    );
    let err = NpyBuffer::read(&b"PK\x03\x04"[..]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "at byte 0: not a .npy file: it does not start with the magic string \\x93NUMPY"
    );
}

#[test]
fn header_limit_is_checked_before_reading_the_header() {
    let mut bytes = b"\x93NUMPY\x02\x00".to_vec();
    bytes.extend_from_slice(&u32::MAX.to_le_bytes());
    let err = read_every_way(&bytes).unwrap_err();
    assert_eq!(
        err.message(),
        "header length 4294967295 exceeds the limit of 10000 bytes (raise it if you trust this file)"
    );
    // Raised, the length field still sizes nothing: the file just ends.
    let loader = Loader::with_parser(HeaderParser::new().max_header_len(u64::from(u32::MAX)));
    let err = loader.read(&bytes[..]).unwrap_err();
    assert_eq!(
        err.message(),
        "file ends after 12 bytes, inside the header (which needs 4294967307)"
    );
}

#[test]
fn io_errors_carry_the_path() {
    // SAFETY: there is no file to map.
    let err = unsafe { NpyFile::map("/nonexistent/dir/x.npy") }.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Io);
    assert_eq!(err.kind().name(), "io");
    assert_eq!(err.message(), "No such file or directory (os error 2)");
    assert_eq!(
        err.to_string(),
        "/nonexistent/dir/x.npy: No such file or directory (os error 2)"
    );
    assert_eq!(err.io_error().unwrap().kind(), std::io::ErrorKind::NotFound);
    let from_file = NpyBuffer::read_file("/nonexistent/dir/x.npy").unwrap_err();
    assert_eq!(from_file.to_string(), err.to_string());
}

#[test]
fn object_arrays_are_refused() {
    let header = Header::new(
        scalar(Kind::Object, ByteOrder::NotApplicable, 8),
        false,
        vec![2],
    );
    let err = read_every_way(&file_bytes(&header, None, b"\x80\x04pickle")).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::ObjectDtype);
    assert_eq!(
        err.message(),
        "the dtype holds Python objects: the data is a pickle, which this reader never loads (unpickling runs code from the file)"
    );
}

#[test]
fn typed_view_errors() {
    let data: Vec<u8> = (0..16).collect();
    let big = Header::new(scalar(Kind::Float, ByteOrder::Big, 8), false, vec![2]);
    let file = read_every_way(&file_bytes(&big, None, &data)).unwrap();
    let view = file.view();
    let err = view.as_slice::<f32>().unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::TypeMismatch);
    assert_eq!(
        err.to_string(),
        "cannot read '>f8' data (float64 big-endian) as f32: ask for the type its dtype names"
    );
    assert_eq!(
        view.to_vec::<i64>().unwrap_err().to_string(),
        "cannot read '>f8' data (float64 big-endian) as i64: ask for the type its dtype names"
    );
    if cfg!(target_endian = "little") {
        let err = view.as_slice::<f64>().unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::ByteOrder);
        assert_eq!(
            err.to_string(),
            "cannot view big-endian '>f8' data as &[f64] on this little-endian machine (to_vec() copies it and swaps the bytes)"
        );
    }
    let expected: Vec<f64> = data
        .chunks(8)
        .map(|c| f64::from_be_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(view.to_vec::<f64>().unwrap(), expected);

    // Data at offset 131, which NumPy never writes: unaligned for anything wider than 1.
    let dict = "{'descr': '<u4', 'fortran_order': False, 'shape': (4,), }";
    let bytes = v1_with_padding(dict, 131 - 10 - dict.len() - 1, &data);
    let file = read_every_way(&bytes).unwrap();
    assert_eq!(file.layout().data_offset(), 131);
    let err = file.view().as_slice::<u32>().unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Unaligned { align: 4 });
    assert_eq!(err.offset(), Some(131));
    assert_eq!(
        err.message(),
        "cannot view the data at file offset 131 as &[u32]: the offset is not a multiple of 4, the type's alignment (to_vec() copies it instead)"
    );
    assert_eq!(
        file.view().to_vec::<u32>().unwrap(),
        [0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c]
    );
}

#[test]
fn structured_and_row_errors() {
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../conformance/samples/structured_padded.npy"
    );
    let file = NpyBuffer::read_file(sample).unwrap();
    let view = file.view();
    let err = view.field("d").unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NoSuchField);
    assert_eq!(
        err.message(),
        "no field \"d\": the fields are \"a\", \"b\", \"c\""
    );
    let err = view.field("a").unwrap().field("x").unwrap_err();
    assert_eq!(
        err.message(),
        "no field \"x\": the dtype '<i4' is not structured"
    );
    assert_eq!(
        view.as_slice::<u8>().unwrap_err().message(),
        "cannot read structured data as u8: look up a field with field()"
    );
    let err = view.slice_rows(2..4).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::OutOfBounds);
    assert_eq!(err.message(), "rows 2..4 are outside the array's 3 rows");
    #[allow(clippy::reversed_empty_ranges)]
    let reversed = view.slice_rows(2..1).unwrap_err();
    assert_eq!(
        reversed.message(),
        "rows 2..1 are outside the array's 3 rows"
    );

    let scalar_file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../conformance/samples/scalar_0d.npy"
    );
    let file = NpyBuffer::read_file(scalar_file).unwrap();
    assert_eq!(
        file.view().slice_rows(0..1).unwrap_err().message(),
        "a 0-d array has no rows (bytes() gives its one item)"
    );
}

#[test]
fn refresh_refuses_a_file_that_shrank() {
    let s = Scratch::new();
    let header = Header::open_ended(scalar(Kind::UInt, ByteOrder::Little, 2), false, vec![2]);
    let path = s.write("shrink.npy", &file_bytes(&header, None, &[7; 12]));
    // SAFETY: the test truncates the mapped data below, breaking the contract on
    // purpose to see `refresh` refuse; it holds no slice of the map then or after, and
    // the map (bytes 128..140) stays within the file's first page, which stays backed
    // while the file is not empty, so no access can fault.
    let mut file = unsafe { NpyFile::map(&path) }.unwrap();
    assert_eq!(file.layout().rows(), 3);
    // Cutting the partial row of a later append is fine; cutting mapped rows is not.
    OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(128 + 10)
        .unwrap();
    let err = file.refresh().unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::Shrunk {
            mapped: 140,
            now: 138
        }
    );
    assert_eq!(
        err.to_string(),
        format!("{}: the file shrank to 138 bytes, below the 140 bytes already mapped: another program truncated it (drop this reader and open the file again)", path.display())
    );
    // Nothing changed.
    assert_eq!(file.layout().rows(), 3);
    assert_eq!(file.file_len(), 140);
}

#[test]
fn refresh_refuses_a_rewritten_header() {
    let s = Scratch::new();
    let i4 = scalar(Kind::Int, ByteOrder::Little, 4);
    let header = Header::new(i4.clone(), false, vec![2, 3]);
    let path = s.write(
        "rewritten.npy",
        &file_bytes(&header, Some(Version::V1_0), &[0; 24]),
    );
    // SAFETY: the test rewrites the file under the map on purpose, as other programs
    // might, to see `refresh` refuse what it finds. It holds no slice of the map while
    // it does; the data is zero bytes before and after; and the map (bytes 128..152)
    // lies within the file's first page, which stays backed while the file is not
    // empty, so no access can fault.
    let mut file = unsafe { NpyFile::map(&path) }.unwrap();

    let rewrite = |h: &Header| {
        let bytes = h.emit_in_place(Version::V1_0, 128).unwrap();
        let mut all = std::fs::read(&path).unwrap();
        all[..128].copy_from_slice(&bytes);
        std::fs::write(&path, all).unwrap();
    };
    let cases = [
        (
            Header::new(i4.clone(), false, vec![2, 4]),
            "the header now describes '<i4' C order, shape (2, 4); it was '<i4' C order, shape (2, 3): the file was rewritten, not appended to (open it again)",
        ),
        (
            Header::new(scalar(Kind::UInt, ByteOrder::Little, 4), false, vec![2, 3]),
            "the header now describes '<u4' C order, shape (2, 3); it was '<i4' C order, shape (2, 3): the file was rewritten, not appended to (open it again)",
        ),
        (
            Header::new(i4.clone(), true, vec![2, 3]),
            "the header now describes '<i4' Fortran order, shape (2, 3); it was '<i4' C order, shape (2, 3): the file was rewritten, not appended to (open it again)",
        ),
        (
            Header::new(i4.clone(), false, vec![1, 3]),
            "the header now counts 1 rows, fewer than the 2 already mapped: the file was rewritten, not appended to (open it again)",
        ),
    ];
    for (h, message) in cases {
        rewrite(&h);
        let err = file.refresh().unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::HeaderChanged, "{message}");
        assert_eq!(err.message(), message);
        assert_eq!(file.layout().shape(), [2, 3]);
    }
    // A header of another length moves the data: refused before anything else.
    let mut v2 = Header::new(i4.clone(), false, vec![2, 3])
        .emit(Some(Version::V2_0))
        .unwrap()
        .bytes;
    v2.extend_from_slice(&[0; 24]);
    std::fs::write(&path, v2).unwrap();
    assert_eq!(
        file.refresh().unwrap_err().message(),
        "the header is now format 2.0 with 116 bytes, was 1.0 with 118: the file was rewritten, not appended to (open it again)"
    );
    // Growth whose data is not there yet (a reader racing a writer that broke `A-4`).
    rewrite(&Header::new(i4.clone(), false, vec![2, 3]));
    let mut grown = std::fs::read(&path).unwrap();
    grown.truncate(128 + 24);
    grown[..128].copy_from_slice(
        &Header::new(i4, false, vec![3, 3])
            .emit_in_place(Version::V1_0, 128)
            .unwrap(),
    );
    std::fs::write(&path, grown).unwrap();
    let err = file.refresh().unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::DataTooShort {
            needed: 36,
            available: 24
        }
    );
    assert_eq!(file.layout().shape(), [2, 3]);
}
