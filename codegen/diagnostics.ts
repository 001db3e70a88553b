import type { SourcePos, SpecError } from './ir.ts';

/**
 * User-facing spec diagnostics: `file:line:col: message`, the source line, and a caret under the
 * column. Errors are values; nothing here throws.
 */

/** Maps a character offset in a source text to a 1-based line and column. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }

  pos(offset: number): SourcePos {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { file: this.file, line: lo + 1, column: offset - this.starts[lo]! + 1 };
  }

  /** The text of 1-based line `line`, without its newline. */
  line(line: number): string {
    const start = this.starts[line - 1];
    if (start === undefined) return '';
    const next = this.starts[line];
    const end = next === undefined ? this.text.length : next - 1;
    return this.text.slice(start, end).replace(/\r$/, '');
  }
}

/** Format one error; `source` is the file's text (omit it to print just the first line). */
export function formatSpecError(err: SpecError, source?: string): string {
  const head = `${err.pos.file}:${err.pos.line}:${err.pos.column}: ${err.message}`;
  if (source === undefined) return head;
  const text = new LineIndex(err.pos.file, source).line(err.pos.line);
  // Keep tabs in the caret line so the caret lines up under tab-indented source.
  const pad = text.slice(0, Math.max(0, err.pos.column - 1)).replace(/[^\t]/g, ' ');
  return `${head}\n  ${text}\n  ${pad}^`;
}

/** Sort by file, line, column (stable), then format each with its source text. */
export function formatSpecErrors(errors: readonly SpecError[], sources: ReadonlyMap<string, string>): string {
  return sortErrors(errors)
    .map((e) => formatSpecError(e, sources.get(e.pos.file)))
    .join('\n');
}

export function sortErrors(errors: readonly SpecError[]): SpecError[] {
  return [...errors].sort(
    (a, b) =>
      (a.pos.file < b.pos.file ? -1 : a.pos.file > b.pos.file ? 1 : 0) ||
      a.pos.line - b.pos.line ||
      a.pos.column - b.pos.column,
  );
}

/** Collects errors from several passes. */
export class Diagnostics {
  readonly errors: SpecError[] = [];

  error(pos: SourcePos, message: string): void {
    this.errors.push({ pos, message });
  }

  get ok(): boolean {
    return this.errors.length === 0;
  }
}
