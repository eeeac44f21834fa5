import { useState, type ChangeEvent, type FormEvent, type ReactNode } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { PasswordResetConfirmBody, SignupBody } from '../../shared/schemas/accounts.ts';
import { login, signup } from '../api/endpoints.ts';
import { confirmPasswordReset, requestPasswordReset } from '../api/mail.ts';
import { ApiError } from '../api/problem.ts';
import { ThemeToggle } from '../components/theme-toggle.tsx';
import { Alert, Button, Field, FormError } from '../components/ui.tsx';
import { precheck, useSubmit } from '../lib/use-submit.ts';
import { useSession } from '../session/session.tsx';

/** Where to go after signing in: only a path inside this app. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

function AuthFrame({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="auth-page" id="main">
      <div className="auth-card">
        <div className="brand brand-large" aria-hidden="true">
          <span className="brand-mark">◆</span> ROI Spectrum
        </div>
        <h1>{title}</h1>
        {children}
        <ThemeToggle className="auth-theme" />
      </div>
    </main>
  );
}

export function LoginPage() {
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const { refresh } = useSession();
  const navigate = useNavigate();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const submit = useSubmit(async () => {
    await login({ email, password });
    await refresh();
    await navigate(next, { replace: true });
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  return (
    <AuthFrame title="Sign in">
      <form onSubmit={onSubmit} noValidate className="form">
        <FormError error={submit.error} fields={['email', 'password']} />
        <Field label="Email" name="email" errors={submit.fieldErrors}>
          {(p) => (
            <input
              {...p}
              type="email"
              autoComplete="email"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              required
              autoFocus
            />
          )}
        </Field>
        <Field label="Password" name="password" errors={submit.fieldErrors}>
          {(p) => (
            <input
              {...p}
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              required
            />
          )}
        </Field>
        <Button type="submit" variant="primary" busy={submit.busy} className="btn-block">
          Sign in
        </Button>
      </form>
      <p className="auth-switch">
        <Link to="/forgot-password">Forgot password?</Link>
      </p>
      <p className="auth-switch">
        New here?{' '}
        <Link to={`/signup${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`}>
          Create an account
        </Link>
      </p>
    </AuthFrame>
  );
}

/**
 * The sign-up form: on the sign-up page, and on an invitation's page prefilled with the invited
 * address. `onSignedUp` runs once the new session is in place.
 */
