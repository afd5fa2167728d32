/**
 * The store: a power-loss-safe ring of readings in raw NOR flash (format: docs/flash-format.md).
 *
 * RAM use is a few typed arrays per sector plus the head sector's pin table; nothing grows
 * with the number of readings. Every write is ordered so that a power cut at any point leaves
 * an image that {@link Store.mount} recovers (see "Power-safety ordering" in the format doc).
 */
import type { FlashPort } from "../hal.ts";
import type { Anchor, DatastreamType, Reading, ReadingValue } from "../types.ts";
import { checkValue, putVarint, F32_MAX, F32_MIN, INT32_MAX, INT32_MIN, type DatastreamSettings } from "../codec/value.ts";
import type { DropReason, FullPolicy, LogCursor, LogPos, LogRecord, ReadingStore, ScanOptions, StoreStats } from "./contract.ts";
import {
  DROP_COUNT,
  dropReasons,
  DROP_REFUSED,
  K_BOOL,
  K_ENUM,
  K_F32,
  K_F64,
  K_INT,
  K_LOC,
  K_STR,
  MAX_MS,
  POS_SPAN,
  RECORDS_START,
  blank,
  recordLimit,
  S_DD,
  S_REPEAT,
  type ZeroBits,
} from "./format.ts";
import { EPOCH, MAX_FIXED_RECORD, PinTable, ROTATION_RESERVE, encodeReadingAt } from "./record.ts";
import type { StoreAnchor, StoreBoot, StoreMaintenance } from "./maintenance.ts";
import type { StoreRead } from "./read.ts";

/** `name` of the Error append/appendAnchor throw under policy "refuse" when every sector holds undelivered readings. */
export const STORE_FULL = "StoreFullError";

/**
 * The error of a refused append: an Error named STORE_FULL, not a subclass, because on
 * Espruino 2v29 a class's `super(message)` into Error throws SyntaxError "Calling 'super'
 * outside of class" (test/conformance, errors/subclass).
 */
export function storeFullError(): Error {
  const e = new Error("store full: every sector holds undelivered readings (policy refuse)");
  e.name = STORE_FULL;
  return e;
}

/** The region the store owns: a board profile's `flash`. */
export interface StoreRegion {
  address: number;
  length: number;
  pageSize: number;
  writeAlignment: number;
  /** Rated erase cycles per page (100,000 when absent). */
  eraseCycles?: number;
}

export interface StoreOptions {
  /** The hardware boundary (its flash, crc32, zeroBits and uptime, called without `this`), or give them one by one. */
  hal?: { flash: FlashPort; crc32(data: Uint8Array): number; zeroBits(data: Uint8Array): number; uptime(): number };
  flash?: FlashPort;
  /** CRC-32 (IEEE), E.CRC32 on the device. */
  crc32?: (data: Uint8Array) => number;
  /**
   * Counts the 0 bits of bytes (the records' check); default the hal's. withMaintenance (Node)
   * gives format.ts zeroBits when neither is given: a default here would keep it resident.
   */
  zeroBits?: ZeroBits;
  /** ms since boot, for the lifetime projection. */
  uptime?: () => number;
  region: StoreRegion;
  /** Pages per sector; default: enough for 4 KB, keeping at least 4 sectors when possible. */
  sectorPages?: number;
  policy?: FullPolicy;
  /** Types of known pins; other pins get their type from the value (number -> integer or double). */
  datastreams?: { [pin: string]: DatastreamSettings };
  /** Never write (inspect): the boot id is not persisted. */
  readOnly?: boolean;
  /**
   * The store's rarely run code, asked for each time it runs and dropped after: `store`
   * (rotation, once per sector filled; anchors; erase) and `mount` (mount, reconfiguration). On
   * the device the Storage parts of those names (src/device/parts.ts: the firmware's parts object
   * itself, so the store keeps no closure of its own); in Node maintenance.ts's MAINTENANCE and
   * BOOT (createStore in maintenance.ts gives those).
   */
  code: StoreCode;
}

/** Where the store's rarely run code comes from (`StoreOptions.code`). */
export interface StoreCode {
  load(name: "store"): StoreMaintenance;
  load(name: "mount"): StoreBoot;
  load(name: "read"): StoreRead;
  load(name: "anchor"): StoreAnchor;
}

