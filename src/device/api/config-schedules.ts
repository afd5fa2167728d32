/**
 * The configured schedules, resident: spool.ts runs it at every boot, which must not load the
 * setup parts (docs/memory.md); the apply part brings its own copy for when a new
 * configuration replaces them.
 */
import type { SpoolState } from "./spool-state.ts";

/** Replaces the configured schedules by those of the configuration in force; user ones stay. */
export function configSchedules(S: SpoolState): void {
  const schedules = S._schedules;
  for (let i = schedules.length - 1; i >= 0; i--) {
    if (schedules[i].fromConfig) {
      S._arm(schedules[i], 0);
      schedules.splice(i, 1);
    }
  }
  const list = S._config().schedules;
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    S._addSchedule({
      pin: c.pin,
      everyMs: c.everyMs,
      source: c.source,
      // Undefined for a source this board lacks: each sample then fails, counted in the status.
      fn: S._sources[c.source],
      samples: 0,
      errors: 0,
      fromConfig: 1,
    });
  }
}
