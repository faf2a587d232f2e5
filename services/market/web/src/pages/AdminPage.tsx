import { useState } from "react";
import { api, type Infrastructure, unwrap } from "../api/client";
import { messageOf } from "../api/errors";
import { useSession } from "../auth/session";
import { AdminTabs } from "../components/AdminTabs";
import { GroupQuotas } from "../components/GroupQuotas";
import { PageHeader } from "../components/Layout";
import { LogsCluster } from "../components/LogsCluster";
import { Badge, Empty, ErrorNotice, Loading } from "../components/States";
import { formatAgo, formatCount, formatTime } from "../lib/format";
import { provisions } from "../lib/registerForm";
import { useLoad } from "../lib/useLoad";

async function loadAdmin() {
  const [infrastructures, users, templates, groups] = await Promise.all([
    unwrap(api.GET("/api/v1/admin/infrastructures")),
    unwrap(api.GET("/api/v1/admin/users")),
    unwrap(api.GET("/api/v1/admin/capacity-templates")),
    unwrap(api.GET("/api/v1/groups")),
  ]);
  return {
    infrastructures: infrastructures.data,
    users: users.data,
    templates: templates.data,
    groups: groups.data,
  };
}

export function AdminPage() {
  const { user } = useSession();
  if (!user?.is_superadmin) {
    return (
      <>
        <PageHeader title="Administration" />
        <div className="notice notice-info" role="alert">
          Administration is for superadmins only. Ask one if you need something changed.
        </div>
      </>
    );
  }
  return <AdminView />;
}

function AdminView() {
  const loaded = useLoad(loadAdmin, "admin");
  if (loaded.error) {
    return (
      <>
        <PageHeader title="Administration" />
        <ErrorNotice error={loaded.error} retry={loaded.reload} />
      </>
    );
  }
  if (!loaded.data) return <Loading what="the installation" />;
  const { infrastructures, users, templates, groups } = loaded.data;
  return (
    <>
      <PageHeader title="Administration" />
      <AdminTabs />
      <section className="panel" aria-labelledby="infra-heading">
        <h2 id="infra-heading">Infrastructures</h2>
        {infrastructures.length === 0 ? (
          <Empty title="No infrastructure yet">
            <p>Each app group gets one when its first application is registered.</p>
          </Empty>
        ) : (
          infrastructures.map((infra) => (
            <InfrastructureCard key={infra.id} infra={infra} onChange={loaded.reload} />
          ))
        )}
      </section>
      <section className="panel" aria-labelledby="users-heading">
        <h2 id="users-heading">Users</h2>
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Users">
          <table>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">State</th>
                <th scope="col" className="num">
                  Groups
                </th>
                <th scope="col">Joined</th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr key={u.id}>
                  <td>{u.email}</td>
                  <td>{u.is_superadmin ? "superadmin" : "user"}</td>
                  <td>{u.is_active ? "active" : "disabled"}</td>
                  <td className="num">{formatCount(u.groups)}</td>
                  <td>{formatAgo(u.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section className="panel" aria-labelledby="quotas-heading">
        <h2 id="quotas-heading">Storage quotas</h2>
        <p className="lead">
          A group's apps share its storage limit (by default the sum of its apps' capacity templates'); past it, the
          oldest days of their logs are dropped.
        </p>
        <GroupQuotas groups={groups} />
      </section>
      <section className="panel" aria-labelledby="templates-heading">
        <h2 id="templates-heading">Capacity templates</h2>
        <ul className="cards">
          {templates.map((t) => (
            <li key={t.name} className="card">
              <h3>{t.name}</h3>
              <p>
                <strong>{formatCount(t.events_per_second)} events/s</strong> ·{" "}
                {t.retention_days} days
              </p>
              <ul className="small">
                {provisions(t).map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}

function InfrastructureCard({ infra, onChange }: { infra: Infrastructure; onChange: () => void }) {
  const [open, setOpen] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const path = { params: { path: { infrastructure_id: infra.id } } };
  const detail = useLoad(
    () => (open ? unwrap(api.GET("/api/v1/admin/infrastructures/{infrastructure_id}", path)) : Promise.resolve(null)),
    `${infra.id}-${open}`,
  );
  async function retry() {
    setProblem(null);
    try {
      await unwrap(api.POST("/api/v1/admin/infrastructures/{infrastructure_id}/retry", path));
      onChange();
    } catch (err) {
      setProblem(messageOf(err));
    }
  }
  return (
    <article className="infra">
      <header className="infra-head">
        <h3>
          {infra.group_name} <span className="muted small">({infra.group})</span>
        </h3>
        <Badge state={infra.state} />
        <span className="muted">
          capacity {infra.capacity}, {infra.placement}
        </span>
        {infra.state === "ERROR" && (
          <button type="button" className="button button-small" onClick={retry}>
            Retry
          </button>
        )}
      </header>
      {infra.message && <p className="muted">{infra.message}</p>}
      <p>
        Logs: <LogsCluster placement={infra.placement} cluster={infra.cluster} />
      </p>
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
      <div className="table-wrap" tabIndex={0} role="region" aria-label={`Components of ${infra.group_name}`}>
        <table>
          <caption className="sr-only">Components of {infra.group_name}</caption>
          <thead>
            <tr>
              <th scope="col">Component</th>
              <th scope="col">Kind</th>
              <th scope="col">Address</th>
              <th scope="col">State</th>
              <th scope="col">Message</th>
            </tr>
          </thead>
          <tbody>
            {infra.components.length === 0 ? (
              <tr>
                <td colSpan={5} className="muted">
                  No components reported yet.
                </td>
              </tr>
            ) : (
              infra.components.map((c) => (
                <tr key={c.name}>
                  <td>{c.name}</td>
                  <td>{c.kind}</td>
                  <td>
                    <code>{c.address ?? "—"}</code>
                  </td>
                  <td>
                    <Badge state={c.state} />
                  </td>
                  <td className="small">{c.message ?? ""}</td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
      <button
        type="button"
        className="button button-small"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        {open ? "Hide" : "Show"} provisioning timeline
      </button>
      {open &&
        (detail.error ? (
          <ErrorNotice error={detail.error} retry={detail.reload} />
        ) : !detail.data ? (
          <Loading what="the timeline" />
        ) : (
          <ol className="timeline">
            {detail.data.timeline.map((entry, i) => (
              <li key={`${entry.command_id}-${i}`}>
                <span className="tail-time">{formatTime(entry.at)}</span>{" "}
                <strong>{entry.source === "command" ? "asked" : "reported"}</strong>{" "}
                <Badge state={entry.state} /> {entry.message && <span>{entry.message}</span>}
              </li>
            ))}
          </ol>
        ))}
    </article>
  );
}
