/**
 * What the anchors say: per boot, the first and last SNTP anchor (and HTTP-Date anchor), and
 * the local clock's rate error learned from successive SNTP anchors of one boot.
 */
import type { Anchor } from "../types.ts";

/** Anchors closer than this do not make a drift measurement (sync noise would dominate). */
export const MIN_DRIFT_SPAN_MS = 600000;
/** Rate errors beyond this are not a crystal: one of the two anchors is wrong. */
export const MAX_DRIFT_PPM = 500;
/** How many of the latest anchor pairs the drift estimate averages. */
const DRIFT_PAIRS = 4;

/**
 * The anchors of one boot that resolution needs. A field exists once it has an anchor: the book
 * holds one of these per boot in the log, at rest, and each field costs JsVars.
 */
export interface BootAnchors {
  bootId: number;
  first?: Anchor;
  last?: Anchor;
  coarseFirst?: Anchor;
  coarseLast?: Anchor;
}

/**
 * A compact, bounded summary of the anchor log: memory grows with the number of boots in the
 * log, not with the number of anchors. Its methods are what stamping and anchoring use; what only
 * resolution and status ask ({@link bootBefore}, {@link bootAfter}, {@link rateOf}) are functions the
 * parts bring, so they are not resident (docs/memory.md).
 */
export class AnchorBook {
  /** Sorted by bootId. */
  _boots: BootAnchors[] = [];
  /** Latest pairs as [uptime span, epoch span, ...], oldest first. */
  _pairs: number[] = [];
  /**
   * The clock's rate error in ppm (positive: it runs fast), the span-weighted mean of
   * {@link _pairs}, kept when they change; undefined before two SNTP anchors of one boot were far
   * enough apart.
   */
  _drift: number | undefined;
  _base: Anchor | undefined;
  /**
   * The last anchor of a boot past which {@link epochAt} last extrapolated, at `aheadRate`,
   * until the next add: stamping a reading then costs a few tokens instead of a search. (The
   * anchor itself, not a copy: one object fewer at rest.)
   */
  _ahead?: Anchor;
  _aheadRate = 1;

  /** Adds an anchor; anchors must come in the order they were taken. */
  add(a: Anchor): void {
    delete this._ahead;
    let b = this.get(a.bootId);
    if (!b) {
      b = { bootId: a.bootId };
      let i = this._boots.length;
      while (i > 0 && this._boots[i - 1].bootId > a.bootId) i--;
      this._boots.splice(i, 0, b);
    }
    if (a.coarse) {
      if (!b.coarseFirst) b.coarseFirst = a;
      b.coarseLast = a;
      return;
    }
    if (!b.first) b.first = a;
    b.last = a;
    // The drift: learned from successive SNTP anchors of one boot far enough apart.
    const base = this._base;
    if (!base || base.bootId !== a.bootId || a.uptimeMs <= base.uptimeMs) {
      this._base = a;
      return;
    }
    const dUp = a.uptimeMs - base.uptimeMs;
    const dEp = a.epochMs - base.epochMs;
    if (dEp < MIN_DRIFT_SPAN_MS) return;
    this._base = a;
    const ppm = ((dUp - dEp) / dEp) * 1e6;
    if (ppm > MAX_DRIFT_PPM || ppm < -MAX_DRIFT_PPM) return;
    const p = this._pairs;
    p.push(dUp, dEp);
    if (p.length > DRIFT_PAIRS * 2) p.splice(0, 2);
    let up = 0;
    let ep = 0;
    for (let i = 0; i < p.length; i += 2) {
      up += p[i];
      ep += p[i + 1];
    }
    this._drift = ((up - ep) / ep) * 1e6;
  }

  get(bootId: number): BootAnchors | undefined {
    for (let i = 0; i < this._boots.length; i++) if (this._boots[i].bootId === bootId) return this._boots[i];
    return undefined;
  }

  /**
   * UTC ms at `uptimeMs` into an anchored boot, or undefined when the boot has no anchor.
   * Before the first anchor (where the readings stamped with uptime lie) it extrapolates back
   * from that anchor at the learned rate, so the result joins the epoch stamps taken after it
   * without a jump back. Between the first and last anchor it interpolates (which corrects the
   * drift exactly) unless the two disagree by more than a crystal can (a clock step: one of
   * them was wrong); after the last it extrapolates forward from it.
   */
  epochAt(bootId: number, uptimeMs: number): number | undefined {
    "ram";
    const f = this._ahead;
    if (f && f.bootId === bootId && uptimeMs >= f.uptimeMs) return f.epochMs + (uptimeMs - f.uptimeMs) * this._aheadRate;
    const b = this.get(bootId);
    if (!b) return undefined;
    const first = b.first ? b.first : (b.coarseFirst as Anchor);
    const last = b.first ? (b.last as Anchor) : (b.coarseLast as Anchor);
    // rateOf(this), written out: a call to a function of its own would make that one resident.
    const rate = this._drift === undefined ? 1 : 1 / (1 + this._drift * 1e-6);
    if (uptimeMs <= first.uptimeMs) return first.epochMs - (first.uptimeMs - uptimeMs) * rate;
    if (uptimeMs >= last.uptimeMs) {
      this._ahead = last;
      this._aheadRate = rate;
      return last.epochMs + (uptimeMs - last.uptimeMs) * rate;
    }
    const dUp = last.uptimeMs - first.uptimeMs;
    const dEp = last.epochMs - first.epochMs;
    const ppm = dEp > 0 ? ((dUp - dEp) / dEp) * 1e6 : Infinity;
    if (ppm > MAX_DRIFT_PPM || ppm < -MAX_DRIFT_PPM) return first.epochMs + (uptimeMs - first.uptimeMs) * rate;
    return first.epochMs + ((uptimeMs - first.uptimeMs) * dEp) / dUp;
  }
}

/** True ms per uptime ms: 1 / (1 + drift). */
export function rateOf(book: AnchorBook): number {
  return book._drift === undefined ? 1 : 1 / (1 + book._drift * 1e-6);
}

/** The nearest boot before `bootId` that has an anchor. */
export function bootBefore(book: AnchorBook, bootId: number): BootAnchors | undefined {
  let found: BootAnchors | undefined;
  for (let i = 0; i < book._boots.length && book._boots[i].bootId < bootId; i++) found = book._boots[i];
  return found;
}

/** The nearest boot after `bootId` that has an anchor. */
export function bootAfter(book: AnchorBook, bootId: number): BootAnchors | undefined {
  for (let i = 0; i < book._boots.length; i++) if (book._boots[i].bootId > bootId) return book._boots[i];
  return undefined;
}
