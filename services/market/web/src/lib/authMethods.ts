// What the login page offers, from GET /api/v1/auth/methods.

export interface AuthMethodsInfo {
  passwords: boolean;
  sign_up: boolean;
  single_sign_on: { name: string; login_url: string } | null;
}

export interface LoginChoices {
  /** "Sign in with <name>": where the button goes, with the page to come back to. */
  singleSignOn: { name: string; href: string } | null;
  passwords: boolean;
  signUp: boolean;
}

/** Only paths of this app may be a "next" target (never another site). */
export function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/groups";
}

/** ``login_url`` with ``next`` added to whatever query it already has. */
export function withNext(loginUrl: string, next: string): string {
  const url = new URL(loginUrl, "http://market.invalid");
  url.searchParams.set("next", next);
  const absolute = /^[a-z][a-z0-9+.-]*:/i.test(loginUrl);
  return absolute ? url.toString() : `${url.pathname}${url.search}`;
}

export function loginChoices(methods: AuthMethodsInfo, next: string): LoginChoices {
  const sso = methods.single_sign_on;
  return {
    singleSignOn: sso ? { name: sso.name, href: withNext(sso.login_url, next) } : null,
    passwords: methods.passwords,
    // An account made by sign-up logs in with its password: no sign-up without passwords.
    signUp: methods.passwords && methods.sign_up,
  };
}

const MAX_ERROR = 300;

/**
 * The callback's refusal from ?sso_error=, shown as text after a fixed lead-in.
 * Anyone can craft such a link, so it is cut short and never taken as markup.
 */
export function ssoErrorText(raw: string | null): string | null {
  const words = raw?.replace(/\s+/g, " ").trim();
  if (!words) return null;
  const cut = words.length > MAX_ERROR ? `${words.slice(0, MAX_ERROR - 1)}…` : words;
  // The market words it as a clause ("the provider refused: …"); shown here as a sentence.
  const sentence = cut.charAt(0).toUpperCase() + cut.slice(1);
  return /[.!?…]$/.test(sentence) ? sentence : `${sentence}.`;
}
