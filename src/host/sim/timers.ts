/**
 * The interpreter's timers (jsinteractive.c): `setTimeout`, `setInterval`, `clearTimeout`,
 * `clearInterval`, `changeInterval`, kept in the device's uptime (so `setTime` leaves pending
 * ones their remaining delay) and run on the shared virtual clock at the true time the
 * device's drifting crystal reaches them.
 */
import type { ClockTask } from "./clock.ts";
import type { SimHost } from "./host.ts";

const TIMER_MIN_MS = 0.1;
const TIMER_MAX_MS = 31536000001000;

interface Timer {
  id: number;
  fn: unknown;
  args: unknown[];
  /** Due at this device uptime, ms. */
  dueDev: number;
  interval?: number;
  task?: ClockTask;
}

export interface SimTimersOptions {
  /** The device in the boot the timers belong to: they die with it. */
  host: SimHost;
  /** ms the device's clock has run since boot (drift applied). */
  uptimeMs: () => number;
  /** The true (clock) time at which the device's uptime reaches `uptimeMs`. */
  trueAt: (uptimeMs: number) => number;
}

/** The timers of one boot of the device. */
export class SimTimers {
  private readonly timers = new Map<number, Timer>();
  private readonly gen: number;

  constructor(private readonly options: SimTimersOptions) {
    this.gen = options.host.generation;
  }

  /** Pending timers. */
  get count(): number {
    return this.timers.size;
  }

  /** What the pending timers hold (their functions and arguments), for the memory count. */
  roots(): unknown[] {
    const out: unknown[] = [];
    for (const t of this.timers.values()) out.push(t.fn, ...t.args);
    return out;
  }

  /**
   * `setTimeout` (`repeat` false) and `setInterval`: the new timer's id.
   * @throws the interpreter's Error for a callback that is neither function nor string, or a
   * delay over 100 years.
   */
  add(fn: unknown, ms: unknown, args: unknown[], repeat: boolean): number {
    const { host } = this.options;
    if (typeof fn !== "function" && typeof fn !== "string") throw host.newError("Function or String not supplied!");
    let delay = Number(ms);
    if (Number.isNaN(delay) || delay < TIMER_MIN_MS) delay = TIMER_MIN_MS;
    if (delay > TIMER_MAX_MS) throw host.newError("Interval is too long (>100 years)");
    // jsiTimerAdd: the id is one more than the newest pending timer's, or 1.
    let id = 1;
    for (const k of this.timers.keys()) if (k >= id) id = k + 1;
    const t: Timer = { id, fn, args, dueDev: this.options.uptimeMs() + delay, interval: repeat ? delay : undefined };
    this.timers.set(id, t);
    this.schedule(t);
    return id;
  }

  /**
   * `clearTimeout`/`clearInterval` (`kind` "Timeout"/"Interval"): the timer of id `args[0]`,
   * or every timer when called without arguments.
   * @throws the interpreter's Error for an explicit `undefined` id.
   */
  clear(args: unknown[], kind: string): void {
    if (args.length === 0) {
      this.cancelAll();
      return;
    }
    const id = args[0];
    if (id === undefined) throw this.options.host.newError(`clear${kind}(undefined) not allowed. Use clear${kind}() instead`);
    const t = this.timers.get(Number(id));
    if (t) {
      this.options.host.clock.cancel(t.task);
      this.timers.delete(t.id);
    }
  }

  /** `changeInterval(id, ms)`: the next run is `ms` from now, and every `ms` after. */
  change(id: unknown, ms: unknown): void {
    const t = this.timers.get(Number(id));
    if (!t) return;
    let delay = Number(ms);
    if (Number.isNaN(delay) || delay < TIMER_MIN_MS) delay = TIMER_MIN_MS;
    t.interval = delay;
    t.dueDev = this.options.uptimeMs() + delay;
    this.options.host.clock.cancel(t.task);
    this.schedule(t);
  }

  /** Drops every pending timer (a reset, a power cut, running out of memory). */
  cancelAll(): void {
    for (const t of this.timers.values()) this.options.host.clock.cancel(t.task);
    this.timers.clear();
  }

  private schedule(t: Timer): void {
    const { host } = this.options;
    t.task = host.clock.schedule(
      this.options.trueAt(t.dueDev),
      () => {
        if (!host.isLive(this.gen) || this.timers.get(t.id) !== t) return;
        if (t.interval !== undefined) {
          t.dueDev += t.interval;
          this.schedule(t);
        } else this.timers.delete(t.id);
        host.invoke(this.gen, t.fn, undefined, t.args);
      },
      `timer ${t.id}`,
    );
  }
}
