/**
 * Records inside a sector: encoding (for the writer) and a cursor that decodes them from flash
 * in chunks (for mount, scan, markDelivered and inspect). Byte layout: docs/flash-format.md.
 */
import type { FlashPort } from "../hal.ts";
import type { DatastreamType, ReadingValue } from "../types.ts";
import { putVarint, roundFloat32, utf8Decode, utf8Encode } from "../codec/value.ts";
import {
  K_BOOL,
  K_ENUM,
  K_F32,
  K_F64,
  K_INT,
  K_META,
  K_STR,
  M_ANCHOR,
  M_ANCHOR_COARSE,
  M_BOOT,
  M_COUNT,
  RECORDS_START,
  S_BOOT,
  S_DD,
  S_EPOCH,
  S_REPEAT,
  SLOT_EXPLICIT,
  SLOTS,
  FORMAT_V1,
  NIBBLE_ZEROS,
  type ZeroBits,
  blank,
  checkByte,
  recordLimit,
} from "./format.ts";

/** Stamp domain of an epoch stamp; a boot-relative stamp's domain is its boot id. */
export const EPOCH = -1;
/** Domain of a slot that has no stamp yet in this sector. */
const NONE = -2;
/**
 * Bytes read per flash access while decoding: a cursor holds its window for as long as it lives
 * (256 B was about 22 JsVars, 64 B is about 6; every phase of a flush holds a cursor), and a
 * read costs about 13 µs on the Linux build, so the extra reads of a smaller window cost about
 * 3 ms per 1,000 readings (docs/memory.md, twelfth round).
 */
const WINDOW = 64;
/** Longest non-string record, and the string record's fixed part. */
export const MAX_FIXED_RECORD = 32;
/**
 * Reason index of an M_COUNT "rotation mark": "erasing the sector after this one drops n
 * undelivered readings" (docs/flash-format.md). Decoders of the first format ignore unknown
 * reasons, so the mark is invisible to them.
 */
export const ROTATION_MARK = 255;
/** Bytes every sector keeps free for one rotation mark: tag, check, reason, varint n (n < 2^16: 3 B). */
export const ROTATION_RESERVE = 6;

/**
 * Per-sector pin dictionary and stamp predictor (at most SLOTS pins). The writer and every
 * reader of a sector evolve an identical table record by record, through {@link apply}. Its
 * four arrays are interleaved in one Float64Array `f` (slot i's stamp domain at `f[4 * i]`, last
 * stamp at `f[4 * i + 1]`, last delta at `f[4 * i + 2]`, pin at `f[4 * i + 3]`): a view of each
 * costs JsVars of its own, about 8 per table on the Linux build, for the store's table at rest
 * and for every open cursor's (docs/memory.md).
 */
export class PinTable {
  /** The slots in use; `n = 0` empties the table. */
  n = 0;
  /**
   * Four numbers a slot, at 4 * slot: the stamp's domain (NONE, EPOCH or a boot id), its ms, the
   * last delta and the pin. Grown a slot at a time: a sector's table holds one or two pins for
   * most boards, and the seven slots' 224 bytes were about 14 JsVars in every table alive (the
   * store's, and each cursor's during a flush: docs/memory.md).
   */
  f = new Float64Array(4);

  /** Slot that `pin` gets in its record: an existing one, a new one (-2 - slot), or -1 (none free). */
  plan(pin: number): number {
    "ram";
    const n = this.n;
    for (let i = 0; i < n; i++) if (this.f[4 * i + 3] === pin) return i;
    return n < SLOTS ? -2 - n : -1;
  }

  /** Records that `pin` was stamped (dom, ms) with an absolute (`abs`) or relative stamp. */
  apply(pin: number, dom: number, ms: number, abs: boolean): void {
    let f = this.f;
    let s = this.plan(pin);
    if (s < 0) {
      if (s === -1) return;
      s = this.n++;
      if (f.length < 4 * s + 4) {
        const g = new Float64Array(4 * s + 4);
        g.set(f);
        this.f = f = g;
      }
      f[4 * s + 3] = pin;
      f[4 * s] = NONE;
    }
    f[4 * s + 2] = abs ? 0 : ms - f[4 * s + 1];
    f[4 * s] = dom;
    f[4 * s + 1] = ms;
  }
}

