/**
 * Per-device request rate limit over a sliding one-second window: a request is refused when the
 * device already had `limit` accepted requests in the last 1000 ms. Refused requests do not count,
 * so a device that backs off gets through again after at most one second.
 */
const WINDOW_MS = 1000;

export class RateLimiter {
  /** device id -> times of the last `limit` accepted requests (a ring) */
  private readonly rings = new Map<number, { times: number[]; next: number }>();

  constructor(private readonly limit: number) {}

  /** @returns true when the request may go on (and records it), false when over the limit. */
  allow(deviceId: number, now: number): boolean {
    if (this.limit <= 0) return true;
    let ring = this.rings.get(deviceId);
    if (!ring) {
      ring = { times: [], next: 0 };
      this.rings.set(deviceId, ring);
    }
    if (ring.times.length < this.limit) {
      ring.times.push(now);
      return true;
    }
    // The oldest of the last `limit` accepted requests sits at `next`.
    if (now - ring.times[ring.next] < WINDOW_MS) return false;
    ring.times[ring.next] = now;
    ring.next = (ring.next + 1) % this.limit;
    return true;
  }
}
