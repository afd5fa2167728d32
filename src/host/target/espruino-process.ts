import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The real interpreter's binary named by the ESPRUINO environment variable, if it exists. */
export function espruinoBinary(): string | undefined {
  const bin = process.env.ESPRUINO;
  return bin && existsSync(bin) ? bin : undefined;
}

/** Why the real-interpreter suite cannot run here, or undefined when it can. */
export function targetSkipReason(): string | undefined {
  const bin = process.env.ESPRUINO;
  if (!bin)
    return "ESPRUINO is not set: point it at Espruino's Linux build (e.g. ESPRUINO=/opt/espruino/espruino) to run this on the real interpreter";
  if (!existsSync(bin)) return `ESPRUINO=${bin} does not exist`;
  return undefined;
}

/** The 1,600-JsVar build (ESP8266's memory) named by ESPRUINO_SMALL, if it exists. */
export function smallBinary(): string | undefined {
  return namedBinary("ESPRUINO_SMALL");
}

/** Why the small-memory suite cannot run here, or undefined when it can. */
export function smallSkipReason(): string | undefined {
  return namedSkipReason(
    "ESPRUINO_SMALL",
    "Espruino's LINUX board built with 'variables': 1600 (ESP8266's memory) to run the small-memory suite",
  );
}

/**
 * A build with fixed memory larger than ESP8266's (ESPRUINO_FIXED: Espruino's LINUX board built
 * with, say, 'variables': 2300), where the small boards' firmware flushes and the rise of its
 * flush above rest can be measured on memory that does not grow.
 */
export function fixedBinary(): string | undefined {
  return namedBinary("ESPRUINO_FIXED");
}

/** Why the fixed-memory measurement cannot run here, or undefined when it can. */
export function fixedSkipReason(): string | undefined {
  return namedSkipReason(
    "ESPRUINO_FIXED",
    "Espruino's LINUX board built with fixed 'variables' between 2,100 and 4,000 (e.g. 2300) to measure a small board's flush on fixed memory",
  );
}

function namedBinary(env: string): string | undefined {
  const bin = process.env[env];
  return bin && existsSync(bin) ? bin : undefined;
}

function namedSkipReason(env: string, what: string): string | undefined {
  const bin = process.env[env];
  if (!bin) return `${env} is not set: point it at ${what}`;
  if (!existsSync(bin)) return `${env}=${bin} does not exist`;
  return undefined;
}

export interface EspruinoProcessOptions {
  /** The interpreter binary (Espruino's Linux build). */
  binary: string;
  /** Working directory: where `espruino.flash` lives. A fresh temporary one by default. */
  cwd?: string;
  /** Script to run at start; the REPL stays on stdin while it has timers. */
  file?: string;
  /** Extra interpreter arguments, before the file. */
  args?: string[];
}

// The Linux build prints this many lines of banner before anything of ours.
const BANNER_LINES = 11;
// Marks the answers of eval() in the output stream.
const EVAL_MARK = "\u0001EV:";

/**
 * One run of the real Espruino interpreter with its REPL on stdin. `kill()` is a power cut:
 * SIGKILL, nothing flushed; the flash file keeps what was written.
 */
export class EspruinoProcess {
  readonly cwd: string;
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  /** Resolves once the process has exited and all its output has been read. */
  readonly closed: Promise<void>;
  private readonly child: ChildProcessWithoutNullStreams;
  /**
   * The unfinished last line of each stream, kept apart: the Linux build writes its log to stderr
   * while stdout's banner is half out, and one buffer for both once split the banner's last line
   * around a log line (the banner wait then timed out).
   */
  private partial = { out: "", err: "" };
  private seen = 0;
  private waiters: Array<() => void> = [];
  private evalSeq = 0;
  private dead = false;

