import { Fragment, type Key, type ReactNode } from 'react';
import { LoadMore } from './ui.tsx';

export interface Column<T> {
  /** The heading; a responsive table also shows it beside each value on phones. */
  header: string;
  /** `number`: right-aligned figures. `actions`: buttons, headed for screen readers only. */
  kind?: 'text' | 'number' | 'actions';
  cell: (row: T) => ReactNode;
  /** Classes of one row's cell on top of the column's, e.g. a loss in red. */
  cellClassName?: (row: T) => string | undefined;
}

const COLUMN_CLASS = { text: undefined, number: 'num', actions: 'row-actions' } as const;

/**
 * A list as a table: a heading per column, a row per item, and what to show when there is none.
 * `responsive` tables stack into labelled cards on phones; `compact` ones stay tables.
 *
 * @example
 * <DataTable
 *   rows={page.data}
 *   rowKey={(k) => k.id}
 *   empty={<EmptyState title="No API keys yet" />}
 *   columns={[
 *     { header: 'Name', cell: (k) => k.name },
 *     { header: 'Actions', kind: 'actions', cell: (k) => <RevokeButton apiKey={k} /> },
 *   ]}
 * />
 */
export function DataTable<T>({
  columns,
  rows,
  rowKey,
  variant = 'responsive',
  testId,
  empty,
  rowClassName,
  rowDetails,
  footer,
  more,
}: {
  /** `false` leaves a column out, e.g. the actions of someone who may not act. */
  columns: readonly (Column<T> | false)[];
  rows: readonly T[];
  rowKey: (row: T, index: number) => Key;
  variant?: 'responsive' | 'compact';
  testId?: string;
  /** Shown instead of the table when there are no rows; without it the table shows empty. */
  empty?: ReactNode;
  rowClassName?: (row: T) => string | undefined;
  /** A full-width row under a row, e.g. its expanded details; none when it returns null or false. */
  rowDetails?: (row: T) => ReactNode;
  /** The rows of a <tfoot>, e.g. totals. */
  footer?: ReactNode;
  /** Cursor paging: a "Load more" button under the table while there is a next page. */
  more?: { nextCursor: string | null | undefined; loading: boolean; onMore: () => void };
}) {
  if (rows.length === 0 && empty !== undefined) return <>{empty}</>;
  const shown = columns.filter((c): c is Column<T> => c !== false);
  const labelled = variant === 'responsive';
  return (
    <>
      <table className={`table table-${variant}`} data-testid={testId}>
        <thead>
          <tr>
            {shown.map((c) => (
              <th key={c.header} scope="col" className={c.kind === 'number' ? 'num' : undefined}>
                {c.kind === 'actions' ? <span className="sr-only">{c.header}</span> : c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) => {
            const details = rowDetails?.(row);
            return (
              <Fragment key={rowKey(row, index)}>
                <tr className={rowClassName?.(row)}>
                  {shown.map((c) => {
                    const kind = c.kind ?? 'text';
                    const className =
                      [COLUMN_CLASS[kind], c.cellClassName?.(row)].filter(Boolean).join(' ') ||
                      undefined;
                    return (
                      <td
                        key={c.header}
                        data-label={labelled && kind !== 'actions' ? c.header : undefined}
                        className={className}
                      >
                        {c.cell(row)}
                      </td>
                    );
                  })}
                </tr>
                {details != null && details !== false && (
                  <tr className="row-details">
                    <td colSpan={shown.length}>{details}</td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
        {footer && <tfoot>{footer}</tfoot>}
      </table>
      {more && <LoadMore {...more} />}
    </>
  );
}
