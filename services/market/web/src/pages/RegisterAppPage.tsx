import { type FormEvent, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { type AppRegistered, api, type CapacityTemplate, unwrap } from "../api/client";
import { ApiFailure, messageOf } from "../api/errors";
import { PageHeader } from "../components/Layout";
import { SecretReveal } from "../components/SecretReveal";
import { ErrorNotice, Loading } from "../components/States";
import { formatCount } from "../lib/format";
import {
  emptyForm,
  type FormErrors,
  NEW_GROUP,
  provisions,
  type RegisterForm,
  templateForTps,
  toAppCreate,
  validate,
} from "../lib/registerForm";
import { useLoad } from "../lib/useLoad";

async function loadChoices() {
  const [groups, templates] = await Promise.all([
    unwrap(api.GET("/api/v1/groups")),
    unwrap(api.GET("/api/v1/capacity-templates")),
  ]);
  // Only groups where the user may register apps (owner or admin; null: superadmin).
  const usable = groups.data.filter((g) => g.role !== "member");
  return { groups: usable, templates: templates.data };
}

export function RegisterAppPage() {
  const choices = useLoad(loadChoices, "choices");
  const [registered, setRegistered] = useState<AppRegistered | null>(null);
  if (registered) {
    return (
      <>
        <PageHeader title={`${registered.name} is registered`} />
        <p className="lead">
          In group <strong>{registered.group_name}</strong>, capacity{" "}
          <strong>{registered.capacity}</strong> ({formatCount(registered.tps)} events/s).
        </p>
        <SecretReveal
          slug={registered.slug}
          secret={registered.secret}
          endpoints={registered.endpoints}
          configs={registered.agent_configs}
        />
      </>
    );
  }
  return (
    <>
      <PageHeader title="Register an application" />
      {choices.error ? (
        <ErrorNotice error={choices.error} retry={choices.reload} />
      ) : !choices.data ? (
        <Loading what="capacity options" />
      ) : (
        <RegisterFormView
          groups={choices.data.groups}
          templates={choices.data.templates}
          onRegistered={setRegistered}
        />
      )}
    </>
  );
}

function RegisterFormView({
  groups,
  templates,
  onRegistered,
}: {
  groups: { slug: string; name: string }[];
  templates: CapacityTemplate[];
  onRegistered: (app: AppRegistered) => void;
}) {
  const [params] = useSearchParams();
  const [form, setForm] = useState<RegisterForm>(() => {
    const initial = emptyForm(groups);
    const wanted = params.get("group");
    return wanted && groups.some((g) => g.slug === wanted)
      ? { ...initial, groupChoice: wanted }
      : initial;
  });
  const [errors, setErrors] = useState<FormErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (change: Partial<RegisterForm>) => {
    setForm((f) => ({ ...f, ...change }));
    // A problem is forgotten as soon as the user touches its field.
    setErrors((e) => {
      const rest = { ...e };
      for (const key of Object.keys(change)) delete rest[key as keyof RegisterForm];
      return rest;
    });
  };
  const customTps = Number(form.customTps);
  const customTemplate =
    form.capacity === "custom" && customTps > 0 ? templateForTps(templates, customTps) : null;

  async function submit(event: FormEvent) {
    event.preventDefault();
    const found = validate(form);
    setErrors(found);
    setFailure(null);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      onRegistered(await unwrap(api.POST("/api/v1/apps", { body: toAppCreate(form) })));
    } catch (err) {
      if (err instanceof ApiFailure) {
        setErrors({
          name: err.fieldMessage("name"),
          customTps: err.fieldMessage("tps"),
          newGroup: err.fieldMessage("new_group"),
        });
      }
      setFailure(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="panel form" onSubmit={submit} noValidate>
      {failure && (
        <div className="notice notice-error" role="alert">
          {failure}
        </div>
      )}
      <label htmlFor="app-name">Application name</label>
      <input
        id="app-name"
        value={form.name}
        onChange={(e) => set({ name: e.target.value })}
        aria-invalid={errors.name ? true : undefined}
        aria-describedby="app-name-hint"
        placeholder="checkout-api"
      />
      <p className="hint" id="app-name-hint">
        {errors.name ? (
          <span className="field-error">{errors.name}</span>
        ) : (
          "Unique within its group; it names the app's topic and indices."
        )}
      </p>

      <fieldset>
        <legend>Capacity</legend>
        <div className="capacity-cards">
          {templates.map((template) => (
            <label
              key={template.name}
              className={`capacity-card ${form.capacity === template.name ? "selected" : ""}`}
            >
              <input
                type="radio"
                name="capacity"
                value={template.name}
                checked={form.capacity === template.name}
                onChange={() => set({ capacity: template.name })}
              />
              <span className="capacity-name">{template.name}</span>
              <span className="capacity-rate">
                {formatCount(template.events_per_second)} events/s
              </span>
              <span className="muted">{template.retention_days} days retention</span>
              <ul>
                {provisions(template).map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            </label>
          ))}
          <label className={`capacity-card ${form.capacity === "custom" ? "selected" : ""}`}>
            <input
              type="radio"
              name="capacity"
              value="custom"
              checked={form.capacity === "custom"}
              onChange={() => set({ capacity: "custom" })}
            />
            <span className="capacity-name">custom</span>
            <span className="muted">Your own events/s limit, on the smallest template that fits.</span>
          </label>
        </div>
        {form.capacity === "custom" && (
          <div className="subfield">
            <label htmlFor="custom-tps">Events per second</label>
            <input
              id="custom-tps"
              inputMode="numeric"
              value={form.customTps}
              onChange={(e) => set({ customTps: e.target.value })}
              aria-invalid={errors.customTps ? true : undefined}
              aria-describedby="custom-tps-hint"
            />
            <p className="hint" id="custom-tps-hint">
              {errors.customTps ? (
                <span className="field-error">{errors.customTps}</span>
              ) : customTemplate ? (
                `Provisioned as ${customTemplate.name}.`
              ) : customTps > 0 ? (
                "Above every template: the largest is used with your limit."
              ) : (
                "A whole number."
              )}
            </p>
          </div>
        )}
      </fieldset>

      <fieldset>
        <legend>App group</legend>
        <label htmlFor="group-choice">Group</label>
        <select
          id="group-choice"
          value={form.groupChoice}
          onChange={(e) => set({ groupChoice: e.target.value })}
        >
          {groups.map((group) => (
            <option key={group.slug} value={group.slug}>
              {group.name}
            </option>
          ))}
          <option value={NEW_GROUP}>+ Create a new group…</option>
        </select>
        {form.groupChoice === NEW_GROUP && (
          <div className="subfield">
            <label htmlFor="new-group">New group name</label>
            <input
              id="new-group"
              value={form.newGroup}
              onChange={(e) => set({ newGroup: e.target.value })}
              aria-invalid={errors.newGroup ? true : undefined}
              aria-describedby="new-group-hint"
              placeholder="payments-team"
            />
            <p className="hint" id="new-group-hint">
              {errors.newGroup ? (
                <span className="field-error">{errors.newGroup}</span>
              ) : (
                "You become its owner and can invite your team."
              )}
            </p>
          </div>
        )}
      </fieldset>
      <button type="submit" className="button button-primary" disabled={busy}>
        {busy ? "Registering…" : "Register application"}
      </button>
    </form>
  );
}
