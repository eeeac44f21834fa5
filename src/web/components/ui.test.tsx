import { renderToStaticMarkup } from 'react-dom/server';
import { MemoryRouter } from 'react-router';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/problem.ts';
import { DataTable, type Column } from './data-table.tsx';
import {
  ConfirmButton,
  Dialog,
  EmptyState,
  Field,
  FormActions,
  FormError,
  SecretField,
} from './ui.tsx';

const render = (node: React.ReactNode) => renderToStaticMarkup(<MemoryRouter>{node}</MemoryRouter>);

describe('form components', () => {
  it('labels a field and shows the server error for it beside it', () => {
    const html = render(
      <Field
        label="Domain"
        name="domain"
        errors={[
          { path: 'domain', message: 'must be a domain such as example.com' },
          { path: 'name', message: 'required' },
        ]}
      >
        {(p) => <input {...p} />}
      </Field>,
    );
    const id = /<label for="([^"]+)">Domain<\/label>/.exec(html)?.[1];
    expect(id).toBeTruthy();
    expect(html).toContain(`id="${id}"`);
    expect(html).toContain('aria-invalid="true"');
    expect(html).toContain(`aria-describedby="${id}-error"`);
    // In words, as a sentence beside its field.
    expect(html).toContain('Must be a domain such as example.com');
    expect(html).not.toContain('equired');
  });

  it('keeps a valid field quiet', () => {
    const html = render(
      <Field label="Name" name="name" errors={[]} hint="Shown to clients">
        {(p) => <input {...p} />}
      </Field>,
    );
    expect(html).toContain('aria-invalid="false"');
    expect(html).not.toContain('role="alert"');
    expect(html).toContain('Shown to clients');
  });

  it('summarises errors that no field shows', () => {
    const error = new ApiError({
      type: '/problems/validation',
      title: 'Invalid request',
      status: 400,
      detail: 'The request did not validate',
      errors: [
        { path: 'name', message: 'required' },
        { path: 'siteIds.0', message: 'unknown site' },
      ],
    });
    const html = render(<FormError error={error} fields={['name']} />);
    // Only what no field shows, named in words; the field's own error stays beside it.
    expect(html).toContain('Site ids, 0: unknown site');
    expect(html).not.toContain('equired');
    expect(html).not.toContain('did not validate');
    // Every error beside its field: no banner repeats them.
    expect(render(<FormError error={error} fields={['name', 'siteIds']} />)).toBe('');
  });

  it('says a request error once, without repeating its title', () => {
    const error = new ApiError({
      type: '/problems/conflict',
      title: 'Conflict',
      status: 409,
      detail: 'This person is already a member',
    });
    const html = render(<FormError error={error} />);
    expect(html).toContain('This person is already a member.');
    expect(html).not.toContain('Conflict:');
  });

  it('explains a plan limit (402) with the way to upgrade', () => {
    const error = new ApiError({
      type: '/problems/plan-limit/sites',
      title: 'Plan limit reached',
      status: 402,
      detail: 'The free plan allows 2 sites',
    });
    const html = render(<FormError error={error} />);
    expect(html).toContain('Plan limit reached');
    expect(html).toContain('The free plan allows 2 sites');
    expect(html).toContain('upgrade');
  });
});

describe('ConfirmButton', () => {
  // Asking and answering are exercised in the browser tests (tests/e2e): these run without a DOM.
  it('asks nothing until clicked: its dialog is there, closed and empty', () => {
    const html = render(
      <ConfirmButton question="Delete Bloom?" onConfirm={() => {}}>
        Delete
      </ConfirmButton>,
    );
    expect(html).toMatch(/<dialog class="dialog" aria-labelledby="[^"]+"><\/dialog>$/);
    expect(html).not.toContain('Delete Bloom?');
  });

  it('renders as the button it replaces', () => {
    const html = render(
      <ConfirmButton
        className="btn-small"
        variant="danger"
        aria-label="Delete Bloom"
        busy
        question="Delete Bloom?"
        onConfirm={() => {}}
      >
        Delete
      </ConfirmButton>,
    );
    expect(html).toContain('class="btn btn-danger btn-small"');
    expect(html).toContain('aria-label="Delete Bloom"');
    expect(html).toContain('type="button"');
    expect(html).toContain('disabled=""');
    expect(html).toContain('>Delete</button>');
  });
});

