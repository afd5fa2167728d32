/**
 * The local peer network probes talk to, the same for the interpreter and the simulation: an
 * HTTP server on 127.0.0.1 with fixed answers, and a UDP echo.
 */
import { createServer, type Server } from "node:http";
import { createSocket, type Socket } from "node:dgram";
import type { AddressInfo } from "node:net";
import type { PeerPorts } from "./probe.ts";

/** Paths the HTTP peer answers; anything else is a 404 with a short body. */
const ROUTES: Record<string, (res: import("node:http").ServerResponse, body: string) => void> = {
  "/hello": (res) => {
    res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": "11" });
    res.end("hello world");
  },
  "/chunked": (res) => {
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.write("part one;");
    res.end("part two");
  },
  "/echo": (res, body) => {
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": String(Buffer.byteLength(body, "latin1")) });
    res.end(body, "latin1");
  },
  "/empty": (res) => {
    res.writeHead(204);
    res.end();
  },
};

export interface Peer {
  ports: PeerPorts;
  close(): Promise<void>;
}

/** Starts the peer on ephemeral ports. */
export async function startPeer(): Promise<Peer> {
  const http: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const route = ROUTES[(req.url ?? "/").split("?")[0]];
      const body = Buffer.concat(chunks).toString("latin1");
      if (route) route(res, body);
      else {
        res.writeHead(404, { "Content-Type": "text/plain", "Content-Length": "9" });
        res.end("not found");
      }
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const udp: Socket = createSocket("udp4");
  udp.on("message", (msg, from) => udp.send(Buffer.concat([Buffer.from("echo:"), msg]), from.port, from.address));
  await new Promise<void>((resolve) => udp.bind(0, "127.0.0.1", resolve));
  return {
    ports: { http: (http.address() as AddressInfo).port, udp: udp.address().port },
    async close() {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await new Promise<void>((resolve) => udp.close(() => resolve()));
    },
  };
}
