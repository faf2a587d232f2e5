import { createContext, type ReactNode, useCallback, useContext, useEffect, useState } from "react";
import { api, unwrap, type User } from "../api/client";
import { ApiFailure } from "../api/errors";

interface Session {
  user: User | null;
  checked: boolean; // whether /auth/me has answered once
  setUser: (user: User | null) => void;
  /** Ends the market's session; resolves to the provider's logout page, if it has one. */
  logOut: () => Promise<string | null>;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [checked, setChecked] = useState(false);
  useEffect(() => {
    unwrap(api.GET("/api/v1/auth/me"))
      .then(setUser, (err: unknown) => {
        if (!(err instanceof ApiFailure && err.status === 401)) console.error(err);
        setUser(null);
      })
      .finally(() => setChecked(true));
  }, []);
  const logOut = useCallback(async () => {
    let providerLogout: string | null = null;
    try {
      const answer = await unwrap(api.POST("/api/v1/auth/logout"));
      providerLogout = answer.provider_logout_url ?? null;
    } catch {
      // An ended session is as logged out as it gets; the cookie is dropped either way.
    }
    setUser(null);
    return providerLogout;
  }, []);
  return (
    <SessionContext.Provider value={{ user, checked, setUser, logOut }}>
      {children}
    </SessionContext.Provider>
  );
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside SessionProvider");
  return session;
}
