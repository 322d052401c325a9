/**
 * GraphiQL from npm, at /explorer of the web app: a page of its own (Monaco and GraphiQL never
 * reach the app's bundle), working offline (Apollo Sandbox loads from the internet). Queries and
 * mutations go over HTTP to /graphql, subscriptions over graphql-ws on the same path, both with the
 * access token of this browser's session (restored through /auth/refresh, like the app's).
 */
import './workers.ts';
import 'graphiql/style.css';
import './explorer.css';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { createClient } from 'graphql-ws';
import { StrictMode, useSyncExternalStore } from 'react';
import { createRoot } from 'react-dom/client';
import { browserSessionManager } from '../src/lib/session.ts';
import { graphqlSocketUrl } from '../src/lib/urls.ts';

const session = browserSessionManager();
void session.restore();

const fetcher = createGraphiQLFetcher({
  url: '/graphql',
  // Every request with the current token (refreshed when it is due).
  fetch: async (input, init) => {
    const token = await session.getAccessToken();
    const headers = new Headers(init?.headers);
    if (token && !headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
    return fetch(input, { ...init, headers });
  },
  wsClient: createClient({
    url: graphqlSocketUrl(),
    lazy: true,
    retryAttempts: 5,
    connectionParams: async () => {
      const token = await session.getAccessToken();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
  }),
});

const DEFAULT_QUERY = `# Shutter's API. Signed in, your requests carry your session's token.
# Ctrl+Enter runs; the Docs panel lists every type and field.

query Home {
  me {
    username
    followerCount
  }
  feed(first: 5) {
    edges {
      node {
        id
        caption
        author { username }
        likeCount
        createdAt
      }
    }
  }
  unreadNotificationCount
}

# subscription { notificationAdded { kind actor { username } } }
`;

// /explorer?query=… opens with that operation (a link can carry one).
const linked = new URLSearchParams(window.location.search).get('query');

function Explorer() {
  const state = useSyncExternalStore(session.subscribe, session.getSnapshot);
  return (
    <div className="explorer">
      <header className="explorer-bar">
        <a href="/" className="explorer-home">
          ← Shutter
        </a>
        <span className="explorer-status" role="status">
          {state.status === 'signedIn' ? (
            <>Signed in as @{state.user.username}</>
          ) : state.status === 'restoring' ? (
            'Checking your session…'
          ) : (
            <>
              Not signed in: requests are anonymous. <a href="/login?next=%2Fexplorer">Log in</a>
            </>
          )}
        </span>
      </header>
      <main className="explorer-main">
        <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} {...(linked ? { initialQuery: linked } : {})} />
      </main>
    </div>
  );
}

createRoot(document.getElementById('explorer')!).render(
  <StrictMode>
    <Explorer />
  </StrictMode>,
);