export const FREE = 0;
export const DATA = 1;
export const BAD = 2;
const DEFAULT_CYCLES = 100000;
const MS_PER_DAY = 86400000;
/** Append scratch: up to 3 bytes of alignment before the record, a fixed-size record, padding. */
const WBUF_BYTES = 3 + MAX_FIXED_RECORD + 4;
/**
 * Where the sector table starts in the Store's buffer, after the append scratch and its 0xFF
 * copy (a multiple of 8): first each sector's header sequence number, then its erase count,
 * n u32 each, read and written through the Store's DataView (`wdv`): `wdv.getUint32(SEQ_AT +
 * 4 * s)`, `wdv.getUint32(SEQ_AT + 4 * (n + s))`; then its count of readings and of pending
 * ones, the Int32Array `counts`: `counts[s]`, `counts[n + s]`. No Uint32Array or Uint16Array:
 * each typed-array class a program references costs about 8 JsVars for good (Int32Array is
 * resident anyway: the uplink's quota state is one).
 */
export const SEQ_AT = 80;
/** {@link Store.appendNumber}'s kinds of pin: a double kept as float32, an integer. */
export const HOT_F32 = 1;
export const HOT_INT = 2;

export function checkInt(v: unknown, min: number, max: number, what: string): number {
  if (typeof v !== "number" || v !== v || v % 1 !== 0 || v < min || v > max) {
    throw new Error(what + " must be an integer in " + min + ".." + max + ", got " + String(v));
  }
  return v;
}

export function checkMs(v: unknown, what: string): number {
  if (typeof v !== "number" || v !== v || v < 0 || v >= MAX_MS) {
    throw new Error(what + " must be a number of ms in 0..2^48, got " + String(v));
  }
  return Math.floor(v);
}

/**
 * The store's yes/no state: 1 or 0, not a boolean. Espruino keeps a small integer in the JsVar
 * that names the property; a boolean takes one more (measured at rest, docs/memory.md).
 */
export type Flag = 0 | 1;

/** The ring buffer of readings. Construct, then {@link mount} (or use createStore in maintenance.ts). */
export class Store implements ReadingStore {
  // The state below is the maintenance code's as well (maintenance.ts): not for other callers.
  readonly code: StoreCode;
  /** The read part spool holds while its uplink exists ({@link reader}); undefined otherwise. */
  held: StoreRead | undefined;
  readonly flash: FlashPort;
  readonly crc: (d: Uint8Array) => number;
  readonly zeros: ZeroBits;
  readonly uptime: (() => number) | undefined;
  readonly base: number;
  readonly align: number;
  readonly pageLog2: number;
  readonly sectorBytes: number;
  readonly n: number;
  /** Rated erase cycles per page; absent at the default (100,000): each property costs JsVars. */
  readonly cycles?: number;
  /** 1 under policy "refuse", 0 under "overwrite-oldest" (a number: the policy's text cost 3 JsVars). */
  refuse: Flag;
  ds!: { [pin: string]: DatastreamSettings };
  /**
   * By pin, what {@link appendNumber} stores: HOT_F32, HOT_INT, or nothing (not a hot pin). A
   * sparse array: Espruino keeps only the pins set (a Uint8Array of 256 took about 20 JsVars).
   */
  hot: number[] = [];
  readonly readOnly: Flag;

  // The sector table: one typed array per field, indexed by sector, kept on the Store itself
  // (not an object of its own: the append path reads two of them, one lookup each). Mount fills
  // it from the headers, seals, bitmaps and the head's scan; appends, delivery and rotation
  // keep it. Every array here, `drops` included, is a view of one buffer: an array of its own
  // would cost its buffer's JsVars as well (docs/memory.md).
  /** FREE, DATA or BAD. */
  sectorState: Uint8Array;
  // Each sector's header sequence number (wraps: compare with seqNewer) and erase count (a
  // sector without a header: mount's estimate, the highest seen) are u32 at SEQ_AT in the buffer.
  /**
   * Each sector's count of readings (its seal's count, or the scan's) at `s` and, of those, the
   * undelivered (bits still set in the delivered bitmap, format.ts pendingBit) at `n + s`: an
   * Int32Array view of the buffer after the u32 pairs. The append path bumps the head's two;
   * indexing costs it a fraction of a DataView call, each of which walks the prototypes to a
   * native method (four of them were 12 % of spool.record's instructions, docs/reading-path.md).
   */
  counts: Int32Array;
  /** 1 once the seal is written. */
  sectorSealed: Uint8Array;
  /** 1 when the header's "has anchor" flag is cleared: anchors() reads only these. */
  sectorAnchored: Uint8Array;
  /** Smallest boot id a boot-relative reading refers to, -1 when none. */
  sectorMinBoot: Float64Array;
  /** Format version (FORMAT_V1: written by earlier firmware, never appended to). */
  sectorVersion: Uint8Array;

