/** The report part (src/device/parts.ts): `spool.report()`'s text and `spool.erase`'s confirmation. */
import { formatStatus } from "../api/status.ts";
import { confirmErase } from "../api/erase-confirm.ts";

const part = { formatStatus: formatStatus, confirmErase: confirmErase };

export type ReportPart = typeof part;
export default part;
