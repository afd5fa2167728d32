/** A board profile (data in `boards/<id>.json`, checked by `boards/schema.json`). */
export interface BoardProfile {
  id: string;
  name: string;
  /** Board name the espruino CLI knows (`--board`). */
  espruinoBoard: string;
  /** Raw flash reserved for Spool's ring buffer. */
  flash: {
    /** Absolute address, a multiple of pageSize. */
    address: number;
    length: number;
    pageSize: number;
    writeAlignment: number;
    /** Rated erase cycles per page. */
    eraseCycles: number;
    /** Why this region is safe to use (it must not overlap Storage or firmware). */
    why: string;
  };
  /** Espruino's Storage bank (FLASH_SAVED_CODE_START/LENGTH). */
  storage: {
    address: number;
    size: number;
    /**
     * Bytes of the bank (files plus trash, as `Storage.getStats()` counts them) Spool lets
     * Storage fill. Below `size` only where the raw region shares the bank (linux): there Spool
     * must compact Storage before reaching it, and must never leave Storage empty.
     */
    usableBytes: number;
  };
  /** JsVar budget of the interpreter on this board, and bytes per JsVar. */
  jsVars: { count: number; bytesEach: number; note?: string };
  /** Largest minified bundle accepted by the build, bytes. */
  codeBudgetBytes: number;
  /**
   * Whether functions marked `"ram"` (the append hot path) keep that mark in the build, which
   * makes the interpreter copy them into RAM pretokenised when it loads the code from Storage.
   * Absent: false, the mark is dropped and they run from flash like the rest.
   */
  hotCode?: { inRam: boolean; why: string };
  tls: boolean;
  /**
   * Where TLS takes its buffers. `"jsvars"`: Espruino's own mbedtls configuration (the Linux
   * build) allocates them as flat strings of contiguous free JsVars, which scattered memory may
   * not have (the interpreter then stops with an ASSERT), so the hardware boundary runs
   * `E.defrag()` before each https request. Absent: the heap (ESP32's ESP-IDF mbedtls).
   */
  tlsBuffers?: { in: "jsvars" | "heap"; why: string };
  network: "wifi" | "none";
  /** Who rejoins WiFi after a drop (src/device/net `reconnect`): the build copies it from the profile's `wifi.reconnect`. Absent: "manual". */
  wifiReconnect?: "manual" | "sdk";
  blynk: { scheme: "http" | "https"; port: number; host: string };
  upload: {
    /** Most points sent in one request. */
    maxPointsPerRequest: number;
    /** Bytes written to the socket before waiting for `drain`. */
    pieceBytes: number;
    /**
     * JsVars that must be free (`process.memory().free`) for a flush to start: the uplink's code,
     * a cursor and a request (docs/memory.md). Absent: no check.
     */
    minFreeJsVars?: number;
    /**
     * Whether the uplink, once made, stays with the code it holds (the uplink, read and clock
     * parts) between flushes, where it is otherwise dropped as soon as it has nothing to do: it
     * costs JsVars at rest and saves them inside every flush. Absent: false.
     */
    keepUplink?: boolean;
  };
  /**
   * Whether the interpreter's clock is right from power-on (the Linux build runs on the host's
   * clock): readings are then stamped with UTC from the first one. Absent: false.
   */
  clock?: { validAtBoot: boolean };
  /** What the default firmware samples. */
  sampler: { kind: "temperature" | "analog" | "synthetic"; pin?: string };
}

/**
 * The profile as compiled into the bundle (`__BOARD__`): without what only the host reads (the
 * name, the CLI's board name, the JsVar and code budgets, the RAM-code choice, documentation
 * strings). Each property left in the bundle costs JsVars for as long as it runs.
 */
export type DeviceBoard = Omit<
  BoardProfile,
  "name" | "espruinoBoard" | "jsVars" | "codeBudgetBytes" | "hotCode" | "flash" | "tlsBuffers"
> & {
  flash: Omit<BoardProfile["flash"], "why">;
  tlsBuffers?: { in: "jsvars" | "heap" };
};
