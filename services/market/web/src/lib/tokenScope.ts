// API tokens as the tokens page shows and makes them.

export interface ScopedToken {
  read_only: boolean;
  group: string | null;
}

/** "full", "read-only", "group: payments" or "read-only, group: payments". */
export function scopeLabel(token: ScopedToken): string {
  const parts: string[] = [];
  if (token.read_only) parts.push("read-only");
  if (token.group) parts.push(`group: ${token.group}`);
  return parts.length ? parts.join(", ") : "full";
}

export const EXPIRIES = [
  { value: "30", label: "30 days" },
  { value: "90", label: "90 days" },
  { value: "365", label: "1 year" },
  { value: "never", label: "Never" },
] as const;

export type ExpiryValue = (typeof EXPIRIES)[number]["value"];

export interface TokenForm {
  name: string;
  expiry: ExpiryValue;
  readOnly: boolean;
  group: string; // "" for all of the user's groups
}

export interface TokenBody {
  name: string;
  expires_in_days: number | null;
  read_only: boolean;
  group: string | null;
}

/** The body of POST /api/v1/auth/tokens, or a sentence saying what is missing. */
export function tokenBody(form: TokenForm): TokenBody | string {
  const name = form.name.trim();
  if (!name) return "Give the token a name, e.g. the machine or job that will use it.";
  return {
    name,
    expires_in_days: form.expiry === "never" ? null : Number(form.expiry),
    read_only: form.readOnly,
    group: form.group || null,
  };
}
