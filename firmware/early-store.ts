/**
 * The store opened before the rest of the bundle is defined: the firmware imports this module
 * second (after early-config.ts), so its top-level code runs while only the hardware boundary,
 * the configuration and the store's own code exist. The store's instance (about 200 JsVars on
 * the 1,600-JsVar build) and the mount part while it runs (about 140 there, docs/memory.md)
 * need that room, and so do the parts that read the anchors and survey the readings for the clock here.
 */
import { boardProfile, EARLY } from "./early-config.ts";
import { openStore } from "../src/device/api/store-open.ts";
import type { Surveyed } from "../src/device/clock/survey.ts";

// In a function run once, so that nothing of it stays global but what EARLY holds.
(() => {
  try {
    if (EARLY.hal && EARLY.parts && EARLY.config) {
      const store = openStore({ hal: EARLY.hal, board: boardProfile(), config: EARLY.config._cfg, parts: EARLY.parts });
      EARLY.store = store;
      // A fresh store opens its first sector and writes this boot's id now, as its first reading
      // or anchor would (the same records, only sooner), while the boot has room for the store
      // part: later, an SNTP round's anchor loads it beside everything then resident, which the
      // 1,600-JsVar build cannot hold (docs/memory.md).
      if (store.head < 0 && !store.readOnly) EARLY.parts.load("store").ensureBoot(store);
      // The clock's keeper reads them once, at the boot; the store part that reads them (about
      // 300 JsVars while loaded on the 1,600-JsVar build) fits here, not inside boot().
      EARLY.anchors = EARLY.store.anchors();
      // Likewise the survey of the stored readings that start() makes (the survey part and the
      // read part loaded together).
      const surveyed = {} as Surveyed;
      EARLY.parts.load("survey").surveyStore(surveyed, EARLY.store);
      EARLY.surveyed = surveyed;
    }
  } catch (_e) {
    // The boot opens the store again and says why it could not start.
  }
})();
