/**
 * A minimal StorageFile (`require("Storage").open(name, mode)`): chunks `name\x01`,
 * `name\x02`... of `pageSize - 32` bytes, flagged as StorageFile; data ends at the first 0xFF
 * (so 0xFF cannot be stored).
 */
import type { SimHost } from "./host.ts";
import { bytesBinary, FLAG_STORAGEFILE } from "./storage.ts";
import { valueBytes } from "./value-bytes.ts";

export interface StorageFileOptions {
  host: SimHost;
  /** The file's name, already cut to Storage's name length. */
  name: string;
  /** "r", "w" (erases what was there) or "a". */
  mode: string;
}

/**
 * Opens a StorageFile.
 * @throws the interpreter's Error for a bad mode or a name over 27 characters.
 */
export function openStorageFile(options: StorageFileOptions): any {
  const { host, name, mode } = options;
  if (mode !== "r" && mode !== "w" && mode !== "a") throw host.newError(`Invalid mode ${JSON.stringify(mode)}`);
  if (name.length > 27) throw host.newError(`StorageFile name "${name}" is longer than 27 characters`);
  const st = host.storage;
  const CHUNK = host.board.flash.pageSize - 32;
  const chunkName = (i: number) => name + String.fromCharCode(i);
  const chunkUsed = (i: number): number => {
    const b = st.read(chunkName(i));
    if (!b) return -1;
    const ff = b.indexOf(0xff);
    return ff < 0 ? b.length : ff;
  };
  let chunk = 1;
  let offset = 0;
  const eraseAll = () => {
    for (let i = 1; i < 255 && st.read(chunkName(i)); i++) st.erase(chunkName(i));
  };
  if (mode === "w") host.guard(eraseAll);
  if (mode === "a" || mode === "w") {
    host.guard(() => {
      while (chunkUsed(chunk + 1) >= 0) chunk++;
      offset = Math.max(0, chunkUsed(chunk));
    });
  }
  const readBytes = (len: number): string | undefined => {
    let out = "";
    while (out.length < len) {
      const used = chunkUsed(chunk);
      if (used < 0) break;
      if (offset >= used) {
        if (used < CHUNK) break;
        chunk++;
        offset = 0;
        continue;
      }
      const b = st.read(chunkName(chunk), offset, Math.min(len - out.length, used - offset))!;
      out += bytesBinary(b);
      offset += b.length;
    }
    return out.length ? out : undefined;
  };
  return host.newObject({
    read: (len: unknown) => {
      if (mode !== "r") throw host.newError("Can't read in this mode");
      return host.guard(() => readBytes(Number(len) || 0));
    },
    readLine: () => {
      if (mode !== "r") throw host.newError("Can't read in this mode");
      return host.guard(() => {
        let line = "";
        for (;;) {
          const c = readBytes(1);
          // jswrap_storagefile_readLine: undefined once nothing is left.
          if (c === undefined) return line.length ? line : undefined;
          line += c;
          if (c === "\n") return line;
        }
      });
    },
    write: (data: unknown) => {
      if (mode === "r") throw host.newError("Can't write in this mode");
      const bytes = valueBytes(data);
      if (bytes.includes(0xff)) throw host.newError("StorageFile cannot store the byte 0xFF");
      host.guard(() => {
        let p = 0;
        while (p < bytes.length) {
          if (offset >= CHUNK) {
            chunk++;
            offset = 0;
          }
          const n = Math.min(CHUNK - offset, bytes.length - p);
          const piece = bytes.subarray(p, p + n);
          if (offset === 0 && chunkUsed(chunk) < 0) st.write(chunkName(chunk), piece, 0, CHUNK, FLAG_STORAGEFILE);
          else st.write(chunkName(chunk), piece, offset, 0, FLAG_STORAGEFILE);
          offset += n;
          p += n;
        }
      });
    },
    erase: () => host.guard(eraseAll),
    getLength: () =>
      host.guard(() => {
        let n = 0;
        for (let i = 1; i < 255; i++) {
          const u = chunkUsed(i);
          if (u < 0) break;
          n += u;
        }
        return n;
      }),
  });
}
