import { useCallback, useSyncExternalStore } from 'react';

/** The person's choice: follow the system (`prefers-color-scheme`), or always light or dark. */
export type ThemeChoice = 'system' | 'light' | 'dark';

const KEY = 'roi-theme';
const listeners = new Set<() => void>();

function stored(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

/** Puts the choice on <html data-theme>; the stylesheet follows the system when it is absent. */
export function applyTheme(choice: ThemeChoice = stored()): void {
  const root = document.documentElement;
  if (choice === 'system') delete root.dataset.theme;
  else root.dataset.theme = choice;
}

/** Remembers the choice in this browser and applies it at once. */
export function setTheme(choice: ThemeChoice): void {
  try {
    if (choice === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {
    /* storage refused (private mode): the choice lasts for this page only */
  }
  applyTheme(choice);
  for (const l of listeners) l();
}

/** The current choice, re-rendering when it changes (here or in another tab). */
export function useTheme(): [ThemeChoice, (choice: ThemeChoice) => void] {
  const choice = useSyncExternalStore(
    (onChange) => {
      listeners.add(onChange);
      const onStorage = (e: StorageEvent) => {
        if (e.key !== KEY) return;
        applyTheme();
        onChange();
      };
      window.addEventListener('storage', onStorage);
      return () => {
        listeners.delete(onChange);
        window.removeEventListener('storage', onStorage);
      };
    },
    stored,
    () => 'system' as const,
  );
  return [choice, useCallback((c: ThemeChoice) => setTheme(c), [])];
}
