import './styles/global.css';
import { ApolloProvider, createQueryPreloader } from '@apollo/client/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider } from 'react-router';
import { createRouter } from './app/router.tsx';
import { ServicesProvider, type Services } from './app/services.tsx';
import { ToastProvider } from './components/Toasts.tsx';
import { createApolloClient } from './lib/apollo.ts';
import { createLiveConnection } from './lib/live.ts';
import { browserSessionManager } from './lib/session.ts';
import { graphqlSocketUrl } from './lib/urls.ts';

const session = browserSessionManager();
const live = createLiveConnection(session, { url: graphqlSocketUrl() });
const client = createApolloClient({ session, ws: live.client });
const services: Services = { session, live, preloadQuery: createQueryPreloader(client) };

// Someone else's data must never outlive their session in this tab: a log-out (here or in another
// tab) or a different account empties the cache and drops the socket.
let userId: string | null = null;
session.subscribe(() => {
  const state = session.getSnapshot();
  const next = state.status === 'signedIn' ? state.user.id : null;
  if (state.status === 'restoring' || next === userId) return;
  const hadUser = userId !== null;
  userId = next;
  if (hadUser) {
    live.restart();
    void client.clearStore();
  }
});

void session.restore();
const router = createRouter(services);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ServicesProvider services={services}>
      <ApolloProvider client={client}>
        <ToastProvider>
          <RouterProvider router={router} />
        </ToastProvider>
      </ApolloProvider>
    </ServicesProvider>
  </StrictMode>,
);
