/**
 * The report part (src/device/parts.ts): `spool.status()`, `spool.report()`, `spool.erase()` and
 * the status pin's line, loaded for each call.
 */
import { status, report, erase, publishStatus } from "../api/spool-status.ts";

const part = { status: status, report: report, erase: erase, publishStatus: publishStatus };

export type ReportPart = typeof part;
export default part;