describe('DataTable', () => {
  interface Site {
    id: string;
    name: string;
    revenue: number;
  }
  const sites: Site[] = [
    { id: 's1', name: 'Bloom', revenue: 120 },
    { id: 's2', name: 'Harbor', revenue: -5 },
  ];
  const columns: Column<Site>[] = [
    { header: 'Site', cell: (s) => s.name },
    {
      header: 'Revenue',
      kind: 'number',
      cell: (s) => s.revenue,
      cellClassName: (s) => (s.revenue < 0 ? 'text-bad' : undefined),
    },
    {
      header: 'Actions',
      kind: 'actions',
      cell: (s) => <button type="button">Edit {s.name}</button>,
    },
  ];

  it('writes the markup the pages wrote by hand', () => {
    const html = render(
      <DataTable testId="sites-table" rows={sites} rowKey={(s) => s.id} columns={columns} />,
    );
    const byHand = render(
      <table className="table table-responsive" data-testid="sites-table">
        <thead>
          <tr>
            <th scope="col">Site</th>
            <th scope="col" className="num">
              Revenue
            </th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {sites.map((s) => (
            <tr key={s.id}>
              <td data-label="Site">{s.name}</td>
              <td data-label="Revenue" className={s.revenue < 0 ? 'num text-bad' : 'num'}>
                {s.revenue}
              </td>
              <td className="row-actions">
                <button type="button">Edit {s.name}</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>,
    );
    expect(html).toBe(byHand);
  });

  it('labels cells for phones only in a responsive table', () => {
    const html = render(
      <DataTable variant="compact" rows={sites} rowKey={(s) => s.id} columns={columns} />,
    );
    expect(html).toContain('<table class="table table-compact">');
    expect(html).not.toContain('data-label');
    expect(html).not.toContain('data-testid');
  });

  it('shows the empty state instead of a table with no rows, and an empty table without one', () => {
    const empty = <EmptyState title="No sites yet" />;
    const none = render(
      <DataTable rows={[]} rowKey={(s: Site) => s.id} columns={columns} empty={empty} />,
    );
    expect(none).toContain('No sites yet');
    expect(none).not.toContain('<table');
    expect(
      render(<DataTable rows={sites} rowKey={(s) => s.id} columns={columns} empty={empty} />),
    ).not.toContain('No sites yet');
    const bare = render(<DataTable rows={[]} rowKey={(s: Site) => s.id} columns={columns} />);
    expect(bare).toContain('<tbody></tbody>');
  });

  it('leaves out columns given as false, and adds row classes, detail rows and a footer', () => {
    const html = render(
      <DataTable
        rows={sites}
        rowKey={(s) => s.id}
        rowClassName={(s) => (s.revenue < 0 ? 'row-muted' : undefined)}
        rowDetails={(s) => s.id === 's1' && <p>Details of {s.name}</p>}
        footer={
          <tr>
            <th scope="row">Total</th>
          </tr>
        }
        columns={[columns[0]!, false, columns[1]!]}
      />,
    );
    expect(html).not.toContain('Actions');
    expect(html.match(/<th scope="col"/g)).toHaveLength(2);
    expect(html).toContain('<tr class="row-muted"><td data-label="Site">Harbor</td>');
    expect(html).toContain('<tr class="row-details"><td colSpan="2"><p>Details of Bloom</p>');
    expect(html.match(/row-details/g)).toHaveLength(1);
    expect(html).toContain('<tfoot><tr><th scope="row">Total</th></tr></tfoot>');
  });

  it('offers "Load more" only while there is a next page', () => {
    const table = (nextCursor: string | null) =>
      render(
        <DataTable
          rows={sites}
          rowKey={(s) => s.id}
          columns={columns}
          more={{ nextCursor, loading: false, onMore: () => {} }}
        />,
      );
    expect(table('c2')).toContain('Load more');
    expect(table(null)).not.toContain('Load more');
  });
});

describe('Dialog', () => {
  it('names the modal by its title and offers a labelled close button', () => {
    const html = render(
      <Dialog open title="Edit Bloom" onClose={() => {}}>
        <p>The form</p>
      </Dialog>,
    );
    const titleId = /<dialog class="dialog" aria-labelledby="([^"]+)">/.exec(html)?.[1];
    expect(titleId).toBeTruthy();
    expect(html).toContain(`<h2 id="${titleId}">Edit Bloom</h2>`);
    expect(html).toContain('<button type="button" class="icon-btn" aria-label="Close">×</button>');
    expect(html).toContain('<div class="dialog-body"><p>The form</p></div>');
  });

  it('mounts nothing inside while closed, so a form opens with fresh state', () => {
    const html = render(
      <Dialog open={false} title="Edit Bloom" onClose={() => {}}>
        <p>The form</p>
      </Dialog>,
    );
    expect(html).toMatch(/^<dialog class="dialog" aria-labelledby="[^"]+"><\/dialog>$/);
  });
});

describe('FormActions', () => {
  it('puts Cancel before the submit button in a dialog', () => {
    const html = render(<FormActions submitLabel="Save site" busy={false} onCancel={() => {}} />);
    expect(html).toBe(
      '<div class="form-actions">' +
        '<button type="button" class="btn btn-secondary">Cancel</button>' +
        '<button type="submit" class="btn btn-primary">Save site</button>' +
        '</div>',
    );
  });

  it('shows only the submit button, busy while it runs, when there is nothing to cancel', () => {
    const html = render(<FormActions submitLabel="Create key" busy />);
    expect(html).not.toContain('Cancel');
    expect(html).toContain('type="submit" class="btn btn-primary" disabled="" aria-busy="true"');
    expect(html).toContain('Create key</button>');
  });
});

describe('SecretField', () => {
  it('shows the secret read-only under its label, with a copy button', () => {
    const html = render(<SecretField value="rsk_abc" label="New API key" testId="new-api-key" />);
    expect(html).toBe(
      '<div class="secret-row">' +
        '<input readOnly="" aria-label="New API key" class="mono" data-testid="new-api-key" value="rsk_abc"/>' +
        '<button type="button" class="btn btn-secondary">Copy</button>' +
        '</div>',
    );
    expect(render(<SecretField value="https://x.test/i" label="Invitation link" />)).not.toContain(
      'data-testid',
    );
  });
});
