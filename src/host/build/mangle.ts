/**
 * Short names for internal members, given at build time (esbuild's `mangleProps`).
 *
 * Espruino keeps a property's or method's name in the JsVar that links it to its object, inline
 * only up to JSVAR_DATA_STRING_NAME_LEN characters: 8 on a 64-bit build (linux, linux-small), 4
 * on a 32-bit board (ESP8266, ESP32). A longer name takes one more JsVar for every object that
 * has the property (the prototype for a method, each instance for a field), for as long as the
 * object lives. Measured on both Linux builds, 40 properties each: 1.15 JsVars per property up
 * to 8 characters, 2.15-2.17 from 9 (docs/memory.md).
 *
 * Only members that never leave the device code are listed: no name that reaches JSON, a status
 * or report object, the public API, configuration or options a user writes, the hardware
 * boundary or an Espruino API (esbuild renames every `.name` and `{name:}` in the code, whatever
 * the object). Each gets `$<n>`: no property the code uses otherwise starts with `$`, so the
 * short names cannot collide with one, and the bundle and every part use the same table
 * ({@link MANGLE_CACHE}), so a part reads the Store's fields under the bundle's names.
 * A name dropped from the source stays harmless here; a listed name must not start to be used
 * for something else.
 */

/** The store's internal members (Store, SectorCursor, PinTable: src/device/store). */
const STORE_MEMBERS = [
  "sectorBytes",
  "sealed",
  "headOff",
  "headFull",
  "headTorn",
  "headMark",
  "minBoot",
  "bootPersisted",
  "appendedTotal",
  "bytesSinceMount",
  "mountedAt",
  "markCounted",
  "carryPending",
  "pageLog2",
  "requireMounted",
  "readBitmap",
  "bitByte",
  "bitByteOf",
  "writeRecord",
  "clearBits",
  "ringAt",
  "ensureBoot",
  "kindOf",
  "appendChecked",
  "appendNumber",
  "noteBoot",
  "rotateFor",
  "appendSlow",
  "readingOf",
  "clearRange",
  "writeClears",
  "reasonIndex",
  "sealLimit",
  "slotOf",
  "ensure",
];

/** The clock's internal members (TimeKeeper: src/device/clock/timekeeper.ts). */
const CLOCK_MEMBERS = [
  "coarseAllowedNoted",
  "boardClock",
  "lastEpochStamp",
  "boundFrom",
  "overflowReadings",
  "maxWidthMs",
  "coarseIntervalMs",
  "holdOffMs",
  "failingSince",
  "trustBoardClock",
  "coarseAllowed",
  "addAnchor",
  "needsCoarse",
  "typicalGap",
  "startAfter",
  "startBefore",
  "entryOf",
  "gapKnown",
];

/** The store's sector table, ring walk and string append (src/device/store/store.ts). */
const SECTOR_MEMBERS = [
  "sectorState",
  "sectorSeq",
  "sectorErases",
  "sectorCount",
  "sectorPending",
  "sectorSealed",
  "sectorAnchored",
  "sectorMinBoot",
  "sectorVersion",
  "ringNext",
  "appendString",
];

/**
 * Members the device modules call on each other and never show: the clock's methods the uplink
 * and spool call, the uplink's methods spool calls, the parts' entry points, the clock's
 * option callbacks.
 */
const LINK_MEMBERS = [
  "onCoarseAllowed",
  "needsDrift",
  "applyHttpDate",
  "wantsTime",
  "epochStamp",
  "acceptSntp",
  "noteError",
  "coarseFirst",
  "coarseLast",
  "createUplink",
  "clockRound",
  "bootConfig",
  "mergeConfig",
  "storeConfig",
  "mergeText",
  "writeConfigCache",
  "maskConfig",
  "publishStatus",
  "tidyStorage",
  "notifyAppended",
  "notifyClockChanged",
  "linkChanged",
  "isSettled",
  "flushNow",
  "mountStore",
  "cachedConfig",
  "sectorCursor",
  "makeUplink",
];

/**
 * The store's methods the uplink, the clock and spool call whose names are past 8 characters
 * (one JsVar more each on the Store's prototype), and the store's own.
 */
const STORE_METHODS = ["putRotated", "markDelivered", "openCursor", "appendAnchor", "oldestPos", "countDrop"];

/**
 * Fields of objects that live for good (the Store, its pin table, the clock) with names past 4
 * characters: one JsVar more each on a 32-bit board (ESP8266, ESP32), though not on the 64-bit
 * Linux builds the memory tests run on. Used on nothing else in the device code.
 */
const RESIDENT_MEMBERS = ["mounted", "readOnly", "zeros", "align", "cycles", "refuse", "delta", "keeper"];

/** Every mangled name, in the order their short names are given (new names go last: the short names of the others stay). */
export const MANGLED_PROPS: readonly string[] = STORE_MEMBERS.concat(
  CLOCK_MEMBERS,
  SECTOR_MEMBERS,
  LINK_MEMBERS,
  STORE_METHODS,
  RESIDENT_MEMBERS,
);

/** What esbuild's `mangleProps` matches: exactly the listed names. */
export const MANGLE_PROPS = new RegExp(`^(?:${MANGLED_PROPS.join("|")})$`);

/** Name -> short name, `$` and the index in base 36: 2 or 3 characters, inline on every board. */
export const MANGLE_CACHE: Readonly<Record<string, string>> = Object.fromEntries(
  MANGLED_PROPS.map((name, i) => [name, "$" + i.toString(36)]),
);

/**
 * What the build seeds esbuild's mangle cache with: the table, and `$` alone kept from the names
 * esbuild gives the state's members (no property the code uses otherwise starts with `$`). The
 * key is no identifier, so no property of the code is ever renamed by it.
 */
export const MANGLE_SEED: Readonly<Record<string, string>> = { ...MANGLE_CACHE, "reserved $": "$" };

/**
 * The state spool shares between the bundle and its parts (src/device/api/spool-state.ts): names
 * with a leading `_`, which no user, JSON text or Espruino builtin sees. esbuild names them; the
 * one cache the build passes through the bundle and every part, seeded with {@link MANGLE_CACHE},
 * keeps those names the same everywhere and off the table's.
 */
export const STATE_PROPS = /^_[a-zA-Z]/;

/** Every property name the build shortens: {@link STATE_PROPS} and the table. */
export const MANGLE_ALL = new RegExp(`${STATE_PROPS.source}|${MANGLE_PROPS.source}`);
