/**
 * The check part (src/device/parts.ts): a configuration's validation (api/config.ts). Loaded
 * apart from the setup part, only for the statement that merges a configuration: `spool.setup`
 * then stores and applies the result without it (docs/memory.md).
 */
import { mergeConfig, mergeText } from "../api/config.ts";

const part = {
  mergeConfig: mergeConfig,
  mergeText: mergeText,
};

export type CheckPart = typeof part;
export default part;
