// Data governance in the UI: redaction rule forms, the delete-logs dialog's wording and
// the storage quota's bar and banners. Pure: the pages pass in what the API answered.
import { formatBytes, formatCount } from "./format";

export const REDACTION_KINDS = ["drop", "mask", "pattern", "detector"] as const;
export type RedactionKind = (typeof REDACTION_KINDS)[number];

export const KIND_WORDS: Record<RedactionKind, string> = {
  drop: "Drop a field",
  mask: "Mask a field",
  pattern: "Mask what a pattern matches",
  detector: "Mask what a detector finds",
};

export interface RedactionRuleShape {
  name: string;
  kind: string;
  field?: string | null;
  pattern?: string | null;
  detector?: string | null;
}

export interface RedactionForm {
  name: string;
  kind: RedactionKind;
  field: string;
  pattern: string;
  detector: string;
}

export const EMPTY_REDACTION: RedactionForm = {
  name: "",
  kind: "detector",
  field: "",
  pattern: "",
  detector: "",
};

export function formFromRedaction(rule: RedactionRuleShape): RedactionForm {
  const kind = (REDACTION_KINDS as readonly string[]).includes(rule.kind)
    ? (rule.kind as RedactionKind)
    : "mask";
  return {
    name: rule.name,
    kind,
    field: rule.field ?? "",
    pattern: rule.pattern ?? "",
    detector: rule.detector ?? "",
  };
}

export interface RedactionBody {
  name: string;
  kind: RedactionKind;
  field: string | null;
  pattern: string | null;
  detector: string | null;
}

const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/**
 * The API body for a form, or the first problem with it (which input, and why): only the
 * input the kind uses is sent, the others as null so an edit clears what the old kind used.
 */
export function redactionBody(
  form: RedactionForm,
): { body: RedactionBody } | { input: keyof RedactionForm; message: string } {
  const name = form.name.trim();
  if (!NAME.test(name)) {
    return {
      input: "name",
      message: "A name of lower-case letters, digits, - or _ (up to 64), starting with a letter or digit.",
    };
  }
  const body: RedactionBody = { name, kind: form.kind, field: null, pattern: null, detector: null };
  if (form.kind === "drop" || form.kind === "mask") {
    if (!form.field.trim()) return { input: "field", message: "Name the field, e.g. user.email." };
    body.field = form.field.trim();
  } else if (form.kind === "pattern") {
    if (!form.pattern) return { input: "pattern", message: "Write the regular expression (RE2)." };
    body.pattern = form.pattern;
  } else {
    if (!form.detector) return { input: "detector", message: "Choose a detector." };
    body.detector = form.detector;
  }
  return { body };
}

/** What a rule does, in words: "masks email addresses (detector email)". */
export function redactionSummary(
  rule: RedactionRuleShape,
  detectors: Record<string, string>,
): string {
  switch (rule.kind) {
    case "drop":
      return `removes the field ${rule.field ?? "?"}`;
    case "mask":
      return `masks the field ${rule.field ?? "?"}`;
    case "pattern":
      return `masks matches of /${rule.pattern ?? ""}/ in any text`;
    case "detector":
      return `masks ${detectors[rule.detector ?? ""] ?? rule.detector ?? "?"} in any text`;
    default:
      return rule.kind;
  }
}

/** What a masked value becomes (the receiver's mask_for). */
export function maskFor(ruleName: string): string {
  return `[redacted:${ruleName}]`;
}

/** The 0-based position a rule moves to, or null when it is already at that end. */
export function movedPosition(index: number, direction: -1 | 1, length: number): number | null {
  const target = index + direction;
  return target < 0 || target >= length ? null : target;
}

// Deleting logs

export interface DeletionRangeForm {
  start: string; // datetime-local
  end: string;
  query: string;
}

/** A datetime-local value (the user's local time, to the second) for a Date. */
export function toLocalInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/**
 * The dialog's first values: the search's range and query if there is one, else the last day.
 * The inputs hold whole seconds, so the start is rounded down and the end up: the range
 * never leaves out an event the search showed.
 */
export function initialDeletionRange(
  search: { start: string; end: string; q?: string } | null,
  now: Date = new Date(),
): DeletionRangeForm {
  const start = search ? new Date(search.start) : new Date(now.getTime() - 86_400_000);
  const end = search ? new Date(search.end) : now;
  return {
    start: toLocalInput(new Date(Math.floor(start.getTime() / 1000) * 1000)),
    end: toLocalInput(new Date(Math.ceil(end.getTime() / 1000) * 1000)),
    query: search?.q ?? "",
  };
}

export interface DeletionBody {
  start: string;
  end: string;
  query?: string;
}