export function SignupForm({
  initialEmail = '',
  onSignedUp,
}: {
  initialEmail?: string;
  onSignedUp: () => Promise<void> | void;
}) {
  const { refresh } = useSession();
  const [form, setForm] = useState({ name: '', email: initialEmail, password: '' });
  const submit = useSubmit(async () => {
    await signup(form);
    await refresh();
    await onSignedUp();
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const check = precheck(SignupBody, form);
    if (!check.ok) {
      submit.setFieldErrors(check.errors);
      return;
    }
    void submit.run();
  };
  const set = (k: keyof typeof form) => (e: ChangeEvent<HTMLInputElement>) =>
    setForm((f) => ({ ...f, [k]: e.target.value }));
  return (
    <form onSubmit={onSubmit} noValidate className="form">
      <FormError error={submit.error} fields={['name', 'email', 'password']} />
      <Field label="Your name" name="name" errors={submit.fieldErrors}>
        {(p) => (
          <input
            {...p}
            autoComplete="name"
            value={form.name}
            onChange={set('name')}
            required
            autoFocus
          />
        )}
      </Field>
      <Field label="Work email" name="email" errors={submit.fieldErrors}>
        {(p) => (
          <input
            {...p}
            type="email"
            autoComplete="email"
            value={form.email}
            onChange={set('email')}
            required
          />
        )}
      </Field>
      <Field
        label="Password"
        name="password"
        errors={submit.fieldErrors}
        hint="At least 10 characters."
      >
        {(p) => (
          <input
            {...p}
            type="password"
            autoComplete="new-password"
            value={form.password}
            onChange={set('password')}
            required
            minLength={10}
          />
        )}
      </Field>
      <Button type="submit" variant="primary" busy={submit.busy} className="btn-block">
        Create account
      </Button>
    </form>
  );
}

export function SignupPage() {
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const navigate = useNavigate();
  return (
    <AuthFrame title="Create your account">
      <SignupForm
        initialEmail={params.get('email') ?? ''}
        onSignedUp={() => navigate(next === '/' ? '/workspaces/new' : next, { replace: true })}
      />
      <p className="auth-switch">
        Already have an account?{' '}
        <Link to={`/login${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`}>Sign in</Link>
      </p>
    </AuthFrame>
  );
}

/** Asks for a reset link; the answer is the same whether or not the email has an account. */
export function ForgotPasswordPage() {
  const [email, setEmail] = useState('');
  const [done, setDone] = useState(false);
  const submit = useSubmit(async () => {
    await requestPasswordReset(email);
    setDone(true);
  });
  return (
    <AuthFrame title="Reset your password">
      {done ? (
        <Alert kind="success" title="Check your inbox">
          <p>
            If {email} has an account, an e-mail with a link to choose a new password is on its way.
            The link works once, for one hour.
          </p>
        </Alert>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void submit.run();
          }}
          noValidate
          className="form"
        >
          <FormError error={submit.error} fields={['email']} />
          <Field label="Email" name="email" errors={submit.fieldErrors}>
            {(p) => (
              <input
                {...p}
                type="email"
                autoComplete="email"
                value={email}
                onChange={(e) => setEmail(e.target.value)}
                required
                autoFocus
              />
            )}
          </Field>
          <Button type="submit" variant="primary" busy={submit.busy} className="btn-block">
            E-mail me a reset link
          </Button>
        </form>
      )}
      <p className="auth-switch">
        <Link to="/login">Back to sign in</Link>
      </p>
    </AuthFrame>
  );
}

/** Sets a new password with the token of an e-mailed link. */
export function ResetPasswordPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [password, setPassword] = useState('');
  const [done, setDone] = useState(false);
  const submit = useSubmit(async () => {
    await confirmPasswordReset(token, password);
    setDone(true);
  });
  // The server refuses a used, expired or unknown link by its token: the link is what failed,
  // not the password typed, so the page says so and offers a new link instead of the form.
  const linkRefused =
    submit.error instanceof ApiError && submit.error.fieldErrors.some((e) => e.path === 'token');
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const check = precheck(PasswordResetConfirmBody, { token, password });
    if (!check.ok) {
      submit.setFieldErrors(check.errors);
      return;
    }
    void submit.run();
  };
  return (
    <AuthFrame title="Choose a new password">
      {done ? (
        <Alert kind="success" title="Password changed">
          <p>
            Every session of your account was signed out. <Link to="/login">Sign in</Link> with the
            new password.
          </p>
        </Alert>
      ) : linkRefused ? (
        <Alert kind="error" title="This reset link no longer works">
          <p>
            It was used already or it expired: a link works once, for one hour. Your password has
            not changed. <Link to="/forgot-password">Ask for a new link</Link>.
          </p>
        </Alert>
      ) : !token ? (
        <Alert kind="error" title="This reset link is incomplete">
          <p>
            Open the link from the e-mail as it is, or{' '}
            <Link to="/forgot-password">ask for a new one</Link>.
          </p>
        </Alert>
      ) : (
        <form onSubmit={onSubmit} noValidate className="form">
          <FormError error={submit.error} fields={['password']} />
          <Field
            label="New password"
            name="password"
            errors={submit.fieldErrors}
            hint="At least 10 characters."
          >
            {(p) => (
              <input
                {...p}
                type="password"
                autoComplete="new-password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                required
                autoFocus
              />
            )}
          </Field>
          <Button type="submit" variant="primary" busy={submit.busy} className="btn-block">
            Set the new password
          </Button>
        </form>
      )}
    </AuthFrame>
  );
}
