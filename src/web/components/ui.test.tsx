import { renderToStaticMarkup } from 'react-dom/server';
import { MemoryRouter } from 'react-router';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/problem.ts';
import { Field, FormError } from './ui.tsx';

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
