/**
 * Health: the object `spool.status()` returns, the text `spool.report()` prints, and the short
 * line published to the status pin. Nothing here ever holds a secret in clear: the token is
 * masked before it arrives, the WiFi password never does.
 */

/** A sampling schedule's counters. */
export interface ScheduleStatus {
  pin: number;
  everyMs: number;
  source: string;
  samples: number;
  errors: number;
  lastError?: string;
}

export interface SpoolStatus {
  board: string;
  version: string;
  /** False between `spool.stop()` and `spool.start()`. */
  running: boolean;
  queue: {
    /** Undelivered readings. */
    pending: number;
    /** Seconds since the oldest undelivered reading was taken; null when none or unknown. */
    oldestAgeS: number | null;
    freeReadings: number;
    freePercent: number;
    bytesUsed: number;
    bytesTotal: number;
    policy: string;
  };
  /** Readings dropped, by reason (only non-zero reasons). */
  drops: { [reason: string]: number };
  flash: {
    sectors: number;
    quarantined: number;
    eraseCountMin: number;
    eraseCountMax: number;
    eraseCycles: number;
    /** Projected days until the most-erased sector reaches its rated cycles; null if unknown. */
    lifetimeDays: number | null;
  };
  clock: {
    synced: boolean;
    /** Last correction applied by a sync, ms. */
    lastOffsetMs: number | null;
    driftPpm: number | null;
    /** Seconds since the last accepted sync. */
    lastSyncAgoS: number | null;
    lastError: string | null;
    /** Where the time comes from: "sntp", "http-date" (a reply's Date, about 1 s), "board" (clock valid at boot), "none". */
    source: string;
    /** Readings kept because their boot never learned the time. */
    unresolved: number;
    /** Why (the first such boot), or null. */
    unresolvedWhy: string | null;
  };
  uplink: {
    state: string;
    /** scheme://host:port */
    server: string;
    /** The token, masked. */
    token: string;
    lastReply: string | null;
    backoffS: number;
    /** Seconds until the next attempt, if one is scheduled. */
    nextAttemptInS: number | null;
    quotaUsed: number;
    quotaDaily: number;
    delivered: number;
    /** Requests made today (UTC) against the daily budget `limits.requestsPerDay`. */
    requestsToday: number;
    requestsPerDay: number;
    /** Points the next request may carry (small after a boot, a lost reply or a reconnect; grows with each 200). */
    batchLimit: number;
    /** What the last reply probably means, when the user must act (e.g. a token of another region). */
    hint: string | null;
    warning: string | null;
  };
  network: { kind: string; ssid: string; up: boolean };
  sampling: ScheduleStatus[];
  memory: { free: number; usage: number; total: number };
}

function plural(n: number, one: string): string {
  return n + " " + one + (n === 1 ? "" : "s");
}

/** A duration in seconds as "45 s", "12 min", "3.5 h", "2.1 days", "7.3 years". */
export function formatAge(s: number): string {
  if (s < 120) return Math.round(s) + " s";
  if (s < 7200) return Math.round(s / 60) + " min";
  if (s < 172800) return Math.round(s / 360) / 10 + " h";
  if (s < 63072000) return Math.round(s / 8640) / 10 + " days";
  return Math.round(s / 3153600) / 10 + " years";
}

/**
 * The text `spool.report()` prints, handed to `line` one line at a time as it is made: the
 * report prints each at once instead of holding them all (docs/memory.md).
 */
