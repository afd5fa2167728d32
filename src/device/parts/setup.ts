/**
 * The setup part (src/device/parts.ts): `spool.setup` alone. Small: it loads the check, save and
 * apply parts one after the other for its steps (src/device/api/spool-control.ts), so
 * that no two of them exist at once.
 */
import { setup } from "../api/spool-control.ts";

const part = {
  setup: setup,
};

export type SetupPart = typeof part;
export { part as default };
