/**
 * The shared virtual clock of a simulation: "true" time, a queue of tasks in time order, and
 * bookkeeping of real I/O (sockets) so tests can let real network exchanges finish while
 * virtual time stands still.
 */

/** A task queued on the clock. */
export interface ClockTask {
  /** Clock time (ms since the clock was created) at which it runs. */
  readonly due: number;
  readonly label: string;
}

interface QueuedTask extends ClockTask {
  due: number;
  seq: number;
  run: () => void;
  cancelled: boolean;
}

/** One piece of real I/O in flight (a TCP connection, a UDP exchange). */
export interface IoHandle {
  readonly label: string;
  /** Marks activity (bytes moved, connected): the peer is making progress. */
  touch(): void;
  /**
   * Whether the I/O waits on the simulated device itself (a request it has not ended, with
   * nothing in flight): then only device code, which runs in virtual time, can move it on, and
   * {@link SimClock.settle} does not wait for it. Default false: it waits on the peer.
   */
  hold(held: boolean): void;
  /** The I/O is over. */
  end(): void;
}

export interface SimClockOptions {
  /** UTC (epoch ms) that true time 0 of the clock stands for. Default 2026-01-01T00:00:00Z. */
  startEpochMs?: number;
}

export interface SettleOptions {
  /**
   * Real ms of silence after which an open connection counts as hung (a server that does not
   * answer), so settling stops waiting for it until it shows activity again. Silence counts
   * only while this process runs: the host event loop must also have turned
   * {@link QUIET_TURNS} times since the last activity, so a loaded machine (an in-process
   * server that did not get the CPU) never passes for a hung server. Default
   * {@link DEFAULT_IDLE_MS}; tests of hanging servers pass a small value to stay fast.
   */
  idleMs?: number;
  /** Real ms to wait at most. Default 30000 (a loaded 2-core host was seen past 10 s). @throws past it, naming the busy I/O. */
  maxMs?: number;
}

export interface AdvanceAsyncOptions extends SettleOptions {
  /** Let real I/O settle at least every `stepMs` of virtual time (default: only between timers). */
  stepMs?: number;
}

/** Default of {@link SettleOptions.idleMs}. */
export const DEFAULT_IDLE_MS = 1000;
/**
 * Host event-loop turns (each with a poll for I/O) a connection must stay silent through before
 * it can count as hung. An in-process server answers within a few turns whatever the load: each
 * turn delivers every socket event that is ready.
 */
export const QUIET_TURNS = 25;

interface IoRecord {
  label: string;
  /** Wall ms of the last activity. */
  last: number;
  /** Settle turns seen since the last activity. */
  turns: number;
  held: boolean;
  /** Judged hung by a settle: not waited for again until it shows activity. */
  hung: boolean;
}

/** Default UTC of clock time 0. */
export const DEFAULT_START_EPOCH_MS = Date.UTC(2026, 0, 1);
const MAX_TASKS_PER_ADVANCE = 5_000_000;

/**
 * Virtual time for one simulated world: every {@link SimEspruino} and the {@link SimNetwork}
 * schedule their timers here, so one `advance` moves all of them in time order.
 *
 * Real sockets run in real time while virtual time is frozen. Use {@link settle} (or
 * {@link advanceAsync}) to let them finish: it runs what is due now, then waits until every
 * open connection is closed, held by the device, or hung (see {@link SettleOptions.idleMs}).
 */
export class SimClock {
  /** UTC of clock time 0. */
  readonly startEpochMs: number;
  private nowMs = 0;
  private seq = 0;
  private queue: QueuedTask[] = [];
  private io = new Set<IoRecord>();
  private ioActivity = 0;
  private realTimer: NodeJS.Timeout | undefined;

  constructor(options: SimClockOptions = {}) {
    this.startEpochMs = options.startEpochMs ?? DEFAULT_START_EPOCH_MS;
  }

  /** Clock time: ms since the clock was created (fractional). */
  get now(): number {
    return this.nowMs;
  }

  /** True UTC now, epoch ms: what a perfect clock on the wall shows. */
  trueEpochMs(): number {
    return this.startEpochMs + this.nowMs;
  }

