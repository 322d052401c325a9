import type { OperationVariables, TypedDocumentNode } from '@apollo/client';
import { Compass } from 'lucide-react';
import type { ComponentType } from 'react';
import { Link, Outlet, ScrollRestoration, createBrowserRouter, redirect, type LoaderFunctionArgs, type Params, type RouteObject } from 'react-router';
import { EmptyState, RouteError } from '../components/ErrorState.tsx';
import { FEED_PAGE, FeedDocument } from '../routes/feed/queries.ts';
import { NotificationsDocument } from '../routes/notifications/queries.ts';
import { PostPageDocument } from '../routes/post/queries.ts';
import { EditProfileDocument, FollowersDocument, FollowingDocument, ProfileDocument } from '../routes/profile/queries.ts';
import { HashtagDocument } from '../routes/search/queries.ts';
import { AppShell } from './AppShell.tsx';
import { Logo } from './Logo.tsx';
import { useSession, type Services } from './services.tsx';
import styles from './router.module.css';

/** While the first route loads (the session is being restored): the logo, and why it waits, if it does. */
function Splash() {
  const session = useSession();
  return (
    <div className={styles.splash} role="status" aria-live="polite">
      <Logo />
      <span className="visually-hidden">Loading Shutter</span>
      {session.status === 'restoring' && session.problem && <p className={styles.problem}>{session.problem}</p>}
    </div>
  );
}

function Root() {
  return (
    <>
      <Outlet />
      <ScrollRestoration />
    </>
  );
}

function RootError() {
  return (
    <main className={styles.rootError}>
      <Logo />
      <RouteError />
    </main>
  );
}

function NotFound() {
  return (
    <EmptyState icon={<Compass size={36} strokeWidth={1.5} />} title="This page doesn’t exist">
      <h1 className="visually-hidden">Page not found</h1>
      <p>
        The link may be broken. <Link to="/">Go to your feed</Link>
      </p>
    </EmptyState>
  );
}

type Module = Promise<{ Component: ComponentType }>;
/**
 * A route whose component is its own chunk (route-level code splitting), with its own error
 * boundary (a failed query shows its error in the page, the navigation stays).
 */
const lazyPage = (load: () => Module) => ({ lazy: { Component: async () => (await load()).Component }, ErrorBoundary: RouteError });

export function createRouter(services: Services) {
  const { session, preloadQuery } = services;

  /** Protected routes: wait for the session, and send someone signed out to the login page. */
  const requireSession = async ({ request }: LoaderFunctionArgs) => {
    await session.ready;
    if (session.getSnapshot().status !== 'signedIn') {
      const url = new URL(request.url);
      const next = url.pathname + url.search;
      throw redirect(next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`);
    }
    return null;
  };

  /**
   * A loader that starts the route's query while the route's code loads: the page renders as soon
   * as its chunk arrives, under its own Suspense boundary, and reads the query by its ref.
   */
  function query<TData, TVariables extends OperationVariables>(document: TypedDocumentNode<TData, TVariables>, variables: (params: Params) => TVariables) {
    return async (args: LoaderFunctionArgs) => {
      await requireSession(args);
      // preloadQuery's overloads are keyed on whether the variables are required; this helper
      // always passes them.
      const preload = preloadQuery as (doc: TypedDocumentNode<TData, TVariables>, options: { variables: TVariables }) => ReturnType<typeof preloadQuery<TData, TVariables>>;
      return preload(document, { variables: variables(args.params) });
    };
  }

  const param = (params: Params, name: string) => params[name] ?? '';

  const routes: RouteObject[] = [
    {
      path: '/',
      Component: Root,
      ErrorBoundary: RootError,
      HydrateFallback: Splash,
      children: [
        { path: 'login', ...lazyPage(() => import('../routes/auth/login.tsx')) },
        { path: 'signup', ...lazyPage(() => import('../routes/auth/signup.tsx')) },
        {
          Component: AppShell,
          loader: requireSession,
          ErrorBoundary: RouteError,
          children: [
                { index: true, loader: query(FeedDocument, () => ({ first: FEED_PAGE })), ...lazyPage(() => import('../routes/feed/feed.tsx')) },
                { path: 'p/:postId', loader: query(PostPageDocument, (p) => ({ id: param(p, 'postId') })), ...lazyPage(() => import('../routes/post/post.tsx')) },
                {
                  path: 'u/:username',
                  loader: query(ProfileDocument, (p) => ({ username: param(p, 'username') })),
                  ...lazyPage(() => import('../routes/profile/profile.tsx')),
                  children: [
                    {
                      path: 'followers',
                      loader: query(FollowersDocument, (p) => ({ username: param(p, 'username') })),
                      lazy: { Component: async () => (await import('../routes/profile/follow-list.tsx')).Followers },
                      ErrorBoundary: RouteError,
                    },
                    {
                      path: 'following',
                      loader: query(FollowingDocument, (p) => ({ username: param(p, 'username') })),
                      lazy: { Component: async () => (await import('../routes/profile/follow-list.tsx')).Following },
                      ErrorBoundary: RouteError,
                    },
                  ],
                },
                { path: 'accounts/edit', loader: query(EditProfileDocument, () => ({})), ...lazyPage(() => import('../routes/profile/edit.tsx')) },
                { path: 'create', loader: requireSession, ...lazyPage(() => import('../routes/compose/compose.tsx')) },
                { path: 'search', loader: requireSession, ...lazyPage(() => import('../routes/search/search.tsx')) },
                { path: 'tags/:tag', loader: query(HashtagDocument, (p) => ({ tag: param(p, 'tag') })), ...lazyPage(() => import('../routes/search/hashtag.tsx')) },
                { path: 'notifications', loader: query(NotificationsDocument, () => ({})), ...lazyPage(() => import('../routes/notifications/notifications.tsx')) },
                { path: 'settings', loader: requireSession, ...lazyPage(() => import('../routes/settings/settings.tsx')) },
                { path: '*', Component: NotFound },
          ],
        },
      ],
    },
  ];
  return createBrowserRouter(routes);
}
