/**
 * Conformance probes: small scripts run on the real Espruino interpreter once (their console
 * output recorded into test/conformance/fixtures/) and on the simulation on every test run.
 */

/** One probe script. */
export interface Probe {
  /** Unique within its topic; the fixture key. */
  name: string;
  /**
   * Source run as the device's program. It prints what it observes. A synchronous probe is
   * over when the code has run; an `async` one calls `done()` (defined after the code, so only
   * callbacks can call it) when it has seen everything.
   * `$HTTP_PORT` and `$UDP_PORT` are replaced by the ports of the local peer (see peer.ts).
   */
  code: string;
  async?: boolean;
}

/** The probes of one topic (one fixture file). */
export interface ProbeTopic {
  topic: string;
  probes: Probe[];
}

/** Where the local peer listens; substituted into the probe's code. */
export interface PeerPorts {
  http: number;
  udp: number;
}

/** Marks the end of a probe's output. */
export const END_MARK = "\u0001END";

/** The script as the device runs it: ports filled in, `done()` appended. */
export function probeSource(probe: Probe, ports: PeerPorts): string {
  const code = probe.code.replace(/\$HTTP_PORT/g, String(ports.http)).replace(/\$UDP_PORT/g, String(ports.udp));
  return `${code}\nfunction done(){print(${JSON.stringify(END_MARK)});}\n`;
}

/**
 * Output lines as compared: trailing spaces dropped, and the lines Espruino adds after an
 * uncaught exception to show where it happened (`    at ...` and the caret line under the
 * source) left out: they quote the source, which the simulation does not. Leading blank lines
 * (the banner's last) go too.
 */
export function normalizeOutput(lines: string[]): string[] {
  const out: string[] = [];
  let inTrace = 0;
  for (const raw of lines) {
    const l = raw.replace(/\s+$/, "");
    if (/^ {4}at /.test(l)) {
      inTrace = 2;
      continue;
    }
    if (inTrace > 0) {
      // After "at": the quoted source line (empty when Espruino cannot show it), then the caret.
      inTrace--;
      if (/^\s*\^$/.test(l)) inTrace = 0;
      if (l === "" || /^\s*\^$/.test(l) || inTrace === 1) continue;
    }
    out.push(l);
  }
  while (out.length && out[out.length - 1] === "") out.pop();
  while (out.length && out[0] === "") out.shift();
  // The Linux build run on a file reports an uncaught exception a second time as it exits.
  if (out.length > 1 && out[out.length - 1] === "Uncaught undefined" && out.some((l) => l.startsWith("Uncaught "))) out.pop();
  return out;
}
