/**
 * Espruino's Storage file system (src/jsflash.c, 2v2x layout) over simulated NOR flash.
 *
 * On flash, files follow each other from the start of the area, each a 32-byte header
 * (`uint32 size | flags<<24`, then a 28-byte zero-padded name) and its data, padded to the
 * 4-byte alignment. Files may straddle pages. Erasing a file only zeroes the first 4 bytes of
 * its name (it becomes trash); space comes back only when `compact()` copies the live files
 * after the first page holding trash through RAM, erases those pages and writes them back.
 * Nothing is ever rewritten in place: a replaced file is erased *before* the new copy is
 * created, so a full Storage loses the old contents (as on the device).
 */
import type { FlashBus } from "./flash-bus.ts";

export const HEADER_BYTES = 32;
export const NAME_BYTES = 28;
const ALIGN = 4;
const WORD_UNSET = 0xffffffff;

/** File flags in the top byte of the size word. */
export const FLAG_STORAGEFILE = 64;

/** An error with Espruino's message (thrown into the interpreter as `Error`). */
export class StorageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Error";
  }
}

interface Header {
  addr: number;
  size: number;
  flags: number;
  name: Uint8Array;
  erased: boolean;
}

/** Counts as Espruino's `Storage.getStats()` reports them. */
export interface StorageStats {
  fileBytes: number;
  fileCount: number;
  trashBytes: number;
  trashCount: number;
  freeBytes: number;
  totalBytes: number;
}

function alignUp(n: number): number {
  return (n + ALIGN - 1) & ~(ALIGN - 1);
}

/** Bytes of a binary string (each char code & 0xFF, as Espruino strings hold bytes). */
export function binaryBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}

/** Binary string of bytes. */
export function bytesBinary(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode.apply(null, Array.from(b.subarray(i, i + 8192)));
  return s;
}

/** Storage over `[start, start+size)` of a flash bus. */
export class JsfStorage {
  readonly start: number;
  readonly end: number;
  readonly pageSize: number;
  private bus: FlashBus;
  private console: ((line: string) => void) | undefined;

  /** `console` gets what the interpreter prints while it compacts. */
  constructor(options: { bus: FlashBus; start: number; size: number; pageSize: number; console?: (line: string) => void }) {
    this.bus = options.bus;
    this.console = options.console;
    this.start = options.start;
    this.end = options.start + options.size;
    this.pageSize = options.pageSize;
  }

  /** The 28-byte name of a file. @throws StorageError for names over 28 bytes or empty. */
  static encodeName(name: string): Uint8Array {
    if (name.length === 0) throw new StorageError("Storage file name is empty");
    // Espruino silently truncates longer names (two names would collide): refused here.
    if (name.length > NAME_BYTES) throw new StorageError(`Storage file name "${name}" is longer than ${NAME_BYTES} characters`);
    const b = new Uint8Array(NAME_BYTES);
    b.set(binaryBytes(name));
    return b;
  }

  private static decodeName(b: Uint8Array): string {
    let n = 0;
    while (n < b.length && b[n] !== 0) n++;
    return bytesBinary(b.subarray(0, n));
  }

  private header(addr: number): Header | undefined {
    if (addr + HEADER_BYTES > this.end) return undefined;
    const h = this.bus.read(addr, HEADER_BYTES);
    const word = (h[0] | (h[1] << 8) | (h[2] << 16) | (h[3] << 24)) >>> 0;
    if (word === WORD_UNSET || word === 0) return undefined;
    const size = word & 0xffffff;
    if (addr + HEADER_BYTES + size > this.end) return undefined;
    const name = h.slice(4);
    return { addr, size, flags: word >>> 24, name, erased: name[0] === 0 && name[1] === 0 && name[2] === 0 && name[3] === 0 };
  }

  private nextPage(addr: number): number {
    const p = this.start + (Math.floor((addr - this.start) / this.pageSize) + 1) * this.pageSize;
    return p >= this.end ? 0 : p;
  }

  /**
   * Every header in order (jsfGetNextFileHeader with GNFH_GET_ALL, 2v2x): where no header
   * follows a file, it looks at the start of the next page once and stops if none is there
   * ("we can't have a blank page and then a header"). So data beyond a blank page - the raw
   * region of the Linux build, above Storage's files - is never taken for files.
   */
  private headers(): Header[] {
    const out: Header[] = [];
    let h = this.header(this.start);
    if (!h) {
      // An empty first page with files on later pages does not happen on a device; stop here.
      return out;
    }
    for (;;) {
      out.push(h);
      const addr = alignUp(h.addr + HEADER_BYTES + h.size);
      if (addr + HEADER_BYTES > this.end) return out;
      let next = this.header(addr);
      if (!next) {
        const page = this.nextPage(addr);
        if (!page) return out;
        next = this.header(page);
        if (!next) return out;
      }
      h = next;
    }
  }

