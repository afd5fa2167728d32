/**
 * The server's SQLite store (better-sqlite3, WAL): devices, datastreams, points, events, and the
 * per-day usage counters the quotas read, so everything survives a restart.
 */
import Database from "better-sqlite3";
import { randomBytes } from "node:crypto";
import type { DatastreamType, DeviceConfig } from "./options.ts";
import { configPin, type Datastream, type StoredValue } from "./values.ts";

const SCHEMA_VERSION = 2;
const MINUTE_MS = 60_000;
const TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS devices (
  id INTEGER PRIMARY KEY, token TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1, last_seen INTEGER);
CREATE TABLE IF NOT EXISTS datastreams (
  device_id INTEGER NOT NULL, pin INTEGER NOT NULL, type TEXT NOT NULL, name TEXT,
  min REAL, max REAL, enum_values TEXT, enabled INTEGER NOT NULL DEFAULT 1,
  points INTEGER NOT NULL DEFAULT 0, duplicates INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (device_id, pin));
CREATE TABLE IF NOT EXISTS points (
  id INTEGER PRIMARY KEY, device_id INTEGER NOT NULL, pin INTEGER NOT NULL,
  ts INTEGER NOT NULL, value, received INTEGER NOT NULL, dup INTEGER NOT NULL DEFAULT 0);
-- Covers the chart's min/max per pixel column as well as the range reads: no table lookups.
CREATE INDEX IF NOT EXISTS points_chart ON points (device_id, pin, ts, value);
DROP INDEX IF EXISTS points_by_pin_ts;
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY, device_id INTEGER NOT NULL, ts INTEGER NOT NULL,
  code TEXT NOT NULL, description TEXT);
CREATE TABLE IF NOT EXISTS usage (
  device_id INTEGER NOT NULL, day TEXT NOT NULL, points INTEGER NOT NULL DEFAULT 0,
  events INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (device_id, day));
CREATE TABLE IF NOT EXISTS minute_avg (
  device_id INTEGER NOT NULL, pin INTEGER NOT NULL, minute INTEGER NOT NULL, sum REAL NOT NULL,
  n INTEGER NOT NULL, point_id INTEGER NOT NULL, PRIMARY KEY (device_id, pin, minute));