/**
 * Encodes a reading record into `b` at `o0` against the sector's table (which it does not
 * change): the append hot path. Espruino lexes every token of a function it runs, taken or
 * not, so the steady state (a pin with a slot and a stamp in the same domain, a float32 value)
 * is written here and the rest in putAbsolute / putValue. Positional arguments rather than an
 * options object on purpose: that object would be one more allocation per append.
 * @param dv a DataView over `b`'s buffer, `b` starting at its byte 0.
 * @param p the pin's slot plan, {@link PinTable.plan}.
 * @param kind K_* of the value's storage form.
 * @param dom EPOCH or the boot id of a boot-relative stamp; `ms` the epoch or uptime ms.
 * @param zeros counts 0 bits (Hal.zeroBits).
 * @returns the offset after the record. `b` must have room (MAX_FIXED_RECORD bytes for every
 *   kind but strings) and hold 0xFF at `o0 + 1`, the check byte's place.
 */
export function encodeReadingAt(
  b: Uint8Array,
  dv: DataView,
  o0: number,
  table: PinTable,
  p: number,
  pin: number,
  kind: number,
  dom: number,
  ms: number,
  value: ReadingValue,
  zeros: ZeroBits,
): number {
  "ram";
  let o = o0 + 2;
  const f = table.f;
  if (p >= 0 && f[4 * p] === dom) {
    const dd = ms - f[4 * p + 1] - f[4 * p + 2];
    if (dd === 0) b[o0] = (kind << 5) | (S_REPEAT << 3) | p;
    else {
      b[o0] = (kind << 5) | (S_DD << 3) | p;
      const z = dd >= 0 ? 2 * dd : -2 * dd - 1;
      if (z < 128) b[o++] = z;
      else o = putVarint(b, o, z);
    }
  } else o = putAbsolute(b, o0, p, pin, kind, dom, ms);
  if (kind === K_F32) {
    dv.setFloat32(o, value as number, true);
    o += 4;
  } else o = putValue(b, dv, o, kind, value);
  if (kind === K_STR) return putCheck(b, o0, o, true, zeros);
  // putCheck inline (one call less on the hot path): a fixed-size record has at most 31 bytes
  // that can hold 0 bits, so its count is below the cap.
  b[o0 + 1] = zeros(b.subarray(o0, o));
  return o;
}

/**
 * Completes a format-2 record in b[o0, o): its zero-bit count goes into byte o0 + 1 (which holds
 * 0xFF until then, so it adds no 0 bit), capped at 255; a string record also gets the whole
 * count as a u16 after it.
 * @returns the offset after the record.
 */
function putCheck(b: Uint8Array, o0: number, o: number, long: boolean, zeros: ZeroBits): number {
  const z = zeros(b.subarray(o0, o));
  b[o0 + 1] = z > 255 ? 255 : z;
  if (!long) return o;
  // The u16 inline: putU16 stays out of the bundle (the parts that write headers and seals have it).
  b[o] = z & 255;
  b[o + 1] = z >> 8;
  return o + 2;
}

/** Tag, pin byte (no slot) and absolute stamp of a reading at `o0`; returns the offset after them. */
function putAbsolute(b: Uint8Array, o0: number, p: number, pin: number, kind: number, dom: number, ms: number): number {
  let o = o0 + 2;
  let tag = kind << 5;
  if (p >= 0) tag |= p;
  else {
    tag |= SLOT_EXPLICIT;
    b[o++] = pin;
  }
  if (dom === EPOCH) {
    b[o0] = tag | (S_EPOCH << 3);
    // u48, little-endian
    for (let i = 0; i < 6; i++) {
      b[o++] = ms % 256;
      ms = Math.floor(ms / 256);
    }
    return o;
  }
  b[o0] = tag | (S_BOOT << 3);
  o = putVarint(b, o, dom);
  return putVarint(b, o, ms);
}

