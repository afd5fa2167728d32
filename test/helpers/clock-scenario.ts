/** Boots, readings and resolution over the clock test environment. */
import { createClock, type Clock, type UnanchoredPolicy } from "../../src/device/clock/index.ts";
import type { Anchor, Stamp } from "../../src/device/types.ts";
import { Device, MemoryAnchorLog, World } from "./clock-env.ts";
import { resolve } from "../../src/device/clock/past-boots.ts";
import { survey } from "../../src/device/clock/survey.ts";
import { directParts } from "./parts.ts";

export const START = Date.UTC(2025, 5, 1, 12, 0, 0);
export const HOUR = 3600000;
export const DAY = 24 * HOUR;

export interface Taken {
  stamp: Stamp;
  trueMs: number;
  bootId: number;
  /** The interpreter's clock when it was taken (what a naive stamp would be). */
  localMs: number;
}

export interface BootOptions {
  driftPpm: number;
  policy?: UnanchoredPolicy;
  maxEstimateWidthMs?: number;
  coarseHoldOffMs?: number;
  onChange?: () => void;
}

/** A device that reboots: one persisted anchor log, one list of readings in store order. */
export class Rig {
  world: World;
  anchors: Anchor[] = [];
  readings: Taken[] = [];
  bootId = 0;
  dev!: Device;
  clock!: Clock;
  private sampler: unknown;

  constructor(startTrueMs = START) {
    this.world = new World(startTrueMs);
    this.world.addServer("ntp", { upMs: 15, downMs: 18 });
  }

  boot(options: BootOptions): Clock {
    this.bootId++;
    this.dev = new Device(this.world, { driftPpm: options.driftPpm, seed: this.bootId });
    this.clock = createClock({
      hal: this.dev.hal,
      log: new MemoryAnchorLog(this.anchors, this.bootId),
      parts: directParts,
      ntp: { servers: ["ntp"] },
      policy: options.policy,
      maxEstimateWidthMs: options.maxEstimateWidthMs,
      coarseHoldOffMs: options.coarseHoldOffMs,
      onChange: options.onChange,
    });
    return this.clock;
  }

  /** Takes a reading every `everyMs` of the device's clock from now on. */
  sample(everyMs: number): void {
    const hal = this.dev.hal;
    const keeper = this.clock.keeper;
    const bootId = this.bootId;
    const take = () => this.readings.push({ stamp: keeper.stamp(), trueMs: this.world.trueMs, bootId, localMs: hal.now() });
    take();
    this.sampler = hal.setInterval(take, everyMs);
  }

  stopSampling(): void {
    this.dev.hal.clearInterval(this.sampler);
  }

  powerCycle(offMs: number): void {
    this.dev.powerOff();
    this.world.advance(offMs);
  }

  /** Network up: SNTP starts and the first sync completes. */
  online(): void {
    this.clock.start();
    this.world.advance(1000);
  }

  offline(): void {
    this.clock.stop();
  }

  /** Surveys every reading, as the uplink would before an upload. */
  survey(): void {
    survey(this.clock.keeper, (visit) => {
      for (const r of this.readings) visit(r.stamp);
    });
  }

  /** Errors (resolved - true, ms) of the readings of the given boots; undefined where unresolved. */
  errors(boots?: number[]): (number | undefined)[] {
    this.survey();
    const out: (number | undefined)[] = [];
    for (const r of this.readings) {
      if (boots && boots.indexOf(r.bootId) < 0) continue;
      const e = resolve(this.clock.keeper, r.stamp);
      out.push(e === undefined ? undefined : e - r.trueMs);
    }
    return out;
  }
}

export function maxAbs(xs: (number | undefined)[]): number {
  let m = 0;
  for (const x of xs) if (x !== undefined && Math.abs(x) > m) m = Math.abs(x);
  return m;
}
