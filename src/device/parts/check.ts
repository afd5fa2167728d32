/**
 * The check part (src/device/parts.ts): a configuration's validation (api/config.ts). Loaded
 * apart from the setup part, only for the statement that merges a configuration: `spool.setup`
 * then stores and applies the result without it (docs/memory.md). Only the merge of texts: the
 * boot's config part parses its result itself (config-boot.ts).
 */
import { mergeText } from "../api/config.ts";

const part = {
  mergeText: mergeText,
};

export type CheckPart = typeof part;
export { part as default };
