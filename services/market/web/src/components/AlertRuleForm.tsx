import { type FormEvent, useState } from "react";
import { ApiFailure, messageOf } from "../api/errors";
import {
  type Channel,
  type ConditionKind,
  isProblem,
  placeRefusal,
  type RuleCreate,
  type RuleField,
  type RuleForm,
  ruleBody,
  ruleFieldOf,
  SEVERITIES,
  type Severity,
  type WindowUnit,
} from "../lib/alerts";
import { FormField } from "./FormField";

interface Props {
  title: string;
  initial: RuleForm;
  channels: Channel[];
  submitLabel: string;
  /** Sends the body; a thrown ApiFailure is shown at the input it names. */
  onSubmit: (body: RuleCreate) => Promise<void>;
  onCancel?: () => void;
}

/** Create or edit one alert rule: what to match, when it fires, whom to tell. */
export function AlertRuleForm({ title, initial, channels, submitLabel, onSubmit, onCancel }: Props) {
  const [form, setForm] = useState<RuleForm>(initial);
  const [placed, setPlaced] = useState<{ field: RuleField | null; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const at = (field: RuleField) => (placed?.field === field ? placed.message : null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setPlaced(null);
    const body = ruleBody(form);
    if (isProblem<RuleField>(body)) {
      setPlaced(body);
      return;
    }
    setBusy(true);
    try {
      await onSubmit(body);
    } catch (err) {
      setPlaced(
        err instanceof ApiFailure
          ? placeRefusal(err.fields, err.message, ruleFieldOf)
          : { field: null, message: messageOf(err) },
      );
    } finally {
      setBusy(false);
    }
  }

  function toggleChannel(id: string, on: boolean) {
    const others = form.channelIds.filter((c) => c !== id);
    setForm({ ...form, channelIds: on ? [...others, id] : others });
  }

  const conditionProblem = at("condition");
  return (
    <form className="form rule-form" onSubmit={submit} noValidate aria-label={title}>
      <FormField id="rule-name" label="Rule name" problem={at("name")}>
        <input
          value={form.name}
          placeholder="e.g. Checkout errors"
          onChange={(e) => setForm({ ...form, name: e.target.value })}
        />
      </FormField>
      <fieldset aria-describedby={at("match") ? "rule-match-problem" : "rule-match-hint"}>
        <legend>Events that count</legend>
        <p className="hint" id="rule-match-hint">
          The live tail's filters: every part given must match; none given, every event counts.
        </p>
        <div className="search-row">
          <div className="grow">
            <FormField id="rule-q" label="Contains">
              <input
                value={form.q}
                placeholder="e.g. payment failed"
                onChange={(e) => setForm({ ...form, q: e.target.value })}
              />
            </FormField>
          </div>
          <div className="grow">
            <FormField id="rule-regex" label="Regular expression (RE2)">
              <input
                value={form.regex}
                placeholder="e.g. timeout after \d+ ms"
                onChange={(e) => setForm({ ...form, regex: e.target.value })}
              />
            </FormField>
          </div>
          <div>
            <FormField id="rule-level" label="Levels">
              <input
                value={form.level}
                placeholder="error,fatal"
                onChange={(e) => setForm({ ...form, level: e.target.value })}
              />
            </FormField>
          </div>
        </div>
        <FormField id="rule-fields" label="Fields" hint="One name=value per line; a dotted name reaches nested fields.">
          <textarea
            rows={2}
            value={form.fields}
            placeholder="http.status=500"
            onChange={(e) => setForm({ ...form, fields: e.target.value })}
          />
        </FormField>
        {at("match") && (
          <p className="field-error" id="rule-match-problem" role="alert">
            {at("match")}
          </p>
        )}
      </fieldset>
      <fieldset aria-describedby={conditionProblem ? "rule-condition-problem" : undefined}>
        <legend>Fires when</legend>
        <div className="search-row">
          <div>
            <FormField id="rule-kind" label="Condition">
              <select
                value={form.kind}
                onChange={(e) => setForm({ ...form, kind: e.target.value as ConditionKind })}
              >
                <option value="any">Any matching event</option>
                <option value="threshold">At least N matching events</option>
                <option value="absence">Fewer than N events</option>
              </select>
            </FormField>
          </div>
          {form.kind !== "any" && (
            <div>
              <FormField id="rule-count" label="N">
                <input
                  type="number"
                  min={1}
                  inputMode="numeric"
                  value={form.count}
                  onChange={(e) => setForm({ ...form, count: e.target.value })}
                />
              </FormField>
            </div>
          )}
          <div>
            <FormField
              id="rule-window"
              label={form.kind === "any" ? "Resolves after quiet for" : "Within"}
            >
              <input
                type="number"
                min={1}
                value={form.window}
                onChange={(e) => setForm({ ...form, window: e.target.value })}
              />
            </FormField>
          </div>
          <div>
            <FormField id="rule-window-unit" label="Unit">
              <select
                value={form.windowUnit}
                onChange={(e) => setForm({ ...form, windowUnit: e.target.value as WindowUnit })}
              >
                <option value="s">seconds</option>
                <option value="min">minutes</option>
                <option value="h">hours</option>
              </select>
            </FormField>
          </div>
          <div>
            <FormField id="rule-severity" label="Severity">
              <select
                value={form.severity}
                onChange={(e) => setForm({ ...form, severity: e.target.value as Severity })}
              >
                {SEVERITIES.map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            </FormField>
          </div>
        </div>
        {conditionProblem && (
          <p className="field-error" id="rule-condition-problem" role="alert">
            {conditionProblem}
          </p>
        )}
      </fieldset>
      <fieldset aria-describedby={at("channels") ? "rule-channels-problem" : undefined}>
        <legend>Notify</legend>
        {channels.length === 0 ? (
          <p className="hint">
            The group has no alert channels yet: the rule still fires and shows in the history. Its
            owners and admins add channels on the group's Alert channels tab.
          </p>
        ) : (
          channels.map((channel) => (
            <label className="check" key={channel.id}>
              <input
                type="checkbox"
                checked={form.channelIds.includes(channel.id)}
                onChange={(e) => toggleChannel(channel.id, e.target.checked)}
              />
              {channel.name} <span className="muted">({channel.kind})</span>
            </label>
          ))
        )}
        {at("channels") && (
          <p className="field-error" id="rule-channels-problem" role="alert">
            {at("channels")}
          </p>
        )}
      </fieldset>
      <div className="search-row">
        <div>
          <FormField
            id="rule-renotify"
            label="Re-notify every (minutes)"
            hint="While firing; empty: once per firing."
            problem={at("renotify")}
          >
            <input
              type="number"
              min={1}
              value={form.renotifyMin}
              onChange={(e) => setForm({ ...form, renotifyMin: e.target.value })}
            />
          </FormField>
        </div>
        <div>
          <FormField
            id="rule-muted-until"
            label="Muted until"
            hint="Your local time; the rule still fires but sends nothing."
            problem={at("muted_until")}
          >
            <input
              type="datetime-local"
              value={form.mutedUntil}
              onChange={(e) => setForm({ ...form, mutedUntil: e.target.value })}
            />
          </FormField>
        </div>
      </div>
      <label className="check">
        <input
          type="checkbox"
          checked={form.enabled}
          onChange={(e) => setForm({ ...form, enabled: e.target.checked })}
        />
        Enabled
      </label>
      {placed && !placed.field && (
        <p className="field-error" role="alert">
          {placed.message}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? "One moment…" : submitLabel}
        </button>
        {onCancel && (
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
