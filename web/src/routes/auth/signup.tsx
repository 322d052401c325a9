import { useState, type FormEvent } from 'react';
import { Link, Navigate, useLocation, useNavigate, useSearchParams } from 'react-router';
import { useServices, useSession } from '../../app/services.tsx';
import { Field } from '../../components/Field.tsx';
import { charCount } from '../../lib/format.ts';
import { splitFieldErrors } from '../../lib/errors.ts';
import { AuthLayout } from './AuthLayout.tsx';
import { nextPath } from './login.tsx';
import styles from './Auth.module.css';

const FIELDS = ['username', 'email', 'displayName', 'password'] as const;
type SignUpField = (typeof FIELDS)[number];

/** The server's rules (subgraphs/users/src/validation.ts), checked here first to save a round trip. */
function check(values: Record<SignUpField, string>): Partial<Record<SignUpField, string>> {
  const errors: Partial<Record<SignUpField, string>> = {};
  const username = values.username.trim().toLowerCase();
  if (username && !/^[a-z0-9._]{3,30}$/.test(username)) errors.username = 'A username is 3 to 30 characters of a-z, 0-9, "." and "_".';
  if (values.email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email.trim())) errors.email = 'That is not a valid email address.';
  if (values.password && charCount(values.password) < 8) errors.password = 'That password is too weak: use at least 8 characters.';
  return errors;
}

export function Component() {
  const { session } = useServices();
  const state = useSession();
  const [params] = useSearchParams();
  const location = useLocation();
  const navigate = useNavigate();
  const [values, setValues] = useState<Record<SignUpField, string>>({ username: '', email: '', displayName: '', password: '' });
  const [errors, setErrors] = useState<{ fields: Partial<Record<SignUpField, string>>; general: string[] }>({ fields: {}, general: [] });
  const [busy, setBusy] = useState(false);
  if (state.status === 'signedIn' && !busy) return <Navigate to={nextPath(params)} replace />;

  const set = (field: SignUpField) => (event: React.ChangeEvent<HTMLInputElement>) => {
    setValues({ ...values, [field]: event.target.value });
    // An error goes as soon as the field is edited; the next submit checks again.
    if (errors.fields[field]) setErrors({ ...errors, fields: { ...errors.fields, [field]: undefined } });
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const local = check(values);
    if (Object.keys(local).length > 0) {
      setErrors({ fields: local, general: [] });
      return;
    }
    setBusy(true);
    const result = await session.signUp({
      username: values.username.trim(),
      email: values.email.trim(),
      password: values.password,
      displayName: values.displayName.trim() || null,
    });
    setBusy(false);
    if (result.ok) {
      void navigate(nextPath(params), { replace: true });
      return;
    }
    setErrors(splitFieldErrors(result.errors, FIELDS));
  };

  return (
    <AuthLayout
      title="Sign up to see photos from your friends."
      footer={
        <>
          Have an account? <Link to={`/login${location.search}`}>Log in</Link>
        </>
      }
    >
      <form className={styles.form} onSubmit={(e) => void submit(e)} noValidate>
        <Field label="Email" type="email" name="email" autoComplete="email" required value={values.email} error={errors.fields.email} onChange={set('email')} />
        <Field label="Full name (optional)" name="name" autoComplete="name" value={values.displayName} error={errors.fields.displayName} onChange={set('displayName')} />
        <Field
          label="Username"
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
          value={values.username}
          error={errors.fields.username}
          hint="Letters, numbers, dots and underscores."
          onChange={set('username')}
        />
        <Field
          label="Password"
          type="password"
          name="new-password"
          autoComplete="new-password"
          required
          value={values.password}
          error={errors.fields.password}
          hint="At least 8 characters."
          onChange={set('password')}
        />
        {errors.general.length > 0 && (
          <p className={styles.general} role="alert">
            {errors.general.join(' ')}
          </p>
        )}
        <button type="submit" className={styles.submit} disabled={busy || !values.username || !values.email || !values.password}>
          {busy ? 'Signing up…' : 'Sign up'}
        </button>
      </form>
    </AuthLayout>
  );
}
