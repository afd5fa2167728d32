/**
 * What one uplink instance holds: its configuration, the one phase every entry point checks,
 * and the position of the pass. Plain fields of one object, so that an instance costs about a
 * JsVar per field, not a closure (about 8 JsVars on Espruino) per function (docs/memory.md).
 * Field names start with `_`: the build shortens them (src/host/build/mangle.ts STATE_PROPS).
 * The phases and what each entry point does in each are in docs/uplink.md ("States").
 */

import type { HttpRequest, HttpRequestOptions } from "../hal.ts";
import type { UplinkOp } from "./ops.ts";
import type { TimeKeeper } from "../clock/timekeeper.ts";
import type { DropReason, LogCursor, LogPos } from "../store/contract.ts";
import type { QuotaState } from "./quota.ts";
import type { RarePaths } from "./rare.ts";
import type { Link, StampResolver, Target, TimeSync, Uplink, UplinkHal, UplinkKeep, UplinkStatus } from "./uplink.ts";
import type { ReadingStore } from "../store/contract.ts";

/** Not started, or stopped: only start, resume, setToken and status act. */
export const OFF = 0;
/** Started, the link down: waits for `ctl(U_LINK, true)`. */
export const DOWN = 1;
/** Started, the link up, nothing scheduled or in flight: an appended reading schedules a pass. */
export const IDLE = 2;
/** A pass is scheduled (the flush delay, the sync wait, the next slice, the recheck). */
export const DUE = 3;
/** A wait the server or the budget asked for (backoff, pacing, the day's pause): a clock change does not cut it short. */
export const HELD = 4;
/** A request in flight: every entry point but stop, setToken and status waits for its reply. */
export const SENDING = 5;
/** The server said `Invalid token.`: nothing goes until setToken. */
export const TOKEN = 6;

export type Phase = 0 | 1 | 2 | 3 | 4 | 5 | 6;

/**
 * Indexes of an instance's configuration numbers in `Run._cf`: one Float64Array, about 10 JsVars,
 * where a field each (and the backoff object) held about 25 in every phase of a flush
 * (docs/memory.md, session 19). `CF_DROP_BAD` is 1 for badPinPolicy "drop".
 */
export const CF_PIECE = 0;
export const CF_DELAY = 1;
export const CF_MAX_AGE = 2;
export const CF_DAILY = 3;
export const CF_PER_DAY = 4;
export const CF_WINDOW0 = 5;
export const CF_TIMEOUT = 6;
export const CF_SYNC_WAIT = 7;
export const CF_RECHECK = 8;
export const CF_REFILL = 9;
export const CF_BACKOFF_BASE = 10;
export const CF_BACKOFF_CAP = 11;
export const CF_DROP_BAD = 12;
/** 1: the time probe waits for the SNTP round (UplinkConfig.syncFirst). */
export const CF_SYNC_FIRST = 13;
export const CF_COUNT = 14;

/**
 * Indexes of the numbers an uplink keeps between instances, in `UplinkKeep.n` (uplink.ts).
 * `K_PROBED_AT` is -1 until the first time probe; `K_STOPPED_TOKEN` is 1 once the server said
 * `Invalid token.`; the last four count the readings dropped, by reason.
 */
export const K_ATTEMPT = 0;
export const K_BACKOFF = 1;
export const K_MAX_POINTS = 2;
export const K_WINDOW = 3;
export const K_TOKENS = 4;
export const K_TOKENS_AT = 5;
export const K_PROBED_AT = 6;
export const K_WAITING = 7;
export const K_REQUESTS = 8;
export const K_DELIVERED = 9;
export const K_BYTES_SENT = 10;
export const K_MAX_PIECE = 11;
export const K_STOPPED_TOKEN = 12;
export const K_TOO_OLD = 13;
export const K_REJECTED = 14;
export const K_BAD_PIN = 15;
export const K_UNRESOLVED = 16;
export const K_COUNT = 17;

/** Sets the phase, and with it whether `ctl(U_APPENDED)` would do nothing ({@link Uplink.armed}). */
export function setPhase(u: Run, p: Phase): void {
  u._phase = p;
  u.armed = p !== IDLE ? 1 : 0;
}

/**
 * Isolation of a reading the server may refuse for its content, after an unrecognised 400 on
 * pin `_pin` up to `_end`: batches of at most `_limit`. `_ok` says a 200 came in this isolation;
 * `_suspect` is a reading refused alone (skipped while its right-hand neighbours are tried),
 * `_confirm` that it goes again alone after they were accepted. See docs/uplink.md.
 */
export interface Isolation {
  _pin: number;
  _end: LogPos;
  _limit: number;
  _ok: boolean;
  _suspect: LogPos;
  _confirm: boolean;
}

/** One request's batch: pass 1 fills the first five fields, the streamer the rest. */
export interface Batch {
  _pin: number;
  _start: LogPos;
  _last: LogPos;
  _count: number;
  _bytes: number;
  /** Written into the body so far: how many, the first and the last position (pass 2). */
  _sent: number;
  _sentFrom: LogPos;
  _sentTo: LogPos;
}

