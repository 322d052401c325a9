import { useState, type FormEvent } from 'react';
import { Link, Navigate, useLocation, useNavigate, useSearchParams } from 'react-router';
import { useServices, useSession } from '../../app/services.tsx';
import { Field } from '../../components/Field.tsx';
import { splitFieldErrors } from '../../lib/errors.ts';
import { AuthLayout } from './AuthLayout.tsx';
import styles from './Auth.module.css';

/** Where to go after signing in: the page that sent us here, if it is one of ours. */
export const nextPath = (params: URLSearchParams) => {
  const next = params.get('next');
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
};

type LogInField = 'usernameOrEmail' | 'password';

export function Component() {
  const { session } = useServices();
  const state = useSession();
  const [params] = useSearchParams();
  const location = useLocation();
  const navigate = useNavigate();
  const [values, setValues] = useState({ usernameOrEmail: '', password: '' });
  const [errors, setErrors] = useState<{ fields: Partial<Record<LogInField, string>>; general: string[] }>({ fields: {}, general: [] });
  const [busy, setBusy] = useState(false);
  if (state.status === 'signedIn' && !busy) return <Navigate to={nextPath(params)} replace />;
  const reason = (location.state as { reason?: string } | null)?.reason;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const result = await session.logIn(values);
    setBusy(false);
    if (result.ok) {
      void navigate(nextPath(params), { replace: true });
      return;
    }
    // A wrong password names no field: it is said beside the password.
    setErrors(splitFieldErrors(result.errors, ['usernameOrEmail', 'password'] as const, (e) => (e.extensions?.code === 'UNAUTHENTICATED' ? 'password' : null)));
  };

  return (
    <AuthLayout
      title="Log in to see photos from your friends."
      footer={
        <>
          Don’t have an account? <Link to={`/signup${location.search}`}>Sign up</Link>
        </>
      }
    >
      {reason === 'expired' && <p className={styles.notice}>Your session has ended. Log in again.</p>}
      {reason === 'loggedOut' && <p className={styles.notice}>You’re logged out.</p>}
      <form className={styles.form} onSubmit={(e) => void submit(e)} noValidate>
        <Field
          label="Username or email"
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
          value={values.usernameOrEmail}
          error={errors.fields.usernameOrEmail}
          onChange={(e) => setValues({ ...values, usernameOrEmail: e.target.value })}
        />
        <Field
          label="Password"
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={values.password}
          error={errors.fields.password}
          onChange={(e) => setValues({ ...values, password: e.target.value })}
        />
        {errors.general.length > 0 && (
          <p className={styles.general} role="alert">
            {errors.general.join(' ')}
          </p>
        )}
        <button type="submit" className={styles.submit} disabled={busy || !values.usernameOrEmail || !values.password}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </AuthLayout>
  );
}
