// Conformance adapter for numpy-parser 1.2.3: `node numpy_parser_adapter.mjs FILE`.
//
// numpy-parser's fromArrayBuffer(ArrayBuffer) returns {data, shape}: data is a typed
// array, and its constructor is all it says about the type, so the adapter reports the
// descr of that typed array (little-endian, as JavaScript decodes). It refuses
// Fortran-order files and returns arrays in their logical order: fortran_order is null
// (the protocol then compares the data in C order). It reports a misaligned header with
// console.warn: the adapter collects those as the reader's warnings. No header-length
// limit (NPY_MAX_HEADER_LEN is ignored).

import parser from "numpy-parser";
import { hashValues, main, readArrayBuffer, versionBytes } from "./protocol.mjs";

const DESCR = new Map([
  [Uint8Array, "|u1"],
  [Int8Array, "|i1"],
  [Uint16Array, "<u2"],
  [Int16Array, "<i2"],
  [Uint32Array, "<u4"],
  [Int32Array, "<i4"],
  [Float32Array, "<f4"],
  [Float64Array, "<f8"],
]);

main((path) => {
  const warnings = [];
  const warn = console.warn;
  console.warn = (...args) => warnings.push(args.join(" "));
  let arr;
  try {
    arr = parser.fromArrayBuffer(readArrayBuffer(path));
  } finally {
    console.warn = warn;
  }
  const descr = DESCR.get(arr.data.constructor);
  if (descr === undefined) throw new Error(`unexpected data type ${arr.data.constructor.name}`);
  return {
    version: versionBytes(path),
    descr,
    fortran_order: null,
    shape: arr.shape,
    data_sha256: hashValues(arr.data, descr),
    warnings,
  };
});
