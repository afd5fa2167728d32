/**
 * JSON as Espruino makes and reads it: ports of jsfGetJSONWithCallback and
 * jswrap_json_parse_internal (Espruino's src/jswrap_json.c).
 *
 * Writing differs from the standard in that `undefined` (at the top, in arrays) is `null` and a
 * function in an array `undefined`; NaN and Infinity are `null`; typed arrays are arrays; the
 * replacer is ignored; indented output puts ", " between items and " ]" / " }" before a
 * closing bracket. `Storage.writeJSON` and `E.toJS` drop the quotes of identifier keys.
 *
 * Reading uses Espruino's JavaScript lexer, so it accepts single-quoted strings, `\x` escapes,
 * comments, trailing commas and hex integers, and fails with the lexer's messages
 * (`Got ID:bad expected STRING`, `Expecting valid value, got EOF`). Integers wrap at 64 bits,
 * floats go through stringToFloat (number-text.ts).
 */
import { espruinoNumberText, espruinoStringToFloat, espruinoStringToInt } from "./number-text.ts";

/** What the writer does, as Espruino's JSONFlags (jswrap_json.h). */
export interface JsonWriteOptions {
  /** JSON_DROP_QUOTES: identifier and integer keys without quotes. */
  dropQuotes?: boolean;
  /** JSON_IGNORE_FUNCTIONS: functions left out of objects, `undefined` elsewhere. */
  ignoreFunctions?: boolean;
  /** JSON_ALL_UNICODE_ESCAPE: escapes always `\uXXXX`, never `\xXX` or `\N`. */
  unicodeEscapes?: boolean;
  /** JSON_NO_NAN: NaN and Infinity as `null`. */
  noNaN?: boolean;
  /** The indent of JSON.stringify's `space` (empty: compact). */
  whitespace?: string;
}

/** JSON.stringify's flags: IGNORE_FUNCTIONS|NO_UNDEFINED|ARRAYBUFFER_AS_ARRAY|JSON_COMPATIBILE|ALLOW_TOJSON. */
export const STRINGIFY: JsonWriteOptions = { ignoreFunctions: true, unicodeEscapes: true, noNaN: true };
/** Storage.writeJSON: the same without ALL_UNICODE_ESCAPE, plus DROP_QUOTES. */
export const STORAGE_JSON: JsonWriteOptions = { dropQuotes: true, ignoreFunctions: true, unicodeEscapes: false, noNaN: true };
/** E.toJS: DROP_QUOTES|NO_UNDEFINED|ARRAYBUFFER_AS_ARRAY|ALLOW_TOJSON (functions written, NaN kept). */
export const TO_JS: JsonWriteOptions = { dropQuotes: true };

const TYPED = /^(Uint8|Int8|Uint8Clamped|Uint16|Int16|Uint32|Int32|Float32|Float64)Array$/;

function hex(n: number, digits: number): string {
  return n.toString(16).toUpperCase().padStart(digits, "0");
}

/**
 * One char escaped as escapeCharacter (jsutils.c) does. The simulation's strings are UTF-16:
 * a surrogate pair is one code point, as one UTF-8 char is on Espruino.
 */
function escapeChar(cp: number, next: number, jsonStyle: boolean): string {
  switch (cp) {
    case 0x0a:
      return "\\n";
    case 0x09:
      return "\\t";
    case 0x08:
      return "\\b";
    case 0x0c:
      return "\\f";
    case 0x0d:
      return "\\r";
    case 0x5c:
      return "\\\\";
    case 0x22:
      return '\\"';
  }
  if (cp === 0x0b && !jsonStyle) return "\\v";
  if (cp < 8 && !jsonStyle && (next < 0x30 || next > 0x37)) return "\\" + cp;
  if (cp < 32 || cp >= 127) {
    if (cp >= 0x10000) {
      const c = cp - 0x10000;
      return `\\u${hex(0xd800 | ((c >> 10) & 0x3ff), 4)}\\u${hex(0xdc00 | (c & 0x3ff), 4)}`;
    }
    return jsonStyle || cp > 255 ? `\\u${hex(cp, 4)}` : `\\x${hex(cp, 2)}`;
  }
  return String.fromCharCode(cp);
}

