/**
 * The batch JSON of src/device/uplink/json.ts on the real interpreter, driven from the REPL by
 * test/target/json.test.ts: `jp(hex)` takes doubles as 16 hex digits (their IEEE bits, big-endian,
 * so that no decimal parsing stands between the two sides) and returns each one's `formatPoint`.
 */
import { formatPoint } from "../../../src/device/uplink/json.ts";

const TS = 1767225600123;
const view = new DataView(new Uint8Array(8).buffer);

(globalThis as unknown as { jp: unknown }).jp = (hex: string[]) =>
  hex.map((h) => {
    for (let i = 0; i < 8; i++) view.setUint8(i, parseInt(h.substring(2 * i, 2 * i + 2), 16));
    return formatPoint(TS, view.getFloat64(0));
  });

declare const setInterval: (fn: () => void, ms: number) => unknown;
// The Linux build exits once no timer is left: this one keeps it for the REPL.
setInterval(() => undefined, 3600000);
