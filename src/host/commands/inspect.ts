/**
 * `spool inspect <flash file> [--board id] [--base addr] [--json]`: decodes a store image (a
 * simulation's flash file, Espruino Linux's espruino.flash, or a dump read from a device) with
 * the device's own decoder, read-only, and prints sectors, records, anchors and counters.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { crc32 } from "node:zlib";
import type { FlashPort } from "../../device/hal.ts";
import type { StoreRegion } from "../../device/store/store.ts";
import { InspectStore, type WalkRecord } from "../store/inspect-store.ts";
import {
  MAGIC_0,
  MAGIC_1,
  MAGIC_2,
  FORMAT_VERSION,
  FORMAT_V1,
  OFF_PAGE_LOG2,
  OFF_SECTOR_PAGES,
  decodeHeader,
  getU16,
  RECORDS_START,
} from "../../device/store/format.ts";
import { loadBoard } from "../boards.ts";

export const summary = "decode a flash image of the store: sectors, records, anchors, counters";

const USAGE = `usage: spool inspect <flash file> [--board ID] [--base ADDR] [--json] [--pending]

  --board ID    take the region (address, length, page size) from boards/<id>.json
  --base ADDR   flash address of the file's first byte (default: the region's address when the
                file is exactly the region, the emulated flash's start (fakeFlash.address,
                0x10000000) for a whole Linux espruino.flash)
  --json        one JSON object instead of text
  --pending     list only undelivered readings
Without --board the geometry is read from the first valid sector header and the whole file
is taken as the region.`;

/** A read-only FlashPort over a file's bytes. */
class FileFlash implements FlashPort {
  constructor(
    private readonly bytes: Uint8Array,
    private readonly base: number,
  ) {}
  read(length: number, addr: number): Uint8Array {
    const off = addr - this.base;
    if (off < 0 || off + length > this.bytes.length) throw new Error(`the image has no bytes at 0x${addr.toString(16)} (+${length})`);
    return this.bytes.slice(off, off + length);
  }
  write(): void {
    throw new Error("inspect is read-only");
  }
  erasePage(): void {
    throw new Error("inspect is read-only");
  }
}

function num(s: string | undefined, what: string): number | undefined {
  if (s === undefined) return undefined;
  const v = Number(s);
  if (s.trim() === "" || !Number.isInteger(v) || v < 0)
    throw new Error(`${what} must be a flash address: a non-negative integer, decimal or 0x... (e.g. 0x320000), not "${s}"`);
  return v;
}

/** The file's bytes, or an error that says which file and why. */
function readImage(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "it is a directory"
          : code === "EACCES"
            ? "permission denied"
            : (err as Error).message;
    throw new Error(
      `cannot read the flash image "${path}": ${why}. Give the path of a flash file (a simulation's flash file, Linux's espruino.flash, or a dump read from a device)`,
    );
  }
}

/** Finds the geometry from the first sector header that passes its CRC. */
function sniffRegion(bytes: Uint8Array): StoreRegion {
  for (let off = 0; off + RECORDS_START <= bytes.length; off += 256) {
    if (
      bytes[off] !== MAGIC_0 ||
      bytes[off + 1] !== MAGIC_1 ||
      bytes[off + 2] !== MAGIC_2 ||
      (bytes[off + 3] !== FORMAT_VERSION && bytes[off + 3] !== FORMAT_V1)
    )
      continue;
    const h = decodeHeader(bytes.subarray(off, off + RECORDS_START), (d) => crc32(d));
    if (typeof h !== "object") continue;
    const pageSize = 1 << bytes[off + OFF_PAGE_LOG2];
    const sector = pageSize * getU16(bytes, off + OFF_SECTOR_PAGES);
    const start = off % sector;
    const length = Math.floor((bytes.length - start) / sector) * sector;
    return { address: start, length, pageSize, writeAlignment: 4 };
  }
  throw new Error("no valid sector header found: is this a Spool flash image? (give --board to decode it anyway)");
}

