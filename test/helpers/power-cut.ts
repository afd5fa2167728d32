/**
 * One power-loss harness for every sweep, in the way littlefs runs its tests under emulated
 * power loss: a case gives prepare / act / recover / check; the harness cuts power at every
 * flash operation of `act` (on every flash of the subject's power rail: the store's region and
 * Storage alike), in every failure mode of the simulated NOR flash, then checks what survived.
 * It also cuts again at every operation of the first recovery after a cut (the mount's writes:
 * anchor carry-over, boot record), then checks.
 *
 * Each cut point is replayed once (act cut before the operation lands); the failure modes of
 * that operation are then applied to copies of the flash images (`applyCut`), so a sweep costs
 * one replay per operation, not one per mode.
 */
import { applyCut, PowerCutError, type CutOperation, type NorFlash, type PowerCut, type PowerRail } from "../../src/host/sim/nor-flash.ts";

/** One way an operation can fail. */
export interface CutVariant {
  label: string;
  cut: Omit<PowerCut, "atOp">;
}

/**
 * The failure modes tried at an operation: a write torn between bytes (nothing, 1 byte, all but
 * the last byte), partly programmed (every bit of it cleared or not, seeded; or whole but its
 * last word); an erase not started, half done front to back, or partly done everywhere (a few
 * bits, half the bits, nearly all bits back to 1).
 */
export function variantsOf(op: Pick<CutOperation, "erase" | "data">, seed: number, align = 4): CutVariant[] {
  const len = op.data.length;
  if (op.erase) {
    return [
      { label: "erase not started", cut: { tornBytes: 0 } },
      { label: "erase front half", cut: { tornBytes: len >> 1 } },
      { label: "erase scattered 0.2%", cut: { tornBytes: 0, mode: "scatter", rate: 0.002, seed } },
      { label: "erase scattered 50%", cut: { tornBytes: 0, mode: "scatter", rate: 0.5, seed } },
      { label: "erase scattered 99%", cut: { tornBytes: 0, mode: "scatter", rate: 0.99, seed } },
    ];
  }
  const out: CutVariant[] = [{ label: "write none", cut: { tornBytes: 0 } }];
  if (len > 1) out.push({ label: "write 1 byte", cut: { tornBytes: 1 } });
  if (len > 2) out.push({ label: "write all but 1 byte", cut: { tornBytes: len - 1 } });
  out.push({ label: "write bits 50%", cut: { tornBytes: 0, mode: "bits", rate: 0.5, seed } });
  out.push({ label: "write bits 90%", cut: { tornBytes: 0, mode: "bits", rate: 0.9, seed: seed + 1 } });
  if (len > align) out.push({ label: "write last word bits", cut: { tornBytes: len - align, mode: "bits", rate: 0.5, seed: seed + 2 } });
  return out;
}

export interface PowerCutCase<S> {
  /** A fresh subject, powered on, in the state before `act`. Deterministic. */
  prepare(): S | Promise<S>;
  /** The subject's flashes, all on one power rail. */
  flashes(s: S): NorFlash[];
  /** The operations under test: runs to its end, or until the flash throws PowerCutError. */
  act(s: S): void | Promise<void>;
  /** The first boot / mount after a cut, alone (cut again at each of its operations). */
  recover(s: S): void | Promise<void>;
  /**
   * Boots / mounts what survived and checks it against what `act` was told (and what the uncut
   * run did, for bounds). Returns the problem, or undefined. Must leave `s` reusable: it is
   * called again on other images of the same cut.
   */
  check(s: S, where: string, cut: CutInfo): string | undefined | Promise<string | undefined>;
  /** Called after each check of one cut point's subject, before the next cut point (close files, devices). */
  dispose?(s: S): void | Promise<void>;
}

/** What the check is told about the cut. */
export interface CutInfo {
  /** 1-based operation of `act` that was cut. */
  op: number;
  variant: string;
  /** Set for a second cut during recovery: its operation number in the recovery. */
  recoveryOp?: number;
  recoveryVariant?: string;
  /** The operation this cut interrupted (the recovery's, for a second cut). */
  operation: CutOperation;
  /** It left its bytes neither as before nor as asked: a torn write or a partial erase. */
  torn: boolean;
}