/**
 * A quoted string (`%q`, or `%Q` with `unicodeEscapes`). A string with a char above 0xFF is a
 * UTF-8 string on Espruino, which always gets `\u` escapes.
 */
export function quoteString(s: string, unicodeEscapes: boolean): string {
  const jsonStyle = unicodeEscapes || /[^\0-\xff]/.test(s);
  const cps = Array.from(s, (c) => c.codePointAt(0)!);
  let out = '"';
  for (let i = 0; i < cps.length; i++) out += escapeChar(cps[i], i + 1 < cps.length ? cps[i + 1] : -1, jsonStyle);
  return out + '"';
}

/** isIDString (jsutils.c): letters, digits and `_`, not starting with a digit. */
function isIdString(s: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(s);
}

/** An object key Espruino stores as an integer (jsvAsArrayIndex): canonical int32 text. */
function isIntegerKey(k: string): boolean {
  return /^-?(0|[1-9][0-9]*)$/.test(k) && String(Number(k) | 0) === k;
}

/**
 * `value` as Espruino writes JSON (jsfGetJSONWithCallback with NO_UNDEFINED and
 * ARRAYBUFFER_AS_ARRAY and ALLOW_TOJSON always on, the rest from `options`).
 */
export function espruinoJson(value: unknown, options: JsonWriteOptions): string {
  const ws = options.whitespace ?? "";
  const pretty = ws.length > 0;
  const onStack = new Set<unknown>();
  const newLine = (indent: number) => "\n" + ws.repeat(indent);

  function fn(f: Function): string {
    // jsfGetJSONForFunctionWithCallback writes `function (args) {body}`: V8's source, name dropped.
    return Function.prototype.toString.call(f).replace(/^function\s*[\w$]*\s*/, "function ");
  }

  function write(v: unknown, key: string | undefined, indent: number, allowToJson: boolean): string {
    if (v === undefined) return "null";
    if (v === null) return "null";
    if (onStack.has(v)) return " ... ";
    switch (typeof v) {
      case "number":
        return options.noNaN && !Number.isFinite(v) ? "null" : espruinoNumberText(v);
      case "boolean":
        return String(v);
      case "string":
        return quoteString(v, !!options.unicodeEscapes);
      case "function":
        return options.ignoreFunctions ? "undefined" : fn(v);
      case "object":
        break;
      default:
        return String(v);
    }
    onStack.add(v);
    try {
      return writeObject(v as object, key, indent, allowToJson);
    } finally {
      onStack.delete(v);
    }
  }

  function item(v: unknown, key: string | undefined, indent: number, first: boolean): string {
    let s = first ? "" : pretty ? ", " : ",";
    if (pretty) s += newLine(indent + 1);
    return s + write(v, key, indent + 1, true);
  }

  function writeObject(o: object, key: string | undefined, indent: number, allowToJson: boolean): string {
    const ctor = (o as { constructor?: { name?: string } }).constructor?.name ?? "";
    if ((ArrayBuffer.isView(o) && TYPED.test(ctor)) || Object.prototype.toString.call(o) === "[object ArrayBuffer]") {
      const a = Array.from(ArrayBuffer.isView(o) ? (o as unknown as ArrayLike<number>) : new Uint8Array(o as ArrayBuffer));
      // As the C code does it: with newlines, one after "[" and one before each item.
      let s = "[" + (pretty ? newLine(indent + 1) : "");
      a.forEach((n, i) => {
        if (i > 0) s += pretty ? ", " : ",";
        if (pretty) s += newLine(indent + 1);
        s += write(n, undefined, indent + 1, true);
      });
      return s + (pretty ? newLine(indent) : "") + "]";
    }
    if (Array.isArray(o)) {
      let s = pretty ? "[ " : "[";
      for (let i = 0; i < o.length; i++) s += item(i in o ? o[i] : undefined, String(i), indent, i === 0);
      return s + (pretty && o.length ? newLine(indent) : "") + (pretty ? " ]" : "]");
    }
    const toJson = allowToJson ? (o as { toJSON?: unknown }).toJSON : undefined;
    if (typeof toJson === "function") {
      const r = toJson.call(o, key ?? "");
      if (r === o) onStack.delete(o);
      return write(r, undefined, indent, false);
    }
    let s = pretty ? "{ " : "{";
    let first = true;
    for (const k of Object.keys(o)) {
      const desc = Object.getOwnPropertyDescriptor(o, k);
      if (!desc || desc.get || desc.set) continue;
      const v = desc.value;
      if (v === undefined || (options.ignoreFunctions && typeof v === "function")) continue;
      if (!first) s += pretty ? ", " : ",";
      if (pretty) s += newLine(indent + 1);
      const bare = options.dropQuotes && (isIntegerKey(k) || (k.length < 63 && isIdString(k)));
      s += (bare ? k : quoteString(k, !!options.unicodeEscapes)) + (pretty ? ": " : ":");
      s += write(v, k, indent + 1, true);
      first = false;
    }
    return s + (pretty && !first ? newLine(indent) : "") + (pretty ? " }" : "}");
  }

  return write(value, undefined, 0, true);
}

