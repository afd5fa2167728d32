/*
 * Hand-written part of src/device/lib/espruino.d.ts (scripts/gen-espruino-dts.ts appends it to
 * lib.es5.d.ts filtered by src/host/espruino-builtins.ts): the ES2015+ parts Espruino 2v29
 * implements and the types the compiler needs for them. Members of builtin interfaces here are
 * filtered by the same list, so a member the list does not have is dropped from the output.
 */

/////////////////////////////
/// ES2015+ parts Espruino implements
/////////////////////////////

interface ObjectConstructor {
  /** Copies the own enumerable properties of the sources onto target. */
  assign<T extends {}, U>(target: T, source: U): T & U;
  assign<T extends {}, U, V>(target: T, source1: U, source2: V): T & U & V;
  assign(target: object, ...sources: any[]): any;
  /** The own enumerable property values of an object. */
  values<T>(o: { [s: string]: T } | ArrayLike<T>): T[];
  values(o: {}): any[];
  /** The own enumerable [key, value] pairs of an object. */
  entries<T>(o: { [s: string]: T } | ArrayLike<T>): [string, T][];
  entries(o: {}): [string, any][];
  /** An object from [key, value] pairs (an array of pairs only: Espruino has no iterators). */
  fromEntries<T = any>(entries: ReadonlyArray<readonly [PropertyKey, T]>): { [k: string]: T };
  getOwnPropertyDescriptors<T>(o: T): { [P in keyof T]: TypedPropertyDescriptor<T[P]> } & { [x: string]: PropertyDescriptor };
  setPrototypeOf(o: any, proto: object | null): any;
}

interface Array<T> {
  find<S extends T>(predicate: (value: T, index: number, obj: T[]) => value is S, thisArg?: any): S | undefined;
  find(predicate: (value: T, index: number, obj: T[]) => unknown, thisArg?: any): T | undefined;
  findIndex(predicate: (value: T, index: number, obj: T[]) => unknown, thisArg?: any): number;
  includes(searchElement: T, fromIndex?: number): boolean;
}

interface ReadonlyArray<T> {
  find<S extends T>(predicate: (value: T, index: number, obj: readonly T[]) => value is S, thisArg?: any): S | undefined;
  find(predicate: (value: T, index: number, obj: readonly T[]) => unknown, thisArg?: any): T | undefined;
  findIndex(predicate: (value: T, index: number, obj: readonly T[]) => unknown, thisArg?: any): number;
  includes(searchElement: T, fromIndex?: number): boolean;
}

interface String {
  startsWith(searchString: string, position?: number): boolean;
  endsWith(searchString: string, endPosition?: number): boolean;
  includes(searchString: string, position?: number): boolean;
  padStart(maxLength: number, fillString?: string): string;
  padEnd(maxLength: number, fillString?: string): string;
  replaceAll(searchValue: string | RegExp, replaceValue: string): string;
}

interface Math {
  /** -1, 0 or 1 by the sign of x. */
  sign(x: number): number;
  /** Espruino: x clipped to [min, max]. */
  clip(x: number, min: number, max: number): number;
  /** Espruino: x wrapped into [0, max). */
  wrap(x: number, max: number): number;
}

interface PromiseConstructor {
  readonly prototype: Promise<any>;
  new <T>(executor: (resolve: (value: T | PromiseLike<T>) => void, reject: (reason?: any) => void) => void): Promise<T>;
  /** Resolves when every promise in the array has (Espruino takes arrays, not iterables). */
  all<T extends readonly unknown[] | []>(values: T): Promise<{ -readonly [P in keyof T]: Awaited<T[P]> }>;
  reject<T = never>(reason?: any): Promise<T>;
  resolve(): Promise<void>;
  resolve<T>(value: T): Promise<Awaited<T>>;
  resolve<T>(value: T | PromiseLike<T>): Promise<Awaited<T>>;
}
declare var Promise: PromiseConstructor;

/*
 * for...of: Espruino iterates arrays, strings and typed arrays natively. TypeScript needs the
 * iteration protocol types to check it; no Symbol value is declared, so user code cannot
 * build its own iterables (Espruino would not iterate them).
 */
