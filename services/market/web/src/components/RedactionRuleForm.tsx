import { type FormEvent, useState } from "react";
import { ApiFailure, messageOf } from "../api/errors";
import {
  KIND_WORDS,
  maskFor,
  REDACTION_KINDS,
  type RedactionBody,
  type RedactionForm,
  type RedactionKind,
  redactionBody,
} from "../lib/governance";
import { FormField } from "./FormField";

type Input = keyof RedactionForm;
const INPUTS: Input[] = ["name", "kind", "field", "pattern", "detector"];

interface Props {
  title: string;
  initial: RedactionForm;
  detectors: Record<string, string>;
  submitLabel: string;
  /** Sends the body; a thrown ApiFailure is shown at the input it names, else above the buttons. */
  onSubmit: (body: RedactionBody) => Promise<void>;
  onCancel: () => void;
}

/** Where the market's refusal belongs: the input it names, or the form as a whole. */
function placeRefusal(err: unknown): { input: Input | null; message: string } {
  if (!(err instanceof ApiFailure)) return { input: null, message: messageOf(err) };
  for (const input of INPUTS) {
    const message = err.fieldMessage(input);
    if (message) return { input, message };
  }
  return { input: null, message: err.message };
}

/** Create or edit one redaction rule: what it removes or masks before the logs are kept. */
export function RedactionRuleForm({ title, initial, detectors, submitLabel, onSubmit, onCancel }: Props) {
  const [form, setForm] = useState<RedactionForm>(initial);
  const [placed, setPlaced] = useState<{ input: Input | null; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const at = (input: Input) => (placed?.input === input ? placed.message : null);
  const set = (change: Partial<RedactionForm>) => setForm((f) => ({ ...f, ...change }));
  const maskExample = maskFor(form.name.trim() || "name");

  async function submit(event: FormEvent) {
    event.preventDefault();
    setPlaced(null);
    const checked = redactionBody(form);
    if ("input" in checked) {
      setPlaced(checked);
      return;
    }
    setBusy(true);
    try {
      await onSubmit(checked.body);
    } catch (err) {
      setPlaced(placeRefusal(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="form" onSubmit={submit} noValidate aria-label={title}>
      <FormField
        id="redaction-name"
        label="Rule name"
        hint={`Masked values read ${maskExample}.`}
        problem={at("name")}
      >
        <input
          value={form.name}
          placeholder="e.g. emails"
          onChange={(e) => set({ name: e.target.value })}
        />
      </FormField>
      <FormField id="redaction-kind" label="Kind" problem={at("kind")}>
        <select value={form.kind} onChange={(e) => set({ kind: e.target.value as RedactionKind })}>
          {REDACTION_KINDS.map((kind) => (
            <option key={kind} value={kind}>
              {KIND_WORDS[kind]} ({kind})
            </option>
          ))}
        </select>
      </FormField>
      {(form.kind === "drop" || form.kind === "mask") && (
        <FormField
          id="redaction-field"
          label="Field"
          hint="A dotted path reaches nested fields, e.g. user.email."
          problem={at("field")}
        >
          <input
            value={form.field}
            placeholder="e.g. user.email"
            onChange={(e) => set({ field: e.target.value })}
          />
        </FormField>
      )}
      {form.kind === "pattern" && (
        <FormField
          id="redaction-pattern"
          label="Pattern (RE2)"
          hint="Every match, in any text value of the event, is masked."
          problem={at("pattern")}
        >
          <input
            value={form.pattern}
            placeholder="e.g. customer-\d{6}"
            onChange={(e) => set({ pattern: e.target.value })}
          />
        </FormField>
      )}
      {form.kind === "detector" && (
        <FormField
          id="redaction-detector"
          label="Detector"
          hint={form.detector ? `Finds ${detectors[form.detector] ?? form.detector}.` : undefined}
          problem={at("detector")}
        >
          <select value={form.detector} onChange={(e) => set({ detector: e.target.value })}>
            <option value="">Choose a detector…</option>
            {Object.entries(detectors).map(([name, description]) => (
              <option key={name} value={name}>
                {name}: {description}
              </option>
            ))}
          </select>
        </FormField>
      )}
      {placed && placed.input === null && (
        <p className="field-error" id="redaction-form-problem" role="alert">
          {placed.message}
        </p>
      )}
      <div className="actions form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          {submitLabel}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