/** JSON.stringify's `space` as a whitespace string: a number clamped to 0-10 spaces, text cut to 10. */
export function jsonWhitespace(space: unknown): string {
  if (space === undefined || space === null) return "";
  if (typeof space === "number" || typeof space === "boolean") return " ".repeat(Math.min(10, Math.max(0, Math.trunc(Number(space)) || 0)));
  return String(space).slice(0, 10);
}

// ------------------------------------------------------------------ reading

type Token = { tk: "EOF" | "ID" | "INT" | "FLOAT" | "STR" | "WORD" | "OP"; text: string; value?: unknown };

/** Espruino's reserved words (jslex.c): a token of their own, not an ID. */
const RESERVED = new Set([
  "if",
  "else",
  "do",
  "while",
  "for",
  "break",
  "continue",
  "function",
  "return",
  "var",
  "let",
  "const",
  "this",
  "throw",
  "try",
  "catch",
  "finally",
  "true",
  "false",
  "null",
  "undefined",
  "new",
  "in",
  "instanceof",
  "switch",
  "case",
  "default",
  "delete",
  "typeof",
  "void",
  "debugger",
  "class",
  "extends",
  "super",
  "static",
  "of",
]);
/** Multi-char operators, longest first (jslex.c). */
const OPERATORS = [
  ">>>=",
  "===",
  "!==",
  "<<=",
  ">>>",
  ">>=",
  "...",
  "==",
  "!=",
  "<=",
  "<<",
  ">=",
  ">>",
  "+=",
  "-=",
  "++",
  "--",
  "*=",
  "/=",
  "%=",
  "&=",
  "&&",
  "|=",
  "||",
  "^=",
  "=>",
  "??",
  "**",
];

class JsonLexer {
  private i = 0;
  tk: Token = { tk: "EOF", text: "" };
  /** The first error (jsExceptionHere keeps only the first). */
  error: string | undefined;

  constructor(private readonly s: string) {
    this.next();
  }

  fail(message: string): void {
    this.error ??= message;
  }

  private skipSpace(): void {
    const s = this.s;
    for (;;) {
      while (this.i < s.length && /[\t\v\f \n\r]/.test(s[this.i])) this.i++;
      if (s.startsWith("//", this.i)) {
        while (this.i < s.length && s[this.i] !== "\n") this.i++;
        this.i++;
      } else if (s.startsWith("/*", this.i)) {
        const end = s.indexOf("*/", this.i + 2);
        this.i = end < 0 ? s.length : end + 2;
      } else return;
    }
  }

