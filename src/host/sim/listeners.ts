/**
 * Espruino's events: every object has `on`, `emit`... (on Object.prototype), the listeners kept
 * beside the objects, so that the simulation can fire them, forget those of a closed connection,
 * and count what they hold as memory in use.
 */

/** The listeners of the objects of one device. */
export class SimListeners {
  private readonly byObject = new Map<object, Map<string, unknown[]>>();

  /** The listeners of `event` on `obj` (the live list), if any was added. */
  of(obj: object, event: string): unknown[] | undefined {
    return this.byObject.get(obj)?.get(event);
  }

  /** Forgets every listener of `obj`. */
  forget(obj: object): void {
    this.byObject.delete(obj);
  }

  /** Forgets every listener (a reset, running out of memory). */
  clear(): void {
    this.byObject.clear();
  }

  /** Every listener function, for the memory count. */
  roots(): unknown[] {
    const out: unknown[] = [];
    for (const m of this.byObject.values()) for (const l of m.values()) out.push(...l);
    return out;
  }

  /**
   * The event methods to define on the interpreter's Object.prototype: `on` (and its alias
   * `addListener`), `prependListener`, `emit` (listeners called directly: errors propagate),
   * `removeListener`, `removeAllListeners`.
   * @param newError makes the interpreter's Error for a listener that is neither function nor string.
   */
  methods(newError: (message: string) => unknown): Record<string, unknown> {
    const byObject = this.byObject;
    const on = function (this: object, event: unknown, fn: unknown): void {
      if (typeof fn !== "function" && typeof fn !== "string") throw newError("Expecting a function or string");
      let m = byObject.get(this);
      if (!m) byObject.set(this, (m = new Map()));
      const ev = String(event);
      const list = m.get(ev) ?? [];
      list.push(fn);
      m.set(ev, list);
    };
    return {
      on,
      addListener: on,
      prependListener(this: object, event: unknown, fn: unknown): void {
        on.call(this, event, fn);
        const list = byObject.get(this)!.get(String(event))!;
        list.unshift(list.pop());
      },
      emit(this: object, event: unknown, ...args: unknown[]): void {
        const list = byObject.get(this)?.get(String(event));
        if (list) for (const fn of list.slice()) (fn as (...a: unknown[]) => unknown).apply(this, args);
      },
      removeListener(this: object, event: unknown, fn: unknown): void {
        const list = byObject.get(this)?.get(String(event));
        if (!list) return;
        const i = list.indexOf(fn);
        if (i >= 0) list.splice(i, 1);
      },
      removeAllListeners(this: object, event?: unknown): void {
        if (event === undefined) byObject.delete(this);
        else byObject.get(this)?.delete(String(event));
      },
    };
  }
}
