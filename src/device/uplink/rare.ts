/**
 * What the uplink does on the paths a healthy flush never takes: a reply other than 200 (a
 * redirect, a refused token or pin, a batch too big, the quota, an unrecognised 400, a failure
 * to wait out), the isolation of a refused reading, the day's pause, the time probe.
 *
 * They are a part of their own (src/device/parts/rare.ts), loaded by {@link rare} when one of
 * these paths runs and dropped after: a function at a part's level costs about 5 JsVars while the
 * part is held, and the reply part, held at the highest point of every flush step, held this
 * factory and the request functions only these paths use (about 20 JsVars; docs/memory.md). The
 * behaviour is docs/uplink.md's ("Replies", "Isolation").
 */

import { redactToken } from "./mask.ts";
import { wantsTime } from "../clock/timekeeper.ts";
import { Q_EXHAUST, quota } from "./quota.ts";
import type { ReplyAction } from "./reply.ts";
import { K_ATTEMPT, K_BACKOFF, K_MAX_POINTS, K_PROBED_AT, K_REJECTED, K_STOPPED_TOKEN, K_WINDOW, TOKEN, setPhase } from "./state.ts";
import { CF_BACKOFF_BASE, CF_BACKOFF_CAP, CF_DROP_BAD, CF_WINDOW0 } from "./state.ts";
import type { Batch, Run } from "./state.ts";
import { REGION_FILE, exchange, header, mayRequest, nowUtc, schedule, setState } from "./uplink.ts";
import type { Target, UplinkState } from "./uplink.ts";

/** The rare paths, made for one use (see the module doc). */
export interface RarePaths {
  /** What to do about a reply that is neither a 200 nor the end of an isolation. */
  reply(u: Run, b: Batch, t: Target, action: ReplyAction, headers: { [name: string]: string } | undefined, hops: number): void;
  /** A 200 inside an isolation: evidence that the server takes this pin's readings. */
  isolationOk(u: Run, b: Batch): void;
  /** Ends the suspect of an isolation: dropped as "rejected" when the evidence holds, else kept. */
  settleSuspect(u: Run, reject: boolean): void;
  /** Waits for the next UTC day (re-checked at least hourly: the clock may be stepped meanwhile). */
  pauseForTheDay(u: Run, now: number | undefined, why: UplinkState): void;
  /** A request made for its `Date` header only: the clock of a boot with nothing to send. */
  probe(u: Run): void;
  /** The time probe's reply (its Date already given to the clock): status 0 and why, or the status. */
  probed(u: Run, code: number, raw: string): void;
  /** Waits before the next request: full jitter, or the server's Retry-After when it says so. */
  retryLater(u: Run, retryAfter: string | undefined): void;
}

/** The rare paths of uplink `u`: its code's rare part, loaded for this use. */
export function rare(u: Run): RarePaths {
  return u._code.load("rare");
}