/** One HTTP exchange, and for an upload the state of its streamed body. */
export interface Exchange {
  /** The uplink it belongs to (the request's handlers find it here). */
  _u?: Run;
  _over?: boolean;
  /** The outcome, set once the exchange ended, until it is handled (stream.ts finish). */
  _code?: number;
  _msg?: string;
  _hdrs?: { [name: string]: string };
  _got?: boolean;
  /** The reply body, at most MAX_REPLY_BYTES. */
  _text: string;
  _tmo?: unknown;
  _req?: HttpRequest;
  /** The upload's batch (absent: the time probe), its target and the redirects so far. */
  _b?: Batch;
  _t?: Target;
  _hops?: number;
  _cur?: LogCursor;
  /** The piece being built (at most `pieceBytes`), and what did not fit in it. */
  _buf: string;
  _rest: string;
  _n: number;
  /** Every reading of the batch is in `_buf` (its closing bracket too). */
  _fin?: boolean;
  /** Spaces still owed to the announced length (-1: not known yet). */
  _pad: number;
  _written: number;
  _wait?: boolean;
  _inPump?: boolean;
  _again?: boolean;
}

/**
 * The uplink's code in three parts (docs/memory.md, twelfth round): the control part (the entry
 * point's ops, the pass), the stream part (a request, its body and its handlers) and the reply
 * part (an exchange's outcome). Each phase of a flush holds only its own, so that a flush fits
 * beside the resident set on 1,600 JsVars.
 */
export interface UplinkCode {
  load(name: "uplink"): ControlCode;
  load(name: "stream"): StreamCode;
  load(name: "reply"): ReplyCode;
  load(name: "date"): DateCode;
  load(name: "pick"): PickCode;
  load(name: "rare"): RarePaths;
}

/** What the pick part gives the resident entry point. */
export interface PickCode {
  /** Chooses and measures the next batch (select.ts). */
  pickTask(u: Run): void;
}

/** What the date part gives the reply part. */
export interface DateCode {
  /** Applies an HTTP `Date` header to `keeper` (timekeeper.ts `applyHttpDate`); whether it was used. */
  apply(keeper: TimeKeeper, header: string): boolean;
}

/** What the reply part gives the resident entry point. */
export interface ReplyCode {
  /** Handles exchange `x`'s outcome (reply.ts). */
  settle(u: Run, x: Exchange): void;
}

/** What the stream part gives the control part. */
export interface StreamCode {
  /**
   * Makes exchange `x`'s request with `opts` and streams its batch (`x._b`, none: a GET); its end
   * comes back through {@link ControlCode.onReply} once, in a task of its own.
   */
  send(u: Run, x: Exchange, opts: HttpRequestOptions): void;
  /** Ends exchange `x` with status `code` (0: no reply, `msg` says why). */
  finish(u: Run, x: Exchange, code?: number, msg?: string, headers?: { [name: string]: string }): void;
}

/** What the control part gives the resident entry point. */
export interface ControlCode {
  ctl(this: Run, op: UplinkOp, arg?: unknown, self?: Run): unknown;
}

/** An uplink instance: its entry points (the methods) and its fields. */
export interface Run extends Uplink {
  /** Where its code comes from (Storage parts on the device). */
  _code: UplinkCode;
  /** The control part, kept where the board keeps the uplink (absent: loaded per use). */
  _cp?: ControlCode;
  /** The stream part, kept where the board keeps the uplink (absent: loaded per exchange). */
  _sp?: StreamCode;
  /** The reply part, kept where the board keeps the uplink (absent: loaded per reply). */
  _rp?: ReplyCode;
  /** The pick part, kept where the board keeps the uplink (absent: loaded per step). */
  _pp?: PickCode;
  /** The batch the pick part chose and measured, until the control part sends it (U_SEND). */
  _pick?: Batch;
  _hal: UplinkHal;
  _store: ReadingStore;
  _res: StampResolver;
  _link: Link | undefined;
  _sntp: TimeSync | undefined;
  _k: UplinkKeep;
  /** The daily quota (quota.ts). */
  _q: QuotaState;
  /** The configured host: where a region redirect came from (a Target object held about 7 JsVars more). */
  _homeHost: string;
  /** The configuration's numbers, at the CF_ indexes above. */
  _cf: Float64Array;
  /** The timer of the wait for the clock's sync after the link came up (flushNow keeps it). */
  _syncT?: unknown;
  /** The one state every entry point checks (OFF ... TOKEN above). */
  _phase: Phase;
  _timer?: unknown;
  _nextAt?: number;
  /** The exchange in flight (SENDING); a callback of any other one is stale. */
  _x?: Exchange;
  _iso?: Isolation;
  /** Per pin: readings before this position wait for their time (this pass). At most 256 keys. */
  _resume?: { [pin: number]: LogPos };
  /** Every undelivered reading before this position is waiting or set aside (this pass); -1: the next pass starts afresh. */
  _scanFrom: LogPos;
  /** The boot whose readings the current pass found waiting for their time (-1: none). */
  _waitBoot: number;
  _dropPos?: LogPos[];
  _dropWhy?: DropReason[];
}
