/**
 * Serial ports for port-check tests, without a board: a pseudo-terminal whose master is held by
 * python3 (as socat or ser2net hold one), and a process holding a port open (as screen does).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, constants, openSync } from "node:fs";

export interface Pty {
  /** The slave side, /dev/pts/N: what a user would pass as --port. */
  path: string;
  /** Closes the pty (ends the python process). */
  close(): Promise<void>;
}

/**
 * Opens a pty held by python3 until {@link Pty.close}.
 * @throws Error when python3 is missing.
 */
export function openPty(): Promise<Pty> {
  const child = spawn("python3", ["-c", "import os,pty,sys\nm,s=pty.openpty()\nprint(os.ttyname(s),flush=True)\nsys.stdin.read()"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.stdout!.once("data", (b: Buffer) =>
      resolve({
        path: b.toString().trim(),
        close: async () => {
          child.stdin!.end();
          await exited;
        },
      }),
    );
  });
}

/** A `sleep` process holding `path` open on its stdin; kill it to release the port. */
export function holdPort(path: string): ChildProcess {
  const fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY);
  try {
    return spawn("sleep", ["600"], { stdio: [fd, "ignore", "ignore"] });
  } finally {
    closeSync(fd);
  }
}

/**
 * Runs `body` with a fresh pty, closed afterwards; passes the test, saying so, when python3 is
 * missing.
 */
export async function withPty(t: { pass(message: string): void }, body: (pty: Pty) => Promise<void>): Promise<void> {
  let pty: Pty;
  try {
    pty = await openPty();
  } catch {
    t.pass("python3 is not available to make a pseudo-terminal; skipped");
    return;
  }
  try {
    await body(pty);
  } finally {
    await pty.close();
  }
}
