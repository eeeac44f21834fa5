import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  type ReactNode,
} from 'react';
import { getMe, logout, type MeReplyT } from '../api/endpoints.ts';
import { ApiError } from '../api/problem.ts';
import { setUnauthenticatedHandler } from '../api/http.ts';

type SessionState =
  | { status: 'loading' }
  /** `explicit`: the user signed out here (so no "come back to" page after the next sign-in). */
  | { status: 'signed_out'; explicit?: boolean }
  | { status: 'error'; error: unknown }
  | { status: 'signed_in'; me: MeReplyT };

interface SessionValue {
  state: SessionState;
  /** Reads /me again (after sign-in, creating or joining a workspace). */
  refresh: () => Promise<MeReplyT | null>;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<SessionValue | null>(null);

/** Who is signed in and their workspaces, read once from /me and refreshed after changes. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });

  const refresh = useCallback(async () => {
    try {
      const me = await getMe();
      setState({ status: 'signed_in', me });
      return me;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        setState({ status: 'signed_out' });
        return null;
      }
      setState({ status: 'error', error });
      return null;
    }
  }, []);

  useEffect(() => {
    void refresh();
    // A session that ends while the app is open (expired, signed out elsewhere) sends the user to sign in.
    setUnauthenticatedHandler(() =>
      setState((s) => (s.status === 'signed_in' ? { status: 'signed_out' } : s)),
    );
    return () => setUnauthenticatedHandler(null);
  }, [refresh]);

  const signOut = useCallback(async () => {
    try {
      await logout();
    } finally {
      setState({ status: 'signed_out', explicit: true });
    }
  }, []);

  const value = useMemo(() => ({ state, refresh, signOut }), [state, refresh, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The signed-in user's /me; only for components rendered behind RequireSignIn. */
export function useMe(): MeReplyT {
  const { state } = useSession();
  if (state.status !== 'signed_in') throw new Error('useMe needs a signed-in session');
  return state.me;
}

const LAST_WORKSPACE_KEY = 'roi.lastWorkspace';
export function rememberWorkspace(subdomain: string) {
  try {
    localStorage.setItem(LAST_WORKSPACE_KEY, subdomain);
  } catch {
    /* storage may be disabled; the first workspace is used then */
  }
}
export function lastWorkspace(): string | null {
  try {
    return localStorage.getItem(LAST_WORKSPACE_KEY);
  } catch {
    return null;
  }
}
