/**
 * The report part (src/device/parts.ts): `spool.status()`, `spool.report()`, `spool.erase()` and
 * the status pin's line, loaded for each call; and the Storage check run at boot and hourly.
 */
import { status, report, erase, publishStatus } from "../api/spool-status.ts";
import { tidyStorage } from "../api/storage-tidy.ts";

const part = { status: status, report: report, erase: erase, publishStatus: publishStatus, tidyStorage: tidyStorage };

export type ReportPart = typeof part;
export default part;
