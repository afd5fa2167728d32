/**
 * A tiny SNTP server on a real UDP socket, for the real interpreter: it answers each client
 * request (mode 3) with a mode-4 reply stamped with the host's clock, the request's transmit
 * timestamp copied into originate (the reply layout is the demo responder's `ntpReply`).
 * The machine may have no network, and port 123 needs root: point Spool's `ntp` config at
 * `{servers: ["127.0.0.1"], port}` instead.
 */
import { createSocket } from "node:dgram";
import type { AddressInfo } from "node:net";
import { ntpReply } from "../demo/sntp-responder.ts";

export interface SntpServer {
  port: number;
  /** Requests answered so far. */
  answered(): number;
  close(): Promise<void>;
}

export interface SntpServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** The time served, epoch ms; default Date.now. */
  clock?: () => number;
}

/**
 * Starts the server.
 * @throws Error when the port cannot be bound.
 */
export function startSntpServer(options: SntpServerOptions = {}): Promise<SntpServer> {
  const clock = options.clock ?? Date.now;
  const socket = createSocket("udp4");
  let answered = 0;
  socket.on("message", (msg, rinfo) => {
    const out = ntpReply(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), clock());
    if (!out) return;
    answered++;
    socket.send(out, rinfo.port, rinfo.address);
  });
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      socket.off("error", reject);
      resolve({
        port: (socket.address() as AddressInfo).port,
        answered: () => answered,
        close: () => new Promise<void>((done) => socket.close(() => done())),
      });
    });
  });
}