  next(): void {
    this.skipSpace();
    const s = this.s;
    if (this.i >= s.length) {
      this.tk = { tk: "EOF", text: "" };
      return;
    }
    const c = s[this.i];
    if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z0-9_$]*/.exec(s.slice(this.i))![0];
      this.i += m.length;
      this.tk = { tk: RESERVED.has(m) ? "WORD" : "ID", text: m };
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(s[this.i + 1] ?? ""))) this.number();
    else if (c === '"' || c === "'" || c === "`") this.string(c);
    else {
      const op = OPERATORS.find((o) => s.startsWith(o, this.i)) ?? c;
      this.i += op.length;
      this.tk = { tk: "OP", text: op };
    }
  }

  /** The number lexing of jslGetNextToken: `0x`/`0b`/`0o` integers, `_` separators dropped. */
  private number(): void {
    const s = this.s;
    let text = "";
    let float = false;
    let canBeFloating = true;
    if (s[this.i] === ".") {
      float = true;
      text = ".";
      this.i++;
    } else {
      if (s[this.i] === "0") {
        text += "0";
        this.i++;
        if (/[xXbBoO]/.test(s[this.i] ?? "")) {
          canBeFloating = false;
          text += s[this.i++];
        }
      }
      while (this.i < s.length && (/[0-9_]/.test(s[this.i]) || (!canBeFloating && /[0-9a-fA-F]/.test(s[this.i])))) {
        if (s[this.i] !== "_") text += s[this.i];
        this.i++;
      }
      if (canBeFloating && s[this.i] === ".") {
        float = true;
        text += ".";
        this.i++;
      }
    }
    if (float) {
      while (/[0-9_]/.test(s[this.i] ?? "")) {
        if (s[this.i] !== "_") text += s[this.i];
        this.i++;
      }
    }
    if (canBeFloating && /[eE]/.test(s[this.i] ?? "")) {
      float = true;
      text += s[this.i++];
      if (s[this.i] === "-" || s[this.i] === "+") text += s[this.i++];
      while (/[0-9_]/.test(s[this.i] ?? "")) {
        if (s[this.i] !== "_") text += s[this.i];
        this.i++;
      }
    }
    this.tk = float
      ? { tk: "FLOAT", text, value: espruinoStringToFloat(text).value }
      : { tk: "INT", text, value: espruinoStringToInt(text).value };
  }

  /** jslLexString: `\n \b \f \r \t \v`, `\xXX`, `\uXXXX` (surrogate pairs joined), octal `\NNN`. */
  private string(delim: string): void {
    const s = this.s;
    this.i++;
    let out = "";
    while (this.i < s.length && s[this.i] !== delim) {
      const c = s[this.i];
      if (c === "\n" && delim !== "`") break;
      if (c !== "\\") {
        out += c;
        this.i++;
        continue;
      }
      this.i++;
      const e = s[this.i] ?? "";
      const simple: Record<string, string> = { n: "\n", b: "\b", f: "\f", r: "\r", t: "\t", v: "\v" };
      if (e in simple) {
        out += simple[e];
        this.i++;
      } else if (e === "x" || e === "u") {
        this.i++;
        const len = e === "u" ? 4 : 2;
        let digits = "";
        while (digits.length < len) {
          if (!/[0-9a-fA-F]/.test(s[this.i] ?? "")) {
            this.fail("Invalid escape sequence");
            break;
          }
          digits += s[this.i++];
        }
        out += String.fromCharCode(parseInt(digits || "0", 16));
      } else if (/[0-7]/.test(e)) {
        const m = /^[0-7]{1,3}/.exec(s.slice(this.i))![0];
        this.i += m.length;
        out += String.fromCharCode(parseInt(m, 8) & 0xff);
      } else {
        out += e;
        this.i++;
      }
    }
    if (s[this.i] === delim) {
      this.i++;
      this.tk = { tk: "STR", text: out, value: out };
    } else this.tk = { tk: "OP", text: "UNFINISHED STRING", value: out };
  }

  /** jslTokenAsString: how an error names a kind of token. */
  static kindName(t: Token): string {
    switch (t.tk) {
      case "EOF":
        return "EOF";
      case "ID":
        return "ID";
      case "INT":
        return "INT";
      case "FLOAT":
        return "FLOAT";
      case "STR":
        return "STRING";
      case "WORD":
        return t.text;
      case "OP":
        return t.text.length === 1 ? `'${t.text}'` : t.text;
    }
  }

  /** jslGetTokenString: the token an error says it got. */
  gotText(): string {
    if (this.tk.tk === "ID") return `ID:${this.tk.text}`;
    if (this.tk.tk === "STR") return `String:'${this.tk.text}'`;
    return JsonLexer.kindName(this.tk);
  }

  /** jslMatch: on a mismatch the error names both, and the token is skipped anyway. */
  match(tk: Token["tk"], text?: string): boolean {
    if (this.tk.tk === tk && (text === undefined || this.tk.text === text)) {
      this.next();
      return true;
    }
    const expected = text !== undefined ? (text.length === 1 ? `'${text}'` : text) : JsonLexer.kindName({ tk, text: "" });
    this.fail(`Got ${this.gotText()} expected ${expected}`);
    this.next();
    return false;
  }

  isOp(text: string): boolean {
    return this.tk.tk === "OP" && this.tk.text === text;
  }
}

