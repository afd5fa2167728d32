/** The HTTP `Date` header (RFC 9110 IMF-fixdate), parsed by hand: Espruino's Date.parse may not. */

/**
 * Parses "Sun, 06 Nov 2025 08:49:37 GMT" to epoch ms (whole seconds).
 * @throws Error naming the part that is wrong, for any other form, a year outside 2024..2099,
 *   or a weekday that does not match the date.
 */
export function parseHttpDate(header: string): number {
  // The tables and helpers are made for each parse, not at the module level: the uplink part
  // brings this parser, which runs only while the clock has no SNTP time (docs/memory.md).
  const MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec";
  const DAYS = "MonTueWedThuFriSatSun";
  const FIRST_YEAR = 2024;
  const LAST_YEAR = 2099;

  /** Days from 1970-01-01 to the given civil date (proleptic Gregorian; month 1..12). */
  function daysFromCivil(y: number, m: number, d: number): number {
    // H. Hinnant's algorithm: the year starts in March so the leap day comes last.
    if (m <= 2) y -= 1;
    const era = Math.floor(y / 400);
    const yoe = y - era * 400;
    const mp = (m + 9) % 12;
    const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
    const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
    return era * 146097 + doe - 719468;
  }

  function field(text: string, min: number, max: number, what: string): number {
    if (!/^[0-9]+$/.test(text)) throw new Error("HTTP Date: " + what + " '" + text + "' is not a number");
    const n = parseInt(text, 10);
    if (n < min || n > max) throw new Error("HTTP Date: " + what + " " + n + " is out of range");
    return n;
  }
  const parts = String(header).trim().split(" ");
  if (parts.length !== 6 || parts[0].length !== 4 || parts[0].charAt(3) !== "," || parts[5] !== "GMT") {
    throw new Error("HTTP Date: expected 'Www, DD Mon YYYY hh:mm:ss GMT', got '" + header + "'");
  }
  const wday = DAYS.indexOf(parts[0].substr(0, 3));
  const mon = MONTHS.indexOf(parts[2]);
  if (wday < 0 || wday % 3) throw new Error("HTTP Date: unknown weekday '" + parts[0] + "'");
  if (mon < 0 || mon % 3 || parts[2].length !== 3) throw new Error("HTTP Date: unknown month '" + parts[2] + "'");
  const year = field(parts[3], FIRST_YEAR, LAST_YEAR, "year");
  const day = field(parts[1], 1, 31, "day");
  const hms = parts[4].split(":");
  if (hms.length !== 3) throw new Error("HTTP Date: time '" + parts[4] + "' is not hh:mm:ss");
  const h = field(hms[0], 0, 23, "hour");
  const mi = field(hms[1], 0, 59, "minute");
  const s = field(hms[2], 0, 60, "second");
  const month = mon / 3 + 1;
  const days = daysFromCivil(year, month, day);
  const nextMonth = month === 12 ? daysFromCivil(year + 1, 1, 1) : daysFromCivil(year, month + 1, 1);
  if (days >= nextMonth) throw new Error("HTTP Date: day " + day + " does not exist in " + parts[2] + " " + year);
  // 1970-01-01 was a Thursday (index 3 with Monday as 0)
  if ((days + 3) % 7 !== wday / 3) throw new Error("HTTP Date: weekday " + parts[0] + " does not match the date");
  return ((days * 24 + h) * 60 + mi) * 60000 + s * 1000;
}