interface SymbolConstructor {
  readonly iterator: unique symbol;
}
interface IteratorYieldResult<TYield> {
  done?: false;
  value: TYield;
}
interface IteratorReturnResult<TReturn> {
  done: true;
  value: TReturn;
}
type IteratorResult<T, TReturn = any> = IteratorYieldResult<T> | IteratorReturnResult<TReturn>;
interface Iterator<T, TReturn = any, TNext = any> {
  next(...[value]: [] | [TNext]): IteratorResult<T, TReturn>;
}
interface Iterable<T, TReturn = any, TNext = any> {
  [Symbol.iterator](): Iterator<T, TReturn, TNext>;
}
interface IterableIterator<T, TReturn = any, TNext = any> extends Iterator<T, TReturn, TNext> {
  [Symbol.iterator](): IterableIterator<T, TReturn, TNext>;
}
interface ArrayIterator<T> extends IterableIterator<T, undefined, unknown> {}
interface Array<T> {
  [Symbol.iterator](): ArrayIterator<T>;
}
interface ReadonlyArray<T> {
  [Symbol.iterator](): ArrayIterator<T>;
}
interface String {
  [Symbol.iterator](): IterableIterator<string>;
}
interface Uint8Array<TArrayBuffer extends ArrayBufferLike> {
  [Symbol.iterator](): ArrayIterator<number>;
}
interface Int8Array<TArrayBuffer extends ArrayBufferLike> {
  [Symbol.iterator](): ArrayIterator<number>;
}
interface Uint16Array<TArrayBuffer extends ArrayBufferLike> {
  [Symbol.iterator](): ArrayIterator<number>;
}
interface Int16Array<TArrayBuffer extends ArrayBufferLike> {
  [Symbol.iterator](): ArrayIterator<number>;
}
interface Uint32Array<TArrayBuffer extends ArrayBufferLike> {
  [Symbol.iterator](): ArrayIterator<number>;
}
interface Int32Array<TArrayBuffer extends ArrayBufferLike> {
  [Symbol.iterator](): ArrayIterator<number>;
}
interface Float32Array<TArrayBuffer extends ArrayBufferLike> {
  [Symbol.iterator](): ArrayIterator<number>;
}
interface Float64Array<TArrayBuffer extends ArrayBufferLike> {
  [Symbol.iterator](): ArrayIterator<number>;
}
interface IArguments {
  [Symbol.iterator](): ArrayIterator<any>;
}
/** Type-level only: there is no Symbol at run time on Espruino (the build gate refuses it). */
declare const Symbol: SymbolConstructor;

/////////////////////////////
/// Espruino interpreter globals
/////////////////////////////
/*
 * Device modules reach these only through the Hal (src/device/hal.ts); firmware entry code
 * hands them to createEspruinoHal. Loosely typed on purpose.
 */

/** Loads a built-in module: "Flash", "Storage", "Wifi", "http", "dgram", ... */
declare function require(moduleName: string): any;
/** Espruino's utility object (E.CRC32, E.toString, E.toUint8Array, E.on('init'), ...). */
declare var E: any;
/** Seconds since 1970 once set (since boot before), with a fraction. */
declare function getTime(): number;
/** Sets the clock, seconds since 1970. */
declare function setTime(time: number): void;
/** Prints a line to the console. */
declare function print(...text: any[]): void;
declare var console: { log(...text: any[]): void };
declare var process: { memory(): any; version: string; env: any; [key: string]: any };
/** The global object. */
declare var global: any;
declare function setTimeout(fn: (...args: any[]) => void, ms?: number, ...args: any[]): any;
declare function setInterval(fn: (...args: any[]) => void, ms?: number, ...args: any[]): any;
declare function clearTimeout(id?: any): void;
declare function clearInterval(id?: any): void;
declare function changeInterval(id: any, ms: number): void;
declare function setWatch(fn: (e: any) => void, pin: any, options?: any): any;
declare function clearWatch(id?: any): void;
declare function analogRead(pin: any): number;
declare function digitalRead(pin: any): number;
declare function digitalWrite(pin: any, value: any): void;
/** Runs the saved code again (or loads a file from Storage). */
declare function load(filename?: string): void;
declare function reset(clearFlash?: boolean): void;
declare function save(): void;
declare function btoa(binaryData: string): string;
declare function atob(base64Data: string): string;