export interface SweepOptions {
  /** Whether to cut at operation k (1-based) of `act`; every variant of a chosen op is tried. Default: every op. */
  sample?: (k: number, op: CutOperation) => boolean;
  /** Whether to cut again during the recovery after cut (k, variant index). Default: never. */
  recoverySample?: (k: number, op: CutOperation, variant: number) => boolean;
  /** Whether to try variant `vi` (index in {@link variantsOf}) at operation k. Default: every one. */
  variantSample?: (k: number, vi: number) => boolean;
  /**
   * Replay `act` for every variant, the cut armed as that variant, instead of landing the
   * variants on images of one replay: for subjects whose state is more than their flashes (a
   * server's history), which `check` changes. No recovery cuts in this mode.
   */
  replay?: boolean;
  /** Stop after this many failures (default 6). */
  maxFailures?: number;
}

export interface SweepResult {
  /** Operations of the uncut `act`, by kind. */
  ops: number;
  writes: number;
  erases: number;
  /** Operations of `act` cut at; cuts tried (one per variant), recovery cuts tried. */
  points: number;
  cuts: number;
  recoveryCuts: number;
  /** Cuts per variant label (first cuts and recovery cuts together). */
  byVariant: Record<string, number>;
  failures: string[];
}

function restore(flashes: NorFlash[], images: Uint8Array[]): void {
  flashes.forEach((f, i) => f.load(images[i]));
}

/**
 * Applies `v` to the operation `op` interrupted, on top of the images taken before it.
 * @returns whether it left the operation's bytes torn (neither as before nor as asked).
 */
function land(flashes: NorFlash[], images: Uint8Array[], op: CutOperation, v: CutVariant): boolean {
  const work = images.map((b) => b.slice());
  const fi = flashes.indexOf(op.flash);
  applyCut(work[fi], op, v.cut);
  restore(flashes, work);
  flashes[0].powerOn();
  return isTorn(op, work[fi]);
}

/** Whether the flash bytes `after` hold those of the interrupted `op` neither untouched nor complete. */
function isTorn(op: CutOperation, after: Uint8Array): boolean {
  let untouched = true;
  let whole = true;
  for (let i = 0; i < op.data.length; i++) {
    const b = op.before![i];
    const a = after[op.offset + i];
    if (a !== b) untouched = false;
    if (a !== (op.erase ? 0xff : b & op.data[i])) whole = false;
  }
  return !untouched && !whole;
}

/** Runs until the cut; device code may wrap the PowerCutError in its own error, so the rail says. */
async function expectCut(rail: PowerRail, run: () => void | Promise<void>): Promise<string | undefined> {
  try {
    await run();
    return rail.powered ? "no power cut happened" : undefined;
  } catch (e) {
    return e instanceof PowerCutError || !rail.powered ? undefined : `threw ${(e as Error).stack ?? String(e)}`;
  }
}

/**
 * Runs `act` uncut (recording its flash operations), then for each sampled operation: replays
 * `act` cut just before it, and for each failure variant of it checks the survivor; for sampled
 * variants also cuts the recovery at each of its operations (each variant) and checks.
 * @throws Error when the uncut `act` throws or `prepare` does not give flashes on one rail.
 */
