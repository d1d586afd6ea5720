// Conformance adapter for npyjs 1.2.0: `node npyjs_adapter.mjs FILE`.
//
// npyjs's parse(ArrayBuffer) returns {data, shape, dtype, fortranOrder}: data is a
// typed array, an array of booleans (b1) or of strings (U); dtype is the descr
// without its byte-order character, so the adapter reports the order JavaScript's
// typed arrays decode in (little-endian; `|` for one-byte types). npyjs has no
// header-length limit (NPY_MAX_HEADER_LEN is ignored) and reports no warnings.

import { parse } from "npyjs";
import { hashValues, main, readArrayBuffer, versionBytes } from "./protocol.mjs";

function descrOf(dtype) {
  if (dtype === "b1" || /^[iu]1$/.test(dtype)) return "|" + dtype;
  return "<" + dtype;
}

main((path) => {
  const arr = parse(readArrayBuffer(path));
  const descr = descrOf(arr.dtype);
  return {
    version: versionBytes(path),
    descr,
    fortran_order: arr.fortranOrder,
    shape: arr.shape,
    data_sha256: hashValues(arr.data, descr),
  };
});
