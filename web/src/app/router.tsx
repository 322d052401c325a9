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
import { AppShell, ViewerQuery } from './AppShell.tsx';
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
 * How long the first load waits for a route's data before it shows the page's skeleton instead.
 * The first load shows the logo anyway (index.html's, then Splash): waiting for the data there
 * shows the page whole, where rendering at once would show skeletons and then, since data
 * arriving within 300 ms of a fallback is held back by React's Suspense reveal throttle, the
 * content later than the data came.
 */
const FIRST_LOAD_DATA_WAIT_MS = 3_000;
/**
 * A route whose component is its own chunk (route-level code splitting), with its own error
 * boundary (a failed query shows its error in the page, the navigation stays).
 */
const lazyPage = (load: () => Module) => ({ lazy: { Component: async () => (await load()).Component }, ErrorBoundary: RouteError });

export function createRouter(services: Services) {
  const { session, preloadQuery } = services;
  // Assigned below; a loader runs only after the router exists.
  let router: ReturnType<typeof createBrowserRouter> | null = null;

  /** On the first load only: until `ref`'s data is there (or failed: the page's boundary says why), or a while. */
  const firstLoadSettled = async (ref: Parameters<typeof preloadQuery.toPromise>[0]) => {
    if (router?.state.initialized !== false) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      preloadQuery.toPromise(ref).catch(() => {}),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, FIRST_LOAD_DATA_WAIT_MS))),
    ]);
    clearTimeout(timer);
  };

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
      const ref = preload(document, { variables: variables(args.params) });
      await firstLoadSettled(ref);
      return ref;
    };
  }

  /**
   * The signed-in shell: the viewer (the nav's avatar, the unread badge) fetched fresh each time
   * the shell is entered, beside the page's own query rather than after the shell has rendered.
   * AppShell reads it from the cache (or joins the request in flight).
   */
  const shellLoader = async (args: LoaderFunctionArgs) => {
    await requireSession(args);
    await firstLoadSettled(preloadQuery(ViewerQuery, { fetchPolicy: 'network-only' }));
    return null;
  };

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
          loader: shellLoader,
          // Entered once per session: a changed search (/search?q=…, as one types) is no reason to
          // fetch the viewer again, nor is any other navigation inside the shell.
          shouldRevalidate: () => false,
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
  router = createBrowserRouter(routes);
  return router;
}
