/**
 * On-flash layout of the store (docs/flash-format.md is the reference; keep both in step).
 *
 * A region is split into sectors of `sectorPages` pages. Each sector:
 *
 *   0..71    header (64 B written once after erase, then an 8 B seal written when the sector closes)
 *   72..     records, byte-packed, growing up
 *   ..end    delivered bitmap, one bit per reading, 32-bit words growing down from the end
 */

/** "SPL" then the format version. */
export const MAGIC_0 = 0x53;
export const MAGIC_1 = 0x50;
export const MAGIC_2 = 0x4c;
/** Version written in new sectors: records carry a zero-bit count (see {@link countCheck}). */
export const FORMAT_VERSION = 2;
/** Sectors written by earlier firmware: records end in a CRC check byte ({@link checkByte}); read, never written. */
export const FORMAT_V1 = 1;

export const OFF_SECTOR_PAGES = 4; // u16
export const OFF_PAGE_LOG2 = 6; // u8
export const OFF_SEQ = 8; // u32
export const OFF_ERASES = 12; // u32
export const OFF_BOOT = 16; // u32
export const OFF_APPENDED = 20; // u32
export const OFF_DROPS = 24; // u32 x 8
export const OFF_HEADER_CRC = 56; // u32, CRC-32 of bytes 0..55
/** Header bytes covered by the CRC, written in one write right after the erase. */
export const HEADER_BYTES = 60;
/** Flags word, bits cleared in place: 0 = done/true. */
export const OFF_FLAGS = 60;
export const FLAG_CARRY_DONE = 1;
export const FLAG_HAS_ANCHOR = 2;
/** Seal: u32 min boot referenced, u16 reading count, u16 count ^ 0xFFFF (written last). */
export const OFF_SEAL = 64;
export const SEAL_BYTES = 8;
export const RECORDS_START = 72;

/**
 * Why readings were dropped, in the order of the header's counters (the one list: the
 * `DropReason` type is made from it, the store counts by the DROP_* indices below). A function,
 * not a table: a literal in a function's code stays in flash until the function runs, where a
 * module-level array is resident (about 18 JsVars on Espruino, docs/memory.md).
 */
export function dropReasons() {
  return [
    "overwritten", // the ring turned over undelivered readings (policy overwrite-oldest)
    "refused", // the store was full (policy refuse)
    "corrupt", // failed its check or lay in a quarantined sector
    "too-old", // older than the server's maximum age (uplink)
    "rejected", // the server refused it for its content (uplink)
    "bad-pin", // the server does not know the pin (uplink, policy drop)
    "unresolved-time", // taken in a boot whose clock was never anchored (clock, policy drop)
    "erased", // discarded by an explicit erase
  ] as const;
}
/** How many drop reasons there are ({@link dropReasons}' length): the header's 8 counters. */
export const DROP_COUNT = 8;
/** Indices into {@link dropReasons} of the reasons the store counts itself. */
export const DROP_OVERWRITTEN = 0;
export const DROP_REFUSED = 1;
export const DROP_CORRUPT = 2;
export const DROP_ERASED = 7;

/** Record kinds: the top 3 bits of a record's tag byte. */
export const K_INT = 0;
export const K_F32 = 1;
export const K_F64 = 2;
export const K_BOOL = 3;
export const K_ENUM = 4;
export const K_STR = 5;
export const K_LOC = 6;
export const K_META = 7;
/** Meta records: tag = 0xE0 | sub. */
export const M_BOOT = 1;
export const M_ANCHOR = 2;
export const M_COUNT = 3;
/** An anchor whose time is coarse (HTTP Date header, about ±1 s); same layout as M_ANCHOR. */
export const M_ANCHOR_COARSE = 4;

/** Stamp modes: bits 4..3 of a reading's tag. */
export const S_REPEAT = 0;
export const S_DD = 1;
export const S_EPOCH = 2;
export const S_BOOT = 3;

/** Pin slots per sector (tag bits 2..0); slot 7 means "pin byte follows". */
export const SLOTS = 7;
export const SLOT_EXPLICIT = 7;

/** A LogPos is seq * POS_SPAN + index of the reading in its sector. */
export const POS_SPAN = 65536;

/** Largest epoch / uptime stored (6-byte fields): 2^48 ms, year 10889. */
export const MAX_MS = 281474976710656;

/**
 * Byte of reading `i`'s bit within the bitmap of a sector holding `count` readings, read from
 * {@link recordLimit} to the sector's end: its 32-bit words are stored from the end down, so
 * word w = floor(i / 32) lies ceil(count / 32) - 1 - w words after the limit. Integer operators
 * only (count and i are below 65,536): no Math call.
 */
export function bitmapByte(count: number, i: number): number {
  return ((((count + 31) >> 5) - (i >> 5) - 1) << 2) + ((i & 31) >> 3);
}

/** The bitmap test: reading `i`'s bit in `bm` (a sector's bitmap read when it held `count`), non-zero while undelivered. */
export function pendingBit(bm: Uint8Array, count: number, i: number): number {
  return bm[bitmapByte(count, i)] & (1 << (i & 7));
}

/** End of the record area of a sector holding `count` readings. */
export function recordLimit(sectorBytes: number, count: number): number {
  return sectorBytes - 4 * Math.ceil(count / 32);
}

export function getU32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 16777216;
}

export function putU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 255;
  b[o + 1] = (v >>> 8) & 255;
  b[o + 2] = (v >>> 16) & 255;
  b[o + 3] = (v >>> 24) & 255;
}

export function getU16(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}

export function putU16(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 255;
  b[o + 1] = (v >>> 8) & 255;
}

