// What the JavaScript adapters share: the adapter protocol of conformance/README.md.
//
// `node ADAPTER.mjs FILE` prints one JSON line {version, descr, fortran_order, shape,
// data_sha256[, warnings]} and exits 0 when the library reads FILE, or prints the
// library's error on stderr and exits 1 when it refuses it.
//
// The libraries return decoded values (numbers, booleans, strings), not the file's
// bytes. The adapters encode what the library returned in the layout of the descr they
// report, never read the data from the file themselves: a library that misreads a value
// then gives another hash. Every item the library returned is hashed; nothing is cut
// to the shape (a library that returns items past the shape returns wrong values).

import { createHash } from "node:crypto";
import { openSync, readSync, closeSync, readFileSync } from "node:fs";

/** The file's bytes as an ArrayBuffer of its own (what the libraries take). */
export function readArrayBuffer(path) {
  const b = readFileSync(path);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
}

/** Bytes 6 and 7 of the file as "major.minor": neither library reports the version it
 * read, so the adapters take it from the file once the library has accepted it. */
export function versionBytes(path) {
  const fd = openSync(path, "r");
  try {
    const b = Buffer.alloc(8);
    readSync(fd, b, 0, 8, 0);
    return `${b[6]}.${b[7]}`;
  } finally {
    closeSync(fd);
  }
}

/** IEEE binary16 bits of a number, rounded to nearest even (NaN stays NaN). */
export function float16Bits(x) {
  const f32 = new Float32Array([x]);
  const u = new Uint32Array(f32.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && (half & 1))) half += 1;
    return sign | half;
  }
  let half = sign | (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1))) half += 1;
  return half;
}

/** The bytes of one string item of a U descr: UTF-32 code points (not UTF-16 code
 * units), in the given order, NUL-padded to `size` characters. */
function ucs4(s, size, little) {
  const points = [...s].map((c) => c.codePointAt(0));
  while (points.length < size) points.push(0);
  const out = Buffer.alloc(points.length * 4);
  points.forEach((p, i) => (little ? out.writeUInt32LE(p, i * 4) : out.writeUInt32BE(p, i * 4)));
  return out;
}

/** SHA-256 of the values a library returned, encoded as `descr` lays them out:
 * typed arrays as the bytes they hold (the machine's order, little-endian here), float16
 * values given as other floats re-encoded as binary16, booleans as one byte 0 or 1,
 * strings as UCS-4 code points padded with NULs to the U type's size. */
export function hashValues(values, descr) {
  const h = createHash("sha256");
  const code = String(descr).replace(/^[<>|=]/, "");
  const little = !String(descr).startsWith(">");
  if (Array.isArray(values) && values.every((v) => typeof v === "string")) {
    // The item size comes from the descr; a descr that is not a U type gives none
    // (the descr is then wrong, and the hash tells whether the strings are).
    const size = /^U([0-9]+)$/.test(code) ? parseInt(code.slice(1), 10) : 0;
    for (const s of values) h.update(ucs4(s, size, little));
  } else if (Array.isArray(values)) {
    h.update(Buffer.from(values.map((v) => (v ? 1 : 0))));
  } else if (code === "f2" && !(values instanceof Uint16Array)) {
    const bits = Uint16Array.from(values, float16Bits);
    h.update(Buffer.from(bits.buffer, bits.byteOffset, bits.byteLength));
  } else if (ArrayBuffer.isView(values)) {
    h.update(Buffer.from(values.buffer, values.byteOffset, values.byteLength));
  } else {
    throw new Error(`the adapter cannot hash ${typeof values} values`);
  }
  return h.digest("hex");
}

/** Runs `describe(path)` on the one argument and speaks the protocol: a thrown error
 * is the library's refusal. */
export async function main(describe) {
  const args = process.argv.slice(2);
  if (args.length !== 1) {
    console.error("usage: node ADAPTER FILE");
    process.exit(2);
  }
  let line;
  try {
    line = JSON.stringify(await describe(args[0]));
  } catch (e) {
    process.stderr.write(`${e && e.name ? e.name + ": " : ""}${e && e.message !== undefined ? e.message : e}\n`);
    process.exit(1);
  }
  process.stdout.write(line + "\n");
}
