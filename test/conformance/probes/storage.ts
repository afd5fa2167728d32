/** Storage: read, write, list, erase, compact, JSON files and StorageFile. Fresh flash each. */
import type { ProbeTopic } from "../../../src/host/conformance/probe.ts";
import { scripts } from "./util.ts";

const S = "var s = require('Storage');\n";

export default {
  topic: "storage",
  probes: scripts({
    "write read": S + "s.write('a', 'hello');\nprint(s.read('a'), typeof s.read('a'));",
    "read missing": S + "print(s.read('nope'), s.readJSON('nope'), s.readArrayBuffer('nope'));",
    "write returns": S + "print(s.write('a', 'x'), s.writeJSON('j', {}));",
    "json round trip":
      S + "s.writeJSON('cfg', { b: 1, a: [1, 2], t: 'x' });\nprint(s.read('cfg'));\nprint(JSON.stringify(s.readJSON('cfg')));",
    "json numbers": S + "s.writeJSON('n', [1 / 3, 23.45, 1767225600123]);\nprint(s.read('n'));",
    "readJSON bad":
      S + "s.write('bad', '{x');\ntry { print(s.readJSON('bad')); } catch (e) { print('threw', e.name); }\nprint(s.readJSON('bad', true));",
    "binary bytes": S + "s.write('b', new Uint8Array([0, 1, 255, 128]));\nprint(E.toUint8Array(s.read('b')).join());",
    readArrayBuffer: S + "s.write('b', [1, 2, 3]);\nvar ab = s.readArrayBuffer('b');\nprint(ab.byteLength, new Uint8Array(ab).join());",
    "offset write": S + "s.write('f', 'abc', 0, 6);\nprint(JSON.stringify(s.read('f')));\ns.write('f', 'def', 3);\nprint(s.read('f'));",
    "read offset length": S + "s.write('f', 'abcdef');\nprint(s.read('f', 2, 3), s.read('f', 4));",
    overwrite: S + "s.write('a', 'first');\ns.write('a', 'second!');\nprint(s.read('a'), s.list().length);",
    "list order": S + "s.write('zeta', '1');\ns.write('alpha', '2');\ns.write('mid', '3');\nprint(JSON.stringify(s.list()));",
    "list regex":
      S + "s.write('a.json', '1');\ns.write('b.txt', '2');\ns.write('c.json', '3');\nprint(JSON.stringify(s.list(/\\.json$/)));",
    erase: S + "s.write('a', '1');\ns.write('b', '2');\ns.erase('a');\nprint(s.read('a'), JSON.stringify(s.list()));",
    "erase missing": S + "s.erase('nothing');\nprint('ok', s.list().length);",
    getFree: S + "var f0 = s.getFree();\ns.write('a', 'xxxxxxxxxx');\nprint(f0 - s.getFree());",
    "getStats fresh": S + "print(JSON.stringify(s.getStats()));",
    "getStats after erase": S + "s.write('a', 'hello');\ns.write('b', 'world');\ns.erase('a');\nprint(JSON.stringify(s.getStats()));",
    compact:
      S + "s.write('a', 'hello');\ns.write('b', 'world');\ns.erase('a');\ns.compact();\nprint(JSON.stringify(s.getStats()), s.read('b'));",
    eraseAll: S + "s.write('a', '1');\ns.eraseAll();\nprint(JSON.stringify(s.list()), JSON.stringify(s.getStats()));",
    "name too long":
      S +
      "try { s.write('abcdefghijklmnopqrstuvwxyz0123456789', 'x'); print('written', JSON.stringify(s.list())); } catch (e) { print('threw', e.message); }",
    "empty data": S + "try { s.write('e', ''); print('written', JSON.stringify(s.read('e'))); } catch (e) { print('threw', e.message); }",
    "unicode data": S + "s.write('u', 'café €5');\nprint(E.toUint8Array(s.read('u')).join());",
    "unicode json": S + "s.writeJSON('u', { t: 'café €5' });\nprint(s.read('u'));\nprint(s.readJSON('u').t.length);",
    "StorageFile write read":
      S +
      "var f = s.open('log', 'w');\nf.write('line one\\n');\nf.write('line two\\n');\nvar r = s.open('log', 'r');\nprint(JSON.stringify(r.readLine()), JSON.stringify(r.readLine()), r.readLine());",
    "StorageFile read length":
      S + "var f = s.open('log', 'w');\nf.write('abcdefgh');\nvar r = s.open('log', 'r');\nprint(r.read(3), r.read(100), r.read(1));",
    "StorageFile append":
      S +
      "s.open('log', 'w').write('ab');\ns.open('log', 'a').write('cd');\nprint(s.open('log', 'r').read(10), s.open('log', 'r').getLength());",
    "StorageFile list":
      S + "s.open('log', 'w').write('ab');\nprint(JSON.stringify(s.list()), JSON.stringify(s.list(undefined, { sf: true })));",
    "StorageFile erase":
      S + "var f = s.open('log', 'w');\nf.write('ab');\nf.erase();\nprint(JSON.stringify(s.list()), s.open('log', 'r').read(5));",
    "StorageFile bad mode": S + "try { s.open('log', 'x'); print('opened'); } catch (e) { print('threw', e.message); }",
    "StorageFile read in w": S + "var f = s.open('log', 'w');\ntry { f.read(1); print('read'); } catch (e) { print('threw', e.message); }",
  }),
} satisfies ProbeTopic;