  head = -1;
  /** Changes whenever sectors are erased or the head moves: open cursors then re-seek. */
  gen = 0;
  headOff = RECORDS_START;
  headFull: Flag = 0;
  /** The head ends in a torn record: nothing can be written after it. */
  headTorn: Flag = 0;
  /** n of the head's last rotation mark, -1 when it has none. */
  headMark = -1;
  /** The head's rotation mark was counted at mount (the sector after it was already erased). */
  markCounted: Flag = 0;
  /** The head sector's pin table (mount takes the one its scan of the head built). */
  table = new PinTable();
  /**
   * Aligned-write scratch of the append path (0xFF outside the record), the 0xFF bytes that
   * reset it (a native copy: `fill` costs an allocation per element on Espruino 2v29) and a
   * DataView on the buffer they start, which holds the sector table after them (SEQ_AT).
   */
  readonly wbuf: Uint8Array;
  readonly wff: Uint8Array;
  readonly wdv: DataView;
  /** This boot's id: one more than the last boot's, persisted at mount. */
  bootId = 0;
  bootPersisted: Flag = 0;
  appendedTotal = 0;
  /** Counters by drop reason (dropReasons' order). */
  drops: Float64Array;
  bytesSinceMount = 0;
  mountedAt = 0;
  mounted: Flag = 0;
  /** The head's copy-forward of anchors has not completed (cut during a rotation). */
  carryPending: Flag = 0;