  /**
   * Where jsfCompactInternal's walk ends, and so its final erase: the start of the page after
   * the one where the last file ends (the bank's end when there is none).
   */
  private walkEnd(): number {
    const all = this.headers();
    if (!all.length) return this.end;
    const last = all[all.length - 1];
    const addr = alignUp(last.addr + HEADER_BYTES + last.size);
    if (addr + HEADER_BYTES > this.end) return this.end;
    return this.nextPage(addr) || this.end;
  }

  private find(nameBytes: Uint8Array): Header | undefined {
    for (const h of this.headers()) {
      if (h.erased) continue;
      let eq = true;
      for (let i = 0; i < NAME_BYTES; i++)
        if (h.name[i] !== nameBytes[i]) {
          eq = false;
          break;
        }
      if (eq) return h;
    }
    return undefined;
  }

  private statsInternal(): StorageStats & { lastAddr: number; firstTrashPage: number } {
    const s = {
      fileBytes: 0,
      fileCount: 0,
      trashBytes: 0,
      trashCount: 0,
      freeBytes: 0,
      totalBytes: this.end - this.start,
      lastAddr: this.start,
      firstTrashPage: 0,
    };
    let lastUnbroken = this.start;
    for (const h of this.headers()) {
      if ((h.addr - this.start) % this.pageSize === 0) lastUnbroken = h.addr;
      const bytes = alignUp(h.size) + HEADER_BYTES;
      s.lastAddr = h.addr + bytes;
      if (h.erased) {
        s.trashBytes += bytes;
        s.trashCount++;
        if (!s.firstTrashPage) s.firstTrashPage = lastUnbroken;
      } else {
        s.fileBytes += bytes;
        s.fileCount++;
      }
    }
    s.freeBytes = this.end - s.lastAddr;
    return s;
  }

  getStats(): StorageStats {
    const { lastAddr: _l, firstTrashPage: _f, ...s } = this.statsInternal();
    return s;
  }

  /** Bytes free at the end (the largest file that fits without compacting, header included). */
  getFree(): number {
    return this.statsInternal().freeBytes;
  }

  /** Data of a file (`offset`/`length` as `Storage.read`), or undefined. */
  read(name: string, offset = 0, length = 0): Uint8Array | undefined {
    const h = this.find(JsfStorage.encodeName(name));
    if (!h) return undefined;
    if (offset < 0 || offset > h.size) offset = h.size;
    let len = h.size - offset;
    if (length > 0 && length < len) len = length;
    return this.bus.read(h.addr + HEADER_BYTES + offset, len);
  }

  /** Size and flags of a file, or undefined. */
  stat(name: string): { size: number; flags: number } | undefined {
    const h = this.find(JsfStorage.encodeName(name));
    return h ? { size: h.size, flags: h.flags } : undefined;
  }

  /**
   * `Storage.write` (jsfWriteFile): see the class comment.
   * @throws StorageError with Espruino's messages: "Can't create zero length file", "Unable to
   * find or create file" (full, or offset > 0 on a missing file), "Too much data for file
   * size", "File already written with different data".
   */
  write(name: string, data: Uint8Array, offset = 0, size = 0, flags = 0): void {
    const nameBytes = JsfStorage.encodeName(name);
    if (offset < 0 || size < 0) throw new StorageError("Storage.write: negative offset or size");
    if (size === 0) size = data.length;
    if (!size) throw new StorageError("Can't create zero length file");
    let h = this.find(nameBytes);
    if (offset === 0 && (!h || h.flags !== flags || h.size !== size || !this.isErased(h.addr + HEADER_BYTES, size))) {
      if (h && h.size === size && h.flags === flags && data.length === size && this.isEqual(h.addr + HEADER_BYTES, data)) return;
      if (h) this.eraseHeader(h);
      h = this.create(nameBytes, size, flags);
    }
    if (!h) throw new StorageError("Unable to find or create file");
    if (offset + data.length > h.size) throw new StorageError("Too much data for file size");
    const at = h.addr + HEADER_BYTES + offset;
    if (!this.isErased(at, data.length)) throw new StorageError("File already written with different data");
    this.bus.writeAligned(at, data);
  }

