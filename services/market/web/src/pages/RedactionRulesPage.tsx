import { useState } from "react";
import { useParams } from "react-router-dom";
import { api, type Redaction, unwrap } from "../api/client";
import { messageOf } from "../api/errors";
import { AppTabs } from "../components/AppTabs";
import { ConfirmButton } from "../components/ConfirmButton";
import { PageHeader } from "../components/Layout";
import { RedactionRuleForm } from "../components/RedactionRuleForm";
import { Empty, ErrorNotice, Loading } from "../components/States";
import {
  EMPTY_REDACTION,
  formFromRedaction,
  maskFor,
  movedPosition,
  type RedactionBody,
  redactionSummary,
} from "../lib/governance";
import { useLoad } from "../lib/useLoad";

async function loadRedactions(slug: string) {
  const path = { params: { path: { slug } } };
  const [app, list] = await Promise.all([
    unwrap(api.GET("/api/v1/apps/{slug}", path)),
    unwrap(api.GET("/api/v1/apps/{slug}/redactions", path)),
  ]);
  const group = await unwrap(
    api.GET("/api/v1/groups/{group_slug}", { params: { path: { group_slug: app.group } } }),
  );
  return { app, rules: list.rules, detectors: list.detectors, canManage: group.role !== "member" };
}

/** An app's redaction rules: applied by the receiver, in order, before anything is kept. */
export function RedactionRulesPage() {
  const { slug = "" } = useParams();
  const loaded = useLoad(() => loadRedactions(slug), slug);
  const [editing, setEditing] = useState<Redaction | "new" | null>(null);
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
  if (!loaded.data) return <Loading what="the redaction rules" />;
  const { app, rules, detectors, canManage } = loaded.data;
  const title = editing === "new" ? "New redaction rule" : editing ? `Edit ${editing.name}` : "";

  async function act(action: () => Promise<unknown>) {
    setProblem(null);
    try {
      await action();
      loaded.reload();
    } catch (err) {
      setProblem(messageOf(err));
    }
  }

  function ruleAt(rule: Redaction) {
    return { params: { path: { slug, rule_id: rule.id } } };
  }

  async function save(body: RedactionBody) {
    if (editing === "new") {
      await unwrap(api.POST("/api/v1/apps/{slug}/redactions", { params: { path: { slug } }, body }));
    } else if (editing) {
      await unwrap(api.PATCH("/api/v1/apps/{slug}/redactions/{rule_id}", { ...ruleAt(editing), body }));
    }
    setEditing(null);
    loaded.reload();
  }

  function move(rule: Redaction, index: number, direction: -1 | 1) {
    const position = movedPosition(index, direction, rules.length);
    if (position === null) return;
    void act(() =>
      unwrap(
        api.PATCH("/api/v1/apps/{slug}/redactions/{rule_id}", { ...ruleAt(rule), body: { position } }),
      ),
    );
  }

  return (
    <>
      <PageHeader
        title={`${app.name}: redaction`}
        crumbs={[...crumbs, { to: `/groups/${app.group}`, label: app.group_name }]}
      >
        {canManage && editing === null && (
          <button type="button" className="button button-primary" onClick={() => setEditing("new")}>
            New redaction rule
          </button>
        )}
      </PageHeader>
      <AppTabs slug={slug} />
      <p className="lead">
        The receiver applies these rules, top to bottom, to every event before it is written
        anywhere: the live tail, search and dead letters never hold the original. A masked value
        reads <code>{maskFor("rule-name")}</code>. Changes reach the receivers within seconds;
        events already stored are not rewritten.
      </p>
      {problem && (
        <div className="notice notice-error" role="alert">
          {problem}
        </div>
      )}
      {editing !== null && (
        <section className="panel" aria-labelledby="redaction-form-title">
          <h2 id="redaction-form-title">{title}</h2>
          <RedactionRuleForm
            key={editing === "new" ? "new" : editing.id}
            title={title}
            initial={editing === "new" ? EMPTY_REDACTION : formFromRedaction(editing)}
            detectors={detectors}
            submitLabel={editing === "new" ? "Add rule" : "Save rule"}
            onSubmit={save}
            onCancel={() => setEditing(null)}
          />
        </section>
      )}
      <section className="panel" aria-labelledby="redactions-title">
        <h2 id="redactions-title">Rules, in the order they apply</h2>
        {rules.length === 0 ? (
          <Empty title="No redaction rules yet">
            <p>
              {canManage
                ? "Add one with New redaction rule: for instance, the email detector."
                : "An owner or admin of the group adds them."}
            </p>
          </Empty>
        ) : (
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Redaction rules of the app">
            <table>
              <thead>
                <tr>
                  <th scope="col" className="num">
                    #
                  </th>
                  <th scope="col">Rule</th>
                  <th scope="col">Does</th>
                  {canManage && <th scope="col">Actions</th>}
                </tr>
              </thead>
              <tbody>
                {rules.map((rule, index) => (
                  <tr key={rule.id} data-testid="redaction-rule">
                    <td className="num">{index + 1}</td>
                    <td>
                      <strong>{rule.name}</strong>
                      <div className="muted small">{rule.kind}</div>
                    </td>
                    <td>{redactionSummary(rule, detectors)}</td>
                    {canManage && (
                      <td>
                        <div className="actions">
                          <button
                            type="button"
                            className="button button-small"
                            disabled={index === 0}
                            onClick={() => move(rule, index, -1)}
                          >
                            Move up<span className="sr-only"> {rule.name}</span>
                          </button>
                          <button
                            type="button"
                            className="button button-small"
                            disabled={index === rules.length - 1}
                            onClick={() => move(rule, index, 1)}
                          >
                            Move down<span className="sr-only"> {rule.name}</span>
                          </button>
                          <button type="button" className="button button-small" onClick={() => setEditing(rule)}>
                            Edit<span className="sr-only"> {rule.name}</span>
                          </button>
                          <ConfirmButton
                            small
                            danger
                            label="Delete"
                            detail={rule.name}
                            question={`Delete the rule ${rule.name}? Events that arrive from now on keep what it removed or masked.`}
                            confirmLabel="Delete"
                            onConfirm={() =>
                              act(() => unwrap(api.DELETE("/api/v1/apps/{slug}/redactions/{rule_id}", ruleAt(rule))))
                            }
                          />
                        </div>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {!canManage && (
          <p className="muted" data-testid="member-note">
            You are a member: you can read these rules; an owner or admin of the group changes them.
          </p>
        )}
      </section>
    </>
  );
}
