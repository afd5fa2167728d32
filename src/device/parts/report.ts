/**
 * The report part (src/device/parts.ts): `spool.status()`, `spool.report()`, `spool.erase()` and
 * the status pin's line, loaded for each call; the Storage check run at boot, and the boot's sweep
 * of other builds' parts.
 */
import { status, report, erase, publishStatus, recordError } from "../api/spool-status.ts";
import { tidyStorage } from "../api/storage-tidy.ts";
import { sweepParts } from "../parts.ts";

const part = {
  status: status,
  report: report,
  erase: erase,
  publishStatus: publishStatus,
  tidyStorage: tidyStorage,
  sweepParts: sweepParts,
  recordError: recordError,
};

export type ReportPart = typeof part;
export { part as default };
