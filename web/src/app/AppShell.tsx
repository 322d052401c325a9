import { useApolloClient, useQuery, useSubscription } from '@apollo/client/react';
import { Heart, Home, PlusSquare, Search, Settings } from 'lucide-react';
import { Suspense, useEffect, useRef, useSyncExternalStore } from 'react';
import { Link, Navigate, NavLink, Outlet, useLocation } from 'react-router';
import { Avatar } from '../components/Avatar.tsx';
import { FeedSkeleton } from '../components/Skeleton.tsx';
import { graphql } from '../gql/index.ts';
import { prependToConnection } from '../lib/cache.ts';
import { NotificationRow_notification } from '../routes/notifications/NotificationRow.tsx';
import { Logo } from './Logo.tsx';
import { useLiveStatus, useServices, useSession } from './services.tsx';
import styles from './AppShell.module.css';

export const ViewerQuery = graphql(`
  query Viewer {
    me {
      id
      username
      displayName
      ...Avatar_user
    }
    unreadNotificationCount
  }
`);

const NotificationAdded = graphql(`
  subscription NotificationAdded {
    notificationAdded {
      id
      read
      ...NotificationRow_notification
    }
  }
`);

function Badge({ count }: { count: number }) {
  if (count <= 0) return null;
  return (
    <span className={styles.badge} aria-hidden="true">
      {count > 99 ? '99+' : count}
    </span>
  );
}

/** Live notifications: each one goes on top of the list (if loaded) and raises the badge. */
function NotificationsLive() {
  const client = useApolloClient();
  const { live } = useServices();
  useSubscription(NotificationAdded, {
    onData: ({ client: { cache }, data }) => {
      const notification = data.data?.notificationAdded;
      if (!notification) return;
      const ref = cache.writeFragment({ fragment: NotificationRow_notification, fragmentName: 'NotificationRow_notification', data: notification });
      if (!ref) return;
      cache.modify<{ unreadNotificationCount: number }>({ fields: { unreadNotificationCount: (count) => (notification.read ? count : count + 1) } });
      prependToConnection(cache, 'notifications', ref, 'NotificationEdge');
    },
  });
  // Back from a drop: what happened meanwhile came on no socket, so ask again.
  useEffect(() => live.onReconnected(() => void client.refetchQueries({ include: ['Viewer', 'Notifications'] })), [client, live]);
  return null;
}

function useOnline() {
  return useSyncExternalStore(
    (listener) => {
      window.addEventListener('online', listener);
      window.addEventListener('offline', listener);
      return () => {
        window.removeEventListener('online', listener);
        window.removeEventListener('offline', listener);
      };
    },
    () => navigator.onLine,
  );
}

function ConnectionBanner() {
  const status = useLiveStatus();
  const online = useOnline();
  const text = !online ? 'You’re offline. Shutter will catch up when you’re back.' : status === 'reconnecting' ? 'Reconnecting…' : null;
  return (
    <div className={`${styles.banner} ${text ? styles.bannerShown : ''}`} role="status" aria-live="polite">
      {text}
    </div>
  );
}

/** Moves focus to the new page's heading on navigation, so screen readers hear where they are. */
function useFocusOnNavigate(main: React.RefObject<HTMLElement | null>) {
  const location = useLocation();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const heading = main.current?.querySelector<HTMLElement>('h1');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
  }, [location.pathname, main]);
}

/** The signed-in app: navigation (a sidebar, or top and bottom bars on a phone) around the page. */
export function AppShell() {
  const session = useSession();
  const location = useLocation();
  const main = useRef<HTMLElement>(null);
  useFocusOnNavigate(main);
  // The shell's loader fetched it (fresh, each time the shell is entered); live updates and
  // mutations keep the cache current after that.
  const { data } = useQuery(ViewerQuery, { skip: session.status !== 'signedIn', fetchPolicy: 'cache-first' });

  if (session.status !== 'signedIn') {
    const reason = session.status === 'signedOut' ? session.reason : null;
    // Back to this page after logging in again, unless the person logged out on purpose.
    const next = reason === 'loggedOut' ? '/' : location.pathname + location.search;
    return <Navigate to={`/login${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}`} replace state={{ reason }} />;
  }
  const me = data?.me ?? null;
  const unread = data?.unreadNotificationCount ?? 0;
  const username = session.user.username;
  const profile = `/u/${username}`;
  const notificationsLabel = unread > 0 ? `Notifications, ${unread} unread` : 'Notifications';

  // Each link is named by its label (shown from 1264 px, read out always); `more` adds words for
  // screen readers only (the unread count, which the badge shows).
  const item = (to: string, label: string, icon: React.ReactNode, options: { badge?: React.ReactNode; end?: boolean; more?: string } = {}) => (
    <NavLink to={to} end={options.end ?? false} className={({ isActive }) => `${styles.item} ${isActive ? styles.active : ''}`}>
      <span className={styles.icon}>
        {icon}
        {options.badge}
      </span>
      <span className={styles.label}>
        {label}
        {options.more && <span className="visually-hidden">{options.more}</span>}
      </span>
    </NavLink>
  );

  return (
    <div className={styles.shell}>
      <a className={styles.skip} href="#main">
        Skip to content
      </a>
      <ConnectionBanner />
      <NotificationsLive />

      <header className={styles.topbar}>
        <Link to="/" aria-label="Shutter, home">
          <Logo />
        </Link>
        <NavLink to="/notifications" className={styles.topAction} aria-label={notificationsLabel}>
          <Heart size={24} aria-hidden="true" />
          <Badge count={unread} />
        </NavLink>
      </header>

      <nav className={styles.nav} aria-label="Main">
        <Link to="/" className={styles.brand} aria-label="Shutter, home">
          <span className={styles.brandFull}>
            <Logo />
          </span>
          <span className={styles.brandCompact}>
            <Logo compact />
          </span>
        </Link>
        <div className={styles.items}>
          {item('/', 'Home', <Home size={24} aria-hidden="true" />, { end: true })}
          {item('/search', 'Search', <Search size={24} aria-hidden="true" />)}
          <span className={styles.desktopOnly}>{item('/notifications', 'Notifications', <Heart size={24} aria-hidden="true" />, {
              badge: <Badge count={unread} />,
              more: unread > 0 ? `, ${unread} unread` : undefined,
            })}</span>
          {item('/create', 'Create', <PlusSquare size={24} aria-hidden="true" />)}
          {item(profile, 'Profile', <span className={styles.profileIcon}>{me ? <Avatar user={me} size={26} /> : <span className={styles.avatarDot} />}</span>)}
        </div>
        <div className={styles.desktopOnly}>{item('/settings', 'Settings', <Settings size={24} aria-hidden="true" />)}</div>
      </nav>

      <main id="main" ref={main} className={styles.main}>
        <Suspense fallback={<FeedSkeleton />}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}
