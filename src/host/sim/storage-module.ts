/**
 * `require("Storage")` of the simulation (jswrap_storage.c) over the simulated Storage area
 * (storage.ts): files by name, JSON as Espruino writes and reads it, StorageFiles
 * (storage-file.ts).
 */
import type { SimHost } from "./host.ts";
import { binaryBytes, bytesBinary, NAME_BYTES } from "./storage.ts";
import { espruinoJson, espruinoJsonParse, STORAGE_JSON } from "./espruino-json.ts";
import { openStorageFile } from "./storage-file.ts";
import { valueBytes } from "./value-bytes.ts";

export function createStorageModule(host: SimHost): any {
  const st = host.storage;
  // jsfNameFromVar: a name is cut to its first 28 chars (two long names can collide).
  const name = (n: unknown) => String(n).slice(0, NAME_BYTES);
  return host.newObject({
    read: (n: unknown, offset?: unknown, length?: unknown) => {
      host.sampleMemory();
      const b = host.guard(() => st.read(name(n), Number(offset) || 0, Number(length) || 0));
      // jsfReadFile: the file's bytes, or a range of them, stay in flash (measured on the 2v29
      // Linux build: E.getSizeOf of a 3,000-byte file read is 1).
      return b ? host.inFlash(bytesBinary(b)) : undefined;
    },
    readJSON: (n: unknown, noExceptions?: unknown) => {
      host.sampleMemory();
      const b = host.guard(() => st.read(name(n)));
      if (!b) return undefined;
      // jswrap_json_parse_liberal: Espruino's reader with unquoted keys allowed; without
      // exceptions it returns whatever it had built.
      const r = espruinoJsonParse(bytesBinary(b), {
        dropQuotes: true,
        newObject: () => host.newObject(),
        newArray: () => host.newArray([]),
      });
      if (r.error !== undefined && !noExceptions) throw host.newError(r.error, "SyntaxError");
      return r.value;
    },
    readArrayBuffer: (n: unknown) => {
      host.sampleMemory();
      const b = host.guard(() => st.read(name(n)));
      return b ? host.newBytes(b).buffer : undefined;
    },
    write: (n: unknown, data: unknown, offset?: unknown, size?: unknown) => {
      const bytes = valueBytes(data);
      host.guard(() => st.write(name(n), bytes, Number(offset) || 0, Number(size) || 0));
      return true;
    },
    writeJSON: (n: unknown, data: unknown) => {
      // jswrap_storage_writeJSON: identifier keys unquoted, `\xXX` escapes (espruino-json.ts).
      host.guard(() => st.write(name(n), binaryBytes(espruinoJson(data, STORAGE_JSON))));
      return true;
    },
    erase: (n: unknown) => {
      host.guard(() => st.erase(name(n)));
    },
    list: (regex?: any, filter?: any) =>
      host.newArray(
        host.guard(() =>
          st.list({
            match:
              regex === undefined
                ? undefined
                : (f) => {
                    const m = f.match(regex);
                    return m !== null && m !== undefined;
                  },
            // jswrap_storage_list: {sf:true} lists only StorageFiles, by their own name;
            // {sf:false} leaves them out.
            storageFiles: filter && typeof filter === "object" && "sf" in filter ? !!filter.sf : undefined,
          }),
        ),
      ),
    getFree: () => host.guard(() => st.getFree()),
    getStats: () => {
      const x = host.guard(() => st.getStats());
      // In Espruino's order (jswrap_storage_getStats).
      return host.newObject({
        totalBytes: x.totalBytes,
        freeBytes: x.freeBytes,
        fileBytes: x.fileBytes,
        fileCount: x.fileCount,
        trashBytes: x.trashBytes,
        trashCount: x.trashCount,
      });
    },
    compact: () => {
      host.guard(() => st.compact());
    },
    eraseAll: () => {
      host.guard(() => st.eraseAll());
    },
    open: (n: unknown, mode: unknown) => openStorageFile({ host, name: name(n), mode: String(mode) }),
  });
}