  /** @throws Error naming the option to fix (region geometry, sectorPages, policy, datastreams). */
  constructor(options: StoreOptions) {
    const hal = options.hal;
    const flash = options.flash || (hal && hal.flash);
    // The hal's own functions (they do not use `this`): no wrapper, no bound copy, and no
    // closure here, which on Espruino would keep this constructor's whole scope alive.
    const crc = options.crc32 || (hal && hal.crc32);
    if (!flash) throw new Error("store options: give hal or flash");
    if (!crc) throw new Error("store options: give hal or crc32");
    this.flash = flash;
    this.crc = crc;
    const zeros = options.zeroBits || (hal && hal.zeroBits);
    if (!zeros) throw new Error("store options: give hal or zeroBits");
    this.zeros = zeros;
    this.uptime = options.uptime || (hal && hal.uptime);
    const r = options.region;
    if (!r) throw new Error("store options: region (the board profile's flash) is missing");
    checkInt(r.pageSize, 16, 1 << 20, "region.pageSize");
    let log2 = 0;
    while (1 << log2 < r.pageSize) log2++;
    if (1 << log2 !== r.pageSize) throw new Error("region.pageSize must be a power of two, got " + r.pageSize);
    checkInt(r.writeAlignment, 1, 4, "region.writeAlignment");
    if (4 % r.writeAlignment !== 0) throw new Error("region.writeAlignment must be 1, 2 or 4, got " + r.writeAlignment);
    if (r.address % r.pageSize !== 0) throw new Error("region.address must be a multiple of region.pageSize");
    if (r.length % r.pageSize !== 0) throw new Error("region.length must be a multiple of region.pageSize");
    const pages = r.length / r.pageSize;
    let sp = options.sectorPages;
    if (sp === undefined) {
      sp = Math.max(1, Math.ceil(4096 / r.pageSize));
      while (sp > 1 && pages / sp < 4) sp--;
    }
    checkInt(sp, 1, 65535, "sectorPages");
    if (pages % sp !== 0) throw new Error("sectorPages (" + sp + ") must divide the region's " + pages + " pages");
    // `| 0`: Espruino's division and Math.ceil give floats, and a float property costs one
    // JsVar more than an integer one (docs/memory.md).
    this.sectorBytes = (sp * r.pageSize) | 0;
    if (this.sectorBytes < 256 || this.sectorBytes > 131072) {
      throw new Error("sector size " + this.sectorBytes + " B is outside 256..131072: change sectorPages");
    }
    this.n = (pages / sp) | 0;
    if (this.n < 2) throw new Error("the region holds " + this.n + " sector(s); a ring needs at least 2: lower sectorPages");
    const policy = options.policy || "overwrite-oldest";
    if (policy !== "overwrite-oldest" && policy !== "refuse") throw new Error('policy must be "overwrite-oldest" or "refuse"');
    this.refuse = policy === "refuse" ? 1 : 0;
    if (!options.code) throw new Error("store options: give code (the store and mount code)");
    this.code = options.code;
    this.base = r.address;
    this.align = r.writeAlignment;
    this.pageLog2 = log2;
    if (r.eraseCycles && r.eraseCycles !== DEFAULT_CYCLES) this.cycles = r.eraseCycles;
    this.readOnly = options.readOnly ? 1 : 0;
    const n = this.n;
    const d = DROP_COUNT;
    // One buffer: the append scratch, then the sector table, each view at a multiple of its
    // element size. An array of its own would cost its buffer's JsVars as well.
    // After the u32 pairs and the i32 counts (a multiple of 8 from SEQ_AT), the Float64 views.
    const f64 = SEQ_AT + 16 * n;
    const u = new Uint8Array(f64 + 8 * (d + n) + 4 * n);
    for (let i = 0; i < 2 * WBUF_BYTES; i++) u[i] = 255;
    const b = u.buffer;
    this.wbuf = u.subarray(0, WBUF_BYTES);
    this.wff = u.subarray(WBUF_BYTES, 2 * WBUF_BYTES);
    this.wdv = new DataView(b);
    this.counts = new Int32Array(b, SEQ_AT + 8 * n, 2 * n);
    this.drops = new Float64Array(b, f64, d);
    this.sectorMinBoot = new Float64Array(b, f64 + 8 * d, n);
    let o = f64 + 8 * (d + n);
    this.sectorState = new Uint8Array(b, o, n);
    this.sectorSealed = new Uint8Array(b, (o += n), n);
    this.sectorAnchored = new Uint8Array(b, (o += n), n);
    this.sectorVersion = new Uint8Array(b, o + n, n);
    // Without a table nothing is loaded: the firmware's boot applies its table with the mount
    // (src/device/parts/mount.ts), one load of the mount part instead of two.
    this.ds = {};
    if (options.datastreams) this.code.load("mount").configure(this, { datastreams: options.datastreams });
  }

  // Mount (boot recovery) and reconfiguration are the mount part's `mount` and `configure`
  // (maintenance.ts BOOT), called on the store: as methods they would cost JsVars at rest.

  /**
   * Persists a clock anchor (durable on return).
   * @throws Error named STORE_FULL when no sector can take it under policy "refuse".
   * @throws Error on an invalid anchor.
   */
  appendAnchor(anchor: Anchor): void {
    // The anchor part is let go before the store part loads (when it must rotate): the two are not
    // held at once.
    if (!this.code.load("anchor").appendAnchor(this, anchor)) this.code.load("store").appendAnchor(this, anchor);
  }

  /**
   * Every anchor still in the log, sorted by (boot, uptime) (at most 32: past that, anchors
   * between the first and last of their boot and kind are left out).
   */
  anchors(): Anchor[] {
    return this.code.load("store").anchors(this);
  }

  /**
   * Erases every sector (undelivered readings are counted as "erased"), keeping the boot id and
   * each sector's erase count. @returns how many undelivered readings were erased.
   */
  eraseAll(): number {
    return this.code.load("store").eraseAll(this);
  }

  requireMounted(): void {
    if (!this.mounted) throw new Error("store: call mount() first");
  }

  /** Writes record bytes at the head, in the aligned words that hold them (0xFF elsewhere: no change). */
  writeRecord(rec: Uint8Array): void {
    const off = this.headOff;
    const a0 = off - (off % this.align);
    const end = off + rec.length;
    const a1 = Math.ceil(end / this.align) * this.align;
    const buf = blank(a1 - a0);
    buf.set(rec, off - a0);
    this.flash.write(buf, this.base + this.head * this.sectorBytes + a0);
    this.headOff = end;
    this.bytesSinceMount += rec.length;
  }