/** Value bytes of every kind but float32; returns the offset after them. */
function putValue(b: Uint8Array, dv: DataView, o: number, kind: number, value: ReadingValue): number {
  if (kind === K_INT || kind === K_ENUM) {
    // zigzag inline: one function fewer resident, one call fewer per integer reading.
    const v = value as number;
    return putVarint(b, o, v >= 0 ? 2 * v : -2 * v - 1);
  }
  if (kind === K_F64) {
    dv.setFloat64(o, value as number, true);
    return o + 8;
  }
  if (kind === K_BOOL) {
    b[o] = value ? 1 : 0;
    return o + 1;
  }
  if (kind === K_STR) {
    o = putVarint(b, o, utf8Encode(value as string));
    return o + utf8Encode(value as string, b, o);
  }
  const loc = value as number[];
  dv.setInt32(o, Math.round(loc[0] * 1e7), true);
  dv.setInt32(o + 4, Math.round(loc[1] * 1e7), true);
  return o + 8;
}

/**
 * Encodes a reading record against the sector's table (which it does not change).
 * @param kind K_* of the value's storage form.
 * @param dom EPOCH or the boot id of a boot-relative stamp; `ms` the epoch or uptime ms.
 * @returns the record bytes, check byte included.
 */
export function encodeReading(
  table: PinTable,
  pin: number,
  kind: number,
  dom: number,
  ms: number,
  value: ReadingValue,
  zeros: ZeroBits,
): Uint8Array {
  // Room for the longest record of its kind (a string's UTF-8 takes at most 3 bytes per UTF-16
  // unit), cut to the record: no size function beside the encoder, which would be one more
  // function resident in the bundle (docs/memory.md).
  const b = blank(MAX_FIXED_RECORD + (kind === K_STR ? 3 * (value as string).length : 0));
  return b.slice(0, encodeReadingAt(b, new DataView(b.buffer), 0, table, table.plan(pin), pin, kind, dom, ms, value, zeros));
}

/** Encodes a meta record: boot (a = boot id), anchor (a, b = uptime, c = epoch; coarse or not) or count (a = reason, b = n). */
export function encodeMeta(sub: number, a: number, b: number, c: number, zeros: ZeroBits): Uint8Array {
  const buf = blank(MAX_FIXED_RECORD);
  buf[0] = (K_META << 5) | sub;
  let o = 2;
  if (sub === M_BOOT) o = putVarint(buf, o, a);
  else if (sub === M_ANCHOR || sub === M_ANCHOR_COARSE) {
    o = putVarint(buf, o, a);
    o = putVarint(buf, o, b);
    const dv = new DataView(buf.buffer);
    dv.setUint32(o, c % 4294967296, true);
    dv.setUint16(o + 4, Math.floor(c / 4294967296), true);
    o += 6;
  } else {
    buf[o++] = a;
    o = putVarint(buf, o, b);
  }
  return buf.slice(0, putCheck(buf, 0, o, false, zeros));
}

/**
 * The same meta record in format 1 (check byte last: the low byte of the CRC-32), for a
 * rotation mark written into a sector of earlier firmware.
 */
export function metaV1(rec: Uint8Array, crc32: (d: Uint8Array) => number): Uint8Array {
  const out = new Uint8Array(rec.length);
  out[0] = rec[0];
  out.set(rec.subarray(2), 1);
  out[rec.length - 1] = checkByte(crc32(out.subarray(0, rec.length - 1)));
  return out;
}

export const R_END = 0;
export const R_READING = 1;
export const R_META = 2;
export const R_BAD = 3;

/** What a {@link SectorCursor} reads through: a Store has these fields. */
export interface CursorSource {
  readonly flash: FlashPort;
  readonly crc: (d: Uint8Array) => number;
  readonly zeros: ZeroBits;
  readonly sectorBytes: number;
  /**
   * A DataView whose first 8 bytes the cursor may use as scratch: the store's, over its append
   * scratch (wbuf), which every append resets before it encodes (a DataView of the read part's
   * own held about 10 JsVars while a flush reads).
   */
  readonly wdv: DataView;
}

/**
 * Decodes the records of one sector in order, reading flash WINDOW bytes at a time. After
 * {@link next} returns R_READING the fields pin/dom/ms/value/type/index describe it; after
 * R_META, sub/a/b/c. The cursor stops for good at R_END or R_BAD.
 */
export class SectorCursor {
  readonly table = new PinTable();
  /** Offset of the next record; after R_END / R_BAD, where writing could continue. */
  off = RECORDS_START;
  /** Readings decoded so far. */
  count = 0;
  /** Offset of the current record. */
  at = 0;
  len = 0;
  index = 0;
  kind = 0;
  pin = 0;
  dom = 0;
  ms = 0;
  value: ReadingValue = 0;
  type: DatastreamType = "integer";
  sub = 0;
  a = 0;
  b = 0;
  c = 0;
  private win: Uint8Array = new Uint8Array(0);
  private wOff = 0;
  private done = false;
  private p = 0;

