/**
 * Maps a position in the final bundle back to the TypeScript file and line it came from, through
 * one source map or a chain of them.
 */
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { TraceMap, originalPositionFor, type SourceMapInput } from "@jridgewell/trace-mapping";

/** A place in a source file: 1-based line, 0-based column, path relative to the working directory. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/**
 * Builds a mapper through a chain of source maps, outermost first (the map of the last step
 * first). Source paths of the innermost map are resolved against `mapDir`.
 */
export function chainMapper(maps: SourceMapInput[], mapDir: string): (line: number, column: number) => SourcePosition | undefined {
  const traces = maps.map((m) => new TraceMap(m));
  return (line, column) => {
    let pos: { line: number; column: number; source: string | null } = { line, column, source: null };
    for (const t of traces) {
      const o = originalPositionFor(t, { line: pos.line, column: pos.column });
      if (o.line === null || o.column === null) return undefined;
      pos = { line: o.line, column: o.column, source: o.source };
    }
    if (!pos.source) return undefined;
    const abs = isAbsolute(pos.source) ? pos.source : resolve(mapDir, pos.source);
    return { file: relative(process.cwd(), abs) || abs, line: pos.line, column: pos.column };
  };
}

/** The directory source paths of an esbuild map for `outfile` are relative to. */
export function mapDirFor(outfile: string): string {
  return dirname(resolve(outfile));
}