  /**
   * Appends a reading; returns once it is durable in flash.
   * @throws Error named STORE_FULL when full under policy "refuse" (counted as refused).
   * @throws Error on an invalid reading (the message names the field); nothing changes.
   */
  append(reading: Reading): void {
    const st = reading && (reading.stamp as { epochMs?: number; bootId?: number; uptimeMs?: number });
    // Read once the stamp is known to be an object (else the reading fails its checks below).
    const v0 = st && reading.value;
    let ms = st && st.epochMs;
    let pin = reading && reading.pin;
    if (
      typeof ms === "number" &&
      ms >= 0 &&
      ms < MAX_MS &&
      typeof v0 === "number" &&
      v0 - v0 === 0 &&
      (pin & 255) === pin &&
      this.appendNumber(pin, ms - (ms % 1), v0)
    )
      return;
    // Every field checked (in the same method: one function fewer resident; the device's hot
    // path is appendNumber, which spool.record calls itself).
    this.requireMounted();
    if (this.readOnly) throw new Error("store is read-only");
    if (!reading || typeof reading !== "object") throw new Error("reading must be an object {pin, stamp, value}");
    pin = checkInt(pin, 0, 255, "reading.pin");
    if (!st || typeof st !== "object") throw new Error("reading.stamp must be {epochMs} or {bootId, uptimeMs}");
    let dom = EPOCH;
    let what = "reading.stamp.epochMs";
    if (ms === undefined) {
      dom = checkInt(st.bootId, 0, 0xffffffff, "reading.stamp.bootId");
      ms = st.uptimeMs;
      what = "reading.stamp.uptimeMs";
    }
    // checkMs inline: its one use in the bundle (it would be one more function resident).
    if (typeof ms !== "number" || ms !== ms || ms < 0 || ms >= MAX_MS) {
      throw new Error(what + " must be a number of ms in 0..2^48, got " + String(ms));
    }
    ms = Math.floor(ms);
    const c = this.ds[pin];
    // A pin without a configured datastream: the type from the value (number -> integer or double).
    const type: DatastreamType = c
      ? c.type
      : typeof v0 === "boolean"
        ? "boolean"
        : typeof v0 === "string"
          ? "string"
          : v0 instanceof Array
            ? "location"
            : typeof v0 === "number" && v0 % 1 === 0 && v0 >= INT32_MIN && v0 <= INT32_MAX
              ? "integer"
              : "double";
    const value = checkValue(pin, type, v0);
    // The kind of the type (checkValue has checked it): a double is K_F32, the first of its two
    // kinds. A chain of tests, not a table: a module-level table is resident.
    let kind =
      type === "integer"
        ? K_INT
        : type === "double"
          ? K_F32
          : type === "boolean"
            ? K_BOOL
            : type === "enum"
              ? K_ENUM
              : type === "string"
                ? K_STR
                : K_LOC;
    if (kind === K_F32) {
      const v = value as number;
      const a = v < 0 ? -v : v;
      // An undeclared pin's whole number beyond int32 is kept exact; appendNumber takes the
      // same float32 range for a declared double.
      if ((c ? c.precision === "float64" : v % 1 === 0) || a > F32_MAX || (a !== 0 && a < F32_MIN)) kind = K_F64;
    }
    if (kind === K_STR) this.appendString(pin, dom, ms, value as string);
    else {
      if (!this.bootPersisted) this.rotateFor(true);
      this.put(pin, kind, dom, ms, value);
    }
    // A boot-relative reading: the smallest boot id its sector (the head, after any rotation)
    // refers to. Here and not in put: the hot path writes only epoch stamps.
    const h = this.head;
    const mb = this.sectorMinBoot;
    if (dom >= 0 && (mb[h] < 0 || dom < mb[h])) mb[h] = dom;
  }

