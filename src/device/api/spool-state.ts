/**
 * The user's `spool` object, and what the resident part of `spool` (spool.ts) shares with the code it loads for rare calls
 * (`spool.setup`, `spool.sample`, `spool.status`, `spool.report`, `spool.erase`: spool-control.ts
 * and spool-status.ts, evaluated from the setup and report parts). One object instead of a
 * closure per function: every function that exists at rest costs JsVars (docs/memory.md), and a
 * function made by a part would keep that part's code alive, so the parts receive this object,
 * change it and call back only resident functions stored on it or on its prototype (spool.ts
 * `SpoolCore`). Its names but the public API's start with `_`: the build shortens them
 * (src/host/build/mangle.ts `STATE_PROPS`), in the bundle and the parts alike. A property that has
 * no value is absent rather than undefined: each property costs a JsVar (docs/memory.md).
 */
import type { Hal, TimerId } from "../hal.ts";
import type { DeviceBoard } from "../board.ts";
import type { ReadingValue } from "../types.ts";
import type { Store } from "../store/store.ts";
import type { TimeKeeper } from "../clock/timekeeper.ts";
import type { Clock } from "../clock/clock.ts";
import type { Network } from "../net/index.ts";
import type { Uplink, UplinkKeep } from "../uplink/uplink.ts";
import type { Parts } from "../parts.ts";
import type { SpoolConfig } from "./config.ts";
import type { ConfigSlot } from "./config-store.ts";
import type { Spool } from "./spool.ts";

/** A running `spool.sample` (or configured schedule). */
export interface Schedule {
  pin: number;
  everyMs: number;
  source: string;
  /** Undefined for a configured source the board lacks (each sample then fails with an error). */
  fn: (() => any) | undefined;
  samples: number;
  errors: number;
  /** Absent until a sample fails. */
  lastError?: string;
  /** Absent while stopped. */
  timer?: TimerId;
  /** 1 for a configured schedule, replaced by setup; absent for a user one, which survives it. */
  fromConfig?: 1;
}

/** A running `spool.sample` (or configured schedule). */
export interface SampleHandle {
  /** Stops this schedule for good. */
  stop(): void;
}

/** spool.record, and the state it belongs to. */
export interface SpoolRecord {
  (pin: any, value: any): void;
  _s: SpoolState;
}

/** The state's own properties (the methods are {@link SpoolMethods}, on its prototype). */
export interface SpoolFields {
  _hal: Hal;
  /** The board profile, made afresh by each call (the firmware keeps no copy of it at rest). */
  _boardOf(): DeviceBoard;
  _version: string;
  _sources: { [name: string]: () => ReadingValue };
  _parts: Parts;
  /**
   * The configuration in force while it is not the stored one (`_saved` unset, or during
   * `spool.setup`); undefined otherwise: {@link _config} then reads it from its slot, or from the
   * boot's cache while no slot holds it. Read it through `_config()`.
   */
  _cfg?: SpoolConfig;
  /** The flush delay while a token is set, -1 without one: what a reading needs of the configuration. */
  _flushIn: number;
  /** Where the configuration in force is stored; undefined when it is not (defaults, or not stored). */
  _saved?: ConfigSlot;
  /** The slot written last stays the base of the next write whether or not it is in force. */
  _slotBase?: ConfigSlot;
  _store: Store;
  _keeper: TimeKeeper;
  _network: Network;
  /** The network's configuration object (the network reads it at each join). */
  _netConfig: { ssid: string; password: string };
  /** The clock: the keeper and the SNTP rounds (started while running with the network up). */
  _clock: Clock;
  /** The uplink while it has work (for good where the board keeps it); `uplinkKeep` what it remembers between instances. */
  _uplink?: Uplink;
  _uplinkKeep: Partial<UplinkKeep>;
  /** The JsVars free when a flush could not start for want of memory: shown as the uplink's warning. */
  _short?: number;
  _uplinkCheck?: TimerId;
  /** The flush delay after a reading while no uplink exists. */
  _flushTimer?: TimerId;
  /** 1 while started (numbers, not booleans, here: a boolean property costs a JsVar more). */
  _running: number;
  _schedules: Schedule[];
  _statusTimer?: TimerId;
  /** 1 until the store's readings are surveyed (start()); then absent. */
  _unsurveyed?: 1;
  /** The uplink dropped readings the last survey counted as unresolved: survey again for the status. */
  _surveyStale?: boolean;
  /**
   * spool.record (a closure of createSpool: the hot path reads the store and the keeper from its
   * scope), also the user's object's; its `_s` is the state, how the public methods reach it.
   */
  record: SpoolRecord;
  /** The clock changed (a sync, an HTTP Date): tells the uplink. A closure of createSpool (the clock's onChange). */
  _clockChanged(): void;
}

/** The resident functions: the methods every state gets from spool.ts's SpoolCore (its prototype). */
export interface SpoolMethods extends Omit<Spool, "record"> {
  _config(): SpoolConfig;
  _cfgText(): string | undefined;
  _pinOf(pin: any, what: string): number;
  _addSchedule(s: Schedule): SampleHandle;
  /** Starts (`on` 1) or stops (0) a schedule's timer. */
  _arm(s: Schedule, on: number): void;
  _liveUplink(fresh: boolean): Uplink | undefined;
  _appended(): void;
  _armStatus(): void;
  _recordChecked(pin: any, value: any, ms: number): void;
}

/** The user's `spool`: its own properties and its prototype's methods. */
export interface SpoolState extends SpoolFields, SpoolMethods {}
