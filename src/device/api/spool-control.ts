/**
 * `spool.setup` (loaded with the setup part for each call, src/device/parts/setup.ts) and
 * `spool.sample` (with the apply part), working on the resident state (spool-state.ts).
 */
import { MIN_SAMPLE_MS, MAX_SAMPLE_MS, describe } from "./config.ts";
import type { SampleHandle, SpoolState } from "./spool-state.ts";
import type { SpoolConfig } from "./config.ts";

/**
 * `spool.setup`: validates, stores and applies (see the Spool interface). Each step's code is a
 * part of its own, loaded only for that step (docs/memory.md): the check part while the input is
 * merged, the save part while the result is stored, the apply part while it is applied. The
 * configuration in force is read as the text its file holds (on Espruino a pointer into flash,
 * not a copy), the merged one is held as JSON text until it is stored, and the apply step gets
 * only the names of the sections that changed.
 */
export function setup(S: SpoolState, input: object): void {
  // A waiting SNTP round (its part, client and socket: about 154 JsVars on the 1,600-JsVar build)
  // is abandoned while setup runs and started again after it: a round to an unanswering server
  // waits seconds, and the steps' parts do not fit beside it on a small board. The steps are
  // written out here, not in functions of their own: each function of the part is JsVars held
  // while every step runs.
  const clock = S._clock;
  const on = clock._running;
  clock.stop();
  try {
    // Storage is never compacted by Spool (storage-tidy.ts), so this text stays readable even
    // once its file is replaced: config-save.ts puts it back in force from it when a write fails.
    let prev: string | undefined = S._cfg || S._cfgText() === undefined ? JSON.stringify(S._config()) : S._cfgText()!;
    const changed: string[] = [];
    let text: string | undefined = S._parts.load("check").mergeText(input, prev, S._boardOf, changed);
    // An unchanged configuration is not rewritten: every Storage rewrite leaves trash behind.
    if (!S._saved || changed.length) S._parts.load("save").storeConfig(S, text, prev);
    prev = undefined;
    // The merged configuration made the one in force: its hot values kept, the object itself
    // only while no file holds it (`_saved`'s slot, or the cache when it holds exactly it: the
    // defaults' case; storeConfig erases the cache before it writes a slot, and holds the
    // previous configuration in `_cfg` while it does). The boot does the same (spool.ts).
    let cfg: SpoolConfig | undefined = JSON.parse(text);
    // The merged text (about 50 JsVars) is in its file now: not held while the apply part runs.
    text = undefined;
    S._flushIn = cfg!.blynk.token ? cfg!.flushDelayMs : -1;
    // Deleted, not set to undefined: a property left costs a JsVar for good.
    if (S._saved || S._cfgText() === JSON.stringify(cfg)) delete S._cfg;
    else S._cfg = cfg;
    cfg = undefined;
    S._parts.load("apply").apply(S, changed);
  } catch (e) {
    if (on) clock.start();
    throw e;
  }
  if (on) clock.start();
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
  });
}
