import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react';
import type { PreloadQueryFunction } from '@apollo/client/react';
import type { LiveConnection, LiveStatus } from '../lib/live.ts';
import type { SessionManager, SessionState } from '../lib/session.ts';

/** What the app is made of, made once in main.tsx (tests make their own). */
export interface Services {
  session: SessionManager;
  live: LiveConnection;
  preloadQuery: PreloadQueryFunction;
}

const ServicesContext = createContext<Services | null>(null);

export function ServicesProvider({ services, children }: { services: Services; children: ReactNode }) {
  return <ServicesContext.Provider value={services}>{children}</ServicesContext.Provider>;
}

export function useServices(): Services {
  const services = useContext(ServicesContext);
  if (!services) throw new Error('useServices outside <ServicesProvider>');
  return services;
}

export function useSession(): SessionState {
  const { session } = useServices();
  return useSyncExternalStore(session.subscribe, session.getSnapshot);
}

/** The signed-in user's id and name; only inside the signed-in part of the app. */
export function useViewerSession(): Extract<SessionState, { status: 'signedIn' }> {
  const state = useSession();
  if (state.status !== 'signedIn') throw new Error('useViewerSession while signed out');
  return state;
}

export function useLiveStatus(): LiveStatus {
  const { live } = useServices();
  return useSyncExternalStore(live.subscribeStatus, live.getStatus);
}
