/**
 * The hardware boundary's https requests where TLS buffers are JsVars (the linux profile): the
 * store is made to grow first when too little is free, then defragmented, then the request is
 * made as asked. Against fake globals whose `process.memory()` grows the way the Linux build's
 * does (its total doubles once the free JsVars run out); on the interpreter itself the same path
 * is test/target/https.test.ts.
 */
import test from "ava";
import { createEspruinoHal, type EspruinoGlobals, type HttpRequestOptions, type MemoryInfo } from "../src/device/hal.ts";

/** Globals with a growable store of `total` JsVars, `used` in use, and a recording http. */
function fakeGlobals(o: { total: number; used: number }) {
  const calls: string[] = [];
  let total = o.total;
  let allocated = 0;
  const memory = (): MemoryInfo => {
    // The array the boundary fills counts as what it allocated since the last look.
    const usage = o.used + allocated;
    if (usage >= total) total *= 2;
    return { free: total - usage, usage, total };
  };
  const realPush = Array.prototype.push;
  const g = {
    require: (name: string) =>
      name === "http"
        ? {
            request: (opts: HttpRequestOptions) => {
              calls.push(`request ${opts.protocol}`);
              return {};
            },
          }
        : {},
    E: { defrag: () => calls.push(`defrag at total ${total}`) },
    getTime: () => 0,
    setTime: () => undefined,
    setTimeout: () => 0,
    clearTimeout: () => undefined,
    setInterval: () => 0,
    clearInterval: () => undefined,
    print: () => undefined,
    process: { memory },
    Function: () => () => undefined,
    hasWifi: false,
    defragForTls: true,
  } as unknown as EspruinoGlobals;
  return {
    g,
    calls,
    total: () => total,
    /** Runs `fn` counting each element pushed (the boundary's fill array) as one JsVar allocated. */
    counting: (fn: () => void) => {
      Array.prototype.push = function (this: unknown[], ...xs: unknown[]) {
        allocated += xs.length;
        return realPush.apply(this, xs);
      };
      try {
        fn();
      } finally {
        Array.prototype.push = realPush;
      }
    },
  };
}

const OPTS = (protocol: "http:" | "https:"): HttpRequestOptions => ({
  host: "blynk.cloud",
  port: 443,
  path: "/",
  method: "POST",
  protocol,
  headers: {},
});

test.serial("https with little free: the store grows (its total doubles), then is defragmented, then the request is made", (t) => {
  const f = fakeGlobals({ total: 4096, used: 1900 });
  const hal = createEspruinoHal(f.g);
  f.counting(() => hal.http.request(OPTS("https:"), () => undefined));
  t.is(f.total(), 8192);
  t.deepEqual(f.calls, ["defrag at total 8192", "request https:"]);
});

test.serial("https with room enough: no growth, only the defragmentation; plain http: neither", (t) => {
  const f = fakeGlobals({ total: 8192, used: 1900 });
  const hal = createEspruinoHal(f.g);
  f.counting(() => {
    hal.http.request(OPTS("https:"), () => undefined);
    hal.http.request(OPTS("http:"), () => undefined);
  });
  t.is(f.total(), 8192);
  t.deepEqual(f.calls, ["defrag at total 8192", "request https:", "request http:"]);
});