/** The preview's and the job's body, or a sentence saying what is wrong with the range. */
export function deletionBody(form: DeletionRangeForm): DeletionBody | string {
  const start = new Date(form.start);
  const end = new Date(form.end);
  if (!form.start || Number.isNaN(start.getTime())) return "Choose when the range starts.";
  if (!form.end || Number.isNaN(end.getTime())) return "Choose when the range ends.";
  if (start >= end) return "The range must start before it ends.";
  const query = form.query.trim();
  return { start: start.toISOString(), end: end.toISOString(), ...(query ? { query } : {}) };
}

/** "2026.12.05" → "2026-12-05" for a daily index name; other names as they are. */
export function indexDay(name: string): string {
  const day = /(\d{4})\.(\d{2})\.(\d{2})$/.exec(name);
  return day ? `${day[1]}-${day[2]}-${day[3]}` : name;
}

/** "1,204 events will be deleted (whole days dropped: 2026-12-01, 2026-12-02)." */
export function previewSentence(preview: { count: number; whole_indices: string[] }): string {
  const events = `${formatCount(preview.count)} ${preview.count === 1 ? "event" : "events"}`;
  const days = preview.whole_indices.length
    ? preview.whole_indices.map(indexDay).join(", ")
    : "none";
  return `${events} will be deleted (whole days dropped: ${days}).`;
}

/** The confirm button waits for a non-empty preview and the app's slug typed exactly. */
export function canConfirmDeletion(typed: string, slug: string, count: number | null): boolean {
  return count !== null && count > 0 && typed.trim() === slug;
}

export interface DeletionJobShape {
  state: string;
  total: number | null;
  deleted: number;
  error?: string | null;
}

export function deletionFinished(job: DeletionJobShape): boolean {
  return job.state === "done" || job.state === "failed";
}

/** "queued", "running: 300 of 1,200 deleted", "done: 1,200 deleted", "failed: <error>". */
export function deletionProgress(job: DeletionJobShape): string {
  const deleted = formatCount(job.deleted);
  switch (job.state) {
    case "queued":
      return "queued: waiting to start";
    case "running":
      return job.total !== null
        ? `running: ${deleted} of ${formatCount(job.total)} deleted`
        : `running: ${deleted} deleted`;
    case "done":
      return `done: ${deleted} ${job.deleted === 1 ? "event" : "events"} deleted`;
    case "failed":
      return `failed after ${deleted} deleted: ${job.error ?? "no reason given"}`;
    default:
      return job.state;
  }
}

/** How far a job is, 0..1 (unknown totals count as not started). */
export function deletionRatio(job: DeletionJobShape): number {
  if (job.state === "done") return 1;
  if (!job.total) return 0;
  return Math.min(1, job.deleted / job.total);
}

// Storage quotas

export interface StorageShape {
  limit_bytes: number;
  used_bytes: number;
  used_ratio: number;
  warning: boolean;
  over: boolean;
}

export type StorageLevel = "ok" | "warning" | "over";

/** Which banner a group's storage calls for; the API's flags decide, as it owns the thresholds. */
export function storageLevel(storage: StorageShape): StorageLevel {
  if (storage.over) return "over";
  if (storage.warning) return "warning";
  return "ok";
}

/** "storage used 8.0 GiB of 10.0 GiB (80 %)"; a limit of 0 means the group has none. */
export function storageSentence(storage: StorageShape): string {
  if (storage.limit_bytes <= 0) return `storage used ${formatBytes(storage.used_bytes)} (no limit)`;
  const percent = Math.round(storage.used_ratio * 100);
  return (
    `storage used ${formatBytes(storage.used_bytes)} of ${formatBytes(storage.limit_bytes)}` +
    ` (${formatCount(percent)} %)`
  );
}

/** The bar's fill, 0..100, capped so an over-quota group still draws a full bar. */
export function storageBarPercent(storage: StorageShape): number {
  return Math.max(0, Math.min(100, storage.used_ratio * 100));
}

const GIB = 1024 ** 3;

/** A limit typed in GiB (decimals allowed) as bytes, or a sentence saying why not. */
export function limitBytesFromGib(text: string): number | string {
  const value = Number(text.trim());
  if (!text.trim() || !Number.isFinite(value) || value <= 0) {
    return "Enter the limit in GiB, a number above 0 (e.g. 50 or 0.5).";
  }
  return Math.round(value * GIB);
}

/** The logs page's query and field filters as one query for the deletion ("a AND b:c"). */
export function searchQueryText(q: string, filters: string[]): string {
  const parts = [q.trim() ? (filters.length ? `(${q.trim()})` : q.trim()) : "", ...filters];
  return parts.filter(Boolean).join(" AND ");
}
