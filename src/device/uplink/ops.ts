/**
 * What {@link Uplink.ctl} is asked to do (src/device/uplink/control.ts): numbers, so that the
 * caller's code holds no names and the uplink part one function for all its entry points.
 * docs/uplink.md ("States") says what each does in each phase.
 */

/** Starts following the link; flushes whenever it is up. */
export const U_START = 0;
/** Starts as the instance before this one (the same keep) left off, on a link that stayed up: one pass now, no new association. */
export const U_RESUME = 1;
/** The network came up (arg true) or went down: for an owner whose link has no `onChange`. */
export const U_LINK = 2;
/** Stops; a request in flight is abandoned (its reply ignored, nothing marked). */
export const U_STOP = 3;
/** A reading was appended: it is sent within flushDelayMs while online (read `armed` first). */
export const U_APPENDED = 4;
/** The clock learned something (new anchor): readings waiting for their time are retried. */
export const U_CLOCK = 5;
/** Flushes now, cancelling any backoff wait (not a quota pause or a token stop). */
export const U_FLUSH = 6;
/** Replaces the token (arg; e.g. after `Invalid token.`) and resumes. Throws on a malformed token. */
export const U_TOKEN = 7;
// 8 was the status: uplink/status.ts `uplinkStatus` reads it from the fields.
/** Returns true when nothing is in flight and the last pass found nothing to send. */
export const U_IDLE = 9;
/** Returns true when nothing is in flight and nothing is scheduled: the owner may drop it (its state is in `keep`). */
export const U_SETTLED = 10;

/**
 * Handles the outcome kept in exchange `arg` (stream.ts `finish`), in a task of its own: a
 * timer's call, so the instance comes as a third argument.
 */
export const U_REPLY = 11;

/** Runs a flush step (arg: scan afresh), the uplink's own timer ({@link U_REPLY}'s way). */
export const U_STEP = 12;

/** Chooses and measures the next batch (the pick part: select.ts `pickTask`), a step's own timer. */
export const U_PICK = 13;
/** Sends the batch the pick chose (uplink.ts `sendPicked`), the pick's own timer. */
export const U_SEND = 14;

/**
 * The owner's half-second check (arg: its state, src/device/api/spool-state.ts): drops its
 * uplink once settled, and stops the check. Handled by the firmware's entry point alone.
 */
export const U_CHECK = 15;

export type UplinkOp = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15;
