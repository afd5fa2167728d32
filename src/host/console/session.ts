/**
 * The board's REPL through the espruino CLI's terminal mode. The CLI owns the keyboard (it puts
 * the terminal in raw mode, so Ctrl-C reaches the board rather than killing the CLI) and the
 * port; what it prints passes through here, so that we know whether it connected and can tell
 * the user what to type.
 */
import { spawn } from "node:child_process";
import { connectionArgs, parsePort, type PortSpec } from "../flash/plan.ts";
import { FlashError } from "../flash/port.ts";
import { connectionFailure, portName } from "../flash/run.ts";

export interface ConsoleOptions {
  /** `/dev/ttyUSB0`, `COM3`, or `tcp://HOST[:PORT]`. */
  port: string;
  /** Serial speed; serial ports only (default 115200, Espruino's on ESP32/ESP8266). */
  baud?: number;
  /** The espruino CLI. */
  espruino: string;
}

export interface ConsolePlan {
  command: string;
  args: string[];
  port: PortSpec;
}

/**
 * The CLI invocation: the same connection options as `spool flash`, and no file, which makes
 * the CLI a terminal (it neither resets the board nor sends anything of its own).
 * @throws Error on a bad port or baud rate.
 */
export function consolePlan(options: ConsoleOptions): ConsolePlan {
  const port = parsePort(options.port);
  return { command: options.espruino, args: connectionArgs(port, options.baud), port };
}

export interface ConsoleIo {
  /** Receives everything the CLI prints (the board's output included). */
  write(text: string): void;
  /** Called once, right after the CLI says the port is open. */
  onConnected?(): void;
}

/** How a console session ended. */
export type ConsoleEnd = "left" | "interrupted";

// The CLI's own lines (espruino-cli.js, terminal()); its first "Connected" is ours to see.
const CONNECTED = /(^|\n)Connected\r?\n/;
const DISCONNECTED = /\nDisconnected\.\r?\n/;

/**
 * Runs the CLI as a terminal on this process's stdin until the user leaves (Ctrl-C twice).
 * @throws FlashError when the CLI is missing, cannot open the port, or the port closes under it
 * (board unplugged, telnet console closed).
 */
export function runConsole(plan: ConsolePlan, io: ConsoleIo): Promise<ConsoleEnd> {
  const where = portName(plan.port);
  return new Promise((resolve, reject) => {
    const child = spawn(plan.command, plan.args, { stdio: ["inherit", "pipe", "pipe"] });
    let output = "";
    let connectedAt = -1;
    const take = (b: Buffer): void => {
      const text = b.toString("latin1");
      output += text;
      if (connectedAt >= 0) return io.write(text);
      const m = CONNECTED.exec(output);
      if (!m) return io.write(text);
      connectedAt = m.index + m[0].length;
      // Write up to the end of the CLI's "Connected" line, then the hint, then the rest.
      const cut = text.length - (output.length - connectedAt);
      io.write(text.slice(0, cut));
      io.onConnected?.();
      if (cut < text.length) io.write(text.slice(cut));
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.once("error", (err: NodeJS.ErrnoException) => {
      reject(
        new FlashError(
          err.code === "ENOENT"
            ? `espruino CLI not found at ${plan.command}: run npm install`
            : `cannot run ${plan.command}: ${err.message}`,
        ),
      );
    });
    child.once("close", (code, signal) => {
      if (connectedAt < 0) {
        if (signal === "SIGINT") return resolve("interrupted");
        return reject(
          connectionFailure(output, plan.port) ??
            new FlashError(`the espruino CLI stopped (${signal ?? `exit code ${code}`}) before it opened ${where}`),
        );
      }
      if (DISCONNECTED.test(output.slice(connectedAt))) {
        return reject(new FlashError(`${where} closed: was the board unplugged${plan.port.kind === "tcp" ? " or its network lost" : ""}?`));
      }
      resolve(signal === "SIGINT" ? "interrupted" : "left");
    });
  });
}
