import { type FormEvent, useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { messageOf } from "../api/errors";
import { PageHeader } from "../components/Layout";
import { Empty, ErrorNotice, Loading } from "../components/States";
import { formatAgo } from "../lib/format";
import { useLoad } from "../lib/useLoad";

export function GroupsPage() {
  const navigate = useNavigate();
  const groups = useLoad(() => unwrap(api.GET("/api/v1/groups")), "groups");
  const [name, setName] = useState("");
  const [problem, setProblem] = useState<string | null>(null);

  async function create(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    if (!name.trim()) {
      setProblem("Give the group a name.");
      return;
    }
    try {
      const group = await unwrap(api.POST("/api/v1/groups", { body: { name: name.trim() } }));
      navigate(`/groups/${group.slug}`);
    } catch (err) {
      setProblem(messageOf(err));
    }
  }

  return (
    <>
      <PageHeader title="App groups">
        <Link className="button button-primary" to="/apps/new">
          Register an application
        </Link>
      </PageHeader>
      <p className="lead">
        An app group is a team's space: its apps share one infrastructure, and its members can read
        every app's logs.
      </p>
      {groups.error ? (
        <ErrorNotice error={groups.error} retry={groups.reload} />
      ) : groups.loading && !groups.data ? (
        <Loading what="your groups" />
      ) : groups.data && groups.data.data.length === 0 ? (
        <Empty title="You are not in any group yet">
          <p>
            Register your first application: you can create its group on the same form. Or ask a
            group's owner to invite you by email.
          </p>
          <Link className="button button-primary" to="/apps/new">
            Register an application
          </Link>
        </Empty>
      ) : (
        <ul className="cards" aria-label="Your app groups">
          {groups.data?.data.map((group) => (
            <li key={group.slug} className="card">
              <h2>
                <Link to={`/groups/${group.slug}`}>{group.name}</Link>
              </h2>
              <p className="muted">
                {group.role ? `You are ${group.role}` : "Superadmin view"} · created{" "}
                {formatAgo(group.created_at)}
              </p>
            </li>
          ))}
        </ul>
      )}
      <section className="panel" aria-labelledby="new-group">
        <h2 id="new-group">New app group</h2>
        <form className="inline-form" onSubmit={create} noValidate>
          <label htmlFor="group-name">Group name</label>
          <input
            id="group-name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-describedby={problem ? "group-problem" : undefined}
          />
          <button type="submit" className="button">
            Create group
          </button>
        </form>
        {problem && (
          <p className="field-error" id="group-problem" role="alert">
            {problem}
          </p>
        )}
      </section>
    </>
  );
}