CREATE TABLE IF NOT EXISTS org_usage (month TEXT PRIMARY KEY, messages INTEGER NOT NULL);
`;

/** A datastream as configured: the value checks' view plus its name and "Save raw data". */
export type DeviceDatastream = Datastream & { name: string | null; rawData: boolean };

export interface Device {
  id: number;
  token: string;
  name: string;
  /** pin number -> datastream */
  datastreams: Map<number, DeviceDatastream>;
}

/** One point to store. */
export interface NewPoint {
  ts: number;
  value: StoredValue;
}

/** A datastream with its counters, for the page. */
export interface StreamSummary {
  pin: number;
  type: DatastreamType;
  name: string | null;
  min: number | null;
  max: number | null;
  points: number;
  duplicates: number;
  /** Changes whenever points are added or changed (a counter). */
  version: number;
  firstTs: number | null;
  lastTs: number | null;
}

/** One pixel column of a chart: [first ts, last ts, min, max, points]. */
export type ChartColumn = [number, number, number, number, number];

/** `YYYY-MM-DD` of a UTC day: the quotas' unit. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** A random token of Blynk's shape: 32 characters of [A-Za-z0-9_-]. */
export function randomToken(): string {
  const bytes = randomBytes(32);
  let s = "";
  for (const b of bytes) s += TOKEN_ALPHABET[b & 63];
  return s;
}

function encode(type: DatastreamType, v: StoredValue): number | string {
  return type === "location" ? JSON.stringify(v) : (v as number | string);
}

function decode(type: DatastreamType, v: unknown): StoredValue {
  if (type === "location") return JSON.parse(String(v)) as [number, number];
  if (type === "string") return String(v);
  return Number(v);
}

/** The SQLite store. Synchronous (better-sqlite3): each request's writes are one transaction. */
export class Store {
  readonly db: Database.Database;
  private readonly byToken = new Map<string, Device>();
  private readonly byId = new Map<number, Device>();
  private readonly stmt;

  /** @throws Error when the file cannot be opened or was written by a newer schema. */
  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(SCHEMA);
    const version = this.meta("schema_version");
    if (version !== undefined && Number(version) > SCHEMA_VERSION) {
      throw new Error(`database ${file} has schema version ${version}; this server knows ${SCHEMA_VERSION}`);
    }
    const columns = this.db.prepare("SELECT name FROM pragma_table_info('datastreams')").pluck().all() as string[];
    if (!columns.includes("raw_data")) this.db.exec("ALTER TABLE datastreams ADD COLUMN raw_data INTEGER NOT NULL DEFAULT 0"); // schema 1 -> 2
    this.setMeta("schema_version", String(SCHEMA_VERSION));
    const db = this.db;
    this.stmt = {
      exists: db.prepare("SELECT 1 FROM points WHERE device_id = ? AND pin = ? AND ts = ? LIMIT 1").pluck(),
      insert: db.prepare("INSERT INTO points (device_id, pin, ts, value, received, dup) VALUES (?, ?, ?, ?, ?, ?)"),
      bump: db.prepare(
        "UPDATE datastreams SET points = points + ?, duplicates = duplicates + ?, version = version + 1 WHERE device_id = ? AND pin = ?",
      ),
      usage: db.prepare("SELECT points, events FROM usage WHERE device_id = ? AND day = ?"),
      addUsage: db.prepare(
        "INSERT INTO usage (device_id, day, points, events) VALUES (?, ?, ?, ?) ON CONFLICT (device_id, day) DO UPDATE SET points = points + excluded.points, events = events + excluded.events",
      ),
      seen: db.prepare("UPDATE devices SET last_seen = ? WHERE id = ?"),
      lastSeen: db.prepare("SELECT last_seen FROM devices WHERE id = ?").pluck(),
      latest: db.prepare("SELECT value FROM points WHERE device_id = ? AND pin = ? ORDER BY ts DESC, id DESC LIMIT 1").pluck(),
      history: db.prepare(
        "SELECT ts, value FROM (SELECT id, ts, value FROM points WHERE device_id = ? AND pin = ? AND ts >= ? AND ts <= ? ORDER BY ts DESC, id DESC LIMIT ?) ORDER BY ts, id",
      ),
      avg: db.prepare("SELECT sum, n, point_id AS pointId FROM minute_avg WHERE device_id = ? AND pin = ? AND minute = ?"),
      addAvg: db.prepare(
        "INSERT INTO minute_avg (device_id, pin, minute, sum, n, point_id) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET sum = excluded.sum, n = excluded.n",
      ),
      setValue: db.prepare("UPDATE points SET value = ?, received = ? WHERE id = ?"),
      messages: db.prepare("SELECT messages FROM org_usage WHERE month = ?").pluck(),
      addMessage: db.prepare(
        "INSERT INTO org_usage (month, messages) VALUES (?, 1) ON CONFLICT (month) DO UPDATE SET messages = messages + 1",
      ),
      event: db.prepare("INSERT INTO events (device_id, ts, code, description) VALUES (?, ?, ?, ?)"),
      events: db.prepare("SELECT ts, code, description FROM events WHERE device_id = ? ORDER BY id DESC LIMIT ?"),
      streams: db.prepare(
        `SELECT pin, type, name, min, max, points, duplicates, version,
         (SELECT min(ts) FROM points p WHERE p.device_id = d.device_id AND p.pin = d.pin) AS firstTs,
         (SELECT max(ts) FROM points p WHERE p.device_id = d.device_id AND p.pin = d.pin) AS lastTs
         FROM datastreams d WHERE device_id = ? AND enabled = 1 ORDER BY pin`,
      ),
      latestPoint: db.prepare("SELECT ts, value, received FROM points WHERE device_id = ? AND pin = ? ORDER BY ts DESC, id DESC LIMIT 1"),
      // Integer division puts each point in one of `width` columns of [from, to].
      columns: db.prepare(
        `SELECT min(ts) AS t0, max(ts) AS t1, min(value) AS lo, max(value) AS hi, count(*) AS n FROM points
         WHERE device_id = ? AND pin = ? AND ts >= ? AND ts <= ? GROUP BY CAST((ts - ?) * ? / ? AS INTEGER) ORDER BY t0`,
      ),
    };
  }

  meta(key: string): string | undefined {
    return this.db.prepare("SELECT value FROM meta WHERE key = ?").pluck().get(key) as string | undefined;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  /**
   * Makes the database's devices match `devices`: adds or updates them and their datastreams,
   * disables the ones no longer configured (their points stay).
   */
  syncDevices(devices: DeviceConfig[]): void {
    const db = this.db;
    db.transaction(() => {
      db.prepare("UPDATE devices SET enabled = 0").run();
      db.prepare("UPDATE datastreams SET enabled = 0").run();
      for (const d of devices) {
        db.prepare(
          "INSERT INTO devices (token, name, enabled) VALUES (?, ?, 1) ON CONFLICT (token) DO UPDATE SET name = excluded.name, enabled = 1",
        ).run(d.token, d.name);
        const id = db.prepare("SELECT id FROM devices WHERE token = ?").pluck().get(d.token) as number;
        for (const ds of d.datastreams) {
          db.prepare(
            `INSERT INTO datastreams (device_id, pin, type, name, min, max, enum_values, raw_data, enabled) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)
             ON CONFLICT (device_id, pin) DO UPDATE SET type = excluded.type, name = excluded.name, min = excluded.min,
             max = excluded.max, enum_values = excluded.enum_values, raw_data = excluded.raw_data, enabled = 1`,
          ).run(
            id,
            configPin(ds.pin),
            ds.type,
            ds.name ?? null,
            ds.min ?? null,
            ds.max ?? null,
            ds.values ? JSON.stringify(ds.values) : null,
            ds.rawData ? 1 : 0,
          );
        }
      }
    })();
    this.loadDevices();
  }

  private loadDevices(): void {
    this.byToken.clear();
    this.byId.clear();
    const rows = this.db.prepare("SELECT id, token, name FROM devices WHERE enabled = 1 ORDER BY id").all() as {
      id: number;
      token: string;
      name: string;
    }[];
    const dsStmt = this.db.prepare(
      "SELECT pin, type, name, min, max, enum_values, raw_data FROM datastreams WHERE device_id = ? AND enabled = 1",
    );
    type Row = {
      pin: number;
      type: DatastreamType;
      name: string | null;
      min: number | null;
      max: number | null;
      enum_values: string | null;
      raw_data: number;
    };
    for (const r of rows) {
      const datastreams = new Map<number, DeviceDatastream>();
      for (const ds of dsStmt.all(r.id) as Row[]) {
        const values = ds.enum_values ? (JSON.parse(ds.enum_values) as number[]) : null;
        datastreams.set(ds.pin, {
          pin: ds.pin,
          type: ds.type,
          name: ds.name,
          min: ds.min,
          max: ds.max,
          values,
          rawData: ds.raw_data === 1,
        });
      }
      const dev: Device = { id: r.id, token: r.token, name: r.name, datastreams };
      this.byToken.set(r.token, dev);
      this.byId.set(r.id, dev);
    }
  }

  device(token: string): Device | undefined {
    return this.byToken.get(token);
  }

  deviceById(id: number): Device | undefined {
    return this.byId.get(id);
  }

  devices(): Device[] {
    return [...this.byId.values()];
  }

  /** Stored points of today (UTC day of `now`) and events, for the quotas. */
  usage(deviceId: number, now: number): { points: number; events: number } {
    return (this.stmt.usage.get(deviceId, utcDay(now)) as { points: number; events: number } | undefined) ?? { points: 0, events: 0 };
  }

  /**
   * Stores points of one pin in one transaction.
   * @param countQuota add them to today's quota usage (timestamped uploads only)
   * @returns how many of them repeat a (device, pin, ts) already stored
   */
  storePoints(dev: Device, pin: number, points: NewPoint[], now: number, countQuota: boolean): number {
    const ds = dev.datastreams.get(pin) as Datastream;
    const s = this.stmt;
    return this.db.transaction(() => {
      let dups = 0;
      for (const p of points) {
        const dup = s.exists.get(dev.id, pin, p.ts) ? 1 : 0;
        dups += dup;
        s.insert.run(dev.id, pin, p.ts, encode(ds.type, p.value), now, dup);
      }
      if (points.length) s.bump.run(points.length, dups, dev.id, pin);
      if (countQuota && points.length) s.addUsage.run(dev.id, utcDay(now), points.length, 0);
      s.seen.run(now, dev.id);
      return dups;
    })();
  }

  /**
   * Stores points of one pin as Blynk.Cloud does without "Save raw data": one point per minute
   * (at the minute's start) holding the average of the minute's values so far, rounded for an
   * integer; for the other types the minute's last value. Counts every point against the quota.
   */
  storeAveraged(dev: Device, pin: number, points: NewPoint[], now: number): void {
    const ds = dev.datastreams.get(pin) as Datastream;
    const averaged = ds.type === "double" || ds.type === "integer";
    const s = this.stmt;
    this.db.transaction(() => {
      let added = 0;
      for (const p of points) {
        const minute = Math.floor(p.ts / MINUTE_MS) * MINUTE_MS;
        const num = averaged ? (p.value as number) : 0;
        const row = s.avg.get(dev.id, pin, minute) as { sum: number; n: number; pointId: number } | undefined;
        if (!row) {
          const id = Number(s.insert.run(dev.id, pin, minute, encode(ds.type, p.value), now, 0).lastInsertRowid);
          s.addAvg.run(dev.id, pin, minute, num, 1, id);
          added++;
          continue;
        }
        const sum = row.sum + num;
        const n = row.n + 1;
        const value = !averaged ? p.value : ds.type === "integer" ? Math.round(sum / n) : sum / n;
        s.setValue.run(encode(ds.type, value), now, row.pointId);
        s.addAvg.run(dev.id, pin, minute, sum, n, row.pointId);
      }
      if (points.length) s.bump.run(added, 0, dev.id, pin);
      if (points.length) s.addUsage.run(dev.id, utcDay(now), points.length, 0);
      s.seen.run(now, dev.id);
    })();
  }

  /** Messages counted this UTC month (`YYYY-MM` of `now`) for the whole server. */
  messages(now: number): number {
    return (this.stmt.messages.get(utcDay(now).slice(0, 7)) as number | undefined) ?? 0;
  }

  countMessage(now: number): void {
    this.stmt.addMessage.run(utcDay(now).slice(0, 7));
  }

  /** Several pins at the server's time, atomically. @returns duplicates */
  storeMany(dev: Device, values: { pin: number; value: StoredValue }[], now: number): number {
    return this.db.transaction(() => {
      let dups = 0;
      for (const v of values) dups += this.storePoints(dev, v.pin, [{ ts: now, value: v.value }], now, false);
      return dups;
    })();
  }

  touch(dev: Device, now: number): void {
    this.stmt.seen.run(now, dev.id);
  }

  lastSeen(dev: Device): number | null {
    return (this.stmt.lastSeen.get(dev.id) as number | null) ?? null;
  }

  /** The value with the newest timestamp (the last stored among equal ones). */
  latest(dev: Device, pin: number): StoredValue | undefined {
    const ds = dev.datastreams.get(pin);
    if (!ds) return undefined;
    const v = this.stmt.latest.get(dev.id, pin);
    return v === undefined ? undefined : decode(ds.type, v);
  }

  /** The point with the newest timestamp, with the server time it arrived. */
  latestPoint(dev: Device, pin: number): { ts: number; value: StoredValue; received: number } | undefined {
    const ds = dev.datastreams.get(pin);
    const row = this.stmt.latestPoint.get(dev.id, pin) as { ts: number; value: unknown; received: number } | undefined;
    return ds && row ? { ts: row.ts, value: decode(ds.type, row.value), received: row.received } : undefined;
  }

  /**
   * A numeric pin's points in [from, to] cut into `width` columns of equal time: per non-empty
   * column its first and last timestamp, min, max and count. Computed by SQLite over the
   * covering index, so the cost is one index range scan and the answer at most `width` rows.
   */
  columns(dev: Device, pin: number, from: number, to: number, width: number): ChartColumn[] {
    const rows = this.stmt.columns.all(dev.id, pin, from, to, from, width, to - from + 1) as {
      t0: number;
      t1: number;
      lo: number;
      hi: number;
      n: number;
    }[];
    return rows.map((r) => [r.t0, r.t1, r.lo, r.hi, r.n]);
  }

  /** Points of a pin with from <= ts <= to, oldest first; the newest `limit` when there are more. */
  history(dev: Device, pin: number, from: number, to: number, limit: number): [number, StoredValue][] {
    const ds = dev.datastreams.get(pin);
    const type = ds?.type ?? "double";
    const rows = this.stmt.history.all(dev.id, pin, from, to, limit) as { ts: number; value: unknown }[];
    return rows.map((r) => [r.ts, decode(type, r.value)]);
  }

  /** Records an event and counts it against today's event limit. */
  logEvent(dev: Device, code: string, description: string | null, now: number): void {
    this.db.transaction(() => {
      this.stmt.event.run(dev.id, now, code, description);
      this.stmt.addUsage.run(dev.id, utcDay(now), 0, 1);
      this.stmt.seen.run(now, dev.id);
    })();
  }

  events(dev: Device, limit: number): { ts: number; code: string; description: string | null }[] {
    return this.stmt.events.all(dev.id, limit) as { ts: number; code: string; description: string | null }[];
  }

  streams(dev: Device): StreamSummary[] {
    return this.stmt.streams.all(dev.id) as StreamSummary[];
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
