import { useState } from "react";
import { Link, useParams } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { messageOf } from "../api/errors";
import { AlertRuleForm } from "../components/AlertRuleForm";
import { AppTabs } from "../components/AppTabs";
import { ConfirmButton } from "../components/ConfirmButton";
import { PageHeader } from "../components/Layout";
import { Empty, ErrorNotice, Loading } from "../components/States";
import {
  type Channel,
  conditionWords,
  EMPTY_RULE,
  formFromRule,
  formatWindow,
  isMuted,
  matchSummary,
  muteFor,
  type Rule,
  type RuleCreate,
} from "../lib/alerts";
import { formatAgo, formatTime } from "../lib/format";
import { useLoad } from "../lib/useLoad";

async function loadRules(slug: string) {
  const path = { params: { path: { slug } } };
  const [app, rules] = await Promise.all([
    unwrap(api.GET("/api/v1/apps/{slug}", path)),
    unwrap(api.GET("/api/v1/apps/{slug}/alerts", path)),
  ]);
  const [group, channels] = await Promise.all([
    unwrap(api.GET("/api/v1/groups/{group_slug}", { params: { path: { group_slug: app.group } } })),
    unwrap(api.GET("/api/v1/groups/{slug}/alert-channels", { params: { path: { slug: app.group } } })),
  ]);
  return { app, rules: rules.data, channels: channels.data, canManage: group.role !== "member" };
}

/** An app's alert rules: each watches the live stream and notifies the group's channels. */
export function AlertRulesPage() {
  const { slug = "" } = useParams();
  const loaded = useLoad(() => loadRules(slug), slug);
  const [editing, setEditing] = useState<Rule | "new" | null>(null);
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
  if (!loaded.data) return <Loading what="the alert rules" />;
  const { app, rules, channels, canManage } = loaded.data;
  const rulesPath = { params: { path: { slug } } };

  async function act(action: () => Promise<unknown>) {
    setProblem(null);
    try {
      await action();
      loaded.reload();
    } catch (err) {
      setProblem(messageOf(err));
    }
  }

  function patch(rule: Rule, body: { muted_until?: string | null; enabled?: boolean }) {
    return act(() =>
      unwrap(
        api.PATCH("/api/v1/apps/{slug}/alerts/{rule_id}", {
          params: { path: { slug, rule_id: rule.id } },
          body,
        }),
      ),
    );
  }

  async function save(body: RuleCreate) {
    if (editing === "new") {
      await unwrap(api.POST("/api/v1/apps/{slug}/alerts", { ...rulesPath, body }));
    } else if (editing) {
      await unwrap(
        api.PATCH("/api/v1/apps/{slug}/alerts/{rule_id}", {
          params: { path: { slug, rule_id: editing.id } },
          body,
        }),
      );
    }
    setEditing(null);
    loaded.reload();
  }

  return (
    <>
      <PageHeader
        title={`${app.name}: alerts`}
        crumbs={[...crumbs, { to: `/groups/${app.group}`, label: app.group }]}
      >
        {canManage && editing === null && (
          <button type="button" className="button button-primary" onClick={() => setEditing("new")}>
            New rule
          </button>
        )}
      </PageHeader>
      <AppTabs slug={slug} />
      <p className="lead">
        Rules watch the app's live stream within seconds of arrival and notify the group's{" "}
        <Link to={`/groups/${app.group}/alert-channels`}>alert channels</Link>. What happened is on
        the <Link to={`/apps/${slug}/alerts/history`}>alert history</Link>.
      </p>
      {problem && (
        <div className="notice notice-error" role="alert">
          {problem}
        </div>
      )}
      {editing !== null && (
        <section className="panel" aria-labelledby="rule-form-title">
          <h2 id="rule-form-title">{editing === "new" ? "New rule" : `Edit ${editing.name}`}</h2>
          <AlertRuleForm
            key={editing === "new" ? "new" : editing.id}
            title={editing === "new" ? "New rule" : `Edit ${editing.name}`}
            initial={editing === "new" ? EMPTY_RULE : formFromRule(editing)}
            channels={channels}
            submitLabel={editing === "new" ? "Create rule" : "Save rule"}
            onSubmit={save}
            onCancel={() => setEditing(null)}
          />
        </section>
      )}
      <section className="panel" aria-labelledby="rules-title">
        <h2 id="rules-title">Rules</h2>
        {rules.length === 0 ? (
          <Empty title="No alert rules yet">
            <p>
              {canManage
                ? "Add one with New rule: for instance, any event containing \"payment failed\"."
                : "An owner or admin of the group adds them."}
            </p>
          </Empty>
        ) : (
          <RulesTable
            rules={rules}
            channels={channels}
            canManage={canManage}
            onEdit={setEditing}
            onMute={(rule) => patch(rule, { muted_until: muteFor(1) })}
            onUnmute={(rule) => patch(rule, { muted_until: null })}
            onDelete={(rule) =>
              act(() =>
                unwrap(
                  api.DELETE("/api/v1/apps/{slug}/alerts/{rule_id}", {
                    params: { path: { slug, rule_id: rule.id } },
                  }),
                ),
              )
            }
          />
        )}
      </section>
    </>
  );
}

