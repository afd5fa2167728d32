/**
 * Spool's configuration: its schema, defaults, validation and masking.
 *
 * `spool.setup(input)` merges `input` into the current configuration section by section
 * (objects field by field; arrays - datastreams, schedules, ntp.servers - are replaced whole),
 * checks the result as a whole, and only then stores it. Every error names the field path and
 * what would be valid, and never echoes a secret.
 */
import type { DeviceBoard } from "../board.ts";
import type { DatastreamType } from "../types.ts";
import type { FullPolicy } from "../store/contract.ts";
import type { UnanchoredPolicy } from "../clock/timekeeper.ts";
import { maskToken } from "../uplink/mask.ts";
import { describe, type DatastreamSettings } from "../codec/value.ts";

export { describe };

/** Storage file holding the configuration (JSON). */
export const CONFIG_FILE = "spool.json";
/** Shown instead of a secret. */
export const MASK = "********";
/** Blynk's own cap on points per batch request. */
export const MAX_BATCH = 10000;
export const MAX_DATASTREAMS = 32;
export const MAX_SCHEDULES = 16;
export const MIN_SAMPLE_MS = 100;
export const MAX_SAMPLE_MS = 7 * 86400000;
export const MIN_STATUS_MS = 10000;
export const TYPES: DatastreamType[] = ["integer", "double", "boolean", "enum", "string", "location"];
export const REGIONS = ["fra1", "lon1", "ny3", "sgp1", "blr1", ""];
export const SOURCES = ["temperature", "analog", "synthetic"];
export const POLICIES: FullPolicy[] = ["overwrite-oldest", "refuse"];
export const UNANCHORED_POLICIES: UnanchoredPolicy[] = ["wait", "estimate", "drop"];
export const BAD_PIN_POLICIES = ["keep", "drop"];
/** Widest estimate window accepted for `clock.maxEstimateWidthMs` (1 day). */
export const MAX_ESTIMATE_WIDTH_MS = 86400000;
/**
 * Requests per day by default: Blynk counts every External API request as a message, and a free
 * plan has about 100k a month; 2,000 a day leaves room for the app and other traffic.
 */
export const DEFAULT_REQUESTS_PER_DAY = 2000;

/** A configured datastream: its pin and the settings of codec/value.ts (precision: doubles only, float32 about 7 digits). */
export interface DatastreamConfig extends DatastreamSettings {
  /** Virtual pin 0..255 (input also takes "V5"). */
  pin: number;
}

/** A sampling schedule the default firmware runs: read `source` every `everyMs`, record it on `pin`. */
export interface ScheduleConfig {
  pin: number;
  everyMs: number;
  /** What to read: the board's sampler kind by default. */
  source: string;
}

/** The whole configuration, as stored in {@link CONFIG_FILE}. */
export interface SpoolConfig {
  wifi: { ssid: string; password: string };
  /** Where readings go. An empty token leaves the uplink idle. */
  blynk: { token: string; host: string; scheme: "https" | "http"; port: number };
  datastreams: DatastreamConfig[];
  schedules: ScheduleConfig[];
  buffer: { policy: FullPolicy };
  /** batchSize is capped by the board's `upload.maxPointsPerRequest` when used. */
  /** requestsPerDay: every request counts against the plan's messages; uploads are paced to it. */
  limits: { batchSize: number; dailyQuota: number; maxAgeDays: number; requestsPerDay: number };
  /** `port`: the servers' UDP port when not 123 (a local responder in tests). */
  ntp: { servers: string[]; port?: number };
  /**
   * Readings of a past boot whose clock was never set ("unanchored"): "estimate" places them
   * between the boots around them when that window is at most `maxEstimateWidthMs` wide, else
   * keeps them like "wait"; "wait" keeps them and reports them in the status; "drop" discards
   * them (counted as dropped "unresolved-time"). See docs/clock.md.
   */
  clock: { unanchored: UnanchoredPolicy; maxEstimateWidthMs: number; validAtBoot: boolean };
  /** Readings of a pin the server refuses ("No datastream setup for that pin."): kept (sent after a reboot fixes it) or dropped ("bad-pin"). */
  uplink: { badPin: "keep" | "drop" };
  /** While online, a new reading is sent at most this long after it was recorded. */
  flushDelayMs: number;
  /** A String datastream that receives a status summary every `statusEveryMs`; null = off. */
  statusPin: number | null;
  statusEveryMs: number;
}

