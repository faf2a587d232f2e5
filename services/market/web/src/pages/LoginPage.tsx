import { type FormEvent, useEffect, useState } from "react";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { ApiFailure, messageOf } from "../api/errors";
import { useSession } from "../auth/session";

/** Only paths of this app may be a "next" target (never another site). */
function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/groups";
}

export function LoginPage({ mode }: { mode: "login" | "signup" }) {
  const { user, checked, setUser } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<ApiFailure | Error | null>(null);
  const [busy, setBusy] = useState(false);
  const [signupEnabled, setSignupEnabled] = useState<boolean | null>(null);

  useEffect(() => {
    document.title = `${mode === "login" ? "Log in" : "Create an account"} · Barito`;
    unwrap(api.GET("/api/v1/installation")).then(
      (info) => setSignupEnabled(info.signup_enabled),
      () => setSignupEnabled(false),
    );
  }, [mode]);

  if (checked && user) return <Navigate to={next} replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mode === "signup") {
        await unwrap(api.POST("/api/v1/auth/signup", { body: { email, password } }));
      }
      const login = await unwrap(api.POST("/api/v1/auth/login", { body: { email, password } }));
      setUser(login.user);
      navigate(mode === "signup" ? "/apps/new" : next, { replace: true });
    } catch (err) {
      setError(err instanceof Error ? err : new Error(messageOf(err)));
    } finally {
      setBusy(false);
    }
  }

  const emailProblem = error instanceof ApiFailure ? error.fieldMessage("email") : undefined;
  const passwordProblem = error instanceof ApiFailure ? error.fieldMessage("password") : undefined;
  const signup = mode === "signup";

  return (
    <div className="auth-page">
      <main className="auth-card" id="main">
        <div className="brand brand-large">
          <span className="logo" aria-hidden="true" />
          Barito
        </div>
        <h1>{signup ? "Create your account" : "Log in"}</h1>
        <p className="muted">
          {signup
            ? "Register your applications and read their logs in minutes."
            : "Your applications' logs: search, status and live tail."}
        </p>
        {signup && signupEnabled === false ? (
          <div className="notice notice-info" role="status">
            Sign-up is turned off on this installation; ask an administrator for an account.{" "}
            <Link to="/login">Back to log in</Link>
          </div>
        ) : (
          <form onSubmit={submit} noValidate>
            {error && (
              <div className="notice notice-error" role="alert">
                {error.message}
              </div>
            )}
            <label htmlFor="email">Email</label>
            <input
              id="email"
              type="email"
              autoComplete="email"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              aria-invalid={emailProblem ? true : undefined}
              aria-describedby={emailProblem ? "email-problem" : undefined}
            />
            {emailProblem && (
              <p className="field-error" id="email-problem">
                {emailProblem}
              </p>
            )}
            <label htmlFor="password">Password</label>
            <input
              id="password"
              type="password"
              autoComplete={signup ? "new-password" : "current-password"}
              required
              minLength={signup ? 8 : undefined}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              aria-invalid={passwordProblem ? true : undefined}
              aria-describedby={signup ? "password-hint" : undefined}
            />
            {signup && (
              <p className="hint" id="password-hint">
                At least 8 characters.
              </p>
            )}
            {passwordProblem && <p className="field-error">{passwordProblem}</p>}
            <button type="submit" className="button button-primary button-wide" disabled={busy}>
              {busy ? "One moment…" : signup ? "Create account" : "Log in"}
            </button>
          </form>
        )}
        <p className="switch">
          {signup ? (
            <>
              Already have an account? <Link to="/login">Log in</Link>
            </>
          ) : signupEnabled ? (
            <>
              New here? <Link to="/signup">Create an account</Link>
            </>
          ) : null}
        </p>
      </main>
    </div>
  );
}