  /** Queues `run` at clock time `at` (not before now). Tasks at the same time run in the order queued. */
  schedule(at: number, run: () => void, label = "task"): ClockTask {
    const task: QueuedTask = { due: Math.max(at, this.nowMs), seq: this.seq++, run, cancelled: false, label };
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const q = this.queue[mid];
      if (q.due < task.due || (q.due === task.due && q.seq < task.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, task);
    return task;
  }

  /** Queues `run` after `ms` of clock time. */
  after(ms: number, run: () => void, label = "task"): ClockTask {
    return this.schedule(this.nowMs + ms, run, label);
  }

  cancel(task: ClockTask | undefined): void {
    if (!task) return;
    const t = task as QueuedTask;
    t.cancelled = true;
    const i = this.queue.indexOf(t);
    if (i >= 0) this.queue.splice(i, 1);
  }

  /** Clock time of the next queued task, or undefined. */
  nextDue(): number | undefined {
    return this.queue.length ? this.queue[0].due : undefined;
  }

  /** Number of queued tasks. */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * Moves time forward by `ms`, running every task due on the way in time order (tasks queued
   * by those tasks run too when due within the window). Returns the number of tasks run.
   * @throws RangeError for a negative `ms`.
   */
  advance(ms: number): number {
    if (!(ms >= 0)) throw new RangeError(`advance(ms): ms must be >= 0, got ${ms}`);
    return this.advanceTo(this.nowMs + ms);
  }

  /** Moves time to clock time `target` (not backwards), running due tasks. */
  advanceTo(target: number): number {
    let ran = 0;
    while (this.queue.length && this.queue[0].due <= target) {
      const t = this.queue.shift()!;
      if (t.due > this.nowMs) this.nowMs = t.due;
      t.run();
      if (++ran > MAX_TASKS_PER_ADVANCE)
        throw new Error(`advance: more than ${MAX_TASKS_PER_ADVANCE} tasks in one call (a 0 ms interval?)`);
    }
    if (target > this.nowMs) this.nowMs = target;
    return ran;
  }

  /**
   * Advances task by task until `pred()` is true or `maxMs` of clock time has passed.
   * Returns whether `pred()` held at the end.
   */
  runUntil(pred: () => boolean, maxMs: number): boolean {
    const deadline = this.nowMs + maxMs;
    if (pred()) return true;
    for (;;) {
      const next = this.nextDue();
      if (next === undefined || next > deadline) {
        this.advanceTo(deadline);
        return pred();
      }
      this.advanceTo(next);
      if (pred()) return true;
    }
  }

  /** Registers a piece of real I/O that {@link settle} waits for. */
  beginIo(label: string): IoHandle {
    const rec: IoRecord = { label, last: Date.now(), turns: 0, held: false, hung: false };
    this.io.add(rec);
    this.ioActivity++;
    return {
      label,
      touch: () => {
        rec.last = Date.now();
        rec.turns = 0;
        rec.hung = false;
        this.ioActivity++;
      },
      hold: (held: boolean) => {
        if (rec.held === held) return;
        rec.held = held;
        rec.last = Date.now();
        rec.turns = 0;
        rec.hung = false;
        this.ioActivity++;
      },
      end: () => {
        if (this.io.delete(rec)) this.ioActivity++;
      },
    };
  }

  /** Labels of the I/O still open. */
  openIo(): string[] {
    return [...this.io].map((r) => r.label);
  }

  /**
   * Lets everything happen that can happen without virtual time passing: runs tasks due now,
   * and waits (in real time) until every open connection is closed, held by the device (see
   * {@link IoHandle.hold}) or hung: silent for `idleMs` of wall time and {@link QUIET_TURNS}
   * event-loop turns. A connection that makes progress is waited for however slow the host is.
   * @throws Error after `maxMs` of real time, naming the busy I/O.
   */
  async settle(options: SettleOptions = {}): Promise<void> {
    const idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
    const maxMs = options.maxMs ?? 30_000;
    const start = Date.now();
    for (;;) {
      const activityBefore = this.ioActivity;
      this.advanceTo(this.nowMs);
      if (this.ioActivity === activityBefore && !this.waitingIo(idleMs) && (this.nextDue() ?? Infinity) > this.nowMs) return;
      if (Date.now() - start > maxMs) throw new Error(`settle: I/O still busy after ${maxMs} ms: ${this.openIo().join(", ")}`);
      // Let the host event loop deliver socket events (and a local server answer): one turn.
      await new Promise<void>((r) => setTimeout(r, 1));
      for (const r of this.io) r.turns++;
    }
  }

  /** Whether some open I/O is still worth waiting for; marks the silent ones hung. */
  private waitingIo(idleMs: number): boolean {
    const now = Date.now();
    let waiting = false;
    for (const r of this.io) {
      if (r.held || r.hung) continue;
      if (now - r.last >= idleMs && r.turns >= QUIET_TURNS) r.hung = true;
      else waiting = true;
    }
    return waiting;
  }

  /**
   * Advances virtual time by `ms`, settling real I/O before the first task, after every task
   * that ran, and at least every `stepMs`. An HTTP exchange started by a timer completes at the
   * virtual instant it started, before the next timer runs: deterministic whatever the real
   * latency.
   */
  async advanceAsync(ms: number, options: AdvanceAsyncOptions = {}): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`advanceAsync(ms): ms must be >= 0, got ${ms}`);
    const target = this.nowMs + ms;
    await this.settle(options);
    while (this.nowMs < target) {
      let to = target;
      const next = this.nextDue();
      if (next !== undefined && next < to) to = next;
      if (options.stepMs && options.stepMs > 0) to = Math.min(to, this.nowMs + options.stepMs);
      this.advanceTo(to);
      await this.settle(options);
    }
  }

  /**
   * Async {@link runUntil}: advances timer by timer, settling I/O in between, until `pred()`
   * holds or `maxMs` of virtual time passed.
   */
  async runUntilAsync(pred: () => boolean, maxMs: number, options: AdvanceAsyncOptions = {}): Promise<boolean> {
    const deadline = this.nowMs + maxMs;
    await this.settle(options);
    while (!pred()) {
      if (this.nowMs >= deadline) return false;
      let to = deadline;
      const next = this.nextDue();
      if (next !== undefined && next < to) to = next;
      if (options.stepMs && options.stepMs > 0) to = Math.min(to, this.nowMs + options.stepMs);
      this.advanceTo(to);
      await this.settle(options);
    }
    return true;
  }

  /**
   * Real-time mode (for demos): virtual time follows the wall clock times `speed` until
   * {@link stopRealTime}. Tasks run from host timers; real I/O runs as it comes.
   */
  startRealTime(options: { speed?: number; tickMs?: number } = {}): void {
    this.stopRealTime();
    const speed = options.speed ?? 1;
    let last = Date.now();
    this.realTimer = setInterval(() => {
      const now = Date.now();
      this.advance((now - last) * speed);
      last = now;
    }, options.tickMs ?? 10);
  }

  stopRealTime(): void {
    if (this.realTimer) clearInterval(this.realTimer);
    this.realTimer = undefined;
  }

  get realTime(): boolean {
    return this.realTimer !== undefined;
  }
}
