import { type FormEvent, useEffect, useRef, useState } from "react";
import { useParams } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { AppTabs } from "../components/AppTabs";
import { PageHeader } from "../components/Layout";
import { ErrorNotice, Loading } from "../components/States";
import { formatCount, formatTime } from "../lib/format";
import {
  appendCapped,
  levelOf,
  parseFrames,
  summary,
  type TailFilters,
  tailSocketUrl,
} from "../lib/tail";
import { useLoad } from "../lib/useLoad";

const MAX_LINES = 500;
const NO_FILTERS: TailFilters = { q: "", level: "", fields: "" };

interface Line {
  key: number;
  event: Record<string, unknown>;
}

type Connection = "connecting" | "live" | "reconnecting" | "failed";

export function TailPage() {
  const { slug = "" } = useParams();
  const app = useLoad(
    () => unwrap(api.GET("/api/v1/apps/{slug}", { params: { path: { slug } } })),
    slug,
  );
  if (app.error) {
    return (
      <>
        <PageHeader title="Live tail" crumbs={[{ to: "/groups", label: "Groups" }]} />
        <ErrorNotice error={app.error} retry={app.reload} />
      </>
    );
  }
  if (!app.data) return <Loading what="the application" />;
  return (
    <>
      <PageHeader
        title={`${app.data.name}: live tail`}
        crumbs={[
          { to: "/groups", label: "Groups" },
          { to: `/groups/${app.data.group}`, label: app.data.group_name },
        ]}
      />
      <AppTabs slug={slug} />
      <Tail endpoint={app.data.endpoints.tail} />
    </>
  );
}

export function Tail({ endpoint }: { endpoint: string }) {
  const [filters, setFilters] = useState<TailFilters>(NO_FILTERS);
  const [draft, setDraft] = useState<TailFilters>(NO_FILTERS);
  const [lines, setLines] = useState<Line[]>([]);
  const [held, setHeld] = useState<Line[]>([]);
  const [paused, setPaused] = useState(false);
  const [dropped, setDropped] = useState(0);
  const [connection, setConnection] = useState<Connection>("connecting");
  const [problem, setProblem] = useState<string | null>(null);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const counter = useRef(0);

  useEffect(() => {
    let socket: WebSocket | null = null;
    let resume: string | undefined;
    let stopped = false;
    let failures = 0;
    let timer: number | undefined;

    function open() {
      setConnection(resume ? "reconnecting" : "connecting");
      socket = new WebSocket(tailSocketUrl(endpoint, filters, resume));
      let started = false;
      socket.onmessage = (message: MessageEvent<string>) => {
        if (message.data.startsWith('{"error"')) {
          // A server that accepts before refusing sends its JSON error first.
          const body = JSON.parse(message.data) as { error?: { message?: string } };
          setProblem(body.error?.message ?? "The tail server refused this tail.");
          stopped = true;
          return;
        }
        const added: Line[] = [];
        for (const frame of parseFrames(message.data)) {
          if (frame.resume) resume = frame.resume;
          if (frame.kind === "started") {
            started = true;
            failures = 0;
            setConnection("live");
            setProblem(null);
          } else if (frame.kind === "event") {
            counter.current += 1;
            added.push({ key: counter.current, event: frame.event });
          } else if (frame.kind === "dropped") {
            setDropped((n) => n + frame.count);
          } else if (frame.kind === "closed") {
            setProblem(`${frame.message} Reconnecting…`);
          }
        }
        if (added.length === 0) return;
        if (pausedRef.current) setHeld((h) => appendCapped(h, added, MAX_LINES));
        else setLines((l) => appendCapped(l, added, MAX_LINES));
      };
      socket.onclose = () => {
        if (stopped) return;
        failures += 1;
        if (!started && failures >= 3) {
          // Browsers hide the HTTP answer of a refused websocket, so say what it usually is.
          setConnection("failed");
          setProblem(
            "The live tail could not be opened. The tail server may be down, or it did not " +
              "accept your session (log in again if it ended).",
          );
          return;
        }
        setConnection("reconnecting");
        // Resume where the last frame left off, so nothing is missed across the gap.
        timer = window.setTimeout(open, Math.min(1000 * 2 ** failures, 15000));
      };
    }

    setLines([]);
    setHeld([]);
    setDropped(0);
    open();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      socket?.close();
    };
  }, [endpoint, filters]);

  function apply(event: FormEvent) {
    event.preventDefault();
    setFilters(draft);
  }

  function togglePause() {
    if (paused) {
      setLines((l) => appendCapped(l, held, MAX_LINES));
      setHeld([]);
    }
    setPaused(!paused);
  }

  return (
    <>
      <form className="panel search-form" onSubmit={apply} noValidate>
        <div className="search-row">
          <div className="grow">
            <label htmlFor="tail-q">Contains</label>
            <input
              id="tail-q"
              value={draft.q}
              placeholder="text anywhere in the event"
              onChange={(e) => setDraft({ ...draft, q: e.target.value })}
            />
          </div>
          <div>
            <label htmlFor="tail-level">Levels</label>
            <input
              id="tail-level"
              value={draft.level}
              placeholder="error,warn"
              onChange={(e) => setDraft({ ...draft, level: e.target.value })}
            />
          </div>
          <div>
            <label htmlFor="tail-fields">Fields</label>
            <input
              id="tail-fields"
              value={draft.fields}
              placeholder="service=api"
              onChange={(e) => setDraft({ ...draft, fields: e.target.value })}
            />
          </div>
          <div className="align-end">
            <button type="submit" className="button button-primary">
              Apply filters
            </button>
          </div>
        </div>
      </form>
      <div className="tail-bar">
        <span className={`live live-${connection}`} role="status" aria-live="polite">
          {connection === "live"
            ? paused
              ? `Paused: ${formatCount(held.length)} new`
              : "Live"
            : connection === "failed"
              ? "Not connected"
              : connection === "reconnecting"
                ? "Reconnecting…"
                : "Connecting…"}
        </span>
        <button type="button" className="button" onClick={togglePause} aria-pressed={paused}>
          {paused ? "Resume" : "Pause"}
        </button>
        <button type="button" className="button" onClick={() => setLines([])}>
          Clear
        </button>
      </div>
      {problem && (
        <div className="notice notice-error" role="alert">
          {problem}
        </div>
      )}
      {dropped > 0 && (
        <div className="notice notice-warn" role="status" data-testid="dropped">
          {formatCount(dropped)} events were skipped because this page fell behind. Narrow the
          filters, or search the Logs page for the full record.
        </div>
      )}
      <div className="tail" aria-label="Live events" role="log" tabIndex={0}>
        {lines.length === 0 ? (
          <p className="muted tail-empty">
            Waiting for new events… Only events sent from now on appear here; send one with your
            agent or the curl example on the status page.
          </p>
        ) : (
          lines.map((line) => {
            const level = levelOf(line.event);
            const at = line.event["@timestamp"];
            return (
              <div key={line.key} className={`tail-line level-${level}`}>
                <span className="tail-time">{typeof at === "string" ? formatTime(at) : ""}</span>
                <span className="tail-level">{level === "other" ? "" : level}</span>
                <span className="tail-text">{summary(line.event)}</span>
              </div>
            );
          })
        )}
      </div>
    </>
  );
}
