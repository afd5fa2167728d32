/**
 * The streamer (docs/uplink.md, "One flush step", step 4): makes an exchange's request and
 * writes a measured batch into it from flash through one resumable store cursor, `pieceBytes`
 * per write, the next after `drain`. The largest string it holds is about a piece and a point,
 * for any batch size. The request's handlers, the exchange's end and its silence timer are here
 * too, so that the streamer calls them directly (no callbacks made per request).
 *
 * This is the stream part's code (src/device/parts/stream.ts): nothing here refers to the
 * control part's functions, which are loaded again only to handle the reply (`control`), so that
 * while a body streams the control part is not held (docs/memory.md, twelfth round).
 */

import type { HttpRequest, HttpRequestOptions, HttpResponse } from "../hal.ts";
import { formatPoint } from "./json.ts";
import { errText } from "./err.ts";
import { U_REPLY } from "./ops.ts";
import type { Batch, Exchange, Run } from "./state.ts";
import { CF_PIECE, CF_TIMEOUT, K_BYTES_SENT, K_MAX_PIECE } from "./state.ts";
import type { LogRecord } from "../store/contract.ts";

/** Bytes of a reply body kept (enough for Blynk's error JSON). */
const MAX_REPLY_BYTES = 256;

/**
 * Ends exchange `x` once and hands its outcome on; without a `code`, its silence timer ran out
 * ({@link arm}'s timer calls it with `u` and `x` alone). The outcome (kept in `x`) is handled by
 * the instance's entry point (`U_REPLY`, the control part), in a task of its own, with the phase
 * SENDING until then so that nothing starts another exchange in between.
 */
export function finish(u: Run, x: Exchange, code?: number, msg?: string, headers?: { [name: string]: string }): void {
  // A late end of the same exchange ("close" after "end"), or one abandoned.
  if (u._x !== x || x._over) return;
  if (code === undefined) {
    // The silence timer ran out: it is gone, and its id may be another timer's by now.
    x._tmo = undefined;
    code = 0;
    msg = "timeout after " + u._cf[CF_TIMEOUT] + " ms without progress";
  }
  x._over = true;
  if (x._tmo !== undefined) u._hal.clearTimeout(x._tmo);
  x._tmo = undefined;
  x._cur = undefined;
  x._req = undefined;
  x._code = code;
  x._msg = msg;
  x._hdrs = headers;
  // Called from the response's handlers, the reply's bookkeeping (the batch marked delivered
  // through the read part, the next batch chosen and measured) ran while the response and its
  // connection were alive: about 200 JsVars, the highest point of a flush on the linux-small
  // firmware (docs/memory.md, eleventh round). After this task they are let go.
  // The entry point, not a function of the control part: this part then holds nothing of it, and
  // the control part is loaded in that task, after the request and this part's frames are gone.
  u._hal.setTimeout(u.ctl, 0, U_REPLY, x, u);
}

// The timer measures silence, not the whole exchange: a 2 MB body takes longer than the
// timeout to stream on a slow link, so every piece handed to the socket restarts it.
export function arm(u: Run, x: Exchange): void {
  if (x._over) return;
  if (x._tmo !== undefined) u._hal.clearTimeout(x._tmo);
  // The timer calls finish with its arguments: no closure is made per piece.
  x._tmo = u._hal.setTimeout(finish, u._cf[CF_TIMEOUT], u, x);
}

