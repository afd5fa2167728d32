/**
 * Parts: code the firmware rarely runs (setup validation, the report, erase), kept out of the
 * bundle in Storage files of its own and evaluated when called. Every function a script defines
 * costs JsVars for as long as it exists (about 5 plus one per parameter, even with its body in
 * flash); a part's functions exist only while a call uses them. See docs/memory.md.
 *
 * Power loss: loading only reads Storage, so a cut during a load changes nothing. Each file is
 * named `spool.<name>.<tag>` and ends with `//<tag>`, the tag a hash of its code: an upload cut
 * short leaves either a file that fails that check (refused with a clear error, never run) or
 * the previous firmware beside its own, differently named, parts.
 */
import type { Hal } from "./hal.ts";
import type { SetupPart } from "./parts/setup.ts";
import type { CheckPart } from "./parts/check.ts";
import type { ConfigPart } from "./parts/config.ts";
import type { ApplyPart } from "./parts/apply.ts";
import type { SavePart } from "./parts/save.ts";
import type { ReportPart } from "./parts/report.ts";
import type { UplinkPart } from "./parts/uplink.ts";
import type { StreamPart } from "./parts/stream.ts";
import type { ReplyPart } from "./parts/reply.ts";
import type { MakePart } from "./parts/make.ts";
import type { DatePart } from "./parts/date.ts";
import type { PickPart } from "./parts/pick.ts";
import type { SntpPart } from "./parts/sntp.ts";
import type { ClockPart } from "./parts/clock.ts";
import type { StorePart } from "./parts/store.ts";
import type { MountPart } from "./parts/mount.ts";
import type { ReadPart } from "./parts/read.ts";
import type { AnchorPart } from "./parts/anchor.ts";
import type { SurveyPart } from "./parts/survey.ts";
import type { RarePart } from "./parts/rare.ts";

/** What each part's default export is. */
export interface PartTypes {
  /** `spool.setup`: loads check, save and apply in turn. */
  setup: SetupPart;
  /** A configuration's validation: loaded only while a configuration is merged. */
  check: CheckPart;
  /** The stored configuration as a boot reads it (and its cache). */
  config: ConfigPart;
  /** `spool.setup`'s storing of the configuration it merged. */
  save: SavePart;
  /** A new configuration applied to the running parts; `spool.config` and `spool.sample`. */
  apply: ApplyPart;
  /** The printed report and erase's confirmation. */
  report: ReportPart;
  /** The uplink's control code: its entry point's ops and the pass. */
  uplink: UplinkPart;
  /** Making an uplink from spool's state. */
  make: MakePart;
  /** An HTTP `Date` header applied to the clock (before SNTP). */
  date: DatePart;
  /** A flush step's choice and measuring of the next batch. */
  pick: PickPart;
  /** The uplink's streaming code: a request, its body and its handlers. */
  stream: StreamPart;
  /** The uplink's handling of an exchange's outcome. */
  reply: ReplyPart;
  /** The uplink's rare paths: a reply other than 200, an isolation, the day's pause, the time probe. */
  rare: RarePart;
  /** The SNTP client: spool makes one for each sync round. */
  sntp: SntpPart;
  /** What the clock knows of past boots: for a flush and a status question. */
  clock: ClockPart;
  /** The survey of the stored readings for the clock: at the boot, start() and a status question. */
  survey: SurveyPart;
  /** The store's rotation (once per sector filled), anchors, erase and drop counters. */
  store: StorePart;
  /** The store's mount and reconfiguration. */
  mount: MountPart;
  /** The store's read side: cursors, delivery marks, drops. */
  read: ReadPart;
  /** A clock anchor written at the store's head (the store part only when it must rotate). */
  anchor: AnchorPart;
}

/**
 * Where the parts come from. One function and the file list, not one function per part: each
 * function that exists at rest costs JsVars (docs/memory.md).
 */
