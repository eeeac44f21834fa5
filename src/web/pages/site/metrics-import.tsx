import { useMemo, useRef, useState } from 'react';
import { CSV_COLUMNS, type CsvColumn, type MetricField } from '../../../shared/metric-csv.ts';
import { MAX_IMPORT_BYTES } from '../../../shared/schemas/roi.ts';
import { importMetricsFile, type ImportResultT } from '../../api/endpoints.ts';
import { ApiError, describeError } from '../../api/problem.ts';
import { DataTable } from '../../components/data-table.tsx';
import { Alert, Button, Card } from '../../components/ui.tsx';
import {
  defaultMapping,
  mappingProblems,
  previewImport,
  readCsvFile,
  remapCsv,
  type CsvFile,
} from '../../lib/csv-mapping.ts';
import { parseRowErrors } from '../../lib/import-errors.ts';
import { formatMoney, formatNumber } from '../../lib/money.ts';
import { useCurrency } from '../../session/workspace.tsx';

type ImportState =
  | { state: 'idle' }
  | {
      state: 'mapping';
      fileName: string;
      file: CsvFile;
      mapping: CsvColumn[];
      recognised: boolean[];
    }
  | { state: 'uploading'; fileName: string; progress: number }
  | { state: 'processing'; fileName: string }
  | { state: 'done'; fileName: string; result: ImportResultT }
  | { state: 'failed'; fileName: string; error: unknown };

const COLUMN_LABELS: Record<CsvColumn, string> = {
  date: 'Date',
  sessions: 'Sessions',
  conversions: 'Conversions',
  revenue: 'Revenue',
  clicks: 'Clicks',
  impressions: 'Impressions',
  position: 'Position',
  ignore: 'Ignore',
};

/** One preview cell: the value as it will be stored, or why it cannot be. */
function PreviewCell({
  value,
  field,
  currency,
}: {
  value: number | { problem: string } | undefined;
  field: MetricField;
  currency: string;
}) {
  if (value === undefined) return <span className="muted">—</span>;
  if (typeof value !== 'number') return <span className="cell-error">{value.problem}</span>;
  if (field === 'revenue') return <>{formatMoney(value, currency)}</>;
  return <>{formatNumber(value, field === 'position' ? 2 : 0)}</>;
}

/**
 * The mapping step: each column of the file mapped to a metric field or ignored, and the first
 * rows as they will be imported (read by the same rules as the server, src/shared/metric-csv.ts),
 * before anything is sent.
 */
