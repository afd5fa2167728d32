/**
 * A decoder of the quota log (docs/flash-format.md, "Quota log"), written from the document
 * rather than from the device code, so tests check the format the document gives.
 */

export interface QuotaEntry {
  day: number;
  used: number;
  req: number;
}

/** CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR). */
function crc16(b: Uint8Array): number {
  let c = 0xffff;
  for (const x of b) {
    c ^= x << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
  }
  return c;
}

/** The valid entries of one log file's bytes, in order; `written` counts the slots not blank. */
export function decodeQuotaLog(bytes: Uint8Array): { entries: QuotaEntry[]; written: number } {
  const entries: QuotaEntry[] = [];
  let written = 0;
  for (let at = 0; at + 12 <= bytes.length; at += 12) {
    const e = bytes.subarray(at, at + 12);
    if (e.every((x) => x === 0xff)) break;
    written++;
    const v = new DataView(e.buffer, e.byteOffset, 12);
    if (v.getUint16(10, true) !== crc16(e.subarray(0, 10))) continue;
    entries.push({ day: v.getUint16(0, true), used: v.getUint32(2, true), req: v.getUint32(6, true) });
  }
  return { entries, written };
}

/** The count a reboot takes from both files: the newest day, within it the highest counts. */
export function newestQuota(files: Uint8Array[]): QuotaEntry | undefined {
  let best: QuotaEntry | undefined;
  for (const f of files)
    for (const e of decodeQuotaLog(f).entries) {
      if (!best || e.day > best.day) best = { ...e };
      else if (e.day === best.day) best = { day: e.day, used: Math.max(best.used, e.used), req: Math.max(best.req, e.req) };
    }
  return best;
}