export interface Parts {
  /**
   * Part `name`, loaded afresh by every call: keep the result only as long as you use it.
   * @throws Error when its Storage file is missing or incomplete.
   */
  load<K extends keyof PartTypes>(name: K): PartTypes[K];
  /**
   * The parts' Storage files, ` spool.<name>.<tag>` for each (the build's `__SPOOL_PART_FILES__`):
   * what identifies each part's code ({@link partTag}).
   */
  files(): string;
}

/** What identifies the code of part `name` in `parts` (its Storage file name, which carries a hash of it). */
export function partTag(parts: Parts, name: keyof PartTypes): string {
  return partFile(parts.files(), name) as string;
}

/**
 * Storage files of parts: `spool.<name>.<8 hex>`. Made by each call: a RegExp kept at module
 * level costs about 14 JsVars for as long as the firmware runs.
 */
export function partFilePattern(): RegExp {
  return /^spool\.[a-z]+\.[0-9a-f]{8}$/;
}

/**
 * The Storage file of part `name` in `files` (` spool.<name>.<tag>` for each part, the build's
 * `__SPOOL_PART_FILES__`), or undefined.
 */
function partFile(files: string, name: string): string | undefined {
  const i = files.indexOf(" spool." + name + ".");
  return i < 0 ? undefined : files.substr(i + 1, name.length + 15);
}

/**
 * Parts read from Storage: `files` returns each part's Storage file (see {@link partFile}); a
 * function, so that the firmware keeps the text in its code, not in RAM.
 */
export function storageParts(hal: Hal, files: () => string): Parts {
  return {
    load: (name) => {
      const file = partFile(files(), name);
      const code = file ? hal.storage.read(file) : undefined;
      const tag = file ? "//" + file.substr(file.lastIndexOf(".") + 1) : "";
      if (code === undefined || code.substr(code.length - tag.length) !== tag) {
        throw new Error(
          "spool: Storage file " + file + " (" + name + ") is missing or incomplete: flash the firmware again (npm run flash)",
        );
      }
      // A collection first (process.memory() makes one). Espruino frees a cycle (a closure and
      // its scope: every part loaded before) only by collecting, and collects by itself only
      // when idle with a twentieth of its JsVars free and 10 ms to the next timer, which a boot
      // or a flush, each a chain of 0 ms tasks, never is: the free list ran dry and set
      // LOW_MEMORY (measured on the 2,300-JsVar build: at every boot, and in a 1,000-reading
      // flush whose live peak was 1,765 of 2,300, with 1,987 in use before its collections).
      hal.memory();
      // Not `eval`: a function made here would copy this loader's scope chain (docs/memory.md).
      return hal.compile(code)();
    },
    files: files,
  };
}

/**
 * Erases the part files of other builds (left by earlier firmware): the names
 * {@link partFilePattern} matches that `files` (as for {@link storageParts}) does not list. The
 * match is spelled out: a RegExp used once brings the RegExp class, about 7 JsVars for as long
 * as the firmware runs.
 */
export function sweepParts(hal: Hal, files: () => string): void {
  const mine = files() + " ";
  const all = hal.storage.list();
  for (let i = 0; i < all.length; i++) {
    const f = all[i];
    const dot = f.lastIndexOf(".");
    // "spool.", a name of a-z, ".", eight hex digits
    let part = f.substr(0, 6) === "spool." && dot > 6 && f.length - dot === 9;
    for (let j = 6; part && j < f.length; j++) {
      const c = f.charCodeAt(j);
      part = j < dot ? c >= 97 && c <= 122 : j === dot || (c >= 48 && c <= 57) || (c >= 97 && c <= 102);
    }
    // Checked against the end: Espruino 2v29's String.indexOf also answers where only the
    // needle's start (" ") meets the haystack's end (" "), so every file looked like its own.
    const at = part ? mine.indexOf(" " + f + " ") : -1;
    if (part && (at < 0 || at + f.length + 2 > mine.length)) hal.storage.erase(f);
  }
}
