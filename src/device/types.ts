/** Value types of Blynk datastreams, and the reading Spool stores for each. */

/** Blynk datastream types Spool can store. */
export type DatastreamType = "integer" | "double" | "boolean" | "enum" | "string" | "location";

/** A Location value: longitude first, as Blynk wants it. */
export type Location = [number, number];

export type ReadingValue = number | boolean | string | Location;

/**
 * When a reading was taken. Either a known UTC time in epoch ms, or - before the clock of this
 * boot was synced - the boot it was taken in and the ms since that boot.
 */
export type Stamp = { epochMs: number } | { bootId: number; uptimeMs: number };

/** One stored reading. */
export interface Reading {
  /** Virtual pin number, 0..255. */
  pin: number;
  stamp: Stamp;
  value: ReadingValue;
}

/** A clock anchor: at `uptimeMs` into boot `bootId`, UTC was `epochMs`. */
export interface Anchor {
  bootId: number;
  uptimeMs: number;
  epochMs: number;
  /**
   * True when the time came from an HTTP Date header (about ±1 s) rather than SNTP: the clock
   * never uses a coarse anchor to estimate drift, and prefers any SNTP anchor of the same boot.
   */
  coarse?: boolean;
}

/** Largest String value Blynk accepts, in UTF-8 bytes. */
export const MAX_STRING_BYTES = 1024;