/** A configuration key and its known sub-keys (for "unknown field" errors). */
const SECTIONS: { [key: string]: string[] | null } = {
  wifi: ["ssid", "password"],
  blynk: ["token", "host", "region", "scheme", "port"],
  datastreams: null,
  schedules: null,
  buffer: ["policy"],
  limits: ["batchSize", "dailyQuota", "maxAgeDays", "requestsPerDay"],
  ntp: ["servers", "port"],
  clock: ["unanchored", "maxEstimateWidthMs", "validAtBoot"],
  uplink: ["badPin"],
  flushDelayMs: null,
  statusPin: null,
  statusEveryMs: null,
};

/** The configuration a board starts with before any `setup`. */
export function defaultConfig(board: DeviceBoard): SpoolConfig {
  return {
    wifi: { ssid: "", password: "" },
    blynk: { token: "", host: board.blynk.host, scheme: board.blynk.scheme, port: board.blynk.port },
    datastreams: [],
    schedules: [],
    buffer: { policy: "overwrite-oldest" },
    limits: {
      batchSize: Math.min(MAX_BATCH, board.upload.maxPointsPerRequest),
      dailyQuota: 10000,
      maxAgeDays: 30,
      requestsPerDay: DEFAULT_REQUESTS_PER_DAY,
    },
    ntp: { servers: ["pool.ntp.org"] },
    clock: { unanchored: "estimate", maxEstimateWidthMs: 60000, validAtBoot: !!(board.clock && board.clock.validAtBoot) },
    uplink: { badPin: "keep" },
    flushDelayMs: 10000,
    statusPin: null,
    statusEveryMs: 15 * 60000,
  };
}

/** Throws the error every validation failure uses. */
function fail(path: string, what: string, got: any): never {
  throw new Error("spool.setup: " + path + " must be " + what + " (got " + describe(got) + ")");
}

/** Secrets are described by their length only. */
function failSecret(path: string, what: string, got: any): never {
  const len = typeof got === "string" ? got.length + " characters" : "a " + typeof got;
  throw new Error("spool.setup: " + path + " must be " + what + " (got " + len + ")");
}

function isObject(v: any): boolean {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkKeys(obj: any, path: string, known: string[]): void {
  const keys = Object.keys(obj);
  for (let i = 0; i < keys.length; i++) {
    if (known.indexOf(keys[i]) < 0) {
      throw new Error("spool.setup: unknown field " + path + keys[i] + " (valid: " + known.join(", ") + ")");
    }
  }
}

function isInt(v: any): boolean {
  return typeof v === "number" && isFinite(v) && Math.floor(v) === v;
}

function intIn(v: any, path: string, lo: number, hi: number): number {
  if (!isInt(v) || v < lo || v > hi) fail(path, "an integer " + lo + ".." + hi, v);
  return v;
}

/** Host name or IPv4 address: letters, digits, dots, hyphens. */
function isHost(v: any): boolean {
  if (typeof v !== "string" || v.length < 1 || v.length > 253) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46;
    if (!ok) return false;
  }
  return v.charAt(0) !== "." && v.charAt(0) !== "-";
}

/** Characters a Blynk auth token is made of. */
function isTokenText(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95;
    if (!ok) return false;
  }
  return true;
}

/**
 * A virtual pin from a number 0..255 or a string "V5"/"v5", or -1 when it is neither.
 */