  constructor(
    /**
     * The store (or what a test gives in its place): its flash, CRC, zero-bit count and sector
     * size, read through one field rather than copied into four (a field is a JsVar or two while
     * a flush streams).
     */
    private readonly src: CursorSource,
    private readonly addr: number,
    /** Record area end when the sector is sealed (else the area is bounded by the reading count). */
    private readonly sealLimit: number,
    /** The sector's format: FORMAT_V1 (CRC check byte last) or 2 (zero-bit count after the tag). */
    private readonly version: number,
  ) {}

  private ensure(off: number, n: number): void {
    if (off >= this.wOff && off + n <= this.wOff + this.win.length) return;
    const len = Math.min(this.src.sectorBytes - off, n > WINDOW ? n : WINDOW);
    this.wOff = off;
    this.win = this.src.flash.read(len, this.addr + off);
  }

  /** Next byte of the current record, or -1 past the window (the record runs off the sector). */
  private byte(): number {
    const i = this.p - this.wOff;
    this.p++;
    return i < this.win.length ? this.win[i] : -1;
  }

  private varint(): number {
    let v = 0;
    let m = 1;
    for (let i = 0; i < 8; i++) {
      const x = this.byte();
      if (x < 0) return -1;
      v += (x & 127) * m;
      if (x < 128) return v;
      m *= 128;
    }
    return -1;
  }

  /**
   * The next `n` bytes (at most 8) little-endian into the scratch (`src.wdv`), for its getters; false when the
   * record runs off the window. One method for the u48, the i32s and the floats: each method of
   * the class is about 5 JsVars while a cursor's part is loaded (docs/memory.md, session 19).
   */
  private fixed(n: number): boolean {
    const f = this.src.wdv;
    for (let i = 0; i < n; i++) {
      const x = this.byte();
      if (x < 0) return false;
      f.setUint8(i, x);
    }
    return true;
  }