  constructor(options: EspruinoProcessOptions) {
    this.cwd = options.cwd ?? mkdtempSync(join(tmpdir(), "spool-target-"));
    const args = [...(options.args ?? [])];
    if (options.file) args.push(options.file);
    this.child = spawn(options.binary, args, { cwd: this.cwd, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout.setEncoding("latin1");
    this.child.stdout.on("data", (chunk: string) => this.onData("out", chunk));
    this.child.stderr.setEncoding("latin1");
    this.child.stderr.on("data", (chunk: string) => this.onData("err", chunk));
    this.child.stdin.on("error", () => undefined);
    this.closed = new Promise((resolve) => this.child.on("close", () => resolve()));
    this.exited = new Promise((resolve) =>
      this.child.on("exit", (code) => {
        this.dead = true;
        resolve(code);
      }),
    );
  }

  /** The process id of what was started (the interpreter, or a tracer running it). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Output lines after the interpreter's banner, without prompts and terminal codes. */
  output(): string[] {
    // Storage's "Storage is corrupt. Erasing..." lines come before the banner: find its end.
    const end = this.lines.findIndex((l) => l.includes("espruino.com/Donate"));
    return this.lines.slice(end >= 0 ? end + 1 : BANNER_LINES);
  }

  /** Resolves with the first output line matching `re`, searching from the start. */
  async waitFor(re: RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.find((l) => re.test(l));
      if (hit !== undefined) return hit;
      if (this.dead) throw new Error(`the interpreter exited before printing ${re}; output:\n${this.lines.slice(-20).join("\n")}`);
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${re}; output:\n${this.lines.slice(-20).join("\n")}`);
      await this.nextLine(deadline - Date.now());
    }
  }

  /** Types one line at the REPL. */
  send(line: string): void {
    this.child.stdin.write(line + "\n");
  }

  /**
   * Evaluates `expr` at the REPL and resolves with its value, JSON-decoded.
   * @throws when the expression throws on the device or no answer comes in time.
   */
  async eval<T = unknown>(expr: string, timeoutMs = 10_000): Promise<T> {
    const id = ++this.evalSeq;
    const tag = `${EVAL_MARK}${id}:`;
    this.send(`(function(){var r;try{r={v:(${expr})};}catch(e){r={e:String(e)};}print(${JSON.stringify(tag)}+JSON.stringify(r));})()`);
    const answer = new RegExp(`${tag.replace(/[\u0001]/g, "\\u0001")}`);
    let line: string;
    try {
      line = await this.waitFor(answer, timeoutMs / 2);
    } catch (err) {
      if (this.dead) throw err;
      // Output printed by the device while a line is being typed makes the console re-print
      // that line, and on a starved machine the line has been seen to wait there unexecuted:
      // an empty line is harmless either way and gets it going.
      this.send("");
      line = await this.waitFor(answer, timeoutMs / 2);
    }
    const body = JSON.parse(line.slice(line.indexOf(tag) + tag.length)) as { v?: T; e?: string };
    if (body.e !== undefined) throw new Error(`on the device: ${body.e}`);
    return body.v as T;
  }

  /**
   * CPU time the interpreter has used so far, in µs (the scheduler's own count in
   * /proc/<pid>/schedstat, ns precision): unlike a clock, it does not grow while other
   * processes on a loaded host have the CPU.
   * @throws Error where /proc gives no schedstat (not Linux).
   */
  cpuUs(): number {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error("the interpreter has no pid");
    return Number(readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ")[0]) / 1000;
  }

  /** Power cut: SIGKILL. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await this.exited;
  }

  /** Asks the interpreter to exit when the current code finishes (the Linux build's quit()). */
  async quit(timeoutMs = 5000): Promise<number | null> {
    this.send("quit()");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  private onData(stream: "out" | "err", chunk: string): void {
    // eslint-disable-next-line no-control-regex
    const text = (this.partial[stream] + chunk).replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").replace(/\r/g, "");
    const parts = text.split("\n");
    this.partial[stream] = parts.pop() ?? "";
    for (const p of parts) this.lines.push(p.replace(/^>+/, ""));
    if (this.lines.length !== this.seen) {
      this.seen = this.lines.length;
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    }
  }

  private nextLine(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(1, ms));
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.exited.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
