import {
  useEffect,
  useId,
  useRef,
  useState,
  type ButtonHTMLAttributes,
  type ReactNode,
} from 'react';
import { Link } from 'react-router';
import {
  ApiError,
  describeError,
  errorsFor,
  humanizeMessage,
  type FieldError,
} from '../api/problem.ts';
import { useWorkspacePath } from '../session/workspace.tsx';

type ButtonVariant = 'primary' | 'secondary' | 'danger' | 'ghost';
type ButtonProps = ButtonHTMLAttributes<HTMLButtonElement> & {
  variant?: ButtonVariant;
  busy?: boolean;
};

export function Button({
  variant = 'secondary',
  busy = false,
  children,
  className,
  disabled,
  type = 'button',
  ...rest
}: ButtonProps) {
  return (
    <button
      type={type}
      className={`btn btn-${variant}${className ? ` ${className}` : ''}`}
      disabled={disabled || busy}
      aria-busy={busy || undefined}
      {...rest}
    >
      {busy && <span className="spinner spinner-inline" aria-hidden="true" />}
      {children}
    </button>
  );
}

/**
 * A button that asks before it acts (delete, revoke, end): a click opens a small modal dialog with
 * the question, Cancel, and a button that acts, named like this one (Escape or Cancel answers no).
 */
export function ConfirmButton({
  question,
  onConfirm,
  ...rest
}: Omit<ButtonProps, 'onClick'> & { question: string; onConfirm: () => void }) {
  const [asking, setAsking] = useState(false);
  const action = typeof rest.children === 'string' ? rest.children : 'Confirm';
  return (
    <>
      <Button {...rest} onClick={() => setAsking(true)} />
      <Dialog open={asking} title="Please confirm" onClose={() => setAsking(false)}>
        <p>{question}</p>
        <div className="form-actions">
          <Button onClick={() => setAsking(false)}>Cancel</Button>
          <Button
            variant={rest.variant ?? 'primary'}
            onClick={() => {
              setAsking(false);
              onConfirm();
            }}
          >
            {action}
          </Button>
        </div>
      </Dialog>
    </>
  );
}

interface FieldProps {
  label: string;
  /** The body path the server reports errors under. */
  name: string;
  errors?: readonly FieldError[];
  hint?: ReactNode;
  children: (props: {
    id: string;
    name: string;
    'aria-invalid': boolean;
    'aria-describedby'?: string;
  }) => ReactNode;
}

