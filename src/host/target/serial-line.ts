/**
 * A serial line on this machine for the real-interpreter suite: a pseudo-terminal pair made by
 * socat, one end the Linux interpreter's console (its stdin and stdout, as a board's UART is
 * its console), the other a device node named like a USB serial adapter, which the espruino CLI
 * opens through the serialport library exactly as it opens /dev/ttyUSB0.
 *
 * The CLI opens only ports that serialport lists, and on Linux serialport lists what
 * `udevadm info -e` reports with a tty(S|ACM|USB|...) name; a pty is not among them. For the
 * suite only, a `udevadm` first on PATH (see {@link SerialLine.env}) reports the line's
 * device under the name ttyUSB0.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/** Why a serial line cannot be made here, or undefined when it can. */
export function serialLineSkipReason(): string | undefined {
  const r = spawnSync("socat", ["-V"], { stdio: "ignore" });
  return r.error ? "socat is not installed (Debian: apt-get install socat); it makes the pseudo-terminal pair" : undefined;
}

const START_MS = 5000;

export class SerialLine {
  /** The device node a user would name: `<dir>/ttyUSB0`, a link to the pty. */
  readonly device: string;
  /** The board's end, opened as the interpreter's console. */
  readonly boardEnd: string;
  /** The environment to run the espruino CLI in: PATH starts with the udevadm shim. */
  readonly env: NodeJS.ProcessEnv;
  private readonly dir: string;
  private readonly socat: ChildProcess;
  private readonly socatExit: Promise<void>;

  private constructor(dir: string) {
    this.dir = dir;
    this.device = join(dir, "ttyUSB0");
    this.boardEnd = join(dir, "board");
    const shimDir = join(dir, "bin");
    mkdirSync(shimDir);
    const shim = join(shimDir, "udevadm");
    // udev's database format (udevadm info -e): one P: entry per device, N: its name, E: properties.
    writeFileSync(
      shim,
      `#!/bin/sh\n[ "$1 $2" = "info -e" ] || exit 1\nprintf 'P: /devices/virtual/tty/ttyUSB0\\nN: ttyUSB0\\nE: DEVNAME=%s\\nE: SUBSYSTEM=tty\\n\\n' '${this.device}'\n`,
    );
    chmodSync(shim, 0o755);
    this.env = { ...process.env, PATH: shimDir + delimiter + (process.env.PATH ?? "") };
    // raw,echo=0: the line carries bytes as they are, as a UART does.
    this.socat = spawn("socat", [`pty,raw,echo=0,link=${this.device}`, `pty,raw,echo=0,link=${this.boardEnd}`], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.socatExit = new Promise((resolve) => this.socat.once("exit", () => resolve()));
  }

  /**
   * Makes the pty pair and waits for both ends to appear.
   * @throws Error when socat fails or the links do not appear within 5 s.
   */
  static async open(): Promise<SerialLine> {
    const line = new SerialLine(mkdtempSync(join(tmpdir(), "spool-serial-")));
    let err = "";
    line.socat.stderr!.on("data", (b: Buffer) => (err += b.toString()));
    const deadline = Date.now() + START_MS;
    while (!(existsSync(line.device) && existsSync(line.boardEnd))) {
      if (line.socat.exitCode !== null || Date.now() > deadline) {
        await line.close();
        throw new Error(`socat did not make the pty pair: ${err.trim() || "no output"}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return line;
  }

  /**
   * Boots the interpreter in `cwd` (where its espruino.flash is) with its console on the line:
   * a board powered on with its UART wired to the user's adapter.
   */
  boot(binary: string, cwd: string): LineBoard {
    this.drain();
    const fd = openSync(this.boardEnd, constants.O_RDWR | constants.O_NOCTTY);
    try {
      return new LineBoard(spawn(binary, [], { cwd, stdio: [fd, fd, "pipe"] }));
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Drops what was sent while no interpreter was reading: a UART loses the bytes that arrive
   * while the chip is off, where the pty would keep them for the next boot.
   */
  private drain(): void {
    const fd = openSync(this.boardEnd, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
    const buf = Buffer.alloc(4096);
    try {
      for (;;) if (readSync(fd, buf) <= 0) break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
    } finally {
      closeSync(fd);
    }
  }

  /** Stops socat (SIGKILL, by its pid) and removes the links and the shim. */
  async close(): Promise<void> {
    if (this.socat.exitCode === null && this.socat.signalCode === null) this.socat.kill("SIGKILL");
    await this.socatExit;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The interpreter running with its console on a {@link SerialLine}. */
export class LineBoard {
  /** What the interpreter printed on stderr (its own start-up notes, not the console). */
  stderr = "";
  private readonly exit: Promise<void>;

  constructor(private readonly child: ChildProcess) {
    child.stderr!.on("data", (b: Buffer) => (this.stderr += b.toString("latin1")));
    this.exit = new Promise((resolve) => child.once("exit", () => resolve()));
  }

  /** Power off: SIGKILL (the interpreter hooks SIGTERM and SIGINT and keeps running). */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await this.exit;
  }
}