  /** Marks a file as trash. Returns whether it existed. */
  erase(name: string): boolean {
    const h = this.find(JsfStorage.encodeName(name));
    if (!h) return false;
    this.eraseHeader(h);
    return true;
  }

  /** Names of live files, in flash order (StorageFile chunks as Espruino lists them). */
  list(options: { match?: (name: string) => boolean; storageFiles?: boolean } = {}): string[] {
    const out: string[] = [];
    for (const h of this.headers()) {
      if (h.erased) continue;
      let name = JsfStorage.decodeName(h.name);
      const isStorageFile = (h.flags & FLAG_STORAGEFILE) !== 0;
      if (options.storageFiles !== undefined && options.storageFiles !== isStorageFile) continue;
      // Espruino lists only the first chunk of a StorageFile (name ending in \x01), without
      // the \x01 when StorageFiles were asked for (jsfBankListFilesHandleFile).
      if (isStorageFile && name.charCodeAt(name.length - 1) !== 1) continue;
      if (isStorageFile && options.storageFiles) name = name.slice(0, -1);
      if (!options.match || options.match(name)) out.push(name);
    }
    return out;
  }

  /**
   * Compacts (jsfBankCompact / jsfCompactInternal, 2v2x): from the first page holding trash,
   * streams the live files down through a circular buffer of at most a page plus a header,
   * erasing each destination page when writing first reaches it - only once reading has left
   * that page - and finally erases the pages after the last file written, up to where the old
   * files ended. Returns whether there was trash. A power cut loses what was in the buffer
   * (at most a page and a header of files) and whatever the walk can no longer reach.
   */
  compact(): boolean {
    const s = this.statsInternal();
    if (!s.trashCount) return false;
    const from = s.firstTrashPage || this.start;
    // jsfCompactInternal prints "Compacting... " and a spinner step (backspace, one of /-\\|)
    // each time the copy passes another 16 KiB, then a newline.
    let line = "Compacting... ";
    let lastProgress = 0;
    for (const h of this.headers()) {
      if (h.addr < from || h.erased) continue;
      const progress = (h.addr - from) >> 14;
      if (progress !== lastProgress) {
        line += "\b" + "/-\\|"[progress & 3];
        lastProgress = progress;
      }
    }
    this.console?.(line);
    const size = Math.min(s.fileBytes, this.pageSize + HEADER_BYTES);
    const buf = new Uint8Array(size);
    const q = { head: 0, tail: 0, used: 0, write: from };
    const walkEnd = this.walkEnd();
    const put = (b: Uint8Array) => {
      for (let i = 0; i < b.length; i++) {
        buf[q.head] = b[i];
        q.head = (q.head + 1) % size;
      }
      q.used += b.length;
    };
    for (const h of this.headers()) {
      if (h.addr < from || h.erased) continue;
      put(this.bus.read(h.addr, HEADER_BYTES));
      let left = alignUp(h.size);
      let ptr = h.addr + HEADER_BYTES;
      this.flushCompact(buf, q, ptr);
      while (left) {
        let n = size - q.used;
        if (n > size - q.head) n = size - q.head;
        if (q.tail > q.head && n > q.tail - q.head) n = q.tail - q.head;
        if (n === 0) return false; // "compact> error - no space left!"
        if (n > left) n = left;
        buf.set(this.bus.read(ptr, n), q.head);
        left -= n;
        ptr += n;
        q.used += n;
        q.head = (q.head + n) % size;
        this.flushCompact(buf, q, ptr);
      }
    }
    this.flushCompact(buf, q, this.end);
    let w = q.write;
    if (w !== from) w = this.nextPage(w - 1);
    if (w) this.eraseFrom(w, walkEnd);
    return true;
  }

  /** jsfCompactWriteBuffer: writes the buffer out while reading (at `readAddr`) has left the destination page. */
  private flushCompact(buf: Uint8Array, q: { head: number; tail: number; used: number; write: number }, readAddr: number): void {
    let nextPage = this.nextPage(q.write) || this.end;
    while (q.used) {
      let n = q.used;
      if (n + q.tail > buf.length) n = buf.length - q.tail;
      if (n + q.write > nextPage) n = nextPage - q.write;
      if (readAddr < nextPage) return;
      if ((q.write - this.start) % this.pageSize === 0) this.bus.erasePage(q.write);
      this.bus.writeAligned(q.write, buf.slice(q.tail, q.tail + n));
      q.write += n;
      nextPage = this.nextPage(q.write) || this.end;
      q.tail = (q.tail + n) % buf.length;
      q.used -= n;
    }
  }

