/**
 * `require("dgram")` of the simulation. A datagram to a host:port with an in-process responder
 * (`network.udpHandler`) is handled in virtual time; any other goes out as real UDP (to a
 * routed name or an IP literal) and answers come back as `message` events. Messages are binary
 * strings, `info` is `{address, port, size}` as Espruino gives it. Without a link (or for a
 * name that does not resolve) a send is silently lost, as on the device (its DNS lookup fails
 * inside `send` without an exception).
 */
import * as dgram from "node:dgram";
import type { SimHost } from "./host.ts";
import type { IoHandle } from "./clock.ts";
import { binaryBytes, bytesBinary } from "./storage.ts";

let nextEphemeral = 50000;

export function createDgramModule(host: SimHost): any {
  const gen = host.generation;
  const sockets = new Set<() => void>();
  host.onKill(() => {
    for (const close of sockets) close();
    sockets.clear();
  });
  const proto = host.newObject();
  const state = new WeakMap<object, { port: number; real?: dgram.Socket; closed: boolean; pending: IoHandle[]; close: () => void }>();

  function st(self: unknown) {
    const s = state.get(self as object);
    if (!s) throw host.newError("Not a dgram socket");
    return s;
  }

  function deliver(sock: object, bytes: Uint8Array, address: string, port: number): void {
    const s = state.get(sock);
    if (!s || s.closed || !host.isLive(gen)) return;
    host.fire(gen, sock, "message", [bytesBinary(bytes), host.newObject({ address, port, size: bytes.length })]);
  }

  function ensureBound(sock: object): void {
    const s = st(sock);
    if (!s.port) s.port = nextEphemeral++;
  }

  proto.bind = function (this: any, port: number, cb?: unknown): any {
    const s = st(this);
    s.port = Number(port) || nextEphemeral++;
    const self = this;
    if (typeof cb === "function") host.clock.after(0, () => host.invoke(gen, cb, self, [self]), "dgram bind");
    return this;
  };

  proto.send = function (this: any, buffer: unknown, a?: unknown, b?: unknown, c?: unknown, d?: unknown): void {
    const s = st(this);
    if (s.closed) throw host.newError("This socket is closed");
    let msg = String(buffer);
    let port: number;
    let hostName: string;
    if (d !== undefined) {
      // send(msg, offset, length, port, address)
      msg = msg.substr(Number(a) | 0, Number(b) | 0);
      port = Number(c);
      hostName = String(d);
    } else {
      port = Number(a);
      hostName = String(b);
    }
    ensureBound(this);
    host.netStats.udpSent++;
    if (!host.linkUp()) return;
    const bytes = binaryBytes(msg);
    const self = this;
    const from = `${host.ip}:${s.port}`;
    if (host.network.deliverUdp(hostName, port, bytes, from, (reply) => deliver(self, reply, hostName, port))) return;
    const target = host.network.resolve(hostName, port, false);
    if (!target) return;
    if (!s.real) {
      const real = dgram.createSocket("udp4");
      s.real = real;
      real.on("message", (m, rinfo) => {
        for (const h of s.pending.splice(0)) h.end();
        deliver(self, new Uint8Array(m), rinfo.address, rinfo.port);
      });
      real.on("error", () => {});
      real.bind(0, "127.0.0.1");
    }
    const io = host.clock.beginIo(`udp ${hostName}:${port}`);
    s.pending.push(io);
    s.real.send(Buffer.from(bytes), target.port, target.address, () => io.touch());
  };

  proto.close = function (this: any): void {
    const s = st(this);
    if (s.closed) return;
    s.close();
    const self = this;
    host.clock.after(
      0,
      () => {
        host.fire(gen, self, "close", []);
        host.release(self);
      },
      "dgram close",
    );
  };

  return host.newObject({
    createSocket(_type: unknown, cb?: unknown): any {
      const sock = host.newObject(undefined, proto);
      const s = {
        port: 0,
        real: undefined as dgram.Socket | undefined,
        closed: false,
        pending: [] as IoHandle[],
        close: () => {
          s.closed = true;
          for (const h of s.pending.splice(0)) h.end();
          s.real?.close();
          s.real = undefined;
          sockets.delete(s.close);
        },
      };
      state.set(sock, s);
      sockets.add(s.close);
      if (typeof cb === "function") sock.on("message", cb);
      return sock;
    },
  });
}