export function formatStatus(st: SpoolStatus, line: (text: string) => void): void {
  const q = st.queue;
  line("Spool " + st.version + " on " + st.board + (st.running ? "" : " (stopped)"));
  line(
    "queue    " +
      plural(q.pending, "undelivered reading") +
      (q.pending ? ", oldest " + (q.oldestAgeS === null ? "of unknown age" : formatAge(q.oldestAgeS) + " old") : "") +
      "; room for " +
      q.freeReadings +
      " more (" +
      q.freePercent +
      "% free), policy " +
      q.policy,
  );
  const reasons = Object.keys(st.drops);
  const dropText: string[] = [];
  for (let i = 0; i < reasons.length; i++) dropText.push(reasons[i] + " " + st.drops[reasons[i]]);
  line("drops    " + (dropText.length ? dropText.join(", ") : "none"));
  const f = st.flash;
  line(
    "flash    " +
      f.sectors +
      " sectors" +
      (f.quarantined ? " (" + f.quarantined + " quarantined)" : "") +
      ", erased " +
      f.eraseCountMin +
      ".." +
      f.eraseCountMax +
      " times of " +
      f.eraseCycles +
      ", lifetime " +
      (f.lifetimeDays === null ? "not yet known" : "about " + formatAge(f.lifetimeDays * 86400)),
  );
  const c = st.clock;
  let clock = c.synced ? "synced (" + c.source + ")" : c.source === "http-date" ? "coarse time from an HTTP Date" : "not synced";
  if (c.lastOffsetMs !== null) clock += ", last offset " + (c.lastOffsetMs >= 0 ? "+" : "") + Math.round(c.lastOffsetMs) + " ms";
  if (c.driftPpm !== null) clock += ", drift " + Math.round(c.driftPpm * 10) / 10 + " ppm";
  if (c.lastSyncAgoS !== null) clock += ", last sync " + formatAge(c.lastSyncAgoS) + " ago";
  if (c.unresolved) clock += ", " + plural(c.unresolved, "reading") + " kept without a time (" + c.unresolvedWhy + ")";
  if (c.lastError) clock += "; last error: " + c.lastError;
  line("clock    " + clock);
  const u = st.uplink;
  let up = u.state + " -> " + u.server + " (token " + (u.token || "not set") + ")";
  if (u.lastReply) up += ", last reply " + u.lastReply;
  line("uplink   " + up);
  let up2 =
    "quota " +
    u.quotaUsed +
    "/" +
    u.quotaDaily +
    " points, " +
    u.requestsToday +
    "/" +
    u.requestsPerDay +
    " requests today, " +
    u.delivered +
    " delivered, batch limit " +
    u.batchLimit;
  if (u.backoffS) up2 += ", backoff " + formatAge(u.backoffS);
  if (u.nextAttemptInS !== null) up2 += ", next attempt in " + formatAge(u.nextAttemptInS);
  line("         " + up2);
  if (u.hint) line("         likely cause: " + u.hint);
  if (u.warning) line("         warning: " + u.warning);
  const n = st.network;
  line(
    "network  " +
      (n.kind === "wifi"
        ? "WiFi " + (n.ssid ? '"' + n.ssid + '"' : "(no ssid set)") + (n.up ? " connected" : " down")
        : n.up
          ? "up"
          : "down"),
  );
  for (let i = 0; i < st.sampling.length; i++) {
    const s = st.sampling[i];
    line(
      (i === 0 ? "sampling " : "         ") +
        "V" +
        s.pin +
        " " +
        s.source +
        " every " +
        formatAge(s.everyMs / 1000) +
        ": " +
        plural(s.samples, "sample") +
        ", " +
        plural(s.errors, "error") +
        (s.lastError ? " (last: " + s.lastError + ")" : ""),
    );
  }
  const m = st.memory;
  line("memory   " + m.free + " of " + m.total + " JsVars free");
}

/** One short line for the status pin (well under Blynk's 1024-byte string limit). */
export function statusSummary(st: SpoolStatus): string {
  let drops = 0;
  const reasons = Object.keys(st.drops);
  for (let i = 0; i < reasons.length; i++) drops += st.drops[reasons[i]];
  let errors = 0;
  for (let i = 0; i < st.sampling.length; i++) errors += st.sampling[i].errors;
  return (
    "queue " +
    st.queue.pending +
    ", free " +
    st.queue.freePercent +
    "%, drops " +
    drops +
    ", clock " +
    (st.clock.synced ? "ok" : "unsynced") +
    ", uplink " +
    st.uplink.state +
    ", quota " +
    st.uplink.quotaUsed +
    "/" +
    st.uplink.quotaDaily +
    ", sample errors " +
    errors +
    ", mem " +
    st.memory.free +
    "/" +
    st.memory.total
  );
}