export function parsePin(v: any): number {
  let n: any = v;
  if (typeof v === "string") {
    const c = v.charAt(0);
    if ((c !== "V" && c !== "v") || v.length < 2 || v.length > 4) return -1;
    const digits = v.substr(1);
    for (let i = 0; i < digits.length; i++) {
      const d = digits.charCodeAt(i);
      if (d < 48 || d > 57) return -1;
    }
    n = parseInt(digits, 10);
  }
  if (!isInt(n) || n < 0 || n > 255) return -1;
  return n;
}

function pinAt(v: any, path: string): number {
  const p = parsePin(v);
  if (p < 0) fail(path, 'a virtual pin 0..255 or "V0".."V255"', v);
  return p;
}

function oneOf(v: any, path: string, list: string[]): string {
  if (list.indexOf(v) < 0) {
    const shown: string[] = [];
    for (let i = 0; i < list.length; i++) shown.push(list[i] === "" ? '""' : list[i]);
    fail(path, "one of " + shown.join(", "), v);
  }
  return v;
}

function sectionOf(input: any, key: string): any {
  const v = input[key];
  if (v === undefined) return undefined;
  if (!isObject(v)) fail(key, "an object with " + (SECTIONS[key] as string[]).join(", "), v);
  checkKeys(v, key + ".", SECTIONS[key] as string[]);
  return v;
}

function checkWifi(inp: any, out: SpoolConfig): void {
  if (inp.ssid !== undefined) {
    if (typeof inp.ssid !== "string" || inp.ssid.length > 32) fail("wifi.ssid", "a string of 0..32 characters", inp.ssid);
    out.wifi.ssid = inp.ssid;
  }
  if (inp.password !== undefined) {
    const p = inp.password;
    if (typeof p !== "string" || (p.length > 0 && p.length < 8) || p.length > 63) {
      failSecret("wifi.password", 'a string of 8..63 characters (WPA2), or "" for an open network', p);
    }
    out.wifi.password = p;
  }
}

function checkBlynk(inp: any, out: SpoolConfig, board: DeviceBoard): void {
  if (inp.token !== undefined) {
    const t = inp.token;
    if (typeof t !== "string" || (t.length > 0 && t.length < 8) || t.length > 64 || !isTokenText(t)) {
      failSecret("blynk.token", 'the device\'s auth token: 8..64 of A-Z a-z 0-9 _ - (or "" for none)', t);
    }
    out.blynk.token = t;
  }
  if (inp.host !== undefined && inp.region !== undefined) {
    throw new Error("spool.setup: give blynk.host or blynk.region, not both (a region sets the host to <region>.blynk.cloud)");
  }
  if (inp.region !== undefined) {
    const r = oneOf(inp.region, "blynk.region", REGIONS);
    out.blynk.host = r === "" ? "blynk.cloud" : r + ".blynk.cloud";
  }
  if (inp.host !== undefined) {
    if (!isHost(inp.host)) fail("blynk.host", "a host name such as fra1.blynk.cloud, without scheme, port or path", inp.host);
    out.blynk.host = inp.host;
  }
  if (inp.scheme !== undefined) {
    const s = oneOf(inp.scheme, "blynk.scheme", ["https", "http"]);
    if (s === "https" && !board.tls) {
      throw new Error('spool.setup: blynk.scheme must be "http" on ' + board.id + ', which has no TLS (got "https")');
    }
    // A scheme change without a port moves to that scheme's standard port.
    if (s !== out.blynk.scheme && inp.port === undefined) out.blynk.port = s === "https" ? 443 : 80;
    out.blynk.scheme = s as "https" | "http";
  }
  if (inp.port !== undefined) out.blynk.port = intIn(inp.port, "blynk.port", 1, 65535);
}