  /**
   * The device's hot path (spool.record): appends `v` on `pin` stamped with epoch ms `ms` when
   * it is the usual reading - a number that fits the pin's declared double (float32) or integer
   * type, this boot's id already persisted (which implies mounted and writable) - and returns
   * true once it is durable in flash; returns false, having changed nothing, for anything else,
   * which the caller then gives to {@link append}. Espruino interprets the source text itself:
   * every token run or skipped costs, so this checks only what the caller does not.
   * @param pin an integer 0..255; `ms` an integer in 0..2^48; `v` a finite number.
   * @throws StoreFullError when full under policy "refuse" (counted as refused).
   */
  appendNumber(pin: number, ms: number, v: number): boolean {
    "ram";
    const h = this.bootPersisted ? this.hot[pin] : 0;
    const a = v < 0 ? -v : v;
    if (!(h === HOT_F32 ? a <= F32_MAX && (a >= F32_MIN || a === 0) : h === HOT_INT && v % 1 === 0 && v >= INT32_MIN && v <= INT32_MAX))
      return false;
    // The steady state is encoded here rather than through put and encodeReadingAt: a pin with
    // a slot in the head's table whose last stamp was an epoch one, so the record is a tag, the
    // check byte, the delta-of-delta and the value (docs/flash-format.md). The two calls and
    // their 16 arguments were about 13 % of spool.record's instructions on the interpreter
    // (docs/reading-path.md); anything else takes put, which encodes afresh.
    const w = this.wbuf;
    const f = this.table.f;
    const dv = this.wdv;
    const align = this.align;
    const off = this.headOff;
    const o0 = off % align;
    // HOT_F32 is 1 and HOT_INT 2, K_F32 1 and K_INT 0: the kind is h & 1.
    const kind = h & 1;
    let p = this.table.n - 1;
    while (p >= 0 && f[4 * p + 3] !== pin) p--;
    if (p < 0 || f[4 * p] !== EPOCH || this.headFull) {
      this.put(pin, kind, EPOCH, ms, v);
      return true;
    }
    w.set(this.wff);
    let o = o0 + 2;
    const dd = ms - f[4 * p + 1] - f[4 * p + 2];
    if (dd === 0) w[o0] = (kind << 5) | (S_REPEAT << 3) | p;
    else {
      w[o0] = (kind << 5) | (S_DD << 3) | p;
      const z = dd >= 0 ? 2 * dd : -2 * dd - 1;
      if (z < 128) w[o++] = z;
      else o = putVarint(w, o, z);
    }
    if (kind === K_F32) {
      dv.setFloat32(o, v, true);
      o += 4;
    } else o = putVarint(w, o, v >= 0 ? 2 * v : -2 * v - 1);
    w[o0 + 1] = this.zeros(w.subarray(o0, o));
    const sb = this.sectorBytes;
    const hd = this.head;
    const c = this.counts;
    const cnt = c[hd];
    // Room as in put, which rotates when there is none (encoding afresh for the new sector).
    if (off + o - o0 + ROTATION_RESERVE > sb - (((cnt + 32) >> 5) << 2)) {
      this.put(pin, kind, EPOCH, ms, v);
      return true;
    }
    this.flash.write(w.subarray(0, (o + align - 1) & -align), this.base + hd * sb + off - o0);
    this.headOff = off + o - o0;
    this.bytesSinceMount += o - o0;
    f[4 * p + 2] = ms - f[4 * p + 1];
    f[4 * p + 1] = ms;
    c[hd] = cnt + 1;
    c[this.n + hd]++;
    this.appendedTotal++;
    return true;
  }

  /**
   * Writes a checked reading of a fixed-size kind at the head (boot id persisted): encoded once
   * into the reused aligned buffer, one flash write of the words holding it.
   */
  private put(pin: number, kind: number, dom: number, ms: number, value: ReadingValue): void {
    "ram";
    const w = this.wbuf;
    const t = this.table;
    const align = this.align;
    const sb = this.sectorBytes;
    const dv = this.wdv;
    const h = this.head;
    const c = this.counts;
    const cnt = c[h];
    const off = this.headOff;
    const o0 = off % align;
    const p = t.plan(pin);
    w.set(this.wff);
    const end = encodeReadingAt(w, dv, o0, t, p, pin, kind, dom, ms, value, this.zeros);
    // Room for the record and for the bitmap word of the count after it: recordLimit, with
    // 4 * ceil((n + 1) / 32) as ((n + 32) >> 5) << 2 (no Math call). Otherwise the reading goes
    // into the next sector, encoded afresh there (a fixed-size record always fits an empty
    // sector); the branch is one call, because the interpreter reads every token it skips.
    if (this.headFull || off + end - o0 + ROTATION_RESERVE > sb - (((cnt + 32) >> 5) << 2))
      return this.rotateFor(false, pin, kind, dom, ms, value);
    this.flash.write(w.subarray(0, (end + align - 1) & -align), this.base + h * sb + off - o0);
    this.headOff = off + end - o0;
    this.bytesSinceMount += end - o0;
    if (p >= 0) {
      // PinTable.apply for a pin with a slot, inline; stamp modes 2 and 3 (tag bit 4) are absolute.
      const f = t.f;
      f[4 * p + 2] = w[o0] & 16 ? 0 : ms - f[4 * p + 1];
      f[4 * p] = dom;
      f[4 * p + 1] = ms;
    } else t.apply(pin, dom, ms, true);
    c[h] = cnt + 1;
    c[this.n + h]++;
    this.appendedTotal++;
  }

