/**
 * Light, dark, or the system's: the choice is kept in localStorage; index.html applies it before
 * the first paint, and this keeps it applied (and follows the system while it is "system").
 */
import { useSyncExternalStore } from 'react';

export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'shutter:theme';
const media = typeof window === 'undefined' ? null : window.matchMedia('(prefers-color-scheme: dark)');
const listeners = new Set<() => void>();

function read(): ThemeChoice {
  try {
    const value = localStorage.getItem(KEY);
    return value === 'light' || value === 'dark' ? value : 'system';
  } catch {
    return 'system';
  }
}

let choice: ThemeChoice = typeof window === 'undefined' ? 'system' : read();

export const resolvedTheme = (value: ThemeChoice = choice): 'light' | 'dark' => (value === 'system' ? (media?.matches ? 'dark' : 'light') : value);

function apply() {
  document.documentElement.dataset.theme = resolvedTheme();
  for (const listener of listeners) listener();
}

media?.addEventListener('change', () => choice === 'system' && apply());
// Another tab changed it.
if (typeof window !== 'undefined') {
  window.addEventListener('storage', (event) => {
    if (event.key === KEY) {
      choice = read();
      apply();
    }
  });
}

export function setTheme(next: ThemeChoice) {
  choice = next;
  try {
    if (next === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, next);
  } catch {
    // Private mode without storage: the choice lasts for this page.
  }
  apply();
}

export function useTheme(): { choice: ThemeChoice; resolved: 'light' | 'dark' } {
  const current = useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => choice,
  );
  return { choice: current, resolved: resolvedTheme(current) };
}