function ColumnMapping({
  state,
  currency,
  onChange,
  onImport,
  onCancel,
}: {
  state: Extract<ImportState, { state: 'mapping' }>;
  currency: string;
  onChange: (mapping: CsvColumn[]) => void;
  onImport: () => void;
  onCancel: () => void;
}) {
  const { file, mapping, recognised } = state;
  const problems = useMemo(() => mappingProblems(mapping), [mapping]);
  // Every row is read (an ambiguous separator is settled by the whole file, as on the server).
  const preview = useMemo(
    () => (problems.length ? null : previewImport(file, mapping, currency)),
    [file, mapping, currency, problems],
  );
  const fields = (mapping.filter((m) => m !== 'date' && m !== 'ignore') as MetricField[]).sort(
    (a, b) => CSV_COLUMNS.indexOf(a) - CSV_COLUMNS.indexOf(b),
  );
  const sample = file.rows[0]?.cells ?? [];
  return (
    <div className="import-mapping" data-testid="import-mapping">
      <h3>Match the columns of {state.fileName}</h3>
      <p className="muted small">
        Header on line {file.headerLine}
        {file.headerLine > 1 ? ' (the comment lines above it are skipped)' : ''}. Nothing is written
        until you import.
      </p>
      <div className="table-scroll">
        <table className="table table-compact" data-testid="column-mapping">
          <thead>
            <tr>
              <th scope="col">Column in the file</th>
              <th scope="col">First value</th>
              <th scope="col">Import as</th>
            </tr>
          </thead>
          <tbody>
            {file.header.map((name, i) => (
              <tr key={i}>
                <td>
                  {name.trim() || <span className="muted">(no name)</span>}
                  {!recognised[i] && <span className="muted small"> · not recognised</span>}
                </td>
                <td>
                  <code>{sample[i] ?? ''}</code>
                </td>
                <td>
                  <select
                    aria-label={`Import column "${name.trim()}" as`}
                    value={mapping[i]}
                    onChange={(e) => {
                      const next = [...mapping];
                      next[i] = e.target.value as CsvColumn;
                      onChange(next);
                    }}
                  >
                    {CSV_COLUMNS.map((c) => (
                      <option key={c} value={c}>
                        {COLUMN_LABELS[c]}
                      </option>
                    ))}
                  </select>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {problems.length > 0 && (
        <Alert kind="warning" title="The mapping is not complete">
          <ul className="error-list">
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </Alert>
      )}
      {preview && (
        <>
          <h3>
            Preview: the first {preview.rows.length} of {formatNumber(preview.count)} rows
          </h3>
          <div className="table-scroll">
            <table className="table table-compact" data-testid="import-preview">
              <thead>
                <tr>
                  <th scope="col">Line</th>
                  <th scope="col">Date</th>
                  {fields.map((f) => (
                    <th scope="col" key={f}>
                      {COLUMN_LABELS[f]}
                      {f === 'revenue' ? ` (${currency})` : ''}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {preview.rows.map((row) => (
                  <tr key={row.line}>
                    <td>{row.line}</td>
                    <td>
                      {typeof row.date === 'string' ? (
                        row.date
                      ) : (
                        <span className="cell-error">{row.date.problem}</span>
                      )}
                    </td>
                    {fields.map((f) => (
                      <td key={f}>
                        <PreviewCell value={row.values[f]} field={f} currency={currency} />
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {preview.problems.length > 0 && (
            <Alert
              kind="warning"
              title={`${formatNumber(preview.problems.length)} problem(s) found in the file`}
            >
              <p>The server will refuse the import until they are fixed:</p>
              <ul className="error-list" data-testid="preview-problems">
                {preview.problems.slice(0, 20).map((p, i) => (
                  <li key={i}>
                    Line {p.line}
                    {p.field !== ('row' as string) ? `, ${p.field}` : ''}: {p.message}
                  </li>
                ))}
              </ul>
              {preview.problems.length > 20 && (
                <p className="muted">…and {preview.problems.length - 20} more.</p>
              )}
            </Alert>
          )}
        </>
      )}
      <div className="form-actions">
        <Button onClick={onCancel}>Cancel</Button>
        <Button variant="primary" disabled={problems.length > 0} onClick={onImport}>
          {preview ? `Import ${formatNumber(preview.count)} rows` : 'Import'}
        </Button>
      </div>
    </div>
  );
}

/**
 * Import a CSV, a Search Console, GA4 or Looker Studio export: the file is read in the browser,
 * its columns mapped and its first rows previewed; then it is sent (header row renamed to the
 * chosen fields, every other line as in the file) with progress, and the counts or every bad row
 * are shown.
 */
export function MetricsImport({ siteId, onImported }: { siteId: string; onImported: () => void }) {
  const inputRef = useRef<HTMLInputElement>(null);
  const [status, setStatus] = useState<ImportState>({ state: 'idle' });
  const [dragging, setDragging] = useState(false);
  const currency = useCurrency();

  const resetInput = () => {
    if (inputRef.current) inputRef.current.value = '';
  };

  const open = async (file: File) => {
    if (file.size > MAX_IMPORT_BYTES) {
      setStatus({
        state: 'failed',
        fileName: file.name,
        error: new Error(
          `The file is ${(file.size / 1048576).toFixed(1)} MB; the limit is ${MAX_IMPORT_BYTES / 1048576} MB a request. Split it and import the parts.`,
        ),
      });
      resetInput();
      return;
    }
    const read = readCsvFile(await file.text());
    resetInput();
    if ('problem' in read) {
      setStatus({ state: 'failed', fileName: file.name, error: new Error(read.problem) });
      return;
    }
    setStatus({
      state: 'mapping',
      fileName: file.name,
      file: read,
      ...defaultMapping(read.header),
    });
  };

  const upload = async (fileName: string, body: string) => {
    setStatus({ state: 'uploading', fileName, progress: 0 });
    try {
      const result = await importMetricsFile(siteId, new Blob([body], { type: 'text/csv' }), (p) =>
        setStatus((s) =>
          s.state === 'uploading'
            ? p >= 1
              ? { state: 'processing', fileName }
              : { ...s, progress: p }
            : s,
        ),
      );
      setStatus({ state: 'done', fileName, result });
      onImported();
    } catch (error) {
      setStatus({ state: 'failed', fileName, error });
    }
  };
  const busy = status.state === 'uploading' || status.state === 'processing';
  const rowErrors =
    status.state === 'failed' && status.error instanceof ApiError
      ? parseRowErrors(status.error.fieldErrors)
      : [];

  return (
    <Card title="Import metrics">
      {status.state !== 'mapping' && (
        <div
          className={`dropzone${dragging ? ' dropzone-active' : ''}`}
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={(e) => {
            e.preventDefault();
            setDragging(false);
            const file = e.dataTransfer.files[0];
            if (file && !busy) void open(file);
          }}
        >
          <label htmlFor="metrics-file" className="dropzone-label">
            Choose a CSV file, or a Search Console, GA4 or Looker Studio export
          </label>
          <input
            ref={inputRef}
            id="metrics-file"
            type="file"
            accept=".csv,text/csv"
            disabled={busy}
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) void open(file);
            }}
          />
          <p className="muted small">
            You match its columns and see the first rows before anything is written. Columns:{' '}
            <code>date, sessions, conversions, revenue, clicks, impressions, position</code>{' '}
            (GA4&apos;s Key events and Total revenue too); revenue in {currency}, with or without
            its symbol and thousands separators (<code>1,234.56</code>). Rows replace the same
            dates&apos; values; one bad row rejects the whole file. Up to 100,000 rows or 10 MB.
          </p>
        </div>
      )}
      <div aria-live="polite">
        {status.state === 'mapping' && (
          <ColumnMapping
            state={status}
            currency={currency}
            onChange={(mapping) => setStatus({ ...status, mapping })}
            onCancel={() => setStatus({ state: 'idle' })}
            onImport={() => void upload(status.fileName, remapCsv(status.file, status.mapping))}
          />
        )}
        {status.state === 'uploading' && (
          <div className="progress-row">
            <label htmlFor="import-progress">Uploading {status.fileName}…</label>
            <progress id="import-progress" max={1} value={status.progress} />
            <span>{Math.round(status.progress * 100)}%</span>
          </div>
        )}
        {status.state === 'processing' && (
          <div className="progress-row">
            <label htmlFor="import-progress">Importing {status.fileName}…</label>
            <progress id="import-progress" />
          </div>
        )}
        {status.state === 'done' && (
          <Alert kind="success" title={`Imported ${status.fileName}`}>
            <span data-testid="import-result">
              {formatNumber(status.result.received)} rows received:{' '}
              {formatNumber(status.result.inserted)} new days, {formatNumber(status.result.updated)}{' '}
              updated.
            </span>
          </Alert>
        )}
        {status.state === 'failed' && (
          <Alert kind="error" title={`${status.fileName} was not imported; nothing was written`}>
            <p>
              {rowErrors.length > 0
                ? `${formatNumber(rowErrors.length)} ${rowErrors.length === 1 ? 'problem' : 'problems'} to fix before importing again:`
                : describeError(status.error)}
            </p>
            {rowErrors.length > 0 && (
              <div className="table-scroll">
                <DataTable
                  variant="compact"
                  testId="import-errors"
                  rows={rowErrors.slice(0, 200)}
                  rowKey={(_e, i) => i}
                  columns={[
                    { header: 'Line', cell: (e) => e.line ?? '—' },
                    { header: 'Field', cell: (e) => <code>{e.field}</code> },
                    { header: 'Problem', cell: (e) => e.message },
                  ]}
                />
                {rowErrors.length > 200 && (
                  <p className="muted">…and {rowErrors.length - 200} more.</p>
                )}
              </div>
            )}
          </Alert>
        )}
      </div>
    </Card>
  );
}
