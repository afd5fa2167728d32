/**
 * An SNTP server inside the simulated network: answers each request with the TRUE virtual time
 * (`info.trueEpochMs`), laid out as RFC 5905 server replies (mode 4, stratum 2, originate =
 * the request's transmit timestamp). The device can only reach it while its link is up.
 */
import type { SimNetwork } from "../sim/index.ts";
import { NTP_PACKET_BYTES, ntpTime } from "../../device/clock/ntp-packet.ts";

export const NTP_PORT = 123;
/** Server time between receiving a request and sending the reply, ms. */
const PROCESS_MS = 0.05;
/** One-way network delay of the simulated NTP exchange, virtual ms. */
const LATENCY_MS = 12;
const LI0_V4_SERVER = (0 << 6) | (4 << 3) | 4;
const ORIGINATE_AT = 24;
const TRANSMIT_AT = 40;

/**
 * An NTPv4 server reply to `request` stamped with `trueMs` (receive) and `trueMs + PROCESS_MS`
 * (transmit), or undefined when `request` is not a 48-byte client request.
 */
export function ntpReply(request: Uint8Array, trueMs: number): Uint8Array | undefined {
  if (request.length < NTP_PACKET_BYTES || (request[0] & 7) !== 3) return undefined;
  const out = new Uint8Array(NTP_PACKET_BYTES);
  const view = new DataView(out.buffer);
  out[0] = LI0_V4_SERVER;
  out[1] = 2;
  out[2] = 6;
  out[3] = 0xec;
  out.set([0x47, 0x50, 0x53, 0], 12); // reference id "GPS"
  ntpTime(view, 16, trueMs - 16000, 0);
  out.set(request.subarray(TRANSMIT_AT, TRANSMIT_AT + 8), ORIGINATE_AT);
  ntpTime(view, 32, trueMs, 0);
  ntpTime(view, TRANSMIT_AT, trueMs + PROCESS_MS, 0);
  return out;
}

export interface SntpResponder {
  /** Requests answered so far. */
  readonly answered: number;
  /** Removes the responder from the network. */
  remove(): void;
}

/**
 * Installs the responder for each of `hosts` (port 123) on `network`.
 * @throws Error when `hosts` is empty.
 */
export function installSntpResponder(options: { network: SimNetwork; hosts: string[] }): SntpResponder {
  const { network, hosts } = options;
  if (!hosts.length) throw new Error("installSntpResponder: hosts must name at least one NTP server");
  let answered = 0;
  for (const host of hosts) {
    network.udpHandler(
      host,
      NTP_PORT,
      (msg, reply, info) => {
        const out = ntpReply(msg, info.trueEpochMs);
        if (!out) return;
        answered++;
        reply(out);
      },
      { latencyMs: LATENCY_MS },
    );
  }
  return {
    get answered() {
      return answered;
    },
    remove() {
      for (const host of hosts) network.removeUdpHandler(host, NTP_PORT);
    },
  };
}
