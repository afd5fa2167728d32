/** The Flash module on the Linux build: pages, erase, AND-writes, alignment, reads. */
import type { ProbeTopic } from "../../../src/host/conformance/probe.ts";
import { scripts } from "./util.ts";

// The top page of the Linux build's 256 KB flash (Spool's ring lives in the top 64 KB).
const F = "var F = require('Flash');\nvar A = 0x1003F000;\n";

export default {
  topic: "flash",
  probes: scripts({
    getFree: F + "print(JSON.stringify(F.getFree()));",
    getPage: F + "print(JSON.stringify(F.getPage(A + 5)), JSON.stringify(F.getPage(0x10000000)));",
    "getPage outside": F + "print(F.getPage(0x20000000));",
    "fresh reads erased": F + "print(F.read(8, A).join());",
    "erase then read": F + "F.write([1, 2, 3, 4], A);\nF.erasePage(A);\nprint(F.read(4, A).join());",
    "write read": F + "F.erasePage(A);\nF.write(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), A);\nprint(F.read(8, A).join());",
    "AND write":
      F + "F.erasePage(A);\nF.write([0xF0, 0x0F, 0xFF, 0x00], A);\nF.write([0x3C, 0x3C, 0x3C, 0x3C], A);\nprint(F.read(4, A).join());",
    "write string": F + "F.erasePage(A);\nF.write('abcd', A);\nprint(E.toString(F.read(4, A)));",
    "unaligned length": F + "F.erasePage(A);\nF.write([1, 2, 3], A);\nprint(F.read(8, A).join());",
    "unaligned address": F + "F.erasePage(A);\nF.write([1, 2, 3, 4], A + 2);\nprint(F.read(8, A).join());",
    "read types": F + "var r = F.read(4, A);\nprint(r instanceof Uint8Array, r.length);",
    "read zero": F + "print(F.read(0, A));",
    "erasePage mid address":
      F + "F.erasePage(A);\nF.write([1, 2, 3, 4], A + 512);\nF.erasePage(A + 600);\nprint(F.read(4, A + 512).join());",
    "erasePage bad address": F + "try { F.erasePage('x'); print('no error'); } catch (e) { print('threw', e.message); }",
    "write undefined": F + "try { F.write(undefined, A); print('no error'); } catch (e) { print('threw', e.message); }",
    "across pages":
      F +
      "var B = 0x1003E000;\nF.erasePage(B);\nF.erasePage(B + 0x400);\nF.write([1, 2, 3, 4, 5, 6, 7, 8], B + 0x3FC);\nprint(F.read(4, B + 0x3FC).join(), F.read(4, B + 0x400).join());",
  }),
} satisfies ProbeTopic;
