import { useState } from "react";
import { Link, useParams, useSearchParams } from "react-router-dom";
import { api, type Schemas, unwrap } from "../api/client";
import { messageOf } from "../api/errors";
import { AppTabs } from "../components/AppTabs";
import { PageHeader } from "../components/Layout";
import { Empty, ErrorNotice, Loading } from "../components/States";
import { deliveryWords, formatWindow, transitionWords } from "../lib/alerts";
import { formatTime, plural } from "../lib/format";
import { useLoad } from "../lib/useLoad";

type Entry = Schemas["HistoryEntryPublic"];

const PAGE = 50;

async function loadHistory(slug: string, rule: string | null) {
  const path = { params: { path: { slug } } };
  const [app, rules, page] = await Promise.all([
    unwrap(api.GET("/api/v1/apps/{slug}", path)),
    unwrap(api.GET("/api/v1/apps/{slug}/alerts", path)),
    unwrap(
      api.GET("/api/v1/apps/{slug}/alerts/history", {
        params: { path: { slug }, query: { limit: PAGE, ...(rule ? { rule } : {}) } },
      }),
    ),
  ]);
  const channels = await unwrap(
    api.GET("/api/v1/groups/{slug}/alert-channels", { params: { path: { slug: app.group } } }),
  ).catch(() => ({ data: [] }));
  return { app, rules: rules.data, channels: channels.data, page };
}

/** What the app's alert rules did, newest first, with the events that made them fire. */
export function AlertHistoryPage() {
  const { slug = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const rule = params.get("rule");
  const loaded = useLoad(() => loadHistory(slug, rule), `${slug} ${rule ?? ""}`);
  const [older, setOlder] = useState<{ key: string; entries: Entry[]; cursor: string | null }>({
    key: "",
    entries: [],
    cursor: null,
  });
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const crumbs = [{ to: "/groups", label: "Groups" }];
  if (loaded.error && !loaded.data) {
    return (
      <>
        <PageHeader title={slug} crumbs={crumbs} />
        <AppTabs slug={slug} />
        <ErrorNotice error={loaded.error} retry={loaded.reload} />
      </>
    );
  }
  if (!loaded.data) return <Loading what="the alert history" />;
  const { app, rules, channels, page } = loaded.data;
  // Pages loaded with "Load older" belong to the first page they followed.
  const key = `${rule ?? ""} ${page.data[0]?.id ?? ""}`;
  const extra = older.key === key ? older : { key, entries: [], cursor: page.next_cursor };
  const entries = [...page.data, ...extra.entries];
  const names = new Map(channels.map((c) => [c.id, c.name]));

  async function loadOlder() {
    if (!extra.cursor) return;
    setBusy(true);
    setProblem(null);
    try {
      const next = await unwrap(
        api.GET("/api/v1/apps/{slug}/alerts/history", {
          params: {
            path: { slug },
            query: { limit: PAGE, cursor: extra.cursor, ...(rule ? { rule } : {}) },
          },
        }),
      );
      setOlder({ key, entries: [...extra.entries, ...next.data], cursor: next.next_cursor });
    } catch (err) {
      setProblem(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <PageHeader
        title={`${app.name}: alert history`}
        crumbs={[...crumbs, { to: `/groups/${app.group}`, label: app.group }]}
      >
        <button type="button" className="button" onClick={loaded.reload}>
          Refresh
        </button>
      </PageHeader>
      <AppTabs slug={slug} />
      <form className="inline-form" onSubmit={(e) => e.preventDefault()}>
        <label htmlFor="history-rule">Rule</label>
        <select
          id="history-rule"
          value={rule ?? ""}
          onChange={(e) => setParams(e.target.value ? { rule: e.target.value } : {})}
        >
          <option value="">All rules</option>
          {rules.map((r) => (
            <option key={r.id} value={r.id}>
              {r.name}
            </option>
          ))}
        </select>
      </form>
      <section className="panel" aria-labelledby="history-title" aria-busy={loaded.loading}>
        <h2 id="history-title">Transitions, newest first</h2>
        {entries.length === 0 ? (
          <Empty title="Nothing has fired yet">
            <p>
              A rule's firings and resolutions appear here within seconds. Rules are on the{" "}
              <Link to={`/apps/${slug}/alerts`}>Alerts</Link> tab.
            </p>
          </Empty>
        ) : (
          <ol className="alert-history">
            {entries.map((entry) => (
              <HistoryItem key={entry.id} entry={entry} names={names} />
            ))}
          </ol>
        )}
        {problem && (
          <p className="notice notice-error" role="alert">
            {problem}
          </p>
        )}
        {extra.cursor && (
          <button type="button" className="button" onClick={loadOlder} disabled={busy}>
            {busy ? "Loading…" : "Load older"}
          </button>
        )}
      </section>
    </>
  );
}

function HistoryItem({ entry, names }: { entry: Entry; names: Map<string, string> }) {
  const tone = { firing: "bad", renotify: "bad", resolved: "good" }[entry.transition];
  const deliveries = Object.entries(entry.deliveries);
  return (
    <li className="history-entry" data-testid="alert-history-entry">
      <div className="history-head">
        <time dateTime={entry.at}>{formatTime(entry.at)}</time>{" "}
        <strong>{entry.rule_name}</strong>{" "}
        <span className={`badge badge-${tone}`}>{transitionWords(entry.transition)}</span>{" "}
        <span className="muted">
          {entry.severity} · {plural(entry.count, "matching event")} in{" "}
          {formatWindow(entry.window_s)}
          {entry.muted && " · muted: nothing sent"}
        </span>
      </div>
      <div className="small">
        {deliveries.length === 0
          ? entry.muted
            ? null
            : "No channel to notify."
          : deliveries.map(([id, outcome]) => deliveryWords(names.get(id) ?? "a deleted channel", outcome)).join(" · ")}
      </div>
      {entry.samples.length > 0 && (
        <details>
          <summary>{plural(entry.samples.length, "sample event")}</summary>
          {entry.samples.map((sample, i) => (
            <pre key={i} className="sample" tabIndex={0} aria-label={`Sample event ${i + 1}`}>
              <code>{JSON.stringify(sample, null, 2)}</code>
            </pre>
          ))}
        </details>
      )}
    </li>
  );
}
