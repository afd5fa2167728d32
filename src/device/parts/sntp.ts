/**
 * The SNTP part (src/device/parts.ts): the client and its packet code, loaded for each sync round
 * and dropped when the round ends. Between rounds spool keeps the timer to the next one and the
 * client's `SntpKeep` (docs/memory.md).
 */
import { SntpClient, type SntpOptions } from "../clock/sntp.ts";

const part = { createSntp: (o: SntpOptions) => new SntpClient(o) };

export type SntpPart = typeof part;
export default part;
