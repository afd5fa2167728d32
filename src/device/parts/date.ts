/**
 * The date part (src/device/parts.ts): an HTTP reply's `Date` header applied to the clock
 * (src/device/clock/timekeeper.ts `applyHttpDate`, http-date.ts), loaded by the reply part only
 * while this boot has no SNTP time, so that a synced flush never holds the date parser.
 */
import { parseHttpDate } from "../clock/http-date.ts";
import { applyHttpDate, type TimeKeeper } from "../clock/timekeeper.ts";

/** Applies `header` to `keeper`; whether it was used. */
function apply(keeper: TimeKeeper, header: string): boolean {
  return applyHttpDate(keeper, header, parseHttpDate);
}

const part = { apply: apply };

export type DatePart = typeof part;
export { part as default };
