import { useEffect, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import {
  type App,
  type AppSecretRotated,
  type AppStatusInfo,
  api,
  type Schemas,
  unwrap,
} from "../api/client";
import { messageOf } from "../api/errors";
import { AppTabs } from "../components/AppTabs";
import { BarChart } from "../components/BarChart";
import { ConfirmButton } from "../components/ConfirmButton";
import { CodeBlock } from "../components/CopyButton";
import { DeleteLogsDialog } from "../components/DeleteLogsDialog";
import { DeletionJobs } from "../components/DeletionJobs";
import { ForwardKeyReveal } from "../components/ForwardKeyReveal";
import { PageHeader } from "../components/Layout";
import { LogsCluster, NoViewer } from "../components/LogsCluster";
import { curlExample, OtherEndpoints, SecretReveal } from "../components/SecretReveal";
import { Badge, Empty, ErrorNotice, Loading } from "../components/States";
import { StorageBanner, StoragePanel, useGroupStorage } from "../components/StorageUsage";
import { usageBars } from "../lib/chart";
import { formatBytes, formatCount, formatRate } from "../lib/format";
import { useLoad } from "../lib/useLoad";

const REFRESH_MS = 5000;

async function loadApp(slug: string) {
  const path = { params: { path: { slug } } };
  const [app, status] = await Promise.all([
    unwrap(api.GET("/api/v1/apps/{slug}", path)),
    unwrap(api.GET("/api/v1/apps/{slug}/status", path)),
  ]);
  const group = await unwrap(
    api.GET("/api/v1/groups/{group_slug}", { params: { path: { group_slug: app.group } } }),
  );
  // Members may read everything here but change nothing: their controls are not offered.
  return { app, status, canManage: group.role !== "member" };
}

export function AppStatusPage() {
  const { slug = "" } = useParams();
  const loaded = useLoad(() => loadApp(slug), slug);
  const { reload } = loaded;
  // The numbers come from roll-ups updated every few seconds: keep them current.
  useEffect(() => {
    const timer = window.setInterval(reload, REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [slug]);
  if (loaded.error && !loaded.data) {
    return (
      <>
        <PageHeader title={slug} crumbs={[{ to: "/groups", label: "Groups" }]} />
        <ErrorNotice error={loaded.error} retry={reload} />
      </>
    );
  }
  if (!loaded.data) return <Loading what="the application" />;
  const { app, status, canManage } = loaded.data;
  return <StatusView app={app} status={status} canManage={canManage} reload={reload} />;
}

function StatusView({
  app,
  status,
  canManage,
  reload,
}: {
  app: App;
  status: AppStatusInfo;
  canManage: boolean;
  reload: () => void;
}) {
  const navigate = useNavigate();
  const [rotated, setRotated] = useState<AppSecretRotated | null>(null);
  const [forwardKey, setForwardKey] = useState<Schemas["AppForwardKey"] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [deletions, setDeletions] = useState(0);
  const storage = useGroupStorage(app.group);
  const path = { params: { path: { slug: app.slug } } };
  const rejected = Object.entries(status.rejected_24h);
  const stored = status.stored;

  async function act(action: () => Promise<unknown>) {
    setProblem(null);
    try {
      await action();
      reload();
    } catch (err) {
      setProblem(messageOf(err));
    }
  }

  return (
    <>
      <PageHeader
        title={app.name}
        crumbs={[
          { to: "/groups", label: "Groups" },
          { to: `/groups/${app.group}`, label: app.group_name },
        ]}
      >
        <Badge state={app.status} />
      </PageHeader>
      <AppTabs slug={app.slug} />
      <StorageBanner storage={storage.data} group={app.group_name} />
      {problem && (
        <div className="notice notice-error" role="alert">
          {problem}
        </div>
      )}
      {rotated && (
        <SecretReveal
          slug={app.slug}
          secret={rotated.secret}
          configs={rotated.agent_configs}
          rotatedUntil={rotated.previous_valid_until}
        />
      )}
      {forwardKey && <ForwardKeyReveal made={forwardKey} />}
      <section aria-label="Numbers" className="stats">
        <Stat label="Logs stored" value={stored ? formatCount(stored.log_count) : "—"} testId="log-count" />
        <Stat label="Bytes stored" value={stored ? formatBytes(stored.bytes_stored) : "—"} />
        <Stat label="Events/s now" value={formatRate(status.events_per_second)} testId="events-per-second" />
        <Stat label="Received, 24 h" value={formatCount(status.received_events_24h)} testId="received-24h" />
      </section>
      {status.stored_error && (
        <div className="notice notice-warn" role="status">
          Stored numbers are unavailable: {status.stored_error}
        </div>
      )}
      {stored && stored.log_count === 0 && status.received_events_24h === 0 && (
        <Empty title="No logs yet: here is how to send your first one">
          <p>
            Configure your agent (fluentd, Fluent Bit, the OpenTelemetry Collector, Filebeat,
            Logstash, Vector or rsyslog) with the configuration shown at registration (or after a
            secret rotation), or send one event by hand:
          </p>
          <CodeBlock code={curlExample(app.endpoints.ingest)} label="curl example" />
        </Empty>
      )}
      <section className="panel charts" aria-label="Events per second">
        <BarChart bars={usageBars(status.last_hour)} title="Events/s, last hour" format={formatRate} />
        <BarChart bars={usageBars(status.last_day)} title="Events/s, last day" format={formatRate} />
      </section>
      <div className="columns">
        <section className="panel" aria-labelledby="lost-title">
          <h2 id="lost-title">Lost events, last 24 h</h2>
          {rejected.length === 0 && status.dead_lettered_24h === 0 ? (
            <p className="muted">None: every event sent was accepted and indexed.</p>
          ) : (
            <dl className="facts">
              {rejected.map(([reason, count]) => (
                <div key={reason}>
                  <dt>Rejected: {reason.replace(/_/g, " ")}</dt>
                  <dd>{formatCount(count)}</dd>
                </div>
              ))}
              <dt>Dead letters (could not be indexed)</dt>
              <dd>{formatCount(status.dead_lettered_24h)}</dd>
            </dl>
          )}
        </section>
        <section className="panel" aria-labelledby="setup-title">
          <h2 id="setup-title">Endpoints and capacity</h2>
          <dl className="facts">
            <dt>Ingest</dt>
            <dd>
              <code>{app.endpoints.ingest}</code>
            </dd>
            <OtherEndpoints endpoints={app.endpoints} />
            <dt>Live tail</dt>
            <dd>
              <code>{app.endpoints.tail}</code>
            </dd>
            <dt>Viewer</dt>
            <dd>
              {app.endpoints.viewer ? (
                <a href={app.endpoints.viewer} target="_blank" rel="noreferrer">
                  Open in Kibana
                </a>
              ) : (
                <NoViewer />
              )}
            </dd>
            <dt>Capacity</dt>
            <dd>
              {app.capacity}, {formatCount(app.tps)} events/s{app.custom_tps ? " (custom)" : ""},{" "}
              {app.retention_days} days retention
            </dd>
            <dt>Infrastructure</dt>
            <dd>
              {app.infrastructure ? (
                <>
                  <Badge state={app.infrastructure.state} />{" "}
                  {app.infrastructure.message && (
                    <span className="muted">{app.infrastructure.message}</span>
                  )}
                </>
              ) : (
                "none"
              )}
            </dd>
            <dt>Logs cluster</dt>
            <dd>
              <LogsCluster placement={app.infrastructure?.placement} cluster={app.cluster} />
            </dd>
            <dt>Forward key</dt>
            <dd>{app.has_forward_key ? "made (shown once when made)" : "none"}</dd>
            {app.previous_secret_valid_until && (
              <>
                <dt>Previous secret</dt>
                <dd>works until {new Date(app.previous_secret_valid_until).toLocaleString()}</dd>
              </>
            )}
          </dl>
        </section>
      </div>
      <StoragePanel loaded={storage} group={app.group_name} app={app.slug} />
      <section className="panel" aria-labelledby="manage-title">
        <h2 id="manage-title">Manage</h2>
        {canManage ? (
        <div className="actions">
          <ConfirmButton
            label="Rotate secret"
            question="Issue a new secret? The current one keeps working for a grace period, so update your agents soon."
            confirmLabel="Rotate"
            onConfirm={() =>
              act(async () => setRotated(await unwrap(api.POST("/api/v1/apps/{slug}/secret", path))))
            }
          />
          <ConfirmButton
            label={app.has_forward_key ? "Replace forward key" : "Make forward key"}
            question={
              app.has_forward_key
                ? "Make a new forward key? The current one stops working at once: agents using it are refused at their next connection."
                : "Make a forward key for the fluentd forward protocol's handshake (fluentd and Fluent Bit <security>)? It is shown once."
            }
            confirmLabel={app.has_forward_key ? "Replace" : "Make"}
            onConfirm={() =>
              act(async () =>
                setForwardKey(await unwrap(api.POST("/api/v1/apps/{slug}/forward-key", path))),
              )
            }
          />
          {app.status === "active" ? (
            <ConfirmButton
              label="Deactivate"
              question="Stop accepting this app's logs? Agents get 403 until you activate it again."
              confirmLabel="Deactivate"
              onConfirm={() => act(() => unwrap(api.POST("/api/v1/apps/{slug}/deactivate", path)))}
            />
          ) : (
            <button
              type="button"
              className="button"
              onClick={() => act(() => unwrap(api.POST("/api/v1/apps/{slug}/activate", path)))}
            >
              Activate
            </button>
          )}
          <ConfirmButton
            label="Delete app"
            danger
            question={`Delete ${app.name}? Ingest refuses it at once and it disappears from search. This cannot be undone.`}
            confirmLabel="Delete for good"
            onConfirm={async () => {
              try {
                await unwrap(api.DELETE("/api/v1/apps/{slug}", path));
                navigate(`/groups/${app.group}`);
              } catch (err) {
                setProblem(messageOf(err));
              }
            }}
          />
          <Link className="button" to={`/apps/${app.slug}/logs`}>
            Search logs
          </Link>
          <DeleteLogsDialog slug={app.slug} onChange={() => setDeletions((n) => n + 1)} />
        </div>
        ) : (
          <p className="muted" data-testid="member-note">
            You are a member of {app.group_name}: you can read this app's status and logs. Rotating
            its secret, deactivating or deleting it needs the owner or admin role; ask one of them.
          </p>
        )}
      </section>
      <DeletionJobs slug={app.slug} round={deletions} />
    </>
  );
}

function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="stat">
      <div className="stat-label">{label}</div>
      <div className="stat-value" data-testid={testId}>
        {value}
      </div>
    </div>
  );
}