export async function sweepPowerCuts<S>(c: PowerCutCase<S>, options: SweepOptions = {}): Promise<SweepResult> {
  const maxFailures = options.maxFailures ?? 6;
  const dry = await c.prepare();
  const rail = c.flashes(dry)[0].rail;
  if (c.flashes(dry).some((f) => f.rail !== rail)) throw new Error("power-cut sweep: the subject's flashes are not on one rail");
  rail.log = [];
  await c.act(dry);
  const log = rail.log;
  rail.log = undefined;
  await c.dispose?.(dry);
  const res: SweepResult = {
    ops: log.length,
    writes: log.filter((o) => !o.erase).length,
    erases: log.filter((o) => o.erase).length,
    points: 0,
    cuts: 0,
    recoveryCuts: 0,
    byVariant: {},
    failures: [],
  };
  const fail = (m: string) => res.failures.push(m);
  const count = (label: string) => (res.byVariant[label] = (res.byVariant[label] ?? 0) + 1);

  for (let k = 1; k <= log.length && res.failures.length < maxFailures; k++) {
    if (options.sample && !options.sample(k, log[k - 1])) continue;
    if (options.replay) {
      await replayPoint(c, k, log, options, res);
      continue;
    }
    const s = await c.prepare();
    const flashes = c.flashes(s);
    const r = flashes[0].rail;
    r.arm({ atOp: r.ops + k, tornBytes: 0 });
    const kind = log[k - 1].erase ? "erase" : `write ${log[k - 1].data.length} B`;
    const bad = await expectCut(r, () => c.act(s));
    if (bad) {
      fail(`op ${k} (${kind}): act ${bad}`);
      await c.dispose?.(s);
      continue;
    }
    res.points++;
    const op = r.lastCut!;
    // The images before the interrupted operation landed.
    const images = flashes.map((f) => f.bytes.slice());
    const variants = variantsOf(op, k);
    for (let vi = 0; vi < variants.length && res.failures.length < maxFailures; vi++) {
      if (options.variantSample && !options.variantSample(k, vi)) continue;
      const v = variants[vi];
      const where = `op ${k}/${log.length} (${kind}), ${v.label}`;
      const torn = land(flashes, images, op, v);
      res.cuts++;
      count(v.label);
      try {
        const f = await c.check(s, where, { op: k, variant: v.label, operation: op, torn });
        if (f) fail(f);
      } catch (e) {
        fail(`${where}: check threw ${(e as Error).stack}`);
      }
      if (!options.recoverySample?.(k, op, vi)) continue;
      // The recovery's own operations, uncut, on this image.
      land(flashes, images, op, v);
      r.log = [];
      try {
        await c.recover(s);
      } catch (e) {
        r.log = undefined;
        fail(`${where}: recovery threw ${(e as Error).stack}`);
        continue;
      }
      const rlog = r.log;
      r.log = undefined;
      for (let j = 1; j <= rlog.length && res.failures.length < maxFailures; j++) {
        for (const rv of variantsOf(rlog[j - 1], 1000 * k + j)) {
          land(flashes, images, op, v);
          r.arm({ atOp: r.ops + j, ...rv.cut });
          const rwhere = `${where}; recovery op ${j}/${rlog.length} (${rlog[j - 1].erase ? "erase" : `write ${rlog[j - 1].data.length} B`}), ${rv.label}`;
          const rbad = await expectCut(r, () => c.recover(s));
          if (rbad) {
            fail(`${rwhere}: recovery ${rbad}`);
            continue;
          }
          flashes[0].powerOn();
          res.recoveryCuts++;
          count(rv.label);
          const rop = r.lastCut!;
          const rtorn = isTorn(rop, rop.flash.bytes);
          try {
            const f = await c.check(s, rwhere, {
              op: k,
              variant: v.label,
              recoveryOp: j,
              recoveryVariant: rv.label,
              operation: rop,
              torn: rtorn,
            });
            if (f) fail(f);
          } catch (e) {
            fail(`${rwhere}: check threw ${(e as Error).stack}`);
          }
        }
      }
    }
    await c.dispose?.(s);
  }
  return res;
}

/** Replay mode of {@link sweepPowerCuts} at operation k: one replay of `act` per variant. */
async function replayPoint<S>(c: PowerCutCase<S>, k: number, log: CutOperation[], options: SweepOptions, res: SweepResult): Promise<void> {
  const variants = variantsOf(log[k - 1], k);
  const kind = log[k - 1].erase ? "erase" : `write ${log[k - 1].data.length} B`;
  let cutHere = false;
  for (let vi = 0; vi < variants.length && res.failures.length < (options.maxFailures ?? 6); vi++) {
    if (options.variantSample && !options.variantSample(k, vi)) continue;
    const v = variants[vi];
    const where = `op ${k}/${log.length} (${kind}), ${v.label}`;
    const s = await c.prepare();
    const r = c.flashes(s)[0].rail;
    r.arm({ atOp: r.ops + k, ...v.cut });
    try {
      const bad = await expectCut(r, () => c.act(s));
      if (bad) {
        res.failures.push(`${where}: act ${bad}`);
        continue;
      }
      cutHere = true;
      c.flashes(s)[0].powerOn();
      res.cuts++;
      res.byVariant[v.label] = (res.byVariant[v.label] ?? 0) + 1;
      const op = r.lastCut!;
      const torn = isTorn(op, op.flash.bytes);
      const f = await c.check(s, where, { op: k, variant: v.label, operation: op, torn });
      if (f) res.failures.push(f);
    } catch (e) {
      res.failures.push(`${where}: check threw ${(e as Error).stack}`);
    } finally {
      await c.dispose?.(s);
    }
  }
  if (cutHere) res.points++;
}

/** A one-line account of a sweep for t.log. */
export function describeSweep(r: SweepResult): string {
  const modes = Object.entries(r.byVariant)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
  return `${r.ops} flash operations (${r.writes} writes, ${r.erases} erases), cut at ${r.points}: ${r.cuts} cuts + ${r.recoveryCuts} cuts during recovery (${modes})`;
}
