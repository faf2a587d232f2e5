import { type FormEvent, useEffect, useState } from "react";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { ApiFailure, messageOf } from "../api/errors";
import { useSession } from "../auth/session";
import { Loading } from "../components/States";
import { type LoginChoices, loginChoices, safeNext, ssoErrorText } from "../lib/authMethods";

// When the market cannot say which methods it has, the password form is the one to offer.
const PASSWORDS_ONLY: LoginChoices = { singleSignOn: null, passwords: true, signUp: false };

export function LoginPage({ mode }: { mode: "login" | "signup" }) {
  const { user, checked } = useSession();
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const ssoError = ssoErrorText(params.get("sso_error"));
  const [choices, setChoices] = useState<LoginChoices | null>(null);

  useEffect(() => {
    document.title = `${mode === "login" ? "Log in" : "Create an account"} · Barito`;
  }, [mode]);
  useEffect(() => {
    unwrap(api.GET("/api/v1/auth/methods")).then(
      (methods) => setChoices(loginChoices(methods, next)),
      () => setChoices(PASSWORDS_ONLY),
    );
  }, [next]);

  if (checked && user) return <Navigate to={next} replace />;
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
        {ssoError && (
          <div className="notice notice-error" role="alert">
            <strong>
              Signing in with {choices?.singleSignOn?.name ?? "your identity provider"} did not
              work.
            </strong>{" "}
            <span data-testid="sso-error">{ssoError}</span>
          </div>
        )}
        {!choices ? (
          <Loading what="the ways to sign in" />
        ) : (
          <LoginOptions choices={choices} signup={signup} next={next} />
        )}
      </main>
    </div>
  );
}

function LoginOptions({
  choices,
  signup,
  next,
}: {
  choices: LoginChoices;
  signup: boolean;
  next: string;
}) {
  const { singleSignOn, passwords, signUp } = choices;
  return (
    <>
      {singleSignOn && (
        // A plain link: the market answers with a redirect to the provider's login form.
        <a className="button button-primary button-wide sso" href={singleSignOn.href}>
          Sign in with {singleSignOn.name}
        </a>
      )}
      {singleSignOn && passwords && !signup && (
        <p className="divider" aria-hidden="true">
          <span>or with your email</span>
        </p>
      )}
      {signup && !signUp ? (
        <div className="notice notice-info" role="status">
          {passwords
            ? "Sign-up is turned off on this installation; ask an administrator for an account."
            : `Accounts come from ${singleSignOn?.name ?? "the identity provider"}: sign in with it.`}{" "}
          <Link to="/login">Back to log in</Link>
        </div>
      ) : passwords ? (
        <PasswordForm signup={signup} next={next} />
      ) : (
        !singleSignOn && (
          <div className="notice notice-error" role="alert">
            This installation offers no way to sign in. Ask its administrator.
          </div>
        )
      )}
      <p className="switch">
        {signup ? (
          <>
            Already have an account? <Link to="/login">Log in</Link>
          </>
        ) : signUp ? (
          <>
            New here? <Link to="/signup">Create an account</Link>
          </>
        ) : null}
      </p>
    </>
  );
}

function PasswordForm({ signup, next }: { signup: boolean; next: string }) {
  const { setUser } = useSession();
  const navigate = useNavigate();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<ApiFailure | Error | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (signup) {
        await unwrap(api.POST("/api/v1/auth/signup", { body: { email, password } }));
      }
      const login = await unwrap(api.POST("/api/v1/auth/login", { body: { email, password } }));
      setUser(login.user);
      navigate(signup ? "/apps/new" : next, { replace: true });
    } catch (err) {
      setError(err instanceof Error ? err : new Error(messageOf(err)));
    } finally {
      setBusy(false);
    }
  }

  const emailProblem = error instanceof ApiFailure ? error.fieldMessage("email") : undefined;
  const passwordProblem = error instanceof ApiFailure ? error.fieldMessage("password") : undefined;

  return (
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
  );
}