function checkDatastreams(inp: any): DatastreamConfig[] {
  if (!Array.isArray(inp) || inp.length > MAX_DATASTREAMS) {
    fail("datastreams", "an array of at most " + MAX_DATASTREAMS + " {pin, type, precision?}", inp);
  }
  const out: DatastreamConfig[] = [];
  for (let i = 0; i < inp.length; i++) {
    const d = inp[i];
    const at = "datastreams[" + i + "]";
    if (!isObject(d)) fail(at, "an object {pin, type, precision?}", d);
    checkKeys(d, at + ".", ["pin", "type", "precision"]);
    const pin = pinAt(d.pin, at + ".pin");
    const type = oneOf(d.type, at + ".type", TYPES as string[]) as DatastreamType;
    for (let j = 0; j < out.length; j++) {
      if (out[j].pin === pin)
        throw new Error("spool.setup: " + at + ".pin V" + pin + " is already datastreams[" + j + "]: one entry per pin");
    }
    const ds: DatastreamConfig = { pin: pin, type: type };
    if (type === "double") ds.precision = "float32";
    if (d.precision !== undefined) {
      if (type !== "double") fail(at + ".precision", "left out: precision applies to double datastreams only", d.precision);
      ds.precision = oneOf(d.precision, at + ".precision", ["float32", "float64"]) as "float32" | "float64";
    }
    out.push(ds);
  }
  return out;
}

function checkSchedules(inp: any, board: DeviceBoard): ScheduleConfig[] {
  if (!Array.isArray(inp) || inp.length > MAX_SCHEDULES) {
    fail("schedules", "an array of at most " + MAX_SCHEDULES + " {pin, everyMs, source?}", inp);
  }
  const out: ScheduleConfig[] = [];
  for (let i = 0; i < inp.length; i++) {
    const s = inp[i];
    const at = "schedules[" + i + "]";
    if (!isObject(s)) fail(at, "an object {pin, everyMs, source?}", s);
    checkKeys(s, at + ".", ["pin", "everyMs", "source"]);
    const pin = pinAt(s.pin, at + ".pin");
    const every = intIn(s.everyMs, at + ".everyMs", MIN_SAMPLE_MS, MAX_SAMPLE_MS);
    const source = s.source === undefined ? board.sampler.kind : oneOf(s.source, at + ".source", SOURCES);
    out.push({ pin: pin, everyMs: every, source: source });
  }
  return out;
}

function findStream(c: SpoolConfig, pin: number): DatastreamConfig | undefined {
  for (let i = 0; i < c.datastreams.length; i++) if (c.datastreams[i].pin === pin) return c.datastreams[i];
  return undefined;
}

/** Checks that hold between sections, on the merged result. */
function checkWhole(c: SpoolConfig): void {
  for (let i = 0; i < c.schedules.length; i++) {
    const s = c.schedules[i];
    const ds = findStream(c, s.pin);
    if (!ds) {
      throw new Error(
        "spool.setup: schedules[" +
          i +
          "].pin V" +
          s.pin +
          " must be one of the datastreams (add {pin: " +
          s.pin +
          ', type: "double"} to datastreams)',
      );
    }
    if (ds.type !== "double" && ds.type !== "integer") {
      throw new Error(
        "spool.setup: schedules[" +
          i +
          "].pin V" +
          s.pin +
          " must be a double or integer datastream: " +
          s.source +
          " gives numbers (got " +
          ds.type +
          ")",
      );
    }
  }
  if (c.statusPin !== null) {
    const ds = findStream(c, c.statusPin);
    if (!ds || ds.type !== "string") {
      throw new Error(
        "spool.setup: statusPin V" +
          c.statusPin +
          " must be a string datastream (add {pin: " +
          c.statusPin +
          ', type: "string"} to datastreams)',
      );
    }
  }
}

/** A deep copy through JSON (configurations hold only JSON values). */
export function copyConfig(c: SpoolConfig): SpoolConfig {
  return JSON.parse(JSON.stringify(c));
}

/**
 * Merges `input` into `current` and validates the result.
 *
 * @param input what the user passed to `spool.setup` (partial).
 * @param current the configuration in force (full); not modified.
 * @returns the new full configuration.
 * @throws Error naming the field path and what would be valid; secrets are described by length only.
 */
