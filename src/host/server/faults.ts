/**
 * Fault injection: decides, per API request and from a seeded generator, whether to fail, hang,
 * drop the connection, redirect or delay it.
 */
import type { Faults } from "./options.ts";
import { seededRandom as mulberry32 } from "../random.ts";

/** What to do with one request before it is handled. */
export type FaultAction =
  | { kind: "none" }
  | { kind: "fail"; status: number }
  | { kind: "redirect" }
  | { kind: "hang" }
  | { kind: "dropBefore" };

const DEFAULT_FAIL_STATUS = 503;

export class FaultInjector {
  private faults: Faults = {};
  private random = mulberry32(1);

  constructor(faults: Faults = {}) {
    this.set(faults);
  }

  /** Replaces the whole fault set ({} clears it); a seed restarts the random sequence. */
  set(faults: Faults): void {
    this.faults = { ...faults };
    this.random = mulberry32(faults.seed ?? 1);
  }

  get(): Faults {
    return { ...this.faults };
  }

  /** Decides the pre-handling fault of one request. `canRedirect` is false on the region port. */
  before(canRedirect: boolean): FaultAction {
    const f = this.faults;
    const status = f.failStatus ?? DEFAULT_FAIL_STATUS;
    if (f.failNext && f.failNext > 0) {
      f.failNext--;
      return { kind: "fail", status };
    }
    if (f.redirect && canRedirect) return { kind: "redirect" };
    if (this.draw(f.hangRate)) return { kind: "hang" };
    if (this.draw(f.dropBeforeRate)) return { kind: "dropBefore" };
    if (this.draw(f.failRate)) return { kind: "fail", status };
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