  /**
   * Rotates for an append that does not fit the head or, with `boot`, persists this boot's id
   * first (which rotates when the head has no room for it); a refusal is counted. Both are the
   * store part's: the boot record is written here only when the mount could not write it.
   * Given a reading (`pin` and the rest), {@link put}s it after the rotation: the append path's
   * one call when the head is full (a method of its own would be one more function resident).
   */
  private rotateFor(boot: boolean, pin?: number, kind?: number, dom?: number, ms?: number, value?: ReadingValue): void {
    try {
      const m = this.code.load("store");
      if (boot) m.ensureBoot(this);
      else m.rotate(this);
    } catch (e) {
      if (e && (e as Error).name === STORE_FULL) this.drops[DROP_REFUSED]++;
      throw e;
    }
    if (pin !== undefined) this.put(pin, kind!, dom!, ms!, value!);
  }

  /**
   * Append of a string: encoded to its size, which no fixed buffer holds (the boot id persisted
   * first). Encoded once for the size check, then again after each step that may change the
   * sector's pin table (the boot record's rotation, a rotation).
   */
  private appendString(pin: number, dom: number, ms: number, value: string): void {
    // Room for the longest record (a string's UTF-8 takes at most 3 bytes per UTF-16 unit).
    const b = blank(MAX_FIXED_RECORD + 3 * value.length);
    const dv = new DataView(b.buffer);
    const t = this.table;
    let len = 0;
    for (let step = 0; step < 3; step++) {
      // The check byte's place holds 0xFF until the record is complete.
      b[1] = 255;
      len = encodeReadingAt(b, dv, 0, t, t.plan(pin), pin, K_STR, dom, ms, value, this.zeros);
      if (step === 0) {
        // Worst case in a fresh sector: explicit pin + boot-relative stamp.
        if (len + 16 > recordLimit(this.sectorBytes, 1) - RECORDS_START - MAX_FIXED_RECORD - ROTATION_RESERVE) {
          throw new Error(
            "reading of pin V" + pin + " takes " + len + " B, too big for a " + this.sectorBytes + " B sector: raise sectorPages",
          );
        }
        if (!this.bootPersisted) this.rotateFor(true);
      } else if (
        // Room at the head for the reading, leaving ROTATION_RESERVE free for the rotation mark
        // (the boot id is persisted, so there is a head).
        step === 2 ||
        (!this.headFull && this.headOff + len + ROTATION_RESERVE <= recordLimit(this.sectorBytes, this.counts[this.head] + 1))
      )
        break;
      else this.rotateFor(false);
    }
    this.writeRecord(b.subarray(0, len));
    const h = this.head;
    this.table.apply(pin, dom, ms, ((b[0] >> 3) & 3) >= 2);
    this.counts[h]++;
    this.counts[this.n + h]++;
    this.appendedTotal++;
  }

  /** The write head: no reading exists at or after this position. */
  headPos(): LogPos {
    this.requireMounted();
    return this.head < 0 ? 0 : this.wdv.getUint32(SEQ_AT + 4 * this.head) * POS_SPAN + this.counts[this.head];
  }

  /** Position of the oldest undelivered reading (or the write head when none). */
  oldestPos(): LogPos {
    this.requireMounted();
    return this.reader().oldestPos(this);
  }

