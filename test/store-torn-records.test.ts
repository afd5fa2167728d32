/**
 * False accepts of torn records, measured record by record: every kind of record the store
 * writes is cut in every write failure mode of the harness (torn after each byte; bits partly
 * programmed at 10 / 50 / 90 %; whole but its last word partly programmed), many seeds each, and
 * decoded by the store's own cursor. Format 2 (the zero-bit count after the tag) must never
 * accept one; format 1 (a CRC check byte last, the same records re-encoded as earlier firmware
 * wrote them) is measured beside it for the record.
 */
import test from "ava";
import { applyCut, type PowerCut } from "../src/host/sim/nor-flash.ts";
import {
  zeroBits,
  FORMAT_V1,
  FORMAT_VERSION,
  K_BOOL,
  K_ENUM,
  K_F32,
  K_F64,
  K_INT,
  K_LOC,
  K_STR,
  M_ANCHOR,
  M_ANCHOR_COARSE,
  M_BOOT,
  M_COUNT,
  RECORDS_START,
  blank,
  checkByte,
} from "../src/device/store/format.ts";
import {
  EPOCH,
  PinTable,
  ROTATION_MARK,
  R_META,
  R_READING,
  SectorCursor,
  encodeMeta,
  encodeReading,
  metaV1,
} from "../src/device/store/record.ts";
import type { ReadingValue } from "../src/device/types.ts";
import { crc32 } from "./store-helpers.ts";

const SECTOR = 2048;
const ALIGN = 4;
const T0 = 1795771674422;
const SEEDS = 1500;

interface Spec {
  label: string;
  /** A reading (pin, kind, dom, ms, value) or a meta record (sub, a, b, c). */
  reading?: [number, number, number, number, ReadingValue];
  meta?: [number, number, number, number];
}

const TEXT = "Temperature sensor in the greenhouse, north wall, 1.5 m above ground; calibrated 2026-03-01. ";
const SPECS: Spec[] = [
  { label: "float32, repeat stamp", reading: [1, K_F32, EPOCH, T0 + 20000, 23.45] },
  { label: "float32, jitter", reading: [1, K_F32, EPOCH, T0 + 20017, -7.125] },
  { label: "float32, new pin, epoch stamp", reading: [9, K_F32, EPOCH, T0 + 31000, 1013.25] },
  { label: "float64, boot stamp", reading: [10, K_F64, 77, 123456789, 0.1 + 0.2] },
  { label: "integer", reading: [2, K_INT, EPOCH, T0 + 20000, -981000] },
  { label: "integer 0", reading: [2, K_INT, EPOCH, T0 + 25000, 0] },
  { label: "enum", reading: [11, K_ENUM, EPOCH, T0 + 40000, 3] },
  { label: "boolean", reading: [12, K_BOOL, EPOCH, T0 + 40000, false] },
  { label: "location", reading: [13, K_LOC, EPOCH, T0 + 40000, [-2.5595896, 44.956]] },
  { label: "string, short", reading: [3, K_STR, EPOCH, T0 + 20000, "r832"] },
  { label: "string, 90 B", reading: [3, K_STR, EPOCH, T0 + 20000, TEXT] },
  { label: "string, 900 B", reading: [3, K_STR, EPOCH, T0 + 20000, TEXT.repeat(10) + "😀"] },
  { label: "boot", meta: [M_BOOT, 4242, 0, 0] },
  { label: "anchor", meta: [M_ANCHOR, 41, 3600001, T0 + 3600000] },
  { label: "anchor, coarse", meta: [M_ANCHOR_COARSE, 41, 3600001, T0 + 3600000] },
  { label: "drop count", meta: [M_COUNT, 1, 17, 0] },
  { label: "rotation mark", meta: [M_COUNT, ROTATION_MARK, 433, 0] },
];

/** Records before the one cut: pins 1..3 get slots and stamps (1 and 3 every 10 s, 2 relative to boot 77 too). */
function prefix(table: PinTable): Uint8Array[] {
  const out: Uint8Array[] = [];
  const put = (pin: number, kind: number, dom: number, ms: number, value: ReadingValue) => {
    const rec = encodeReading(table, pin, kind, dom, ms, value, zeroBits);
    table.apply(pin, dom, ms, ((rec[0] >> 3) & 3) >= 2);
    out.push(rec);
  };
  put(1, K_F32, EPOCH, T0, 21.5);
  put(1, K_F32, EPOCH, T0 + 10000, 21.75);
  put(2, K_INT, EPOCH, T0 + 10000, 5);
  put(3, K_STR, EPOCH, T0 + 10000, "x");
  return out;
}

/** A format-2 record re-encoded as format 1: check byte (after the tag) and a string's u16 count removed, CRC check byte appended. */
function toV1(rec: Uint8Array, string: boolean): Uint8Array {
  if (!string) return metaV1(rec, crc32);
  const body = new Uint8Array(rec.length - 2);
  body[0] = rec[0];
  body.set(rec.subarray(2, rec.length - 2), 1);
  body[body.length - 1] = checkByte(crc32(body.subarray(0, body.length - 1)));
  return body;
}

