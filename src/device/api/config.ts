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

/** Throws the error every validation failure uses; a secret (`secret` set) is described by its length only. */
function fail(path: string, what: string, got: any, secret?: boolean): never {
  const shown = !secret ? describe(got) : typeof got === "string" ? got.length + " characters" : "a " + typeof got;
  throw new Error("spool.setup: " + path + " must be " + what + " (got " + shown + ")");
}

function isObject(v: any): boolean {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Each key of `obj` one of `known` (comma-separated). Looked up in the split list: Espruino 2v29's
 * `String.indexOf` finds a needle whose start matches the haystack's end (",a,b,".indexOf(",zz,")
 * is 4), so a search for ",key," in ",known," finds every key.
 */
function checkKeys(obj: any, path: string, known: string): void {
  const keys = Object.keys(obj);
  const list = known.split(",");
  for (let i = 0; i < keys.length; i++) {
    if (list.indexOf(keys[i]) < 0) {
      throw new Error("spool.setup: unknown field " + path + keys[i] + " (valid: " + list.join(", ") + ")");
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

/**
 * Whether `v` is a string of 1..`max` letters, digits and characters of `extra`; with `extra`
 * ".-", a host name or IPv4 address, which does not start with a dot or hyphen.
 */
function charsIn(v: any, max: number, extra: string): boolean {
  if (typeof v !== "string" || v.length < 1 || v.length > max) return false;
  if (extra === ".-" && extra.indexOf(v.charAt(0)) >= 0) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || extra.indexOf(v.charAt(i)) >= 0;
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

/**
 * Field `path` (one the chain below names) checked by its rule, `at` naming it in errors
 * (default `path`): "i" lo hi, an integer in lo..hi; or "o" and a comma-separated list `v` must
 * be one of (an empty entry is the empty string). A chain of tests, not a table: Espruino makes
 * a string literal only where it runs, so a call holds one short rule (docs/memory.md).
 */
function byRule(v: any, path: string, at?: string): any {
  const r = (
    path === "blynk.port" || path === "ntp.port"
      ? "i 1 65535"
      : path === "limits.batchSize"
        ? "i 1 " + MAX_BATCH
        : path === "limits.dailyQuota"
          ? "i 1 10000000"
          : path === "limits.maxAgeDays"
            ? "i 1 366"
            : path === "limits.requestsPerDay"
              ? "i 24 1000000"
              : path === "clock.maxEstimateWidthMs"
                ? "i 0 " + MAX_ESTIMATE_WIDTH_MS
                : path === "flushDelayMs"
                  ? "i 0 3600000"
                  : path === "statusEveryMs"
                    ? "i " + MIN_STATUS_MS + " 86400000"
                    : path === "blynk.region"
                      ? "o fra1,lon1,ny3,sgp1,blr1,"
                      : path === "blynk.scheme"
                        ? "o https,http"
                        : path === "buffer.policy"
                          ? "o overwrite-oldest,refuse"
                          : path === "clock.unanchored"
                            ? "o wait,estimate,drop"
                            : path === "uplink.badPin"
                              ? "o keep,drop"
                              : path === "datastreams.type"
                                ? "o integer,double,boolean,enum,string,location"
                                : path === "datastreams.precision"
                                  ? "o float32,float64"
                                  : "o temperature,analog,synthetic"
  ).split(" ");
  if (r[0] === "i") return intIn(v, at || path, +r[1], +r[2]);
  const all = r[1].split(",");
  if (typeof v !== "string" || all.indexOf(v) < 0) {
    for (let i = 0; i < all.length; i++) if (all[i] === "") all[i] = '""';
    fail(at || path, "one of " + all.join(", "), v);
  }
  return v;
}

/**
 * The list `inp` of datastreams or schedules (`name`) checked entry by entry: `fields` are an
 * entry's fields, `most` how many entries there may be.
 */
function checkList(inp: any, name: string, fields: string, most: number, board: () => DeviceBoard): any[] {
  const shape = "{" + fields.replace(",", ", ").replace(",", ", ") + "?}";
  if (!Array.isArray(inp) || inp.length > most) fail(name, "an array of at most " + most + " " + shape, inp);
  const out: any[] = [];
  for (let i = 0; i < inp.length; i++) {
    const d = inp[i];
    const at = name + "[" + i + "]";
    if (!isObject(d)) fail(at, "an object " + shape, d);
    checkKeys(d, at + ".", fields);
    const pin = pinAt(d.pin, at + ".pin");
    if (name === "schedules") {
      const every = intIn(d.everyMs, at + ".everyMs", MIN_SAMPLE_MS, MAX_SAMPLE_MS);
      const source = d.source === undefined ? board().sampler.kind : byRule(d.source, "schedules.source", at + ".source");
      out.push({ pin: pin, everyMs: every, source: source });
      continue;
    }
    const type = byRule(d.type, "datastreams.type", at + ".type") as DatastreamType;
    for (let j = 0; j < out.length; j++) {
      if (out[j].pin === pin)
        throw new Error("spool.setup: " + at + ".pin V" + pin + " is already datastreams[" + j + "]: one entry per pin");
    }
    const ds: DatastreamConfig = { pin: pin, type: type };
    if (type === "double") ds.precision = "float32";
    if (d.precision !== undefined) {
      if (type !== "double") fail(at + ".precision", "left out: precision applies to double datastreams only", d.precision);
      ds.precision = byRule(d.precision, "datastreams.precision", at + ".precision");
    }
    out.push(ds);
  }
  return out;
}

/**
 * Field `path` of section `sec` (the input's section; the input itself for a section that is a
 * value) checked, and set in `out` (the merged configuration).
 */
function checkField(v: any, path: string, sec: any, out: any, board: () => DeviceBoard): void {
  const dot = path.indexOf(".");
  const section = dot < 0 ? out : out[path.substr(0, dot)];
  const key = path.substr(dot + 1);
  if (path === "wifi.ssid") {
    if (typeof v !== "string" || v.length > 32) fail(path, "a string of 0..32 characters", v);
  } else if (path === "wifi.password") {
    if (typeof v !== "string" || (v.length > 0 && v.length < 8) || v.length > 63) {
      fail(path, 'a string of 8..63 characters (WPA2), or "" for an open network', v, true);
    }
  } else if (path === "blynk.token") {
    if (v !== "" && (!charsIn(v, 64, "_-") || v.length < 8)) {
      fail(path, 'the device\'s auth token: 8..64 of A-Z a-z 0-9 _ - (or "" for none)', v, true);
    }
  } else if (sec.host !== undefined && sec.region !== undefined && (path === "blynk.host" || path === "blynk.region")) {
    throw new Error("spool.setup: give blynk.host or blynk.region, not both (a region sets the host to <region>.blynk.cloud)");
  } else if (path === "blynk.host") {
    if (!charsIn(v, 253, ".-")) fail(path, "a host name such as fra1.blynk.cloud, without scheme, port or path", v);
  } else if (path === "blynk.region") {
    const r = byRule(v, path);
    section.host = r === "" ? "blynk.cloud" : r + ".blynk.cloud";
    return;
  } else if (path === "blynk.scheme") {
    byRule(v, path);
    const b = v === "https" ? board() : undefined;
    if (b && !b.tls) {
      throw new Error('spool.setup: blynk.scheme must be "http" on ' + b.id + ', which has no TLS (got "https")');
    }
    // A scheme change without a port moves to that scheme's standard port.
    if (v !== section.scheme && sec.port === undefined) section.port = v === "https" ? 443 : 80;
  } else if (path === "datastreams") {
    v = checkList(v, path, "pin,type,precision", MAX_DATASTREAMS, board);
  } else if (path === "schedules") {
    v = checkList(v, path, "pin,everyMs,source", MAX_SCHEDULES, board);
  } else if (path === "ntp.servers") {
    if (!Array.isArray(v) || v.length < 1 || v.length > 4) fail(path, "an array of 1..4 host names", v);
    for (let i = 0; i < v.length; i++)
      if (!charsIn(v[i], 253, ".-")) fail("ntp.servers[" + i + "]", "a host name such as pool.ntp.org", v[i]);
    v = v.slice();
  } else if (path === "clock.validAtBoot") {
    if (v !== true && v !== false) fail(path, "true (the clock is right at power-on: a battery-backed RTC) or false", v);
  } else if (path === "statusPin") {
    if (v !== null) v = pinAt(v, path);
  } else {
    v = byRule(v, path);
  }
  section[key] = v;
}

/**
 * The JSON text of the top-level field `name` in `text` (a configuration's JSON), or undefined.
 * Found without parsing: a section's name is never a key inside a section, and a quote inside a
 * string value is escaped, so `"name":` occurs once; the value ends at the first comma or
 * closing bracket outside strings and brackets. On Espruino a substring of a Storage file is a
 * pointer into flash (one JsVar), so the configuration in force is read without a copy.
 */
function piece(text: string, name: string): string | undefined {
  let at = text.indexOf('"' + name + '":');
  if (at < 0) return undefined;
  at += name.length + 3;
  let depth = 0;
  let quoted = false;
  let i = at;
  for (; i < text.length; i++) {
    const c = text.charAt(i);
    if (quoted) {
      if (c === "\\") i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      if (!depth) break;
      depth--;
    } else if (c === "," && !depth) break;
  }
  return text.substring(at, i);
}

/** A copy through JSON (configurations hold only JSON values). */
export function copyConfig(c: SpoolConfig): SpoolConfig {
  return JSON.parse(JSON.stringify(c));
}

/**
 * Merges `input` into the configuration whose JSON is `current` (full; not modified) and
 * validates the result, section by section in the order below: a section the input
 * leaves out is copied as text, one it sets is parsed alone, checked field by field and written
 * back as JSON; no object of the whole configuration is made (docs/memory.md). `board` is asked
 * for only when a check needs it (its object costs about 45 JsVars).
 *
 * @param changed when given, the names of the sections whose JSON changed are added to it.
 * @returns the merged configuration's JSON.
 * @throws Error naming the field path and what would be valid; secrets are described by length only.
 */
export function mergeText(input: any, current: string, board: () => DeviceBoard, changed?: string[]): string {
  if (!isObject(input)) fail("the configuration", "an object such as {wifi: {ssid, password}, blynk: {token}}", input);
  checkKeys(input, "", "wifi,blynk,datastreams,schedules,buffer,limits,ntp,clock,uplink,flushDelayMs,statusPin,statusEveryMs");
  let out = "{";
  for (let i = 0; i < 12; i++) {
    // The sections and their fields in the order they are checked: "name:field,..." for an object
    // section, "name" for a value of its own. Chosen by a chain of tests, one short literal made
    // at a time: the list as one literal was about 20 JsVars for as long as the merge ran.
    const spec =
      i === 0
        ? "wifi:ssid,password"
        : i === 1
          ? "blynk:token,host,region,scheme,port"
          : i === 2
            ? "datastreams"
            : i === 3
              ? "schedules"
              : i === 4
                ? "buffer:policy"
                : i === 5
                  ? "limits:batchSize,dailyQuota,maxAgeDays,requestsPerDay"
                  : i === 6
                    ? "ntp:servers,port"
                    : i === 7
                      ? "clock:unanchored,maxEstimateWidthMs,validAtBoot"
                      : i === 8
                        ? "uplink:badPin"
                        : i === 9
                          ? "flushDelayMs"
                          : i === 10
                            ? "statusPin"
                            : "statusEveryMs";
    const colon = spec.indexOf(":");
    const own = colon < 0;
    const name = own ? spec : spec.substr(0, colon);
    const fields = own ? "" : spec.substr(colon + 1);
    const before = piece(current, name);
    const v = input[name];
    let text = before;
    if (v !== undefined) {
      // The section alone, under its name: checkField sets its fields (or it) there.
      const hold: any = {};
      hold[name] = before === undefined ? {} : JSON.parse(before);
      if (own) checkField(v, name, input, hold, board);
      else {
        if (!isObject(v)) fail(name, "an object with " + fields.split(",").join(", "), v);
        checkKeys(v, name + ".", fields);
        const each = fields.split(",");
        for (let j = 0; j < each.length; j++) if (v[each[j]] !== undefined) checkField(v[each[j]], name + "." + each[j], v, hold, board);
      }
      text = JSON.stringify(hold[name]);
      if (changed && text !== before) changed.push(name);
    }
    if (text !== undefined) out += (out.length > 1 ? ',"' : '"') + name + '":' + text;
  }
  out += "}";
  // Checks that hold between sections, on the merged result.
  const streams: DatastreamConfig[] = JSON.parse(piece(out, "datastreams")!);
  const kindOf = (pin: number): string | undefined => {
    for (let i = 0; i < streams.length; i++) if (streams[i].pin === pin) return streams[i].type;
    return undefined;
  };
  const schedules: ScheduleConfig[] = JSON.parse(piece(out, "schedules")!);
  for (let i = 0; i < schedules.length; i++) {
    const s = schedules[i];
    const type = kindOf(s.pin);
    const at = "spool.setup: schedules[" + i + "].pin V" + s.pin + " must be ";
    if (!type) throw new Error(at + "one of the datastreams (add {pin: " + s.pin + ', type: "double"} to datastreams)');
    if (type !== "double" && type !== "integer") {
      throw new Error(at + "a double or integer datastream: " + s.source + " gives numbers (got " + type + ")");
    }
  }
  const statusPin = JSON.parse(piece(out, "statusPin")!);
  if (statusPin !== null && kindOf(statusPin) !== "string") {
    throw new Error(
      "spool.setup: statusPin V" + statusPin + " must be a string datastream (add {pin: " + statusPin + ', type: "string"} to datastreams)',
    );
  }
  return out;
}

/**
 * Merges `input` into `current` and validates the result ({@link mergeText} on objects).
 *
 * @param input what the user passed to `spool.setup` (partial).
 * @param current the configuration in force (full); not modified.
 * @returns the new full configuration.
 * @throws Error naming the field path and what would be valid; secrets are described by length only.
 */
export function mergeConfig(input: any, current: SpoolConfig, board: DeviceBoard): SpoolConfig {
  return JSON.parse(mergeText(input, JSON.stringify(current), () => board));
}

/** A copy safe to print: password and token masked. */
export function maskConfig(c: SpoolConfig): SpoolConfig {
  const m = copyConfig(c);
  m.wifi.password = m.wifi.password ? MASK : "";
  m.blynk.token = m.blynk.token ? maskToken(m.blynk.token) : "";
  return m;
}