function stampText(r: WalkRecord): string {
  const st = r.reading!.stamp as { epochMs?: number; bootId?: number; uptimeMs?: number };
  return st.epochMs !== undefined ? new Date(st.epochMs).toISOString() : `boot ${st.bootId} +${st.uptimeMs} ms`;
}

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        board: { type: "string" },
        base: { type: "string" },
        json: { type: "boolean" },
        pending: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    console.error(`spool inspect: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(USAGE);
    return 2;
  }
  // Options first, so a bad one is named whatever the file holds.
  const givenBase = num(values.base, "--base");
  const board = values.board === undefined ? undefined : loadBoard(values.board);
  const bytes = readImage(positionals[0]);
  let region: StoreRegion;
  let base: number;
  if (board) {
    const f = board.flash;
    region = { address: f.address, length: f.length, pageSize: f.pageSize, writeAlignment: f.writeAlignment, eraseCycles: f.eraseCycles };
    // A file of the region's size is the region; any other is the whole emulated flash where
    // the board has one (the Linux build's espruino.flash), else taken as starting at the region.
    base = givenBase ?? (bytes.length === f.length ? f.address : (board.fakeFlash?.address ?? f.address));
    if (region.address < base || region.address + region.length > base + bytes.length) {
      throw new Error(
        `the ${bytes.length}-byte image at 0x${base.toString(16)} does not hold the region 0x${region.address.toString(16)}+${region.length}: give --base`,
      );
    }
  } else {
    region = sniffRegion(bytes);
    base = givenBase ?? 0;
    region.address += base;
  }
  // The sector size is the image's own (from its first valid header), whatever the default.
  let sectorPages: number | undefined;
  for (let a = region.address; a < region.address + region.length && sectorPages === undefined; a += region.pageSize) {
    const h = decodeHeader(bytes.subarray(a - base, a - base + RECORDS_START), (d) => crc32(d));
    if (typeof h === "object") sectorPages = h.sectorPages;
  }
  const st = new InspectStore({ flash: new FileFlash(bytes, base), crc32: (d) => crc32(d), region, readOnly: true, sectorPages });
  st.mount();
  const records: WalkRecord[] = [];
  st.walk((r) => {
    if (!values.pending || (r.kind === "reading" && !r.delivered)) records.push(r);
  });
  const out = { region: { ...region, base }, sectors: st.sectors(), stats: st.stats(), anchors: st.anchors(), records };
  if (values.json) {
    console.log(JSON.stringify(out, (_k, v) => (v === Infinity ? "Infinity" : v), 1));
    return 0;
  }
  console.log(
    `region 0x${region.address.toString(16)} +${region.length} B, ${out.sectors.length} sectors of ${region.length / out.sectors.length} B`,
  );
  console.log("\nsector  address     state  seq         erases  readings  pending  sealed  used");
  for (const s of out.sectors) {
    console.log(
      `${String(s.index).padStart(6)}  0x${s.address.toString(16).padStart(8, "0")}  ${s.state.padEnd(5)}  ${String(s.seq).padEnd(10)}  ${String(s.eraseCount).padStart(6)}  ${String(s.readings).padStart(8)}  ${String(s.pending).padStart(7)}  ${s.sealed ? "yes" : "no "}${s.head ? " (head)" : "      "}  ${s.bytesUsed}`,
    );
  }
  console.log(`\nrecords (${values.pending ? "undelivered readings" : "all"}, ring order):`);
  for (const r of records) {
    const where = `s${r.sector}+${r.offset}`;
    if (r.kind === "reading") {
      console.log(
        `  pos ${r.pos}  V${r.reading!.pin}  ${stampText(r)}  ${r.type} ${JSON.stringify(r.reading!.value)}${r.delivered ? "  delivered" : ""}  [${where}, ${r.bytes} B]`,
      );
    } else if (r.kind === "anchor")
      console.log(
        `  anchor  boot ${r.anchor!.bootId} +${r.anchor!.uptimeMs} ms = ${new Date(r.anchor!.epochMs).toISOString()}${r.anchor!.coarse ? " (coarse)" : ""}  [${where}]`,
      );
    else if (r.kind === "boot") console.log(`  boot ${r.bootId}  [${where}]`);
    else if (r.kind === "count") console.log(`  dropped +${r.n} ${r.reason}  [${where}]`);
    else console.log(`  corrupt record: rest of sector ${r.sector} unreadable  [${where}]`);
  }
  console.log("\nanchors:");
  for (const a of out.anchors)
    console.log(`  boot ${a.bootId} +${a.uptimeMs} ms = ${new Date(a.epochMs).toISOString()}${a.coarse ? " (coarse)" : ""}`);
  const s = out.stats;
  console.log(
    `\ncounters: appended ${s.appended}, pending ${s.pending}, last boot ${s.bootId - 1}, quarantined sectors ${s.quarantinedSectors}`,
  );
  console.log(
    `dropped: ${Object.entries(s.dropped)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
  );
  console.log(`erase counts ${s.eraseCountMin}..${s.eraseCountMax}`);
  return 0;
}