interface Setup {
  image: Uint8Array;
  /** Aligned write of the record under test, as the store issues it. */
  op: { erase: false; offset: number; data: Uint8Array };
  intended: Uint8Array;
  at: number;
  records: number;
}

function setup(spec: Spec, version: number): Setup {
  const table = new PinTable();
  const pre = prefix(table);
  let rec: Uint8Array;
  if (spec.reading) {
    const [pin, kind, dom, ms, value] = spec.reading;
    rec = encodeReading(table, pin, kind, dom, ms, value, zeroBits);
  } else rec = encodeMeta(...spec.meta!, zeroBits);
  const string = !!spec.reading && spec.reading[1] === K_STR;
  const conv = (r: Uint8Array, s: boolean) => (version === FORMAT_V1 ? toV1(r, s) : r);
  const image = blank(SECTOR);
  let off = RECORDS_START;
  pre.forEach((r, i) => {
    const v = conv(r, i === 3);
    image.set(v, off);
    off += v.length;
  });
  const intended = conv(rec, string);
  const a0 = off - (off % ALIGN);
  const a1 = Math.ceil((off + intended.length) / ALIGN) * ALIGN;
  const data = blank(a1 - a0);
  data.set(intended, off - a0);
  return { image, op: { erase: false, offset: a0, data }, intended, at: off, records: pre.length };
}

/** Whether the store's cursor accepts the record at `s.at` of `img` (a reading or a meta record). */
function accepts(img: Uint8Array, s: Setup, version: number): boolean {
  const flash = { read: (n: number, a: number) => img.slice(a, a + n), write() {}, erasePage() {} };
  const c = new SectorCursor(
    { flash: flash, crc: crc32, zeros: zeroBits, sectorBytes: SECTOR, wdv: new DataView(new ArrayBuffer(8)) },
    0,
    0,
    version,
  );
  for (let i = 0; i < s.records; i++) if (c.next() !== R_READING) throw new Error("prefix record rejected");
  const r = c.next();
  return r === R_READING || r === R_META;
}

function cuts(len: number): Array<{ mode: string; cut: Omit<PowerCut, "atOp"> }> {
  const out: Array<{ mode: string; cut: Omit<PowerCut, "atOp"> }> = [];
  for (let n = 1; n < len; n++) out.push({ mode: "torn after a byte", cut: { tornBytes: n } });
  for (let seed = 1; seed <= SEEDS; seed++) {
    for (const rate of [0.1, 0.5, 0.9]) out.push({ mode: `bits ${rate * 100}%`, cut: { tornBytes: 0, mode: "bits", rate, seed } });
    if (len > ALIGN) out.push({ mode: "last word bits", cut: { tornBytes: len - ALIGN, mode: "bits", rate: 0.5, seed } });
  }
  return out;
}

function measure(version: number): { tried: Record<string, number>; accepted: Record<string, number>; examples: string[] } {
  const tried: Record<string, number> = {};
  const accepted: Record<string, number> = {};
  const examples: string[] = [];
  for (const spec of SPECS) {
    const s = setup(spec, version);
    if (!acceptsWhole(s, version)) throw new Error(`${spec.label}: the whole record is rejected`);
    for (const { mode, cut } of cuts(s.op.data.length)) {
      const img = s.image.slice();
      applyCut(img, s.op, cut);
      const got = img.subarray(s.at, s.at + s.intended.length);
      if (got.every((b, i) => b === s.intended[i]) || got.every((b) => b === 0xff)) continue;
      tried[mode] = (tried[mode] ?? 0) + 1;
      if (accepts(img, s, version)) {
        accepted[mode] = (accepted[mode] ?? 0) + 1;
        if (examples.length < 5)
          examples.push(
            `${spec.label}, ${mode}: ${Buffer.from(got).toString("hex")} (intended ${Buffer.from(s.intended).toString("hex")})`,
          );
      }
    }
  }
  return { tried, accepted, examples };
}

function acceptsWhole(s: Setup, version: number): boolean {
  const img = s.image.slice();
  img.set(s.intended, s.at);
  return accepts(img, s, version);
}

function summary(m: ReturnType<typeof measure>): { tried: number; accepted: number; text: string } {
  let tried = 0;
  let accepted = 0;
  const parts = Object.keys(m.tried).map((k) => {
    tried += m.tried[k];
    accepted += m.accepted[k] ?? 0;
    return `${k} ${m.accepted[k] ?? 0}/${m.tried[k]}`;
  });
  return { tried, accepted, text: `${accepted}/${tried} torn records accepted (${parts.join(", ")})` };
}

test("format 2 accepts no torn record, in any write failure mode; format 1 measured beside it", (t) => {
  const v1 = measure(FORMAT_V1);
  const v2 = measure(FORMAT_VERSION);
  const s1 = summary(v1);
  const s2 = summary(v2);
  t.log(`format 1: ${s1.text}`);
  for (const e of v1.examples) t.log(`  format 1 accepted: ${e}`);
  t.log(`format 2: ${s2.text}`);
  for (const e of v2.examples) t.log(`  format 2 accepted: ${e}`);
  t.true(s2.tried > 90000, `torn records tried: ${s2.tried}`);
  t.true(s1.accepted > 0, "the measurement can see a false accept (format 1 has them)");
  t.is(s2.accepted, 0);
});
