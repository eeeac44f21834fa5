import type { FieldError } from '../api/problem.ts';

export interface RowError {
  /** The line of the file (1 = header) or the row index, as the server named it; null for file-wide errors. */
  line: number | null;
  /** The column or field the problem is in; "header row", "whole row" or "file" when it is not one field. */
  field: string;
  message: string;
}

/** `sessions: "x" must be …` → the field and the rest, when a message starts by naming its field. */
const FIELD_PREFIX = /^([a-zA-Z_][\w ]{0,40}):\s+(.+)$/s;

function withField(line: number | null, field: string | null, message: string): RowError[] {
  if (field) return [{ line, field, message }];
  // A CSV line's message names its column first ("revenue: …"), several joined by "; ".
  const parts = message.split('; ');
  if (parts.every((p) => FIELD_PREFIX.test(p))) {
    return parts.map((p) => {
      const m = FIELD_PREFIX.exec(p)!;
      return { line, field: m[1]!, message: m[2]! };
    });
  }
  const m = FIELD_PREFIX.exec(message);
  if (m && !message.includes('. ')) return [{ line, field: m[1]!, message: m[2]! }];
  return [
    { line, field: line === 1 ? 'header row' : line === null ? 'file' : 'whole row', message },
  ];
}

/**
 * Reads the server's per-row import errors into lines and fields, whatever the path style:
 * `line 3`, `line:3.date`, `rows.2.revenue`, `rows[2].revenue` or a bare `3`. Every row names a
 * field: the one in the path, the one the message starts with, or what the problem is about.
 */
export function parseRowErrors(errors: readonly FieldError[]): RowError[] {
  return errors.flatMap((e) => {
    const path = e.path ?? '';
    let m = /^(?:line|row)s?[\s:.[_-]*(\d+)\]?(?:[.:\s]+(.+))?$/i.exec(path);
    if (m) return withField(Number(m[1]), m[2] ?? null, e.message);
    m = /^rows?[.[](\d+)\]?(?:\.(.+))?$/.exec(path);
    if (m) return withField(Number(m[1]), m[2] ?? null, e.message);
    m = /^(\d+)(?:\.(.+))?$/.exec(path);
    if (m) return withField(Number(m[1]), m[2] ?? null, e.message);
    const inMessage = /\bline (\d+)/i.exec(e.message);
    if (inMessage) return withField(Number(inMessage[1]), path || null, e.message);
    return withField(null, path || null, e.message);
  });
}
