import type { FieldError } from '../api/problem.ts';

export interface RowError {
  /** The line of the file (1 = header) or the row index, as the server named it; null for file-wide errors. */
  line: number | null;
  field: string | null;
  message: string;
}

/**
 * Reads the server's per-row import errors into lines and fields, whatever the path style:
 * `line 3`, `line:3.date`, `rows.2.revenue`, `rows[2].revenue` or a bare `3`.
 */
export function parseRowErrors(errors: readonly FieldError[]): RowError[] {
  return errors.map((e) => {
    const path = e.path ?? '';
    let m = /^(?:line|row)s?[\s:.[_-]*(\d+)\]?(?:[.:\s]+(.+))?$/i.exec(path);
    if (m) return { line: Number(m[1]), field: m[2] ?? null, message: e.message };
    m = /^rows?[.[](\d+)\]?(?:\.(.+))?$/.exec(path);
    if (m) return { line: Number(m[1]), field: m[2] ?? null, message: e.message };
    m = /^(\d+)(?:\.(.+))?$/.exec(path);
    if (m) return { line: Number(m[1]), field: m[2] ?? null, message: e.message };
    const inMessage = /\bline (\d+)/i.exec(e.message);
    if (inMessage) return { line: Number(inMessage[1]), field: path || null, message: e.message };
    return { line: null, field: path || null, message: e.message };
  });
}