/** Zero bits per nibble value. */
export const NIBBLE_ZEROS = /* @__PURE__ */ new Uint8Array([4, 3, 3, 2, 3, 2, 2, 1, 3, 2, 2, 1, 2, 1, 1, 0]);

/**
 * Number of 0 bits in `d`, in JS (the device's HAL counts natively: Hal.zeroBits). A format-2
 * record's check is this count: a write cut part way leaves every bit it was to clear either
 * cleared or still 1, so the record's zero count can only fall and the stored count only rise -
 * they agree only if the write was whole (a Berger code; docs/flash-format.md).
 */
export function zeroBits(d: Uint8Array): number {
  let z = 0;
  for (let i = 0; i < d.length; i++) z += NIBBLE_ZEROS[d[i] & 15] + NIBBLE_ZEROS[d[i] >> 4];
  return z;
}

/** Counts 0 bits of bytes: {@link zeroBits} or the HAL's native one. */
export type ZeroBits = (d: Uint8Array) => number;

/** Format-1 check byte of a record: low byte of its CRC-32, never 0xFF (an unwritten byte). */
export function checkByte(crc: number): number {
  const c = crc & 255;
  return c === 255 ? 254 : c;
}

/** `n` bytes of 0xFF (Espruino has no Uint8Array.prototype.fill). */
export function blank(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = 255;
  return b;
}

/** Header fields as decoded. */
export interface SectorHeader {
  sectorPages: number;
  pageLog2: number;
  seq: number;
  erases: number;
  bootId: number;
  appended: number;
  drops: number[];
  flags: number;
  /** FORMAT_V1 or FORMAT_VERSION: how the sector's records are checked. */
  version: number;
  /** Reading count from the seal, -1 when not sealed (or torn). */
  sealCount: number;
  /** Smallest boot id of a boot-relative reading (seal), -1 when none / unsealed. */
  sealMinBoot: number;
}

/**
 * Decodes the first RECORDS_START bytes of a sector.
 * @returns the header, "blank" when every header byte is 0xFF, or "bad" when it is neither.
 */
export function decodeHeader(b: Uint8Array, crc32: (d: Uint8Array) => number): SectorHeader | "blank" | "bad" {
  let allFF = true;
  for (let i = 0; i < HEADER_BYTES; i++) {
    if (b[i] !== 255) {
      allFF = false;
      break;
    }
  }
  if (allFF) return "blank";
  if (b[0] !== MAGIC_0 || b[1] !== MAGIC_1 || b[2] !== MAGIC_2 || (b[3] !== FORMAT_VERSION && b[3] !== FORMAT_V1)) return "bad";
  if (crc32(b.subarray(0, OFF_HEADER_CRC)) >>> 0 !== getU32(b, OFF_HEADER_CRC)) return "bad";
  const drops: number[] = [];
  for (let i = 0; i < DROP_COUNT; i++) drops.push(getU32(b, OFF_DROPS + 4 * i));
  let sealCount = -1;
  let sealMinBoot = -1;
  const c = getU16(b, OFF_SEAL + 4);
  if ((c ^ 0xffff) === getU16(b, OFF_SEAL + 6)) {
    sealCount = c;
    const mb = getU32(b, OFF_SEAL);
    sealMinBoot = mb === 0xffffffff ? -1 : mb;
  }
  return {
    sectorPages: getU16(b, OFF_SECTOR_PAGES),
    pageLog2: b[OFF_PAGE_LOG2],
    seq: getU32(b, OFF_SEQ),
    erases: getU32(b, OFF_ERASES),
    bootId: getU32(b, OFF_BOOT),
    appended: getU32(b, OFF_APPENDED),
    drops,
    flags: b[OFF_FLAGS],
    version: b[3],
    sealCount,
    sealMinBoot,
  };
}

/** Builds the 60 header bytes (flags and seal stay 0xFF). */
export function encodeHeader(
  h: { sectorPages: number; pageLog2: number; seq: number; erases: number; bootId: number; appended: number; drops: ArrayLike<number> },
  crc32: (d: Uint8Array) => number,
): Uint8Array {
  const b = blank(HEADER_BYTES);
  b[0] = MAGIC_0;
  b[1] = MAGIC_1;
  b[2] = MAGIC_2;
  b[3] = FORMAT_VERSION;
  putU16(b, OFF_SECTOR_PAGES, h.sectorPages);
  b[OFF_PAGE_LOG2] = h.pageLog2;
  b[7] = 0;
  putU32(b, OFF_SEQ, h.seq);
  putU32(b, OFF_ERASES, h.erases);
  putU32(b, OFF_BOOT, h.bootId);
  putU32(b, OFF_APPENDED, h.appended);
  for (let i = 0; i < DROP_COUNT; i++) putU32(b, OFF_DROPS + 4 * i, h.drops[i] > 0xffffffff ? 0xffffffff : h.drops[i]);
  putU32(b, OFF_HEADER_CRC, crc32(b.subarray(0, OFF_HEADER_CRC)) >>> 0);
  return b;
}

/** The 8 seal bytes: min boot first, the self-checking count last, so a torn seal reads as unsealed. */
export function encodeSeal(count: number, minBoot: number): Uint8Array {
  const b = new Uint8Array(SEAL_BYTES);
  putU32(b, 0, minBoot < 0 ? 0xffffffff : minBoot);
  putU16(b, 4, count);
  putU16(b, 6, count ^ 0xffff);
  return b;
}

/** Wrap-safe "a is newer than b" for 32-bit sequence numbers (FCB's ID_GT fix). */
export function seqNewer(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}
