/**
 * A command run in a pseudo-terminal, as in a user's terminal window (socat gives it a pty as
 * its controlling terminal): what it prints is read back, and keys are typed into it. The
 * command sees a real terminal, so raw mode and Ctrl-C behave as they do for a user.
 */
import { spawn, type ChildProcess } from "node:child_process";

export interface TerminalOptions {
  /** Program and arguments; none may contain a space or a comma (socat's EXEC syntax). */
  command: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const BITS_PER_BYTE = 10; // start bit, 8 data bits, stop bit
const CHUNK_BYTES = 16;

export class Terminal {
  /** Everything printed so far, terminal codes and carriage returns removed. */
  text = "";
  /** Resolves with the command's exit code once it and socat are gone. */
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private waiters: Array<() => void> = [];

  constructor(options: TerminalOptions) {
    for (const a of options.command) if (/[\s,]/.test(a)) throw new Error(`terminal: argument ${JSON.stringify(a)} has a space or comma`);
    this.child = spawn("socat", ["-", `EXEC:${options.command.join(" ")},pty,setsid,ctty,stderr`], {
      env: options.env,
      cwd: options.cwd,
      stdio: ["pipe", "pipe", "pipe"],
    });
    // A terminal code can arrive split across two chunks (ESC at the end of one, "[J" at the
    // start of the next): codes are removed from everything received, not chunk by chunk.
    let raw = "";
    const take = (b: Buffer): void => {
      raw += b.toString("latin1");
      // eslint-disable-next-line no-control-regex
      this.text = raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r/g, "");
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    };
    this.child.stdout!.on("data", take);
    this.child.stderr!.on("data", take);
    this.child.stdin!.on("error", () => undefined);
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
  }

  /**
   * Resolves with the first match of `re` in the text after position `from`.
   * @throws Error when nothing matches within `timeoutMs`, showing the end of the text.
   */
  async waitFor(re: RegExp, options: { from?: number; timeoutMs?: number } = {}): Promise<RegExpExecArray> {
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    let exited = false;
    void this.exited.then(() => (exited = true));
    for (;;) {
      const m = re.exec(this.text.slice(options.from ?? 0));
      if (m) {
        m.index += options.from ?? 0;
        return m;
      }
      const left = deadline - Date.now();
      if (left <= 0 || exited)
        throw new Error(
          `terminal: ${exited ? "the command exited" : "timed out"} waiting for ${re}; it printed:\n${this.text.slice(-1500)}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Types `keys` no faster than a serial line at `baud` carries them. */
  async type(keys: string, baud: number): Promise<void> {
    for (let i = 0; i < keys.length; i += CHUNK_BYTES) {
      const chunk = keys.slice(i, i + CHUNK_BYTES);
      this.child.stdin!.write(chunk, "latin1");
      await new Promise((r) => setTimeout(r, Math.ceil((chunk.length * BITS_PER_BYTE * 1000) / baud)));
    }
  }

  /** Ends the command if it is still running (SIGKILL to socat and, through the pty, a hangup). */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await this.exited;
  }
}