  /**
   * Calls `fn` for each undelivered reading from `from` on, oldest first, until it returns
   * false. Do not append from inside `fn`; marking delivered what was already visited is fine.
   */
  scan(options: ScanOptions, fn: (rec: LogRecord) => boolean | void): void {
    const cur = this.openCursor(options);
    let rec = cur.next();
    while (rec !== undefined && fn(rec) !== false) rec = cur.next();
  }

  /**
   * The read part: the one spool holds while an uplink exists (`held`), else loaded for this call.
   * A flush keeps a cursor open (which holds a copy) while it marks deliveries: loaded afresh for
   * each, a second copy would sit beside the cursor's at the flush's peak (docs/memory.md). A
   * method, not a load in the maintenance parts: the build links a part only to what the bundle
   * declares before any load that may reach it (src/host/build/link.ts), and a literal load of
   * the read part in the mount part, which the boot loads early, would keep the read part from
   * linking the bundle's PinTable.
   */
  reader(): StoreRead {
    return this.held || this.code.load("read");
  }

  /**
   * A resumable {@link scan}: each `next()` decodes on from where the last one stopped, so a
   * batch streamed piece by piece reads each sector once instead of once per piece. The cursor
   * holds the read part (read.ts) while it is kept.
   */
  openCursor(options: ScanOptions): LogCursor {
    this.requireMounted();
    return this.reader().openCursor(this, options);
  }

  /**
   * Marks delivered every undelivered reading of `pin` with from <= pos <= to: one in-place
   * write per 32-reading bitmap word touched. Durable on return.
   */
  markDelivered(options: { pin: number; from: LogPos; to: LogPos }): void {
    this.requireMounted();
    this.reader().markDelivered(this, options);
  }

  /** Marks one reading as dropped for `reason` (not to be sent), counted. */
  drop(pos: LogPos, reason: DropReason): void {
    this.requireMounted();
    this.code.load("store").drop(this, pos, reason);
  }

  stats(): StoreStats {
    this.requireMounted();
    let pending = 0;
    let busy = 0;
    let bad = 0;
    let emin = -1;
    let emax = 0;
    let remaining = 0;
    let used = 0;
    const cycles = this.cycles || DEFAULT_CYCLES;
    for (let s = 0; s < this.n; s++) {
      pending += this.counts[this.n + s];
      if (this.counts[this.n + s] > 0) {
        busy++;
        used += s === this.head ? this.headOff : this.sectorBytes;
      }
      if (this.sectorState[s] === BAD) bad++;
      const e = this.wdv.getUint32(SEQ_AT + 4 * (this.n + s));
      if (emin < 0 || e < emin) emin = e;
      if (e > emax) emax = e;
      remaining += cycles > e ? cycles - e : 0;
    }
    const h = this.head;
    let perReading = 8;
    if (h >= 0 && this.counts[h] > 0) perReading = (this.headOff - RECORDS_START) / this.counts[h] + 0.125;
    const freeSectors = this.n - busy;
    let freeBytes = freeSectors * (this.sectorBytes - RECORDS_START);
    if (h >= 0 && this.counts[this.n + h] > 0) freeBytes += recordLimit(this.sectorBytes, this.counts[h]) - this.headOff;
    let lifetime = Infinity;
    const elapsed = this.uptime ? this.uptime() - this.mountedAt : 0;
    if (elapsed > 0 && this.bytesSinceMount > 0) {
      const erasesPerMs = this.bytesSinceMount / (this.sectorBytes - RECORDS_START) / elapsed;
      lifetime = remaining / erasesPerMs / MS_PER_DAY;
    }
    const dropped: { [reason: string]: number } = {};
    const reasons = dropReasons();
    for (let i = 0; i < DROP_COUNT; i++) dropped[reasons[i]] = this.drops[i];
    return {
      pending,
      freeReadings: Math.floor(freeBytes / perReading),
      freeFraction: freeSectors / this.n,
      bytesUsed: used,
      bytesTotal: this.n * this.sectorBytes,
      sectors: this.n,
      quarantinedSectors: bad,
      eraseCountMin: emin < 0 ? 0 : emin,
      eraseCountMax: emax,
      projectedLifetimeDays: lifetime,
      dropped,
      appended: this.appendedTotal,
      bootId: this.bootId,
    };
  }
}
