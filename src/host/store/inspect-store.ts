/**
 * The store with the views only the host needs (`spool inspect`, tests): per-sector summaries
 * and a walk over every record. Kept out of the Store class so that the device bundle does not
 * carry them (linux's code budget).
 */
import type { Anchor, DatastreamType, Reading } from "../../device/types.ts";
import type { DropReason, FullPolicy, LogPos } from "../../device/store/contract.ts";
import type { DatastreamSettings } from "../../device/codec/value.ts";
import { dropReasons, M_ANCHOR, M_ANCHOR_COARSE, M_BOOT, POS_SPAN, pendingBit } from "../../device/store/format.ts";
import { ROTATION_MARK, R_BAD, R_END, R_READING } from "../../device/store/record.ts";
import { BAD, DATA, SEQ_AT, Store } from "../../device/store/store.ts";
import { BOOT, MAINTENANCE, anchorOf, withMaintenance, type LocalStoreOptions } from "../../device/store/maintenance.ts";
import { addr, readBitmap, readingOf, ringNext, sectorCursor } from "../../device/store/read.ts";

/** A sector as {@link InspectStore.sectors} reports it. */
export interface SectorInfo {
  index: number;
  address: number;
  state: "free" | "data" | "bad";
  seq: number;
  eraseCount: number;
  readings: number;
  pending: number;
  sealed: boolean;
  head: boolean;
  bytesUsed: number;
}

/** One record as {@link InspectStore.walk} reports it, delivered ones and meta records included. */
export interface WalkRecord {
  sector: number;
  offset: number;
  bytes: number;
  kind: "reading" | "boot" | "anchor" | "count" | "corrupt";
  pos?: LogPos;
  type?: DatastreamType;
  reading?: Reading;
  delivered?: boolean;
  bootId?: number;
  anchor?: Anchor;
  reason?: string;
  n?: number;
}

export class InspectStore extends Store {
  /** @throws Error naming the option to fix (see Store). */
  constructor(options: LocalStoreOptions) {
    super(withMaintenance(options));
  }

  /**
   * Boot recovery (maintenance.ts BOOT.mount: on the device the mount part).
   * @throws Error when the region was formatted with another sector size.
   */
  mount(): void {
    BOOT.mount(this);
  }

  /**
   * Changes the full policy and/or the datastream table of a mounted store (no remount).
   * @throws Error on a bad policy or datastream entry.
   */
  configure(options: { policy?: FullPolicy; datastreams?: { [pin: string]: DatastreamSettings } }): void {
    BOOT.configure(this, options);
  }

  /**
   * Adds to a drop counter (maintenance.ts MAINTENANCE.countDrop: on the device the store part).
   * @throws Error when not mounted, on an unknown reason or a bad count.
   */
  countDrop(reason: DropReason, n: number): void {
    MAINTENANCE.countDrop(this, reason, n);
  }

  /** Per-sector summary, physical order. */
  sectors(): SectorInfo[] {
    this.requireMounted();
    const out: SectorInfo[] = [];
    for (let s = 0; s < this.n; s++) {
      out.push({
        index: s,
        address: addr(this, s),
        state: this.sectorState[s] === DATA ? "data" : this.sectorState[s] === BAD ? "bad" : "free",
        seq: this.wdv.getUint32(SEQ_AT + 4 * s),
        eraseCount: this.wdv.getUint32(SEQ_AT + 4 * (this.n + s)),
        readings: this.counts[s],
        pending: this.counts[this.n + s],
        sealed: !!this.sectorSealed[s],
        head: s === this.head,
        bytesUsed: s === this.head ? this.headOff : this.sectorState[s] === DATA ? this.sectorBytes : 0,
      });
    }
    return out;
  }

  /** Calls `fn` for every record of every sector in ring order, delivered and meta ones included. */
  walk(fn: (rec: WalkRecord) => boolean | void): void {
    this.requireMounted();
    for (let s = ringNext(this, -1, true); s >= 0; s = ringNext(this, s, true)) {
      const count = this.counts[s];
      const bm = count ? readBitmap(this, s, count) : new Uint8Array(0);
      const c = sectorCursor(this, s);
      let r = c.next();
      while (r !== R_END) {
        let w: WalkRecord;
        if (r === R_BAD) w = { sector: s, offset: c.off, bytes: 0, kind: "corrupt" };
        else if (r === R_READING) {
          const i = c.index;
          const undelivered = i < count && pendingBit(bm, count, i);
          w = {
            sector: s,
            offset: c.at,
            bytes: c.len,
            kind: "reading",
            pos: this.wdv.getUint32(SEQ_AT + 4 * s) * POS_SPAN + i,
            type: c.type,
            reading: readingOf(c),
            delivered: !undelivered,
          };
        } else if (c.sub === M_BOOT) w = { sector: s, offset: c.at, bytes: c.len, kind: "boot", bootId: c.a };
        else if (c.sub === M_ANCHOR || c.sub === M_ANCHOR_COARSE)
          w = { sector: s, offset: c.at, bytes: c.len, kind: "anchor", anchor: anchorOf(c) };
        else
          w = {
            sector: s,
            offset: c.at,
            bytes: c.len,
            kind: "count",
            reason: c.a === ROTATION_MARK ? "rotation" : (dropReasons()[c.a] as string | undefined) || "#" + c.a,
            n: c.b,
          };
        if (fn(w) === false) return;
        if (r === R_BAD) break;
        r = c.next();
      }
    }
  }
}
