/**
 * The streamer (docs/uplink.md, "One flush step", step 4): writes a measured batch into a
 * request from flash through one resumable store cursor, `pieceBytes` per write, the next after
 * `drain`. The largest string it holds is about a piece and a point, for any batch size. The
 * exchange's end and its silence timer are here too, so that the streamer calls them directly
 * (no callbacks made per request).
 */

import type { HttpRequest } from "../hal.ts";
import { formatPoint } from "./json.ts";
import { errText, onReply } from "./reply.ts";
import { skipped } from "./select.ts";
import { IDLE, setPhase } from "./state.ts";
import type { Batch, Exchange, Run } from "./state.ts";

/** Ends exchange `x` once (phase back to IDLE) and hands its outcome on. */
export function finish(u: Run, x: Exchange, code: number, msg: string, headers: { [name: string]: string } | undefined): void {
  if (x._over || u._x !== x) return;
  x._over = true;
  u._x = undefined;
  setPhase(u, IDLE);
  if (x._tmo !== undefined) u._hal.clearTimeout(x._tmo);
  // The request and its response stay alive until this task ends (their handlers are on the
  // stack): the cursor and the request need not (a cursor holds about 100 JsVars).
  x._cur = undefined;
  x._req = undefined;
  onReply(u, x, code, msg, headers);
}

// The timer measures silence, not the whole exchange: a 2 MB body takes longer than the
// timeout to stream on a slow link, so every piece handed to the socket restarts it.
export function arm(u: Run, x: Exchange): void {
  if (x._over) return;
  if (x._tmo !== undefined) u._hal.clearTimeout(x._tmo);
  x._tmo = u._hal.setTimeout(() => {
    x._tmo = undefined;
    finish(u, x, 0, "timeout after " + u._timeout + " ms without progress", undefined);
  }, u._timeout);
}

const SPACES = "                                ";

/**
 * Adds `s` to the piece being built; what does not fit waits in `_rest` for the next piece. The
 * piece is then written as it is: no copy of a whole piece is made (Espruino appends to a string
 * held once in place).
 */
function put(u: Run, x: Exchange, s: string): void {
  const room = u._piece - x._buf.length;
  if (s.length <= room) x._buf += s;
  else {
    x._buf += s.substring(0, room);
    x._rest += s.substring(room);
  }
}

/** Adds readings to the piece until it is full or the batch is all in the body (then `]`). */
function fill(u: Run, x: Exchange): void {
  const b = x._b as Batch;
  const cursor = x._cur!;
  while (x._buf.length < u._piece) {
    const rec = cursor.next();
    if (rec === undefined || rec.pos > b._last) break;
    if (skipped(u, rec)) continue;
    const ts = u._res.resolve(rec.reading.stamp);
    // Pass 1 resolved it; a clock change since may not: it waits for the next request.
    if (ts === undefined) break;
    put(u, x, (x._n > 0 ? "," : "") + formatPoint(ts, rec.reading.value));
    x._n++;
    if (b._sent++ === 0) b._sentFrom = rec.pos;
    b._sentTo = rec.pos;
    if (rec.pos === b._last) break;
  }
  if (x._buf.length < u._piece) {
    x._fin = true;
    put(u, x, "]");
  }
}

/** Writes the next piece; returns an error text when the body would not match its length. */
function next(u: Run, x: Exchange): string | undefined {
  if (u._x !== x) return;
  const piece = u._piece;
  const b = x._b as Batch;
  const rest = x._rest;
  x._rest = "";
  put(u, x, rest);
  if (!x._fin) fill(u, x);
  if (x._fin && x._pad < 0) {
    // Readings the ring overwrote since pass 1 are missing: JSON allows trailing whitespace,
    // so spaces keep the announced Content-Length exact. Only what was written
    // (b._sentFrom..b._sentTo) is marked delivered on a 200.
    x._pad = b._bytes - x._written - x._buf.length - x._rest.length;
    if (x._pad < 0) return "body longer than measured";
  }
  while (x._pad > 0 && x._buf.length < piece) {
    let n = piece - x._buf.length;
    if (n > x._pad) n = x._pad;
    if (n > SPACES.length) n = SPACES.length;
    x._buf += SPACES.substring(0, n);
    x._pad -= n;
  }
  const chunk = x._buf;
  x._buf = "";
  if (x._written + chunk.length > b._bytes) return "body longer than measured";
  x._written += chunk.length;
  const k = u._k;
  k.bytesSent += chunk.length;
  if (chunk.length > k.maxPieceBytes) k.maxPieceBytes = chunk.length;
  arm(u, x);
  const req = x._req as HttpRequest;
  if (x._fin && x._pad === 0 && x._rest.length === 0) req.end(chunk);
  else {
    x._wait = true;
    req.write(chunk);
  }
}

/**
 * Writes pieces while the socket takes them. A drain emitted from inside write() must not
 * recurse once per piece: it only asks the running loop for another round.
 */
export function pump(u: Run, x: Exchange): void {
  if (x._inPump) {
    x._again = true;
    return;
  }
  x._inPump = true;
  let err: string | undefined;
  try {
    do {
      x._again = false;
      err = next(u, x);
    } while (x._again && err === undefined);
  } catch (e) {
    err = errText(e);
  }
  x._inPump = false;
  if (err !== undefined) finish(u, x, 0, err, undefined);
}

/** Pass 2: streams batch `b` into `req`, the next piece after each `drain`. */
export function stream(u: Run, x: Exchange, req: HttpRequest): void {
  const b = x._b as Batch;
  x._req = req;
  x._cur = u._store.openCursor({ from: b._start, pin: b._pin });
  x._rest = "[";
  req.on("drain", () => {
    if (!x._wait) return;
    x._wait = false;
    pump(u, x);
  });
  pump(u, x);
}
