/**
 * The physical world the simulated device measures: an air temperature and a relative humidity
 * that follow the time of day, with a little seeded noise. Every reading the device takes is
 * logged here with the TRUE time it was taken, which is what the uploaded timestamps are checked
 * against.
 */

import { seededRandom as prng } from "../random.ts";

export const TEMPERATURE_PIN = 1;
export const HUMIDITY_PIN = 2;
export const DEMO_PINS = [TEMPERATURE_PIN, HUMIDITY_PIN];
const DAY_MS = 86_400_000;
/** The warmest hour of the day (UTC). */
const PEAK_HOUR = 15;

/** One reading as the sensor gave it. */
export interface TrueReading {
  pin: number;
  /** True UTC when it was taken, epoch ms. */
  trueMs: number;
  value: number;
  /** 1 for the first boot, 2 after the power cut... */
  boot: number;
}

/** The readings a pin gives at true time `ms`, before noise. */
function ideal(pin: number, ms: number): number {
  const phase = (2 * Math.PI * ((ms % DAY_MS) - PEAK_HOUR * 3_600_000)) / DAY_MS;
  if (pin === TEMPERATURE_PIN) return 19 + 5 * Math.cos(phase);
  return 58 - 14 * Math.cos(phase);
}

/**
 * The sensors and the log of what they gave. `read(pin)` is what the device calls; the true time
 * comes from the simulation's clock.
 */
export class Sensors {
  /** Every reading taken, in order. */
  readonly log: TrueReading[] = [];
  /** Set by the driver at each boot. */
  boot = 1;
  private noise: () => number;

  constructor(
    protected readonly now: () => number,
    seed = 7,
  ) {
    this.noise = prng(seed);
  }

  /**
   * Reads a pin now: temperature in °C to 0.01, humidity in % to 0.1.
   * @throws Error for a pin that is neither sensor.
   */
  read(pin: number): number {
    const ms = this.now();
    const jitter = this.noise() - 0.5;
    let value: number;
    if (pin === TEMPERATURE_PIN) value = Math.round((ideal(pin, ms) + jitter * 0.3) * 100) / 100;
    else if (pin === HUMIDITY_PIN) value = Math.round((ideal(pin, ms) + jitter * 1.2) * 10) / 10;
    else throw new Error(`demo sensors: no sensor on V${pin} (V${TEMPERATURE_PIN} temperature, V${HUMIDITY_PIN} humidity)`);
    this.log.push({ pin, trueMs: ms, value, boot: this.boot });
    return value;
  }

  /** The log of one pin, in time order. */
  readings(pin: number): TrueReading[] {
    return this.log.filter((r) => r.pin === pin);
  }
}