  /**
   * The start-up check (jsfIsBankStorageValid with JSFSTT_NORMAL, 2v29): walks the headers as
   * jsfGetNextFileHeader(GNFH_GET_ALL) does (after a file, the next header, else the one at the
   * start of the next page); where the walk stops, the header it read there must be all 0xFF,
   * and with no file at the start the whole area must be blank. Anything else - a torn or
   * partly erased header, the middle of a file where a header should be (a compaction cut
   * between erasing a page and rewriting it) - fails. False means the firmware will erase the
   * whole bank ("Storage is corrupt").
   */
  isValidAtBoot(): boolean {
    const read = (addr: number) => this.bus.read(addr, HEADER_BYTES);
    const sizeOf = (h: Uint8Array) => h[0] | (h[1] << 8) | (h[2] << 16);
    // jsfGetFileHeader: a header is valid when its size word is neither blank nor 0 and the file fits.
    const valid = (addr: number, h: Uint8Array) => {
      const w = (h[0] | (h[1] << 8) | (h[2] << 16) | (h[3] << 24)) >>> 0;
      return w !== WORD_UNSET && w !== 0 && addr + HEADER_BYTES + sizeOf(h) <= this.end;
    };
    let addr = this.start;
    let oldAddr = addr;
    let h = read(addr);
    if (valid(addr, h)) {
      for (;;) {
        const next = alignUp(addr + sizeOf(h) + HEADER_BYTES);
        if (next + HEADER_BYTES > this.end) {
          addr = 0; // "not enough space": the header stays the last valid one
          break;
        }
        addr = next;
        h = read(addr);
        if (!valid(addr, h)) {
          addr = this.nextPage(addr);
          if (!addr) break;
          h = read(addr);
          if (!valid(addr, h)) break;
        }
        oldAddr = addr;
      }
      if (!addr) {
        // The walk may have stopped only because the area is full.
        const end = alignUp(oldAddr + sizeOf(h) + HEADER_BYTES);
        if (end <= this.end && end + HEADER_BYTES > this.end) return true;
      }
    }
    const blank = h.every((b) => b === 0xff);
    if (blank && addr === this.start) return this.isErased(this.start, this.end - this.start);
    return blank;
  }

  /** Erases every page of the area (`Storage.eraseAll`). */
  eraseAll(): void {
    this.eraseFrom(this.start);
  }

  private eraseFrom(from: number, to = this.end): void {
    for (let p = from; p < to; p += this.pageSize) if (!this.isErased(p, this.pageSize)) this.bus.erasePage(p);
  }

  private create(nameBytes: Uint8Array, size: number, flags: number): Header | undefined {
    const required = alignUp(size) + HEADER_BYTES;
    let compacted = false;
    for (;;) {
      const s = this.statsInternal();
      if (s.lastAddr + required <= this.end) {
        const hdr = new Uint8Array(HEADER_BYTES);
        const word = (size | (flags << 24)) >>> 0;
        hdr[0] = word & 0xff;
        hdr[1] = (word >>> 8) & 0xff;
        hdr[2] = (word >>> 16) & 0xff;
        hdr[3] = word >>> 24;
        hdr.set(nameBytes, 4);
        this.bus.writeAligned(s.lastAddr, hdr);
        return { addr: s.lastAddr, size, flags, name: nameBytes, erased: false };
      }
      // Espruino compacts only when that would make enough room ("better to fail fast").
      if (compacted || required >= s.freeBytes + s.trashBytes) return undefined;
      compacted = true;
      if (!this.compact()) return undefined;
    }
  }

  private eraseHeader(h: Header): void {
    this.bus.writeAligned(h.addr + 4, new Uint8Array(4));
  }

  private isErased(addr: number, len: number): boolean {
    if (len <= 0) return true;
    const b = this.bus.read(addr, Math.min(alignUp(len), this.end - addr));
    for (let i = 0; i < len; i++) if (b[i] !== 0xff) return false;
    return true;
  }

  private isEqual(addr: number, data: Uint8Array): boolean {
    const b = this.bus.read(addr, data.length);
    for (let i = 0; i < data.length; i++) if (b[i] !== data[i]) return false;
    return true;
  }
}
