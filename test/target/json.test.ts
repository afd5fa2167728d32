/**
 * The batch body's numbers on the real interpreter: the request's Content-Length is computed
 * before the body streams and the simulation predicts the device, so Espruino must print every
 * point exactly as Node does (src/device/uplink/json.ts: float32 values found and rounded by
 * arithmetic, powers of ten built by multiplication). Seeded float32 and double bit patterns
 * and the edge cases (subnormals, the largest float32 and past it) go to the interpreter as
 * bits and come back as text.
 * Runs only when ESPRUINO names the interpreter (npm run test:target).
 */
import test from "ava";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { EspruinoProcess, espruinoBinary, targetSkipReason } from "../../src/host/target/espruino-process.ts";
import { linuxBundle, seededRandom } from "../../src/host/target/bundles.ts";
import { formatPoint } from "../../src/device/uplink/json.ts";

const BINARY = espruinoBinary();
const ENTRY = join(dirname(fileURLToPath(import.meta.url)), "entries", "json-points.ts");
const reason = targetSkipReason();
if (reason) test.skip(`real interpreter: ${reason}`, () => undefined);
const run = BINARY ? test.serial : test.skip;

const TS = 1767225600123;
const SEED = 20261203;
const EACH = 600;
const PER_LINE = 30;

function values(): number[] {
  const rnd = seededRandom(SEED);
  const bits = new DataView(new ArrayBuffer(8));
  const out: number[] = [];
  const max32 = (2 - 2 ** -23) * 2 ** 127;
  out.push(0.1, 23.45, Math.fround(23.45), -1e-9, Math.fround(-1e-9), 0.1 + 0.2, 123456789.123, 2 ** -149, 3 * 2 ** -149);
  out.push(2 ** -126, 2 ** -126 - 2 ** -149, max32, -max32, 2 ** 128, max32 + 2 ** 103, 1e-46, 2 ** -140 + 2 ** -160);
  // Float32 bit patterns (every exponent alike), as the store gives them back.
  for (let i = 0; i < EACH; i++) {
    bits.setUint32(0, Math.floor(rnd() * 2 ** 32));
    const f = bits.getFloat32(0);
    if (Number.isFinite(f)) out.push(f);
  }
  // Doubles within the sensors' range, and any double bit pattern.
  for (let i = 0; i < EACH; i++) out.push((rnd() - 0.5) * 10 ** Math.floor(rnd() * 24 - 12));
  for (let i = 0; i < EACH; i++) {
    bits.setUint32(0, Math.floor(rnd() * 2 ** 32));
    bits.setUint32(4, Math.floor(rnd() * 2 ** 32));
    const d = bits.getFloat64(0);
    // Past 10^±250 formatNumber prints String(v): 12 digits on Espruino, 17 on Node (measured
    // here); the device measures and streams with the same function, so its body is consistent.
    if (Number.isFinite(d) && (d === 0 || (Math.abs(d) >= 1e-250 && Math.abs(d) <= 1e250))) out.push(d);
  }
  return out;
}

function hex(v: number): string {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(v);
  return b.toString("hex");
}

run("real interpreter: every batch point prints exactly as Node prints it", async (t) => {
  t.timeout(10 * 60_000);
  const dev = new EspruinoProcess({ binary: BINARY!, file: await linuxBundle(ENTRY) });
  try {
    await dev.waitFor(/espruino\.com\/Donate/, 30_000);
    await dev.eval("(setInterval(function(){},3600000),0)", 30_000);
    const all = values();
    let differ = 0;
    for (let i = 0; i < all.length; i += PER_LINE) {
      const some = all.slice(i, i + PER_LINE);
      const got = await dev.eval<string[]>(`jp(${JSON.stringify(some.map(hex))})`, 60_000);
      some.forEach((v, k) => {
        const want = formatPoint(TS, v);
        if (got[k] !== want && differ++ < 10) t.log(`${v} (${hex(v)}): Espruino ${got[k]}, Node ${want}`);
      });
    }
    t.is(differ, 0, `${differ} of ${all.length} points print differently`);
    t.log(`${all.length} points print the same on both`);
  } finally {
    await dev.kill();
  }
});
