import type { ReactElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/problem.ts';
import { ConfirmButton, Field, FormError } from './ui.tsx';

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
    expect(html).toContain('must be a domain such as example.com');
    expect(html).not.toContain('required');
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
    expect(html).toContain('Invalid request: The request did not validate');
    expect(html).toContain('unknown site');
    expect(html).not.toContain('required');
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
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  // Tests run without a DOM: the element the component returns carries the click handler.
  const click = (element: ReactElement) => (element.props as { onClick: () => void }).onClick();

  it('acts only when the question is answered yes', () => {
    const confirm = vi.fn(() => false);
    vi.stubGlobal('window', { confirm });
    const onConfirm = vi.fn();
    const button = ConfirmButton({ question: 'Delete Bloom?', onConfirm, children: 'Delete' });

    click(button);
    expect(confirm).toHaveBeenCalledWith('Delete Bloom?');
    expect(onConfirm).not.toHaveBeenCalled();

    confirm.mockReturnValue(true);
    click(button);
    expect(onConfirm).toHaveBeenCalledTimes(1);
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
