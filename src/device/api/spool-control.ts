/**
 * `spool.setup` and `spool.sample`: loaded with the setup part for each call
 * (src/device/parts/setup.ts), working on the resident state (spool-state.ts).
 */
import { MIN_SAMPLE_MS, MAX_SAMPLE_MS, describe } from "./config.ts";
import type { SpoolConfig } from "./config.ts";
import type { SampleHandle, SpoolState } from "./spool-state.ts";

/**
 * `spool.setup`: validates, stores and applies (see the Spool interface). Each step's code is a
 * part of its own, loaded only for that step (docs/memory.md): the check part while the input is
 * merged, the config part while the result is stored, the apply part while it is applied. Only
 * the merged configuration's text is held while it is stored; its object is made again from that
 * text once the slot and the cache are written.
 */
export function setup(S: SpoolState, input: object): void {
  const prev = S._config();
  const text = JSON.stringify(S._parts.load("check").mergeConfig(input, prev, S._boardOf()));
  // An unchanged configuration is not rewritten: every Storage rewrite leaves trash behind.
  if (!S._saved || text !== JSON.stringify(prev)) {
    // Held while the slots change (the one `_saved` names is erased once the new one is
    // written), and for good if this fails.
    S._cfg = prev;
    S._parts.load("config").storeConfig(S, text);
  }
  const next: SpoolConfig = JSON.parse(text);
  S._adopt(next);
  S._parts.load("apply").apply(S, prev, next);
}

/** `spool.sample`: checks its arguments and adds a user schedule (see the Spool interface). */
export function sample(S: SpoolState, pin: any, fn: () => any, everyMs: number): SampleHandle {
  const p = S._pinOf(pin, "spool.sample");
  if (typeof fn !== "function")
    throw new Error("spool.sample: fn must be a function returning the value to record (got " + describe(fn) + ")");
  if (typeof everyMs !== "number" || Math.floor(everyMs) !== everyMs || everyMs < MIN_SAMPLE_MS || everyMs > MAX_SAMPLE_MS) {
    throw new Error(
      "spool.sample: everyMs must be an integer " + MIN_SAMPLE_MS + ".." + MAX_SAMPLE_MS + " (got " + describe(everyMs) + ")",
    );
  }
  return S._addSchedule({
    pin: p,
    everyMs: everyMs,
    source: "custom",
    fn: fn,
    samples: 0,
    errors: 0,
    lastError: undefined,
    timer: undefined,
    fromConfig: false,
  });
}