export function mergeConfig(input: any, current: SpoolConfig, board: DeviceBoard): SpoolConfig {
  if (!isObject(input)) fail("the configuration", "an object such as {wifi: {ssid, password}, blynk: {token}}", input);
  checkKeys(input, "", Object.keys(SECTIONS));
  const out = copyConfig(current);
  let sec = sectionOf(input, "wifi");
  if (sec) checkWifi(sec, out);
  sec = sectionOf(input, "blynk");
  if (sec) checkBlynk(sec, out, board);
  if (input.datastreams !== undefined) out.datastreams = checkDatastreams(input.datastreams);
  if (input.schedules !== undefined) out.schedules = checkSchedules(input.schedules, board);
  sec = sectionOf(input, "buffer");
  if (sec && sec.policy !== undefined) out.buffer.policy = oneOf(sec.policy, "buffer.policy", POLICIES as string[]) as FullPolicy;
  sec = sectionOf(input, "limits");
  if (sec) {
    if (sec.batchSize !== undefined) out.limits.batchSize = intIn(sec.batchSize, "limits.batchSize", 1, MAX_BATCH);
    if (sec.dailyQuota !== undefined) out.limits.dailyQuota = intIn(sec.dailyQuota, "limits.dailyQuota", 1, 10000000);
    if (sec.maxAgeDays !== undefined) out.limits.maxAgeDays = intIn(sec.maxAgeDays, "limits.maxAgeDays", 1, 366);
    if (sec.requestsPerDay !== undefined) out.limits.requestsPerDay = intIn(sec.requestsPerDay, "limits.requestsPerDay", 24, 1000000);
  }
  sec = sectionOf(input, "ntp");
  if (sec && sec.servers !== undefined) {
    const s = sec.servers;
    if (!Array.isArray(s) || s.length < 1 || s.length > 4) fail("ntp.servers", "an array of 1..4 host names", s);
    for (let i = 0; i < s.length; i++) if (!isHost(s[i])) fail("ntp.servers[" + i + "]", "a host name such as pool.ntp.org", s[i]);
    out.ntp.servers = s.slice();
  }
  if (sec && sec.port !== undefined) out.ntp.port = intIn(sec.port, "ntp.port", 1, 65535);
  sec = sectionOf(input, "clock");
  if (sec && sec.unanchored !== undefined)
    out.clock.unanchored = oneOf(sec.unanchored, "clock.unanchored", UNANCHORED_POLICIES as string[]) as UnanchoredPolicy;
  if (sec && sec.maxEstimateWidthMs !== undefined)
    out.clock.maxEstimateWidthMs = intIn(sec.maxEstimateWidthMs, "clock.maxEstimateWidthMs", 0, MAX_ESTIMATE_WIDTH_MS);
  if (sec && sec.validAtBoot !== undefined) {
    if (sec.validAtBoot !== true && sec.validAtBoot !== false)
      fail("clock.validAtBoot", "true (the clock is right at power-on: a battery-backed RTC) or false", sec.validAtBoot);
    out.clock.validAtBoot = sec.validAtBoot;
  }
  sec = sectionOf(input, "uplink");
  if (sec && sec.badPin !== undefined) out.uplink.badPin = oneOf(sec.badPin, "uplink.badPin", BAD_PIN_POLICIES) as "keep" | "drop";
  if (input.flushDelayMs !== undefined) out.flushDelayMs = intIn(input.flushDelayMs, "flushDelayMs", 0, 3600000);
  if (input.statusPin !== undefined) out.statusPin = input.statusPin === null ? null : pinAt(input.statusPin, "statusPin");
  if (input.statusEveryMs !== undefined) out.statusEveryMs = intIn(input.statusEveryMs, "statusEveryMs", MIN_STATUS_MS, 86400000);
  checkWhole(out);
  return out;
}

/** A copy safe to print: password and token masked. */
export function maskConfig(c: SpoolConfig): SpoolConfig {
  const m = copyConfig(c);
  m.wifi.password = m.wifi.password ? MASK : "";
  m.blynk.token = m.blynk.token ? maskToken(m.blynk.token) : "";
  return m;
}
