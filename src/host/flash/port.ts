/**
 * Checks that the port a board is flashed through is there and free, before the espruino CLI
 * runs (the CLI prints a vague "Unable to connect!" and exits 0 either way).
 */
import * as fs from "node:fs";
import * as net from "node:net";
import { join } from "node:path";
import type { PortSpec } from "./plan.ts";

/** A flashing failure with a message meant for the user. */
export class FlashError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FlashError";
  }
}

const TCP_CHECK_MS = 3000;
const SERIAL_GLOBS = [/^ttyUSB\d+$/, /^ttyACM\d+$/, /^cu\.usb/, /^cu\.SLAB/, /^cu\.wchusb/];

/** Serial devices that look like a USB board, for "did you mean". */
export function listSerialPorts(devDir = "/dev"): string[] {
  try {
    return fs
      .readdirSync(devDir)
      .filter((n) => SERIAL_GLOBS.some((re) => re.test(n)))
      .map((n) => join(devDir, n))
      .sort();
  } catch {
    return [];
  }
}

/** Processes (pid and name) that hold `path` open, as far as /proc lets us see. */
export function portHolders(path: string): Array<{ pid: number; name: string }> {
  let real: string;
  try {
    real = fs.realpathSync(path);
  } catch {
    return [];
  }
  const ptyIndex = /^\/dev\/pts\/(\d+)$/.exec(real)?.[1];
  const out: Array<{ pid: number; name: string }> = [];
  let pids: string[];
  try {
    pids = fs.readdirSync("/proc").filter((n) => /^\d+$/.test(n));
  } catch {
    return out;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    let holds = false;
    let farEnd = false;
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (target === real) holds = true;
      else if (ptyIndex !== undefined && /^\/dev\/(pts\/)?ptmx$/.test(target) && masterIndex(pid, fd) === ptyIndex) farEnd = true;
    }
    // A pseudo-terminal's provider (socat, ser2net, a pty bridge) holds its master and keeps the
    // slave open too: it is the other end of the line, not a program competing for the port.
    if (holds && !farEnd) out.push({ pid: Number(pid), name: processName(pid) });
  }
  return out;
}

/** The pty a /dev/ptmx descriptor is the master of (Linux 4.17+ shows it in fdinfo). */
function masterIndex(pid: string, fd: string): string | undefined {
  try {
    return /^tty-index:\s*(\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8"))?.[1];
  } catch {
    return undefined;
  }
}

function processName(pid: string): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "?";
  }
}

/** A UUCP lock file (screen, minicom) naming a live process, if any. */
function lockHolder(path: string): number | undefined {
  const base = path.split("/").pop();
  for (const dir of ["/var/lock", "/run/lock"]) {
    let text: string;
    try {
      text = fs.readFileSync(join(dir, `LCK..${base}`), "utf8");
    } catch {
      continue;
    }
    const pid = parseInt(text.trim(), 10);
    if (!pid) continue;
    try {
      process.kill(pid, 0);
      return pid;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EPERM") return pid;
    }
  }
  return undefined;
}

function busy(path: string, who: string): FlashError {
  return new FlashError(
    `port busy: ${path} is in use${who}. Close whatever holds it (a serial terminal such as screen or minicom, the Espruino Web IDE, another flash) and try again.`,
  );
}

function checkSerial(path: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR") throw new FlashError(`cannot use ${path}: ${(err as Error).message}`);
    const found = listSerialPorts();
    const hint = found.length ? `serial ports present: ${found.join(", ")}` : "no USB serial ports are present";
    throw new FlashError(`no such serial port ${path}: is the board plugged in, with a data (not charge-only) USB cable? ${hint}`);
  }
  if (!st.isCharacterDevice()) throw new FlashError(`${path} is not a serial device (it is a ${st.isDirectory() ? "directory" : "file"})`);
  const holders = portHolders(path).filter((h) => h.pid !== process.pid);
  if (holders.length) throw busy(path, ` by ${holders.map((h) => `${h.name} (pid ${h.pid})`).join(", ")}`);
  const locker = lockHolder(path);
  if (locker !== undefined) throw busy(path, ` (locked by pid ${locker})`);
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_NOCTTY | fs.constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EBUSY") throw busy(path, " (opened exclusively by another program)");
    if (code === "EACCES" || code === "EPERM") {
      throw new FlashError(
        `permission denied on ${path}: add yourself to its group (on Debian/Ubuntu: sudo usermod -aG dialout $USER, then log in again)`,
      );
    }
    throw new FlashError(`cannot open ${path}: ${(err as Error).message}`);
  }
  fs.closeSync(fd);
}

function checkTcp(spec: { host: string; port: number; url: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: spec.host, port: spec.port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new FlashError(`no answer from ${spec.url} within ${TCP_CHECK_MS / 1000} s: is the board on this network?`));
    }, TCP_CHECK_MS);
    sock.once("connect", () => {
      clearTimeout(timer);
      sock.end();
      resolve();
    });
    sock.once("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === "ECONNREFUSED") {
        reject(
          new FlashError(
            `nothing listens at ${spec.url}: is the board on with its telnet console enabled (or the Linux interpreter started with --telnet, port 2323)?`,
          ),
        );
      } else if (err.code === "ENOTFOUND" || err.code === "EAI_AGAIN") {
        reject(new FlashError(`unknown host in ${spec.url}`));
      } else reject(new FlashError(`cannot connect to ${spec.url}: ${err.message}`));
    });
  });
}

/**
 * Checks the port exists and is free.
 * @throws FlashError saying what is wrong and what to do: missing device, busy (and by whom),
 * no permission, nothing listening at a tcp address.
 */
export async function checkPort(spec: PortSpec): Promise<void> {
  if (spec.kind === "serial") checkSerial(spec.path);
  else await checkTcp(spec);
}