  /** Decodes the next record: R_READING, R_META, R_END (free space or area end) or R_BAD. */
  next(): number {
    if (this.done) return R_END;
    const off = this.off;
    // `this.src.…` at each use, not locals: two more locals in this frame measured 2 JsVars more
    // at a flush's peak (docs/memory.md, session 19).
    const lim = this.sealLimit > 0 ? this.sealLimit : recordLimit(this.src.sectorBytes, this.count);
    if (off >= lim) {
      this.done = true;
      return R_END;
    }
    this.ensure(off, Math.min(MAX_FIXED_RECORD, this.src.sectorBytes - off));
    this.p = off;
    // Done until the record decodes: every return below but the last is R_BAD or R_END, and a
    // cursor stays at a bad record (no method of its own for that: see fixed()).
    this.done = true;
    const tag = this.byte();
    if (tag === 255) {
      this.done = true;
      return R_END;
    }
    this.at = off;
    const v1 = this.version === FORMAT_V1;
    // Format 2: the check byte follows the tag, at a place no corruption of the tag can move.
    const check = v1 ? 0 : this.byte();
    const kind = tag >> 5;
    this.kind = kind;
    let result = R_READING;
    let slotPin = -1;
    let abs = true;
    if (kind === K_META) {
      result = R_META;
      const sub = tag & 31;
      this.sub = sub;
      if (sub === M_BOOT) {
        this.a = this.varint();
        if (this.a < 0) return R_BAD;
      } else if (sub === M_ANCHOR || sub === M_ANCHOR_COARSE) {
        this.a = this.varint();
        this.b = this.varint();
        this.c = this.fixed(6) ? this.src.wdv.getUint32(0, true) + this.src.wdv.getUint16(4, true) * 4294967296 : -1;
        if (this.a < 0 || this.b < 0 || this.c < 0) return R_BAD;
      } else if (sub === M_COUNT) {
        this.a = this.byte();
        this.b = this.varint();
        if (this.a < 0 || this.b < 0) return R_BAD;
      } else return R_BAD;
    } else {
      const mode = (tag >> 3) & 3;
      const slot = tag & 7;
      const t = this.table;
      let s = -1;
      if (slot === SLOT_EXPLICIT) {
        this.pin = this.byte();
        if (this.pin < 0) return R_BAD;
        s = t.plan(this.pin);
      } else {
        if (slot >= t.n) return R_BAD;
        s = slot;
        this.pin = t.f[4 * s + 3];
      }
      slotPin = this.pin;
      if (mode === S_REPEAT || mode === S_DD) {
        if (s < 0 || t.f[4 * s] === NONE) return R_BAD;
        let dd = 0;
        if (mode === S_DD) {
          const z = this.varint();
          if (z < 0) return R_BAD;
          // Zigzag decoded inline here and below (docs/flash-format.md): one function fewer in the read part.
          dd = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
        }
        this.dom = t.f[4 * s];
        this.ms = t.f[4 * s + 1] + t.f[4 * s + 2] + dd;
        abs = false;
      } else if (mode === S_EPOCH) {
        this.dom = EPOCH;
        this.ms = this.fixed(6) ? this.src.wdv.getUint32(0, true) + this.src.wdv.getUint16(4, true) * 4294967296 : -1;
        if (this.ms < 0) return R_BAD;
      } else {
        this.dom = this.varint();
        this.ms = this.varint();
        if (this.dom < 0 || this.ms < 0) return R_BAD;
      }
      if (this.ms < 0) return R_BAD;
      if (kind === K_INT || kind === K_ENUM) {
        const z = this.varint();
        if (z < 0 || z > 0xffffffff) return R_BAD;
        this.value = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
        // Each kind's type set here, not read from a table: a module-level table is resident.
        this.type = kind === K_INT ? "integer" : "enum";
      } else if (kind === K_F32 || kind === K_F64) {
        // roundFloat32 reuses the scratch after the read.
        if (!this.fixed(kind === K_F32 ? 4 : 8)) return R_BAD;
        const f = this.src.wdv;
        this.value = kind === K_F32 ? roundFloat32(f.getFloat32(0, true), f) : f.getFloat64(0, true);
        if (this.value !== this.value) return R_BAD;
        this.type = "double";
      } else if (kind === K_BOOL) {
        const x = this.byte();
        if (x !== 0 && x !== 1) return R_BAD;
        this.value = x === 1;
        this.type = "boolean";
      } else if (kind === K_STR) {
        const n = this.varint();
        if (n < 0 || n > 1024) return R_BAD;
        const start = this.p;
        const tail = v1 ? 1 : 2;
        if (start + n + tail > this.src.sectorBytes) return R_BAD;
        this.ensure(off, start + n + tail - off);
        this.value = utf8Decode(this.win, start - this.wOff, start - this.wOff + n);
        this.p = start + n;
        this.type = "string";
      } else {
        if (!this.fixed(8)) return R_BAD;
        this.value = [this.src.wdv.getInt32(0, true) / 1e7, this.src.wdv.getInt32(4, true) / 1e7];
        this.type = "location";
      }
    }
    const i0 = off - this.wOff;
    if (v1) {
      const c1 = this.byte();
      // checkByte (format.ts) inline: one function fewer in the read part.
      const k = this.src.crc(this.win.subarray(i0, this.p - 1 - this.wOff)) & 255;
      if (c1 < 0 || c1 !== (k === 255 ? 254 : k)) return R_BAD;
    } else {
      if (check < 0) return R_BAD;
      // The count covers the check byte's place as well: take out its own 0 bits.
      const z = this.src.zeros(this.win.subarray(i0, this.p - this.wOff)) - NIBBLE_ZEROS[check & 15] - NIBBLE_ZEROS[check >> 4];
      if (check !== (z > 255 ? 255 : z)) return R_BAD;
      if (kind === K_STR) {
        const lo = this.byte();
        const hi = this.byte();
        if (hi < 0 || lo + 256 * hi !== z) return R_BAD;
      }
    }
    const len = this.p - off;
    const end = this.sealLimit > 0 ? this.sealLimit : recordLimit(this.src.sectorBytes, this.count + (result === R_READING ? 1 : 0));
    if (off + len > end) return R_BAD;
    this.len = len;
    this.off = off + len;
    this.done = false;
    if (result === R_READING) {
      this.index = this.count++;
      this.table.apply(slotPin, this.dom, this.ms, abs);
    }
    return result;
  }
}
