/**
 * A Hal in Node for the facade tests, built from the simulation's real parts: NOR flash regions
 * with Espruino's Storage on top, and the simulation's virtual clock for time and timers. The
 * network is absent (the linux board: no WiFi; UDP datagrams go nowhere, so SNTP times out;
 * HTTP requests fail as Espruino's do offline). A "reboot" is a new Hal on the same flash.
 */
import type { DgramPort, Hal, HttpPort, TimerId, UdpSocket } from "../src/device/hal.ts";
import type { BoardProfile } from "../src/device/board.ts";
import { SimClock, type ClockTask } from "../src/host/sim/clock.ts";
import { crc32 } from "../src/host/sim/crc32.ts";
import { FlashBus } from "../src/host/sim/flash-bus.ts";
import { NorFlash } from "../src/host/sim/nor-flash.ts";
import { JsfStorage, binaryBytes, bytesBinary } from "../src/host/sim/storage.ts";
import { zeroBits } from "../src/device/store/format.ts";

/** Flash that outlives a Hal (a reboot keeps it). */
export interface Device {
  board: BoardProfile;
  clock: SimClock;
  raw: NorFlash;
  /** The flash under Storage: arm power cuts here. */
  storageFlash: NorFlash;
  storage: JsfStorage;
  bus: FlashBus;
}

export function newDevice(board: BoardProfile, clock = new SimClock()): Device {
  const raw = new NorFlash({
    base: board.flash.address,
    size: board.flash.length,
    pageSize: board.flash.pageSize,
    alignment: board.flash.writeAlignment,
  });
  // Storage gets the part of its bank below the raw region (all of it where they are apart).
  const shared = board.flash.address >= board.storage.address && board.flash.address < board.storage.address + board.storage.size;
  const size = shared ? board.flash.address - board.storage.address : board.storage.size;
  const sto = new NorFlash({ base: board.storage.address, size, pageSize: board.flash.pageSize, alignment: 4, rail: raw.rail });
  const bus = new FlashBus([raw, sto]);
  return {
    board,
    clock,
    raw,
    storageFlash: sto,
    bus,
    storage: new JsfStorage({ bus, start: board.storage.address, size, pageSize: board.flash.pageSize }),
  };
}

const offlineHttp: HttpPort = {
  request() {
    return {
      write() {
        throw new Error("Not connected to the internet");
      },
      end() {
        throw new Error("Not connected to the internet");
      },
      on() {},
    };
  },
};

const silentDgram: DgramPort = {
  createSocket(): UdpSocket {
    return { bind: (_p: number, cb?: () => void) => cb?.(), send() {}, on() {}, removeAllListeners() {}, close() {} };
  },
};

export interface TestHal extends Hal {
  lines: string[];
  /** Timers and intervals still queued. */
  timers(): number;
}

/** A Hal of one boot of `dev`: uptime starts at 0 now, the clock shows `epochMs` (unset: 1970 + uptime). */
export function bootHal(dev: Device, opts: { epochMs?: number } = {}): TestHal {
  const clock = dev.clock;
  const bootAt = clock.now;
  let offset = opts.epochMs !== undefined ? opts.epochMs - clock.now : -clock.now;
  const live = new Set<ClockTask>();
  let mem = 0;
  const lines: string[] = [];
  const every = (fn: () => void, ms: number, box: { task?: ClockTask }) => {
    box.task = clock.after(ms, () => {
      live.delete(box.task!);
      every(fn, ms, box);
      fn();
    });
    live.add(box.task);
  };
  const hal: TestHal = {
    lines,
    timers: () => live.size,
    flash: {
      read: (length, addr) => dev.bus.read(addr, length),
      write: (data, addr) => dev.raw.write(addr, data),
      erasePage: (addr) => dev.raw.erasePage(addr),
    },
    storage: {
      read: (name) => {
        const b = dev.storage.read(name);
        return b === undefined ? undefined : bytesBinary(b);
      },
      write: (name, data, offset, size) => {
        dev.storage.write(name, binaryBytes(data), offset, size);
        return true;
      },
      erase: (name) => void dev.storage.erase(name),
      list: () => dev.storage.list(),
      getStats: () => dev.storage.getStats(),
      compact: () => void dev.storage.compact(),
    },
    wifi: undefined,
    http: offlineHttp,
    dgram: silentDgram,
    now: () => clock.now + offset,
    uptime: () => clock.now - bootAt,
    setTime: (ms) => {
      offset = ms - clock.now;
    },
    setTimeout: (fn, ms, a, b, c) => {
      const t = clock.after(ms, () => {
        live.delete(t);
        fn(a, b, c);
      });
      live.add(t);
      return t;
    },
    clearTimeout: (id: TimerId) => {
      clock.cancel(id as ClockTask);
      live.delete(id as ClockTask);
    },
    setInterval: (fn, ms, a, b) => {
      const box: { task?: ClockTask } = {};
      every(() => fn(a, b), ms, box);
      return box;
    },
    clearInterval: (id: TimerId) => {
      const box = id as { task?: ClockTask };
      clock.cancel(box.task);
      live.delete(box.task!);
      box.task = undefined;
    },
    crc32: (d) => crc32(typeof d === "string" ? binaryBytes(d) : d) >>> 0,
    zeroBits,
    bytesToString: (d) => bytesBinary(d),
    stringToBytes: (s) => binaryBytes(s),
    random: () => (mem = (mem * 1103515245 + 12345) % 2147483648) / 2147483648,
    log: (line) => void lines.push(line),
    memory: () => ({ free: 3000, usage: 1000, total: 4000 }),
    compile: (code) => new Function(code) as () => any,
  };
  return hal;
}