function StatusBadge({ status }: { status: Rule["status"] }) {
  const tone = { ok: "good", firing: "bad", resolved: "muted" }[status];
  return <span className={`badge badge-${tone}`}>{status}</span>;
}

function RulesTable({
  rules,
  channels,
  canManage,
  onEdit,
  onMute,
  onUnmute,
  onDelete,
}: {
  rules: Rule[];
  channels: Channel[];
  canManage: boolean;
  onEdit: (rule: Rule) => void;
  onMute: (rule: Rule) => Promise<void>;
  onUnmute: (rule: Rule) => Promise<void>;
  onDelete: (rule: Rule) => Promise<void>;
}) {
  const names = new Map(channels.map((c) => [c.id, c.name]));
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label="Alert rules of the app">
      <table>
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col">Fires on</th>
            <th scope="col">Severity</th>
            <th scope="col">Notifies</th>
            <th scope="col">Status</th>
            {canManage && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {rules.map((rule) => {
            const muted = isMuted(rule);
            return (
              <tr key={rule.id} data-testid="alert-rule">
                <td>
                  <strong>{rule.name}</strong>
                  <div className="muted small">{matchSummary(rule.match)}</div>
                </td>
                <td>
                  {conditionWords(rule.condition)}
                  {rule.renotify_s !== null && (
                    <div className="muted small">again every {formatWindow(rule.renotify_s)}</div>
                  )}
                </td>
                <td>{rule.severity}</td>
                <td>
                  {rule.channel_ids.length
                    ? rule.channel_ids.map((id) => names.get(id) ?? "a deleted channel").join(", ")
                    : "history only"}
                </td>
                <td>
                  <StatusBadge status={rule.status} />
                  {!rule.enabled && <span className="badge badge-muted">disabled</span>}
                  {muted && rule.muted_until && (
                    <div className="muted small" title={formatTime(rule.muted_until)}>
                      muted until {formatTime(rule.muted_until)} ({formatAgo(rule.muted_until)})
                    </div>
                  )}
                </td>
                {canManage && (
                  <td>
                    <div className="actions">
                      <button type="button" className="button button-small" onClick={() => onEdit(rule)}>
                        Edit<span className="sr-only"> {rule.name}</span>
                      </button>
                      <button
                        type="button"
                        className="button button-small"
                        onClick={() => (muted ? onUnmute(rule) : onMute(rule))}
                      >
                        {muted ? "Unmute" : "Mute 1 h"}
                        <span className="sr-only"> {rule.name}</span>
                      </button>
                      <ConfirmButton
                        small
                        danger
                        label="Delete"
                        detail={rule.name}
                        question={`Delete the rule ${rule.name}? Its history stays.`}
                        confirmLabel="Delete"
                        onConfirm={() => onDelete(rule)}
                      />
                    </div>
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
