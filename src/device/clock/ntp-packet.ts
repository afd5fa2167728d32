/**
 * NTP packets (RFC 5905) as an SNTP client needs them: the 48-byte request, and the checks and
 * timestamps of a reply. Pure functions over bytes; no hardware.
 */

/** Size of an NTP header without extensions. */
export const NTP_PACKET_BYTES = 48;
/** Seconds from 1900-01-01 (start of NTP era 0) to 1970-01-01. */
export const NTP_UNIX_OFFSET_S = 2208988800;
/** Replies claiming a time before 2024-01-01 or from 2100-01-01 on are absurd. */
export const MIN_PLAUSIBLE_MS = 1704067200000;
export const MAX_PLAUSIBLE_MS = 4102444800000;

const TWO_POW_32 = 4294967296;
/** LI 0, version 4, mode 3 (client). */
const REQUEST_FLAGS = 0x23;
const ORIGINATE_AT = 24;
const RECEIVE_AT = 32;
/** Where the request carries its transmit timestamp (the reply echoes it as originate). */
export const TRANSMIT_AT = 40;

/**
 * A 64-bit NTP timestamp at `at` of `view`, as epoch ms: read (fraction kept, a double holds it
 * to ~0.2 µs) when `ms` is not given, or written as `ms`, `noise` (0..65535) filling its low 16
 * fraction bits. Seconds below 2^31 belong to era 1, which starts on 2036-02-07 (valid until
 * 2104). One function for both ways: each function of the SNTP part costs JsVars while a round
 * waits (docs/memory.md).
 */
export function ntpTime(view: DataView, at: number, ms?: number, noise?: number): number {
  if (ms !== undefined) {
    const secs = Math.floor(ms / 1000);
    const frac = Math.floor(((ms - secs * 1000) / 1000) * TWO_POW_32);
    // `| 0` gives the same 32 bits as a uint32 would, on Espruino and in JS alike.
    view.setUint32(at, ((secs + NTP_UNIX_OFFSET_S) % TWO_POW_32) | 0);
    view.setUint32(at + 4, (frac & 0xffff0000) | ((noise as number) & 0xffff) | 0);
    return ms;
  }
  // Espruino has no BigInt: the two 32-bit halves are combined as doubles.
  const s = view.getUint32(at) >>> 0;
  const f = view.getUint32(at + 4) >>> 0;
  const unixS = s >= 0x80000000 ? s - NTP_UNIX_OFFSET_S : s + TWO_POW_32 - NTP_UNIX_OFFSET_S;
  return unixS * 1000 + (f * 1000) / TWO_POW_32;
}

/**
 * Builds a client request whose transmit timestamp is `t1Ms` (the local clock); the server
 * echoes it as the originate timestamp, which is how a reply is matched to the request.
 */
export function buildRequest(t1Ms: number, noise: number): Uint8Array {
  const bytes = new Uint8Array(NTP_PACKET_BYTES);
  bytes[0] = REQUEST_FLAGS;
  ntpTime(new DataView(bytes.buffer), TRANSMIT_AT, t1Ms, noise);
  return bytes;
}

/** A reply that passed every check. */
export interface NtpReply {
  /** Server receive time t2, epoch ms. */
  receiveMs: number;
  /** Server transmit time t3, epoch ms. */
  transmitMs: number;
  stratum: number;
}

/** Why a reply was refused. */
export interface NtpRejection {
  reason: string;
  /** The kiss code of a kiss-o'-death reply (stratum 0), e.g. "DENY", "RSTR", "RATE". */
  kiss?: string;
  /** True when the reply does not answer our request (it may be spoofed or stale): ignore it. */
  foreign?: boolean;
}

/**
 * Checks a reply against the request it should answer: `sent` is the request's transmit
 * timestamp as sent (its 8 bytes as a binary string, all the client keeps of the request).
 * The originate check comes first so that nobody but the server we asked can make us act on a
 * kiss-o'-death.
 */
export function checkReply(reply: Uint8Array, sent: string): NtpReply | NtpRejection {
  if (reply.length < NTP_PACKET_BYTES) return { reason: "short reply (" + reply.length + " bytes)" };
  for (let i = 0; i < 8; i++) {
    if (reply[ORIGINATE_AT + i] !== sent.charCodeAt(i)) {
      return { reason: "originate mismatch", foreign: true };
    }
  }
  const leap = reply[0] >> 6;
  const version = (reply[0] >> 3) & 7;
  const mode = reply[0] & 7;
  const stratum = reply[1];
  if (mode !== 4 && mode !== 5) return { reason: "mode " + mode + " is not a server reply" };
  if (version !== 3 && version !== 4) return { reason: "version " + version + " not supported" };
  if (stratum === 0) {
    let kiss = "";
    for (let i = 12; i < 16; i++) {
      const c = reply[i];
      if (c >= 32 && c < 127) kiss += String.fromCharCode(c);
    }
    return { reason: "kiss-o'-death " + kiss, kiss };
  }
  if (leap === 3) return { reason: "server unsynchronised (leap 3)" };
  if (stratum > 15) return { reason: "stratum " + stratum };
  const view = new DataView(reply.buffer, reply.byteOffset, reply.length);
  if (view.getUint32(TRANSMIT_AT) === 0 && view.getUint32(TRANSMIT_AT + 4) === 0) {
    return { reason: "zero transmit time" };
  }
  if (view.getUint32(RECEIVE_AT) === 0 && view.getUint32(RECEIVE_AT + 4) === 0) {
    return { reason: "zero receive time" };
  }
  const receiveMs = ntpTime(view, RECEIVE_AT);
  const transmitMs = ntpTime(view, TRANSMIT_AT);
  // Written out, not a function of its own: each function of the SNTP part costs JsVars while a round waits.
  if (!(transmitMs >= MIN_PLAUSIBLE_MS && transmitMs < MAX_PLAUSIBLE_MS && receiveMs >= MIN_PLAUSIBLE_MS && receiveMs < MAX_PLAUSIBLE_MS)) {
    return { reason: "absurd time " + Math.floor(transmitMs) };
  }
  if (transmitMs < receiveMs) return { reason: "transmit before receive" };
  return { receiveMs, transmitMs, stratum };
}
