import type { ReactNode } from "react";
import { messageOf } from "../api/errors";

export function Loading({ what }: { what: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      Loading {what}…
    </div>
  );
}

export function ErrorNotice({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div className="notice notice-error" role="alert">
      <strong>Something went wrong.</strong> <span className="error-message">{messageOf(error)}</span>
      {retry && (
        <button type="button" className="button button-small" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <h3>{title}</h3>
      {children}
    </div>
  );
}

export function Badge({ state }: { state: string }) {
  const tone =
    {
      active: "good",
      ACTIVE: "good",
      running: "good",
      inactive: "muted",
      deleted: "muted",
      DELETED: "muted",
      ERROR: "bad",
      error: "bad",
    }[state] ?? "busy";
  return <span className={`badge badge-${tone}`}>{state.toLowerCase()}</span>;
}
