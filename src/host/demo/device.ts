/**
 * The demo's device: a simulated ESP32 running the compiled firmware, whose flash and Storage
 * live in files so that a power cycle is a new {@link SimEspruino} on the same files. Its user
 * code samples the demo sensors with `spool.sample`, as a sketch on a real board would.
 */
import { join } from "node:path";
import type { BoardProfile } from "../../device/board.ts";
import type { SpoolStatus } from "../../device/api/status.ts";
import { SimEspruino, installFiles, type SimClock, type SimNetwork } from "../sim/index.ts";
import { DEMO_PINS, type Sensors } from "./sensors.ts";

/** A typical crystal: the device's clock runs this many ppm fast. */
export const DEMO_DRIFT_PPM = 30;

export interface DemoDeviceOptions {
  board: BoardProfile;
  /** The compiled firmware bundle. */
  code: string;
  /** Its parts (a build's `parts`), put into Storage as `npm run flash` does. */
  parts: ReadonlyArray<{ storage: string; code: string }>;
  clock: SimClock;
  network: SimNetwork;
  /** Directory for the flash and Storage files. */
  dir: string;
  sensors: Sensors;
  /** Sampling period of each pin, ms (whole). */
  everyMs: number;
  /** The `spool.setup` configuration given once, at the first boot. */
  config: object;
  /** The crystal's error, ppm (positive = fast); default {@link DEMO_DRIFT_PPM}. */
  driftPpm?: number;
  /** Receives the device's console lines. */
  console?: (line: string) => void;
}

/**
 * The device across its boots. {@link readingsConfirmed} counts what `spool.sample` reported as
 * recorded, summed over every boot (read from the device just before each power cut).
 */
export class DemoDevice {
  /** The running boot. */
  sim!: SimEspruino;
  /** 1 for the first boot. */
  bootCount = 0;
  private confirmedBefore = 0;
  private sampleErrorsBefore = 0;
  private stopped = false;
  private dark = false;

  constructor(private readonly o: DemoDeviceOptions) {}

  /** Powers on and boots; the first boot also configures Spool. */
  boot(): void {
    const o = this.o;
    this.bootCount++;
    this.o.sensors.boot = this.bootCount;
    this.sim = new SimEspruino({
      board: o.board,
      clock: o.clock,
      network: o.network,
      flashFile: join(o.dir, "flash.bin"),
      storageFile: join(o.dir, "storage.bin"),
      seed: this.bootCount,
      driftPpm: o.driftPpm ?? DEMO_DRIFT_PPM,
      console: o.console,
    });
    installFiles(this.sim, o.parts);
    this.sim.boot(o.code);
    if (this.bootCount === 1) this.sim.eval(`spool.setup(${JSON.stringify(o.config)})`);
    // The sensor is the world outside the chip: a host function, as an analog input would be.
    const attach = this.sim.eval("(function (read) { global.demoSensor = read; })") as (read: (pin: number) => number) => void;
    attach((pin) => o.sensors.read(pin));
    const lines = DEMO_PINS.map((pin) => `spool.sample(${pin}, function () { return demoSensor(${pin}); }, ${o.everyMs})`);
    this.sim.eval(`global.demoSampling = [${lines.join(", ")}];`);
  }

  /** Spool's status now (a plain host object). */
  status(): SpoolStatus {
    return JSON.parse(this.sim.eval("JSON.stringify(spool.status())") as string) as SpoolStatus;
  }

  /** Readings `spool.sample` stored over every boot so far. */
  get readingsConfirmed(): number {
    return this.confirmedBefore + this.countThisBoot().samples;
  }

  /** Sampling errors (a reading the store refused) over every boot so far. */
  get sampleErrors(): number {
    return this.sampleErrorsBefore + this.countThisBoot().errors;
  }

  /** False from a power cut until the firmware runs again. */
  get running(): boolean {
    return !this.dark;
  }

  /**
   * Cuts the power and boots again on the same flash: no time, and no WiFi if it is away.
   * `darkMs` is the virtual time from the cut until the firmware runs again: the power stays off,
   * then the interpreter starts and loads its code (seconds on the Linux build booting from
   * Storage). Default 0: the firmware runs again at once.
   */
  powerCycle(darkMs = 0): void {
    const c = this.countThisBoot();
    this.confirmedBefore += c.samples;
    this.sampleErrorsBefore += c.errors;
    this.sim.powerCut();
    this.sim.close();
    if (darkMs <= 0) {
      this.boot();
      return;
    }
    this.dark = true;
    this.o.clock.schedule(this.o.clock.now + darkMs, () => {
      this.dark = false;
      this.boot();
    });
  }

  /** Stops sampling (the day is over) and asks for an immediate upload of what is left. */
  finish(): void {
    // A stopped schedule leaves the status: count it first.
    const c = this.countThisBoot();
    this.confirmedBefore += c.samples;
    this.sampleErrorsBefore += c.errors;
    this.stopped = true;
    this.sim.eval("for (var i = 0; i < demoSampling.length; i++) demoSampling[i].stop(); spool.flush();");
  }

  /** Undelivered readings in flash. */
  pending(): number {
    return this.sim.eval("spool.status().queue.pending") as number;
  }

  close(): void {
    this.sim?.close();
  }

  private countThisBoot(): { samples: number; errors: number } {
    if (this.stopped) return { samples: 0, errors: 0 };
    const st = JSON.parse(this.sim.eval("JSON.stringify(spool.status().sampling)") as string) as {
      pin: number;
      samples: number;
      errors: number;
    }[];
    let samples = 0;
    let errors = 0;
    for (const s of st) {
      if (!DEMO_PINS.includes(s.pin)) continue;
      samples += s.samples;
      errors += s.errors;
    }
    return { samples, errors };
  }
}
