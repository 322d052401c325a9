import { useMutation, useQuery } from '@apollo/client/react';
import { Code2, LogOut, Monitor, Moon, Sun } from 'lucide-react';
import { useEffect, useState } from 'react';
import { useServices, useViewerSession } from '../../app/services.tsx';
import { useToast } from '../../components/Toasts.tsx';
import { graphql } from '../../gql/index.ts';
import { describeError } from '../../lib/errors.ts';
import { disablePush, enablePush, pushEnabled, pushSupport } from '../../lib/push.ts';
import { setTheme, useTheme, type ThemeChoice } from '../../lib/theme.ts';
import styles from './settings.module.css';

const SettingsQuery = graphql(`
  query Settings {
    webPushPublicKey
  }
`);

const RegisterPushDevice = graphql(`
  mutation RegisterPushDevice($input: PushDeviceInput!) {
    registerPushDevice(input: $input) {
      id
      platform
      createdAt
    }
  }
`);

const UnregisterPushDevice = graphql(`
  mutation UnregisterPushDevice($id: ID!) {
    unregisterPushDevice(id: $id)
  }
`);

const THEMES: { value: ThemeChoice; label: string; icon: React.ReactNode }[] = [
  { value: 'system', label: 'Automatic (as your device)', icon: <Monitor size={18} aria-hidden="true" /> },
  { value: 'light', label: 'Light', icon: <Sun size={18} aria-hidden="true" /> },
  { value: 'dark', label: 'Dark', icon: <Moon size={18} aria-hidden="true" /> },
];

function PushSwitch() {
  const { user } = useViewerSession();
  const { data, error: queryError } = useQuery(SettingsQuery, { fetchPolicy: 'cache-first' });
  const [register] = useMutation(RegisterPushDevice);
  const [unregister] = useMutation(UnregisterPushDevice);
  const [on, setOn] = useState<boolean | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const support = pushSupport();
  const key = data?.webPushPublicKey ?? null;

  useEffect(() => {
    let current = true;
    void pushEnabled(user.id).then(
      (value) => current && setOn(value),
      () => current && setOn(false),
    );
    return () => {
      current = false;
    };
  }, [user.id]);

  const unavailable =
    support === 'unsupported'
      ? 'This browser can’t receive push notifications.'
      : support === 'insecure'
        ? 'Push notifications need this site to be served over https (or from localhost).'
        : queryError
          ? `Couldn’t check the server: ${describeError(queryError)}`
          : data && !key
            ? 'Push notifications are not set up on this server.'
            : null;

  const toggle = async () => {
    setBusy(true);
    setError(null);
    try {
      if (on) {
        await disablePush(user.id, async (id) => {
          await unregister({ variables: { id } });
        });
        setOn(false);
      } else if (key) {
        await enablePush(user.id, key, async (token) => {
          const result = await register({ variables: { input: { platform: 'WEB_PUSH', token } } });
          if (!result.data) throw new Error('The server did not register this browser.');
          return result.data.registerPushDevice.id;
        });
        setOn(true);
      }
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className={styles.row}>
      <div className={styles.rowText}>
        <span id="push-label" className={styles.rowTitle}>
          Push notifications
        </span>
        <span id="push-help" className={styles.rowHelp}>
          {unavailable ?? 'Likes, comments, new followers and new posts, even when Shutter is closed.'}
        </span>
        {error && (
          <span className={styles.error} role="alert">
            {error}
          </span>
        )}
      </div>
      <button
        type="button"
        role="switch"
        className={styles.switch}
        aria-checked={on === true}
        aria-labelledby="push-label"
        aria-describedby="push-help"
        disabled={busy || on === null || !!unavailable || !data}
        onClick={() => void toggle()}
      >
        <span className={styles.knob} />
      </button>
    </div>
  );
}

export function Component() {
  const { session } = useServices();
  const { user } = useViewerSession();
  const toast = useToast();
  const { choice } = useTheme();
  const [leaving, setLeaving] = useState(false);

  const logOut = async () => {
    setLeaving(true);
    const result = await session.logOut();
    setLeaving(false);
    // Signed out, the app shell sends this tab to the login page (main.tsx clears the cache and
    // the socket); other tabs hear of it by broadcast.
    if (!result.ok) toast.error(`Couldn’t log out: ${result.errors.map((e) => e.message).join(' ')}`);
  };

  return (
    <div className={styles.page}>
      <h1 className={styles.title}>Settings</h1>

      <section className={styles.section} aria-labelledby="appearance">
        <h2 id="appearance" className={styles.heading}>
          Appearance
        </h2>
        <div role="radiogroup" aria-labelledby="appearance" className={styles.themes}>
          {THEMES.map((theme) => (
            <label key={theme.value} className={`${styles.theme} ${choice === theme.value ? styles.chosen : ''}`}>
              <input type="radio" name="theme" value={theme.value} checked={choice === theme.value} onChange={() => setTheme(theme.value)} />
              {theme.icon}
              {theme.label}
            </label>
          ))}
        </div>
      </section>

      <section className={styles.section} aria-labelledby="notifications-settings">
        <h2 id="notifications-settings" className={styles.heading}>
          Notifications
        </h2>
        <PushSwitch />
      </section>

      <section className={styles.section} aria-labelledby="developers">
        <h2 id="developers" className={styles.heading}>
          For developers
        </h2>
        {/* A page of its own (its own bundle and CSP), so a full load, not a client-side route. */}
        <a href="/explorer" className={styles.link}>
          <Code2 size={18} aria-hidden="true" /> GraphQL explorer (GraphiQL, works offline)
        </a>
      </section>

      <section className={styles.section} aria-labelledby="account">
        <h2 id="account" className={styles.heading}>
          Account
        </h2>
        <p className={styles.rowHelp}>Signed in as @{user.username}</p>
        <button type="button" className={styles.logout} disabled={leaving} onClick={() => void logOut()}>
          <LogOut size={18} aria-hidden="true" /> {leaving ? 'Logging out…' : 'Log out'}
        </button>
      </section>
    </div>
  );
}