/**
 * Writes pieces while the socket takes them (an error text ends the exchange: a body that would
 * not match its length). A drain emitted from inside write() must not recurse once per piece: it
 * only asks the running loop for another round.
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
      if (u._x !== x || x._over) break;
      const piece = u._cf[CF_PIECE];
      const b = x._b as Batch;
      const cursor = x._cur!;
      // The piece: what did not fit in the last one, then readings until it is full or the batch is
      // all in the body (then `]`). What does not fit waits in `_rest` for the next piece; the piece
      // is written as it is: no copy of a whole piece is made (Espruino appends to a string held
      // once in place).
      let s = x._rest;
      x._rest = "";
      let last = false;
      for (;;) {
        const room = piece - x._buf.length;
        if (s.length <= room) x._buf += s;
        else {
          x._buf += s.substring(0, room);
          x._rest += s.substring(room);
        }
        if (x._fin || x._buf.length >= piece) break;
        s = "";
        const rec: LogRecord | undefined = last ? undefined : cursor.next();
        const iso = u._iso;
        // A reading of an isolation is skipped while its neighbours are tried.
        if (rec !== undefined && rec.pos <= b._last && iso && iso._suspect === rec.pos && !iso._confirm) continue;
        // Pass 1 resolved every reading; a clock change since may not: it waits for the next request.
        const ts = rec === undefined || rec.pos > b._last ? undefined : u._res.resolve(rec.reading.stamp);
        if (ts === undefined) {
          x._fin = true;
          s = "]";
        } else {
          s = (x._n > 0 ? "," : "") + formatPoint(ts, rec!.reading.value);
          x._n++;
          if (b._sent++ === 0) b._sentFrom = rec!.pos;
          b._sentTo = rec!.pos;
          last = rec!.pos === b._last;
        }
      }
      if (x._fin && x._pad < 0) {
        // Readings the ring overwrote since pass 1 are missing: JSON allows trailing whitespace,
        // so spaces keep the announced Content-Length exact. Only what was written
        // (b._sentFrom..b._sentTo) is marked delivered on a 200.
        x._pad = b._bytes - x._written - x._buf.length - x._rest.length;
        if (x._pad < 0) {
          err = "body longer than measured";
          break;
        }
      }
      // One space at a time: padding is rare (readings overwritten mid-batch), and a string of
      // spaces would be held by the part while every exchange streams.
      while (x._pad > 0 && x._buf.length < piece) {
        x._buf += " ";
        x._pad--;
      }
      const chunk = x._buf;
      x._buf = "";
      if (x._written + chunk.length > b._bytes) {
        err = "body longer than measured";
        break;
      }
      x._written += chunk.length;
      const k = u._k.n;
      k[K_BYTES_SENT] += chunk.length;
      if (chunk.length > k[K_MAX_PIECE]) k[K_MAX_PIECE] = chunk.length;
      arm(u, x);
      const req = x._req as HttpRequest;
      if (x._fin && x._pad === 0 && x._rest.length === 0) req.end(chunk);
      else {
        x._wait = true;
        req.write(chunk);
      }
    } while (x._again && err === undefined);
  } catch (e) {
    err = errText(e);
  }
  x._inPump = false;
  if (err !== undefined) finish(u, x, 0, err, undefined);
}

/** A request or response carrying its exchange, for the handlers below. */
type Carrier<T> = T & { _ex: Exchange };

function onResponse(this: HttpRequest, res: HttpResponse): void {
  const x = (this as Carrier<HttpRequest>)._ex;
  if (x._over || x._u!._x !== x) return;
  x._got = true;
  (res as Carrier<HttpResponse>)._ex = x;
  res.on("data", onResponseData);
  res.on("end", onResponseEnd);
  res.on("close", onResponseEnd);
  res.on("error", onResponseEnd);
}

function onResponseData(this: HttpResponse, d: string): void {
  const x = (this as Carrier<HttpResponse>)._ex;
  if (x._text.length < MAX_REPLY_BYTES) x._text += String(d).substring(0, MAX_REPLY_BYTES - x._text.length);
}

function onResponseEnd(this: HttpResponse): void {
  const x = (this as Carrier<HttpResponse>)._ex;
  finish(x._u!, x, Number(this.statusCode), x._text, this.headers);
}

/**
 * The request's "error" (with the error) and "close" (with Espruino's `hadError` flag, or nothing)
 * in one handler: a function fewer in the stream part.
 */
function onRequestEnd(this: HttpRequest, e?: unknown): void {
  const x = (this as Carrier<HttpRequest>)._ex;
  if (e !== undefined && e !== true && e !== false) finish(x._u!, x, 0, errText(e), undefined);
  else if (!x._got) finish(x._u!, x, 0, "connection closed without a reply", undefined);
}

function onDrain(this: HttpRequest): void {
  const x = (this as Carrier<HttpRequest>)._ex;
  if (!x._wait) return;
  x._wait = false;
  pump(x._u!, x);
}

/**
 * Makes exchange `x`'s request (`opts`) and, for an upload (`x._b`), streams its batch into it;
 * any failure ends the exchange. Its silence timer starts here.
 */
export function send(u: Run, x: Exchange, opts: HttpRequestOptions): void {
  arm(u, x);
  const b = x._b;
  try {
    // The handlers are functions of the part's level that find the exchange on the request and
    // the response they are called on (`this`): closures made here would keep this call's scope
    // and cost JsVars per request, for as long as it lasts (docs/memory.md, eleventh round).
    x._u = u;
    const req = u._hal.http.request(opts, onResponse) as Carrier<HttpRequest>;
    req._ex = x;
    req.on("error", onRequestEnd);
    req.on("close", onRequestEnd);
    if (b) {
      // Pass 2: streams the batch into the request from flash, the next piece after each drain.
      x._req = req;
      x._cur = u._store.openCursor({ from: b._start, pin: b._pin });
      x._rest = "[";
      req.on("drain", onDrain);
      // The first piece in a task of its own: written from here it would be built while the
      // control part's call chain (the batch's selection and measuring) still holds its frames.
      u._hal.setTimeout(pump, 0, u, x);
    } else req.end();
  } catch (e) {
    finish(u, x, 0, errText(e), undefined);
  }
}