/** How the parser makes values in the device's realm. */
export interface JsonParseOptions {
  /** JSON_DROP_QUOTES: unquoted keys allowed (Storage.readJSON). */
  dropQuotes?: boolean;
  newObject(): Record<string, unknown>;
  newArray(): unknown[];
}

/**
 * Parses `text` as jswrap_json_parse_ext does.
 * @returns the value, or `error` (the first SyntaxError message) with whatever was built.
 */
export function espruinoJsonParse(text: string, options: JsonParseOptions): { value: unknown; error?: string } {
  const lex = new JsonLexer(text);
  const FAIL = Symbol("fail");
  type R = unknown | typeof FAIL;

  function parse(): R {
    const t = lex.tk;
    if (t.tk === "WORD" && (t.text === "true" || t.text === "false" || t.text === "null")) {
      lex.next();
      return t.text === "null" ? null : t.text === "true";
    }
    if (t.tk === "OP" && t.text === "-") {
      lex.next();
      if (lex.tk.tk !== "INT" && lex.tk.tk !== "FLOAT") return FAIL;
      const v = parse();
      return v === FAIL ? FAIL : 0 - (v as number);
    }
    if (t.tk === "INT" || t.tk === "FLOAT" || t.tk === "STR") {
      lex.next();
      return t.value;
    }
    if (t.tk === "OP" && t.text === "[") {
      const arr = options.newArray();
      lex.next();
      while (!lex.isOp("]") && lex.error === undefined) {
        const v = parse();
        if (v === FAIL || (!lex.isOp("]") && !lex.match("OP", ","))) return FAIL;
        arr.push(v);
      }
      return lex.match("OP", "]") ? arr : FAIL;
    }
    if (t.tk === "OP" && t.text === "{") {
      const obj = options.newObject();
      lex.next();
      while ((lex.tk.tk === "STR" || lex.tk.tk === "INT" || lex.tk.tk === "ID" || lex.tk.tk === "WORD") && lex.error === undefined) {
        if (!options.dropQuotes && lex.tk.tk !== "STR") {
          lex.match("STR");
          return obj;
        }
        const key = lex.tk.tk === "INT" ? String(lex.tk.value) : lex.tk.text;
        lex.next();
        if (!lex.match("OP", ":")) return FAIL;
        const v = parse();
        if (v === FAIL || (!lex.isOp("}") && !lex.match("OP", ","))) return FAIL;
        obj[key] = v;
      }
      return lex.match("OP", "}") ? obj : FAIL;
    }
    lex.fail(`Expecting valid value, got ${JsonLexer.kindName(t)}`);
    return FAIL;
  }

  const v = parse();
  return { value: v === FAIL ? undefined : v, error: lex.error };
}
