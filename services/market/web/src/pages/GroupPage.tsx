import { type FormEvent, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { type App, type AppStatusInfo, api, type Member, type Role, unwrap } from "../api/client";
import { messageOf } from "../api/errors";
import { GroupTabs } from "../components/GroupTabs";
import { PageHeader } from "../components/Layout";
import { Badge, Empty, ErrorNotice, Loading } from "../components/States";
import { StorageBanner, StoragePanel, useGroupStorage } from "../components/StorageUsage";
import { formatCount, formatRate } from "../lib/format";
import { useLoad } from "../lib/useLoad";

const ROLES: Role[] = ["member", "admin", "owner"];

async function loadGroup(slug: string) {
  const [group, apps, members] = await Promise.all([
    unwrap(api.GET("/api/v1/groups/{group_slug}", { params: { path: { group_slug: slug } } })),
    unwrap(api.GET("/api/v1/apps", { params: { query: { group: slug } } })),
    unwrap(
      api.GET("/api/v1/groups/{group_slug}/members", { params: { path: { group_slug: slug } } }),
    ),
  ]);
  // Status per app: a failed one shows as unknown rather than hiding the group.
  const statuses = await Promise.all(
    apps.data.map((app) =>
      unwrap(api.GET("/api/v1/apps/{slug}/status", { params: { path: { slug: app.slug } } })).catch(
        () => null,
      ),
    ),
  );
  return { group, apps: apps.data, members: members.data, statuses };
}

export function GroupPage() {
  const { group: slug = "" } = useParams();
  const loaded = useLoad(() => loadGroup(slug), slug);
  const storage = useGroupStorage(slug);
  if (loaded.error) {
    return (
      <>
        <PageHeader title="App group" crumbs={[{ to: "/groups", label: "Groups" }]} />
        <ErrorNotice error={loaded.error} retry={loaded.reload} />
      </>
    );
  }
  if (!loaded.data) return <Loading what="the group" />;
  const { group, apps, members, statuses } = loaded.data;
  const manage = group.role === "owner" || group.role === "admin" || group.role === null;
  const infrastructure = apps.find((app) => app.infrastructure)?.infrastructure ?? null;
  return (
    <>
      <PageHeader title={group.name} crumbs={[{ to: "/groups", label: "Groups" }]}>
        {manage && (
          <Link className="button button-primary" to={`/apps/new?group=${group.slug}`}>
            Register an app here
          </Link>
        )}
      </PageHeader>
      <GroupTabs slug={group.slug} manage={manage} />
      <StorageBanner storage={storage.data} group={group.name} />
      <section className="panel" aria-labelledby="infra-title">
        <h2 id="infra-title">Infrastructure</h2>
        {infrastructure ? (
          <p>
            <Badge state={infrastructure.state} /> capacity <strong>{infrastructure.capacity}</strong>
            {infrastructure.message && <span className="muted"> · {infrastructure.message}</span>}
          </p>
        ) : (
          <p className="muted">Created with the group's first application.</p>
        )}
      </section>
      <section className="panel" aria-labelledby="apps-title">
        <h2 id="apps-title">Applications</h2>
        {apps.length === 0 ? (
          <Empty title="No applications yet">
            {manage ? (
              <Link to={`/apps/new?group=${group.slug}`}>Register the first one</Link>
            ) : (
              <p>An owner or admin of the group registers its applications.</p>
            )}
          </Empty>
        ) : (
          <AppsTable apps={apps} statuses={statuses} />
        )}
      </section>
      <StoragePanel loaded={storage} group={group.name} />
      <Members
        group={group.slug}
        members={members}
        manage={manage}
        onChange={loaded.reload}
      />
    </>
  );
}

function AppsTable({ apps, statuses }: { apps: App[]; statuses: (AppStatusInfo | null)[] }) {
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label="Applications of the group">
      <table>
        <thead>
          <tr>
            <th scope="col">Application</th>
            <th scope="col">Status</th>
            <th scope="col">Capacity</th>
            <th scope="col" className="num">
              Events/s now
            </th>
            <th scope="col" className="num">
              Logs stored
            </th>
          </tr>
        </thead>
        <tbody>
          {apps.map((app, i) => {
            const status = statuses[i];
            return (
              <tr key={app.slug}>
                <td>
                  <Link to={`/apps/${app.slug}`}>{app.name}</Link>
                  <div className="muted small">{app.slug}</div>
                </td>
                <td>
                  <Badge state={app.status} />
                </td>
                <td>
                  {app.capacity} · {formatCount(app.tps)} /s
                </td>
                <td className="num">{status ? formatRate(status.events_per_second) : "—"}</td>
                <td className="num">
                  {status?.stored ? formatCount(status.stored.log_count) : "—"}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function Members({
  group,
  members,
  manage,
  onChange,
}: {
  group: string;
  members: Member[];
  manage: boolean;
  onChange: () => void;
}) {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [problem, setProblem] = useState<string | null>(null);
  const path = { path: { group_slug: group } };

  async function act(action: () => Promise<unknown>) {
    setProblem(null);
    try {
      await action();
      onChange();
    } catch (err) {
      setProblem(messageOf(err));
    }
  }

  function invite(event: FormEvent) {
    event.preventDefault();
    if (!email.trim()) {
      setProblem("Enter the email of an existing account.");
      return;
    }
    void act(async () => {
      await unwrap(
        api.PUT("/api/v1/groups/{group_slug}/members", {
          params: path,
          body: { email: email.trim(), role },
        }),
      );
      setEmail("");
    });
  }

  return (
    <section className="panel" aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      {problem && (
        <div className="notice notice-error" role="alert">
          {problem}
        </div>
      )}
      <div className="table-wrap" tabIndex={0} role="region" aria-label="Members of the group">
        <table>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              {manage && <th scope="col">Remove</th>}
            </tr>
          </thead>
          <tbody>
            {members.map((member) => (
              <tr key={member.user_id}>
                <td>
                  {member.email}
                  {member.source === "identity_provider" && (
                    <div>
                      <span className="badge badge-busy">
                        from the identity provider
                      </span>
                    </div>
                  )}
                </td>
                <td>
                  {manage ? (
                    <select
                      aria-label={`Role of ${member.email}`}
                      value={member.role}
                      onChange={(e) =>
                        act(() =>
                          unwrap(
                            api.PUT("/api/v1/groups/{group_slug}/members", {
                              params: path,
                              body: { email: member.email, role: e.target.value as Role },
                            }),
                          ),
                        )
                      }
                    >
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                  ) : (
                    member.role
                  )}
                </td>
                {manage && (
                  <td>
                    <button
                      type="button"
                      className="button button-small"
                      aria-label={`Remove ${member.email}`}
                      onClick={() =>
                        act(() =>
                          unwrap(
                            api.DELETE("/api/v1/groups/{group_slug}/members/{user_id}", {
                              params: { path: { group_slug: group, user_id: member.user_id } },
                            }),
                          ),
                        )
                      }
                    >
                      Remove
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {members.some((member) => member.source === "identity_provider") && (
        <p className="hint hint-after-table">
          A role from the identity provider follows the provider's groups and is applied again at
          each of that person's sign-ins: someone who leaves the directory group loses the role at
          their next sign-in. A role changed here becomes a manual one, which sign-ins leave alone.
        </p>
      )}
      {manage && (
        <form className="inline-form" onSubmit={invite} noValidate>
          <label htmlFor="invite-email">Invite by email</label>
          <input
            id="invite-email"
            type="email"
            placeholder="teammate@example.com"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
          <label htmlFor="invite-role" className="sr-only">
            Role
          </label>
          <select id="invite-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
          <button type="submit" className="button">
            Invite
          </button>
        </form>
      )}
    </section>
  );
}
