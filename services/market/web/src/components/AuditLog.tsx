import { type FormEvent, useEffect, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { type AuditEntry, type AuditPage, api, unwrap } from "../api/client";
import { messageOf } from "../api/errors";
import {
  AUDIT_PAGE_SIZE,
  type AuditApiQuery,
  type AuditFilters,
  auditQuery,
  detailPieces,
  exportHref,
  filtersFromParams,
  paramsFromFilters,
} from "../lib/auditQuery";
import { formatTime } from "../lib/format";
import { Empty, ErrorNotice, Loading } from "./States";

function fetchPage(query: AuditApiQuery): Promise<AuditPage> {
  return unwrap(api.GET("/api/v1/audit", { params: { query } }));
}

/**
 * The audit log, newest first: one group's (``group``) or the whole
 * installation's. The filters live in the URL, so a view can be shared.
 */
export function AuditLog({ group }: { group?: string }) {
  const [params, setParams] = useSearchParams();
  const filters = filtersFromParams(params);
  const query = auditQuery(filters, { group, limit: AUDIT_PAGE_SIZE });
  const key = typeof query === "string" ? query : JSON.stringify(query);
  const [pages, setPages] = useState<AuditPage[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [olderProblem, setOlderProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(true);
  // Applying the same filters again reads the newest entries again.
  const [round, setRound] = useState(0);

  useEffect(() => {
    setPages([]);
    setError(null);
    setOlderProblem(null);
    if (typeof query === "string") {
      setBusy(false);
      return;
    }
    let current = true;
    setBusy(true);
    fetchPage(query)
      .then(
        (page) => current && setPages([page]),
        (err: unknown) => current && setError(err),
      )
      .finally(() => current && setBusy(false));
    return () => {
      current = false;
    };
    // The key stands for the query, which is a new object at each render.
  }, [key, round]);

  const cursor = pages.at(-1)?.next_cursor ?? null;
  async function loadOlder() {
    if (typeof query === "string" || !cursor) return;
    setBusy(true);
    setOlderProblem(null);
    try {
      const page = await fetchPage({ ...query, cursor });
      setPages((loaded) => [...loaded, page]);
    } catch (err) {
      // The entries already shown stay; only the next page is missing.
      setOlderProblem(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  const entries = pages.flatMap((page) => page.data);
  const filtered = Object.values(filters).some((value) => value.trim() !== "");
  return (
    <>
      <AuditFilterForm
        filters={filters}
        problem={typeof query === "string" ? query : null}
        onApply={(next) => {
          setParams(paramsFromFilters(next), { replace: true });
          setRound((n) => n + 1);
        }}
        exportUrl={typeof query === "string" ? null : exportHref(query)}
      />
      <section className="panel" aria-labelledby="audit-title">
        <h2 id="audit-title">Entries</h2>
        {error ? (
          <ErrorNotice error={error} retry={() => setRound((n) => n + 1)} />
        ) : busy && pages.length === 0 ? (
          <Loading what="the audit log" />
        ) : entries.length === 0 ? (
          <Empty title={filtered ? "No entry matches these filters" : "Nothing recorded yet"}>
            <p>Sign-ins, changes to apps, groups, members, secrets and tokens appear here.</p>
          </Empty>
        ) : (
          <AuditTable entries={entries} showGroup={!group} />
        )}
        {olderProblem && (
          <p className="field-error" role="alert">
            {olderProblem}
          </p>
        )}
        {cursor && !error && (
          <p className="pager">
            <button type="button" className="button" onClick={loadOlder} disabled={busy}>
              {busy ? "Loading…" : "Load older"}
            </button>
          </p>
        )}
      </section>
    </>
  );
}

function AuditFilterForm({
  filters,
  problem,
  onApply,
  exportUrl,
}: {
  filters: AuditFilters;
  problem: string | null;
  onApply: (filters: AuditFilters) => void;
  exportUrl: string | null;
}) {
  const [form, setForm] = useState(filters);
  const urlKey = JSON.stringify(filters);
  // Back and forward change the URL's filters; the inputs follow.
  useEffect(() => setForm(JSON.parse(urlKey) as AuditFilters), [urlKey]);
  const set = (field: keyof AuditFilters) => (event: { target: { value: string } }) =>
    setForm({ ...form, [field]: event.target.value });

  function apply(event: FormEvent) {
    event.preventDefault();
    onApply(form);
  }

  return (
    <section className="panel" aria-labelledby="audit-filters-title">
      <h2 id="audit-filters-title">Filters</h2>
      <form onSubmit={apply} noValidate>
        <div className="search-row">
          <div className="grow">
            <label htmlFor="audit-actor">Who</label>
            <input
              id="audit-actor"
              type="search"
              placeholder="their exact email"
              value={form.actor}
              onChange={set("actor")}
            />
          </div>
          <div className="grow">
            <label htmlFor="audit-action">Action</label>
            <input
              id="audit-action"
              type="search"
              placeholder="auth.login, or app. for every app action"
              value={form.action}
              onChange={set("action")}
              aria-describedby="audit-action-hint"
            />
            <p className="hint" id="audit-action-hint">
              One action, or all under a prefix ending in a dot.
            </p>
          </div>
          <div>
            <label htmlFor="audit-since">Since</label>
            <input
              id="audit-since"
              type="datetime-local"
              value={form.since}
              onChange={set("since")}
            />
          </div>
          <div>
            <label htmlFor="audit-until">Until</label>
            <input
              id="audit-until"
              type="datetime-local"
              value={form.until}
              onChange={set("until")}
            />
          </div>
        </div>
        {problem && (
          <p className="field-error" role="alert">
            {problem}
          </p>
        )}
        <div className="actions filter-actions">
          <button type="submit" className="button button-primary">
            Apply filters
          </button>
          {exportUrl && (
            // A plain link: the browser downloads the export with the session cookie.
            <a className="button" href={exportUrl} download>
              Export NDJSON
            </a>
          )}
        </div>
      </form>
    </section>
  );
}

/** Who acted when no user did: the provider's roles applied at a sign-in, or the market itself. */
function unnamedActor(entry: AuditEntry): string {
  return entry.details.source === "identity_provider" ? "the identity provider" : "system";
}

function AuditTable({ entries, showGroup }: { entries: AuditEntry[]; showGroup: boolean }) {
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label="Audit log entries">
      <table className="audit">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">From where</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.id}>
              <td className="nowrap">
                <time dateTime={entry.at}>{formatTime(entry.at)}</time>
              </td>
              <td>{entry.actor_email ?? <span className="muted">{unnamedActor(entry)}</span>}</td>
              <td className="nowrap">
                <code>{entry.address ?? "—"}</code>
              </td>
              <td className="nowrap">
                <code>{entry.action}</code>
              </td>
              <td>
                {entry.target_kind} <span className="muted small">{entry.target_id}</span>
                {showGroup && entry.group && (
                  <div className="muted small">group {entry.group}</div>
                )}
              </td>
              <td className="small">
                {detailPieces(entry.details).map((piece) => (
                  <div key={piece}>{piece}</div>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
