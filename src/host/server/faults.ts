/**
 * Fault injection: decides, per API request and from a seeded generator, whether to fail, hang,
 * drop the connection, redirect or delay it; or fails every request for a while, with any status
 * and message, to play a server whose state (a quota, a plan, an outage) refuses everything.
 */
import type { Faults } from "./options.ts";
import { seededRandom as mulberry32 } from "../random.ts";

/** What to do with one request before it is handled. */
export type FaultAction =
  | { kind: "none" }
  | { kind: "fail"; status: number; message?: string; body?: string }
  | { kind: "redirect" }
  | { kind: "hang" }
  | { kind: "dropBefore" };

const DEFAULT_FAIL_STATUS = 503;

export class FaultInjector {
  private faults: Faults = {};
  private random = mulberry32(1);
  /** Server time until which every request fails (`failForMs` after the set). */
  private failUntil = -Infinity;

  /** @param clock the server clock, which `failForMs` is measured on */
  constructor(private readonly clock: () => number) {}

  /** Replaces the whole fault set ({} clears it); a seed restarts the random sequence. */
  set(faults: Faults): void {
    this.faults = { ...faults };
    this.random = mulberry32(faults.seed ?? 1);
    this.failUntil = faults.failForMs ? this.clock() + faults.failForMs : -Infinity;
  }

  get(): Faults {
    return { ...this.faults };
  }

  /** Decides the pre-handling fault of one request. `canRedirect` is false on the region port. */
  before(canRedirect: boolean): FaultAction {
    const f = this.faults;
    const fail: FaultAction = { kind: "fail", status: f.failStatus ?? DEFAULT_FAIL_STATUS, message: f.failMessage, body: f.failBody };
    if (f.failNext && f.failNext > 0) {
      f.failNext--;
      return fail;
    }
    if (this.clock() < this.failUntil) return fail;
    if (f.redirect && canRedirect) return { kind: "redirect" };
    if (this.draw(f.hangRate)) return { kind: "hang" };
    if (this.draw(f.dropBeforeRate)) return { kind: "dropBefore" };
    if (this.draw(f.failRate)) return fail;
    return { kind: "none" };
  }

  latencyMs(): number {
    return this.faults.latencyMs ?? 0;
  }

  /** Whether to close the connection instead of sending the (already decided) answer. */
  dropAfter(): boolean {
    return this.draw(this.faults.dropAfterRate);
  }

  /** A rate of 0 or unset draws nothing, so turning one fault on does not shift the others' sequence. */
  private draw(rate: number | undefined): boolean {
    if (!rate) return false;
    return this.random() < rate;
  }
}