/** The rare paths' functions, made now: the rare part's value (see the module doc). */
export function rarePaths(): RarePaths {
  // Here, not at the module level: a constant there is a variable of the part's scope.
  const MAX_REDIRECTS = 3;
  /** The cheapest documented request, made when a boot needs a time and has nothing to send. */
  const PROBE_PATH = "/external/api/isHardwareConnected?token=";

  function retryLater(u: Run, retryAfter: string | undefined): void {
    const n = u._k.n;
    const cap = u._cf[CF_BACKOFF_CAP];
    // Full jitter (AWS architecture blog): a random delay in [0, min(cap, base * 2^attempt)).
    let ceiling = u._cf[CF_BACKOFF_BASE];
    for (let i = 0; i < n[K_ATTEMPT] && ceiling < cap; i++) ceiling *= 2;
    n[K_BACKOFF] = Math.floor(u._hal.random() * (ceiling < cap ? ceiling : cap));
    const ra = retryAfter ? Number(retryAfter) * 1000 : NaN;
    if (ra > n[K_BACKOFF]) n[K_BACKOFF] = ra < cap ? ra : cap;
    n[K_ATTEMPT]++;
    schedule(u, n[K_BACKOFF], true);
    setState(u, "backoff");
  }

  /** Back to the first batch size (the configured one, within what the server takes). */
  function firstWindow(u: Run): void {
    const n = u._k.n;
    n[K_WINDOW] = u._cf[CF_WINDOW0] < n[K_MAX_POINTS] ? u._cf[CF_WINDOW0] : n[K_MAX_POINTS];
  }

  function settleSuspect(u: Run, reject: boolean): void {
    const x = u._iso!;
    if (reject) {
      u._store.drop(x._suspect, "rejected");
      u._k.n[K_REJECTED]++;
      u._hal.log("uplink: V" + x._pin + " reading refused alone while its neighbours were accepted: dropped as rejected");
    }
    u._iso = undefined;
  }

  /**
   * An unrecognised 400: the server's state, unless it refuses one reading alone while it
   * accepts that reading's neighbours in the same pass. Halves the batch to find such a
   * reading, waiting out a backoff between refusals until a 200 shows the server takes data.
   */
  function isolationRefused(u: Run, b: Batch): void {
    if (!u._iso || u._iso._pin !== b._pin) {
      u._iso = { _pin: b._pin, _end: b._last, _limit: b._count, _ok: false, _suspect: -1, _confirm: false };
    }
    const x = u._iso;
    if (x._confirm && b._start === x._suspect) {
      // Refused alone again, after its neighbours on both sides were accepted.
      settleSuspect(u, x._ok);
      schedule(u, 0);
      return;
    }
    if (x._suspect >= 0) {
      // The neighbours after the suspect are refused too: the server's state after all.
      u._iso = undefined;
      retryLater(u, undefined);
      return;
    }
    if (b._count > 1) x._limit = Math.ceil(b._count / 2);
    else x._suspect = b._start;
    if (x._ok) schedule(u, 0);
    else retryLater(u, undefined);
  }

  /** Parses an absolute or path-only Location against the current target. */
  function parseLocation(loc: string, cur: Target): { target: Target; path: string } | undefined {
    if (loc.charAt(0) === "/") return { target: cur, path: loc };
    const i = loc.indexOf("://");
    if (i < 0) return undefined;
    const scheme = loc.substring(0, i).toLowerCase();
    if (scheme !== "http" && scheme !== "https") return undefined;
    const rest = loc.substring(i + 3);
    let slash = rest.indexOf("/");
    if (slash < 0) slash = rest.length;
    const hostPort = rest.substring(0, slash);
    const path = slash < rest.length ? rest.substring(slash) : "/";
    const colon = hostPort.lastIndexOf(":");
    let host = hostPort;
    let port = scheme === "https" ? 443 : 80;
    if (colon > 0 && hostPort.indexOf("]") < colon) {
      host = hostPort.substring(0, colon);
      port = Number(hostPort.substring(colon + 1));
      if (!(port > 0 && port < 65536)) return undefined;
    }
    if (!host) return undefined;
    return { target: { scheme: scheme as "http" | "https", host: host, port: port }, path: path };
  }

  function redirect(u: Run, b: Batch, t: Target, location: string, hops: number): void {
    const k = u._k;
    const loc = parseLocation(location, t);
    if (!loc || hops >= MAX_REDIRECTS) {
      k.lastReply = { status: k.lastReply ? k.lastReply.status : 0, message: "unusable redirect" };
      retryLater(u, undefined);
      return;
    }
    // Blynk may send an https Location to a board without TLS: keep the board's scheme (and
    // then its port), take only the host and path.
    const next: Target = { scheme: t.scheme, host: loc.target.host, port: loc.target.scheme === t.scheme ? loc.target.port : t.port };
    if (next.host !== k.target.host || next.port !== k.target.port) {
      k.target = next;
      u._hal.log("uplink: region is now " + next.host);
      try {
        u._hal.storage.write(REGION_FILE, JSON.stringify({ from: u._homeHost, scheme: next.scheme, host: next.host, port: next.port }));
      } catch (_e) {
        // remembered for this boot only
      }
    }
    if (!mayRequest(u, nowUtc(u), true)) return;
    exchange(u, next, loc.path, b, hops + 1);
  }

  return {
    reply: (u, b, t, action, headers, hops) => {
      const k = u._k;
      if (action === "redirect") {
        redirect(u, b, t, header(headers, "Location") || "", hops);
      } else if (action === "stop-token") {
        k.n[K_STOPPED_TOKEN] = 1;
        // Why an `Invalid token.` may not mean a wrong token (Blynk's troubleshooting: GeoDNS).
        k.hint = "the token is wrong, or belongs to another region: set blynk.host to your region's server (e.g. fra1.blynk.cloud)";
        schedule(u, -1);
        setPhase(u, TOKEN);
        setState(u, "stopped-token");
      } else if (action === "bad-pin") {
        if (!k.aside || !k.badPins) {
          k.aside = {};
          k.badPins = [];
        }
        if (k.aside[b._pin] === undefined) {
          k.aside[b._pin] = u._cf[CF_DROP_BAD] ? 2 : 1;
          k.badPins.push(b._pin);
        }
        schedule(u, 0);
      } else if (action === "too-big") {
        const n = k.n;
        n[K_MAX_POINTS] = b._count > 1 ? Math.floor(b._count / 2) : 1;
        if (n[K_WINDOW] > n[K_MAX_POINTS]) n[K_WINDOW] = n[K_MAX_POINTS];
        schedule(u, 0);
      } else if (action === "quota") {
        quota(u._q, u._hal.storage, nowUtc(u), Q_EXHAUST);
        schedule(u, 0);
      } else if (action === "unknown") {
        isolationRefused(u, b);
      } else {
        // Nothing came back (the server may have stored the body): risk less next time.
        if (action === "lost") firstWindow(u);
        retryLater(u, header(headers, "Retry-After"));
      }
    },
    isolationOk: (u, b) => {
      const x = u._iso!;
      x._ok = true;
      if (x._suspect >= 0) {
        if (x._confirm && b._start === x._suspect) {
          // Accepted alone after all: it was the server's state, not the reading.
          u._iso = undefined;
          return;
        }
        if (!x._confirm && b._start > x._suspect) {
          // Its right-hand neighbours were accepted: refused alone between accepted neighbours.
          x._confirm = true;
          return;
        }
      }
      if (b._last >= x._end) u._iso = undefined;
      // Accepted: what refused was in the rest of the window, or was the server's state.
      else x._limit = x._limit * 2;
    },
    settleSuspect: settleSuspect,
    pauseForTheDay: (u, now, why) => {
      // To the next UTC day (86,400,000 ms), plus up to a minute.
      const wait = now === undefined ? 3600000 : (Math.floor(now / 86400000) + 1) * 86400000 - now + Math.floor(u._hal.random() * 60000);
      schedule(u, wait < 3600000 ? wait : 3600000, true);
      setState(u, why);
    },
    probe: (u) => {
      const k = u._k;
      exchange(u, k.target, PROBE_PATH + k.token, undefined, 0);
    },
    probed: (u, code, raw) => {
      const k = u._k;
      if (code === 0) {
        k.lastReply = { status: 0, message: redactToken(raw, k.token) };
        firstWindow(u);
        retryLater(u, undefined);
        return;
      }
      k.n[K_PROBED_AT] = u._hal.uptime();
      const kp = u._res.keeper;
      if (kp && wantsTime(kp)) u._hal.log("uplink: no time in the reply to the time probe (" + code + ")");
      schedule(u, 0);
    },
    retryLater: retryLater,
  };
}
