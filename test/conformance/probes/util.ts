/** Helpers that build probes from short expressions. */
import type { Probe } from "../../../src/host/conformance/probe.ts";

/** One probe per entry: prints the expression's value, or the error it throws. */
export function printEach(exprs: Record<string, string>): Probe[] {
  return Object.entries(exprs).map(([name, expr]) => ({
    name,
    code: `try { print(${expr}); } catch (e) { print("threw " + e); }`,
  }));
}

/** One probe per entry, the code as given. */
export function scripts(codes: Record<string, string>, async = false): Probe[] {
  return Object.entries(codes).map(([name, code]) => ({ name, code, async }));
}
