import { type FormEvent, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router-dom";
import { api, type LogHit, unwrap } from "../api/client";
import { AppTabs } from "../components/AppTabs";
import { BarChart } from "../components/BarChart";
import { DeleteLogsDialog } from "../components/DeleteLogsDialog";
import { PageHeader } from "../components/Layout";
import { Empty, ErrorNotice, Loading } from "../components/States";
import { histogramBars } from "../lib/chart";
import { formatCount, formatTime } from "../lib/format";
import { searchQueryText } from "../lib/governance";
import {
  filterableFields,
  formFromParams,
  type LogSearchForm,
  makeFilter,
  pageCount,
  paramsFromForm,
  RANGES,
  type RangeValue,
  toApiQuery,
} from "../lib/logQuery";
import { summary } from "../lib/tail";
import { useLoad } from "../lib/useLoad";

async function loadApp(slug: string) {
  const app = await unwrap(api.GET("/api/v1/apps/{slug}", { params: { path: { slug } } }));
  const group = await unwrap(
    api.GET("/api/v1/groups/{group_slug}", { params: { path: { group_slug: app.group } } }),
  );
  // Deleting logs is for owners and admins: members are not offered it.
  return { ...app, canDelete: group.role !== "member" };
}

export function LogsPage() {
  const { slug = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const applied = formFromParams(params);
  const app = useLoad(() => loadApp(slug), slug);
  const results = useLoad(async () => {
    const query = toApiQuery(applied);
    if (typeof query === "string") throw new Error(query);
    return unwrap(api.GET("/api/v1/apps/{slug}/logs", { params: { path: { slug }, query } }));
  }, `${slug}?${params.toString()}`);

  const apply = (form: LogSearchForm) => setParams(paramsFromForm(form));

  if (app.error) {
    return (
      <>
        <PageHeader title="Logs" crumbs={[{ to: "/groups", label: "Groups" }]} />
        <ErrorNotice error={app.error} retry={app.reload} />
      </>
    );
  }
  return (
    <>
      <PageHeader
        title={app.data ? `${app.data.name}: logs` : "Logs"}
        crumbs={
          app.data
            ? [
                { to: "/groups", label: "Groups" },
                { to: `/groups/${app.data.group}`, label: app.data.group_name },
              ]
            : []
        }
      >
        {app.data?.endpoints.viewer && (
          <a className="button" href={app.data.endpoints.viewer} target="_blank" rel="noreferrer">
            Open in Kibana
          </a>
        )}
        {app.data?.canDelete && (
          <DeleteLogsDialog
            slug={slug}
            search={
              results.data && {
                start: results.data.start,
                end: results.data.end,
                q: searchQueryText(applied.q, applied.filters),
              }
            }
          />
        )}
      </PageHeader>
      <AppTabs slug={slug} />
      <SearchForm key={params.toString()} initial={applied} onApply={apply} />
      {results.error ? (
        <ErrorNotice error={results.error} retry={results.reload} />
      ) : !results.data ? (
        <Loading what="logs" />
      ) : (
        <section aria-label="Results" aria-busy={results.loading}>
          <p className="result-count" role="status">
            <strong data-testid="total">{formatCount(results.data.total)}</strong>{" "}
            {results.data.total === 1 ? "event" : "events"} from{" "}
            {formatTime(results.data.start)} to {formatTime(results.data.end)}
          </p>
          <div className="panel">
            <BarChart
              bars={histogramBars(results.data.histogram.buckets)}
              title={`Events per ${results.data.histogram.interval}`}
              format={formatCount}
              height={120}
              integer
            />
          </div>
          {results.data.hits.length === 0 ? (
            <Empty title={applied.q || applied.filters.length ? "Nothing matches" : "No logs in this range"}>
              <p>
                Widen the time range or loosen the query. If the app has never sent anything, its{" "}
                <Link to={`/apps/${slug}`}>status page</Link> shows how to send a first event.
              </p>
            </Empty>
          ) : (
            <HitsTable
              hits={results.data.hits}
              onFilter={(field, value) => {
                const filter = makeFilter(field, value);
                if (filter && !applied.filters.includes(filter))
                  apply({ ...applied, filters: [...applied.filters, filter], page: 1 });
              }}
            />
          )}
          <Pager
            page={applied.page}
            pages={pageCount(results.data.total, results.data.size)}
            go={(page) => apply({ ...applied, page })}
          />
        </section>
      )}
    </>
  );
}

function SearchForm({
  initial,
  onApply,
}: {
  initial: LogSearchForm;
  onApply: (form: LogSearchForm) => void;
}) {
  const [form, setForm] = useState(initial);
  const [field, setField] = useState("");
  const [value, setValue] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const set = (change: Partial<LogSearchForm>) => setForm((f) => ({ ...f, ...change }));

  function submit(event: FormEvent) {
    event.preventDefault();
    let filters = form.filters;
    if (field || value) {
      const filter = makeFilter(field, value);
      if (!filter) {
        setProblem("A filter needs both a field name (without ':') and a value.");
        return;
      }
      filters = [...filters, filter];
    }
    const next = { ...form, filters, page: 1 };
    const query = toApiQuery(next);
    if (typeof query === "string") {
      setProblem(query);
      return;
    }
    setProblem(null);
    onApply(next);
  }

  return (
    <form className="panel search-form" onSubmit={submit} noValidate role="search">
      <div className="search-row">
        <div className="grow">
          <label htmlFor="log-query">Query</label>
          <input
            id="log-query"
            type="search"
            placeholder='e.g. level:error AND "payment failed"'
            value={form.q}
            onChange={(e) => set({ q: e.target.value })}
          />
        </div>
        <div>
          <label htmlFor="log-range">Time range</label>
          <select
            id="log-range"
            value={form.range}
            onChange={(e) => set({ range: e.target.value as RangeValue })}
          >
            {RANGES.map((range) => (
              <option key={range.value} value={range.value}>
                {range.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      {form.range === "custom" && (
        <div className="search-row">
          <div>
            <label htmlFor="log-from">From</label>
            <input
              id="log-from"
              type="datetime-local"
              value={form.from}
              onChange={(e) => set({ from: e.target.value })}
            />
          </div>
          <div>
            <label htmlFor="log-to">To (empty: now)</label>
            <input
              id="log-to"
              type="datetime-local"
              value={form.to}
              onChange={(e) => set({ to: e.target.value })}
            />
          </div>
        </div>
      )}
      <div className="search-row">
        <div>
          <label htmlFor="filter-field">Field</label>
          <input
            id="filter-field"
            placeholder="level"
            value={field}
            onChange={(e) => setField(e.target.value)}
          />
        </div>
        <div>
          <label htmlFor="filter-value">equals</label>
          <input
            id="filter-value"
            placeholder="error"
            value={value}
            onChange={(e) => setValue(e.target.value)}
          />
        </div>
        <div className="align-end">
          <button type="submit" className="button button-primary">
            Search
          </button>
        </div>
      </div>
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
      {form.filters.length > 0 && (
        <ul className="chips" aria-label="Field filters">
          {form.filters.map((filter) => (
            <li key={filter} className="chip">
              <code>{filter}</code>
              <button
                type="button"
                aria-label={`Remove filter ${filter}`}
                onClick={() => {
                  const next = { ...form, filters: form.filters.filter((f) => f !== filter), page: 1 };
                  setForm(next);
                  onApply(next);
                }}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
    </form>
  );
}

function HitsTable({
  hits,
  onFilter,
}: {
  hits: LogHit[];
  onFilter: (field: string, value: string) => void;
}) {
  const [open, setOpen] = useState<Set<string>>(new Set());
  const toggle = (id: string) =>
    setOpen((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  return (
    <ol className="hits" aria-label="Events">
      {hits.map((hit) => {
        const expanded = open.has(hit.id);
        return (
          <li key={hit.id} className="hit">
            <button
              type="button"
              className="hit-line"
              aria-expanded={expanded}
              aria-controls={`hit-${hit.id}`}
              onClick={() => toggle(hit.id)}
            >
              <span className="hit-time">{hit.timestamp ? formatTime(hit.timestamp) : "—"}</span>
              <span className="hit-summary">{summary(hit.source)}</span>
            </button>
            {expanded && (
              <div id={`hit-${hit.id}`} className="hit-detail">
                <pre tabIndex={0} aria-label="Event as JSON">
                  {JSON.stringify(hit.source, null, 2)}
                </pre>
                <div className="chips">
                  {filterableFields(hit.source).map(([field, value]) => (
                    <button
                      key={field}
                      type="button"
                      className="chip chip-button"
                      onClick={() => onFilter(field, value)}
                    >
                      Filter {field}: {value}
                    </button>
                  ))}
                </div>
              </div>
            )}
          </li>
        );
      })}
    </ol>
  );
}

function Pager({ page, pages, go }: { page: number; pages: number; go: (page: number) => void }) {
  if (pages <= 1) return null;
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" className="button" disabled={page <= 1} onClick={() => go(page - 1)}>
        Newer
      </button>
      <span>
        Page {page} of {pages}
      </span>
      <button type="button" className="button" disabled={page >= pages} onClick={() => go(page + 1)}>
        Older
      </button>
    </nav>
  );
}
