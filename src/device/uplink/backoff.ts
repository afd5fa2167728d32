/** Full-jitter exponential backoff (AWS architecture blog): a random delay in [0, min(cap, base * 2^attempt)). */

export interface BackoffConfig {
  baseMs: number;
  capMs: number;
}

/** Delay before retry number `attempt` (0 = the first retry), `random` in [0, 1). */
export function fullJitterMs(cfg: BackoffConfig, attempt: number, random: number): number {
  let ceiling = cfg.baseMs;
  for (let i = 0; i < attempt && ceiling < cfg.capMs; i++) ceiling *= 2;
  if (ceiling > cfg.capMs) ceiling = cfg.capMs;
  return Math.floor(random * ceiling);
}