/** A labelled control with its hint and the server's errors for that field right beside it. */
export function Field({ label, name, errors = [], hint, children }: FieldProps) {
  const id = useId();
  const messages = errorsFor(errors, name);
  const describedBy = [hint ? `${id}-hint` : null, messages.length ? `${id}-error` : null]
    .filter(Boolean)
    .join(' ');
  return (
    <div className={`field${messages.length ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({
        id,
        name,
        'aria-invalid': messages.length > 0,
        'aria-describedby': describedBy || undefined,
      })}
      {hint && (
        <div className="field-hint" id={`${id}-hint`}>
          {hint}
        </div>
      )}
      {messages.length > 0 && (
        <div className="field-error" id={`${id}-error`} role="alert">
          {[...new Set(messages.map(humanizeMessage))].join('. ')}
        </div>
      )}
    </div>
  );
}

/** The end of a form: Cancel when it can be cancelled (a dialog), then the submit, busy while it runs. */
export function FormActions({
  submitLabel,
  busy,
  onCancel,
}: {
  submitLabel: string;
  busy: boolean;
  onCancel?: () => void;
}) {
  return (
    <div className="form-actions">
      {onCancel && <Button onClick={onCancel}>Cancel</Button>}
      <Button type="submit" variant="primary" busy={busy}>
        {submitLabel}
      </Button>
    </div>
  );
}

export function Alert({
  kind = 'error',
  title,
  children,
}: {
  kind?: 'error' | 'warning' | 'info' | 'success';
  title?: string;
  children?: ReactNode;
}) {
  return (
    <div
      className={`alert alert-${kind}`}
      role={kind === 'error' || kind === 'warning' ? 'alert' : 'status'}
    >
      {title && <strong className="alert-title">{title}</strong>}
      {children && <div>{children}</div>}
    </div>
  );
}

/** A plan limit (402) explained where it happened, with the way out. */
export function PlanLimitNotice({ error }: { error: ApiError }) {
  const path = useWorkspacePath();
  const p = error.problem;
  const limitName = typeof p.limit === 'string' ? p.limit : /plan-limit\/(\w+)/.exec(p.type)?.[1];
  const max = typeof p.max === 'number' ? p.max : typeof p.allowed === 'number' ? p.allowed : null;
  const plan = typeof p.plan === 'string' ? p.plan : null;
  return (
    <Alert kind="warning" title="Plan limit reached">
      <p>
        {p.detail ??
          `Your ${plan ?? 'current'} plan allows ${max ?? 'no more'} ${limitName ?? 'of these'}.`}
      </p>
      <p>
        <Link to={path('billing')}>Compare plans and upgrade</Link> to add more
        {limitName ? ` ${limitName}` : ''}.
      </p>
    </Alert>
  );
}

/** A field path in words for a message no visible field shows: `branding.primaryColor` → "Branding, primary color". */
function pathLabel(path: string): string {
  return humanizeMessage(
    path
      .split(/[.[\]]+/)
      .filter(Boolean)
      .join(', '),
  );
}

/**
 * The error of a failed form submission, said once: a 402 explained; field errors stay beside
 * their fields (no banner repeats them); what no field shows is listed here, in words.
 */
export function FormError({ error, fields = [] }: { error: unknown; fields?: readonly string[] }) {
  if (!error) return null;
  if (error instanceof ApiError && error.isPlanLimit) return <PlanLimitNotice error={error} />;
  const all = error instanceof ApiError ? error.fieldErrors : [];
  const extra = all.filter(
    (e) =>
      !fields.some((f) => e.path === f || e.path.startsWith(`${f}.`) || e.path.startsWith(`${f}[`)),
  );
  if (all.length > 0 && extra.length === 0) return null;
  if (extra.length > 0) {
    return (
      <Alert kind="error" title={extra.length === all.length ? describeError(error) : undefined}>
        <ul className="error-list">
          {extra.map((e, i) => (
            <li key={i}>
              {e.path ? `${pathLabel(e.path)}: ${e.message}` : humanizeMessage(e.message)}
            </li>
          ))}
        </ul>
      </Alert>
    );
  }
  return <Alert kind="error" title={describeError(error)} />;
}

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function EmptyState({
  title,
  children,
  heading,
}: {
  title: string;
  children?: ReactNode;
  /** As a page's own heading (a page that is only this state, such as "Page not found"). */
  heading?: 'h1' | 'h2';
}) {
  const Title = heading ?? 'p';
  return (
    <div className="empty">
      <Title className="empty-title">{title}</Title>
      {children}
    </div>
  );
}

/** Loading, error (with retry) and loaded states of a resource, in one place. */
export function Loadable<T>({
  resource,
  children,
  label,
}: {
  resource: { data: T | undefined; error: unknown; loading: boolean; reload: () => void };
  children: (data: T) => ReactNode;
  label?: string;
}) {
  if (resource.error && resource.data === undefined) {
    return (
      <Alert kind="error" title={`Could not load ${label ?? 'this'}`}>
        <p>{describeError(resource.error)}</p>
        <Button onClick={resource.reload}>Retry</Button>
      </Alert>
    );
  }
  if (resource.data === undefined)
    return <Spinner label={`Loading ${label ?? ''}…`.replace(' …', '…')} />;
  return <>{children(resource.data)}</>;
}

export function PageHeader({
  title,
  actions,
  children,
}: {
  title: string;
  actions?: ReactNode;
  children?: ReactNode;
}) {
  useEffect(() => {
    document.title = `${title} · ROI Spectrum`;
  }, [title]);
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {children && <p className="page-subtitle">{children}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </header>
  );
}

export function Card({
  title,
  children,
  actions,
  className,
}: {
  title?: string;
  children: ReactNode;
  actions?: ReactNode;
  className?: string;
}) {
  return (
    <section className={`card${className ? ` ${className}` : ''}`} aria-label={title}>
      {(title || actions) && (
        <div className="card-header">
          {title && <h2>{title}</h2>}
          {actions && <div className="card-actions">{actions}</div>}
        </div>
      )}
      {children}
    </section>
  );
}

export function Badge({
  tone = 'neutral',
  children,
}: {
  tone?: 'neutral' | 'good' | 'bad' | 'warn' | 'info';
  children: ReactNode;
}) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

/**
 * A modal dialog on the native <dialog>: focus moves in, Escape closes, focus returns to the
 * opener afterwards (the browser does both).
 */
export function Dialog({
  open,
  title,
  onClose,
  children,
}: {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      // React passes a nested dialog's close and cancel up to this one: act on our own only.
      onClose={(e) => {
        if (e.target === e.currentTarget) onClose();
      }}
      onCancel={(e) => {
        if (e.target !== e.currentTarget) return;
        e.preventDefault();
        onClose();
      }}
    >
      {open && (
        <>
          <div className="dialog-header">
            <h2 id={titleId}>{title}</h2>
            <button type="button" className="icon-btn" aria-label="Close" onClick={onClose}>
              ×
            </button>
          </div>
          <div className="dialog-body">{children}</div>
        </>
      )}
    </dialog>
  );
}

/** "Load more" for cursor pages. */
export function LoadMore({
  nextCursor,
  loading,
  onMore,
}: {
  nextCursor: string | null | undefined;
  loading: boolean;
  onMore: () => void;
}) {
  if (!nextCursor) return null;
  return (
    <div className="load-more">
      <Button onClick={onMore} busy={loading}>
        Load more
      </Button>
    </div>
  );
}

/** A secret shown once (an API key, an invitation link): selected on focus, with a copy button. */
export function SecretField({
  value,
  label,
  testId,
}: {
  value: string;
  label: string;
  testId?: string;
}) {
  return (
    <div className="secret-row">
      <input
        readOnly
        value={value}
        aria-label={label}
        className="mono"
        data-testid={testId}
        onFocus={(e) => e.target.select()}
      />
      <CopyButton text={value} />
    </div>
  );
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  return (
    <Button
      onClick={() => {
        if (!navigator.clipboard) {
          setState('failed');
          return;
        }
        navigator.clipboard.writeText(text).then(
          () => setState('copied'),
          () => setState('failed'),
        );
      }}
    >
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Select and copy' : label}
    </Button>
  );
}
