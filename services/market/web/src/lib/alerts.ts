// Alert rules and notification channels as the alerting pages show and make them.
import type { Schemas } from "../api/client";

export type Condition = Schemas["AlertCondition"];
export type ConditionKind = Schemas["AlertConditionKind"];
export type Severity = Schemas["AlertSeverity"];
export type ChannelKind = Schemas["AlertChannelKind"];
export type Match = Schemas["AlertMatch"];
export type Rule = Schemas["RulePublic"];
export type RuleCreate = Schemas["RuleCreate"];
export type Channel = Schemas["ChannelPublic"];
export type ChannelCreate = Schemas["ChannelCreate"];
export type ChannelPatch = Schemas["ChannelPatch"];

export const SEVERITIES: Severity[] = ["info", "warning", "critical"];

export const CHANNEL_KINDS: { value: ChannelKind; label: string }[] = [
  { value: "webhook", label: "Webhook (signed JSON POST)" },
  { value: "slack", label: "Slack incoming webhook" },
  { value: "email", label: "Email" },
  { value: "pagerduty", label: "PagerDuty (Events API v2)" },
];

const MIN_WINDOW_S = 10;
const MAX_WINDOW_S = 86400;
const MIN_RENOTIFY_S = 60;
const MAX_RENOTIFY_S = 7 * 86400;

/** "30 s", "5 min", "1 h", "90 s": a window as people say it. */
export function formatWindow(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

function events(count: number, adjective = ""): string {
  return `${count} ${adjective}${count === 1 ? "event" : "events"}`;
}

/** "any match", "≥ 5 matching events in 5 min", "fewer than 1 event in 10 min". */
export function conditionWords(condition: Condition): string {
  const window = formatWindow(condition.window_s);
  if (condition.kind === "any") return "any match";
  if (condition.kind === "threshold")
    return `≥ ${events(condition.count, "matching ")} in ${window}`;
  return `fewer than ${events(condition.count)} in ${window}`;
}

/** What a rule counts, in one line: every given part must match. */
export function matchSummary(match: Match): string {
  const parts: string[] = [];
  if (match.q) parts.push(`contains "${match.q}"`);
  if (match.regex) parts.push(`matches /${match.regex}/`);
  if (match.level) parts.push(`level ${match.level}`);
  for (const field of match.fields ?? []) parts.push(field);
  return parts.length ? parts.join(" · ") : "every event";
}

/** Where a channel sends, never its secret. */
export function channelTarget(channel: Pick<Channel, "kind" | "config" | "has_secret">): string {
  const config = channel.config as Record<string, unknown>;
  switch (channel.kind) {
    case "webhook":
      return typeof config.url === "string" ? config.url : "no URL";
    case "email":
      return Array.isArray(config.to) ? config.to.join(", ") : "no recipients";
    case "slack":
      return "a Slack incoming webhook";
    case "pagerduty":
      return typeof config.events_url === "string"
        ? `PagerDuty at ${config.events_url}`
        : "PagerDuty Events API v2";
  }
}

// ---- The rule form --------------------------------------------------------

export type WindowUnit = "s" | "min" | "h";
const UNIT_S: Record<WindowUnit, number> = { s: 1, min: 60, h: 3600 };

export interface RuleForm {
  name: string;
  q: string;
  regex: string;
  level: string;
  fields: string; // "name=value" per line
  kind: ConditionKind;
  count: string;
  window: string;
  windowUnit: WindowUnit;
  severity: Severity;
  channelIds: string[];
  renotifyMin: string; // "" for once per firing
  mutedUntil: string; // a datetime-local value in the user's zone, "" for not muted
  enabled: boolean;
}

/** The form's inputs a refusal can be shown at. */
export type RuleField = "name" | "match" | "condition" | "severity" | "channels" | "renotify" | "muted_until";

export interface FieldProblem<F extends string> {
  field: F;
  message: string;
}

export const EMPTY_RULE: RuleForm = {
  name: "",
  q: "",
  regex: "",
  level: "",
  fields: "",
  kind: "threshold",
  count: "5",
  window: "5",
  windowUnit: "min",
  severity: "warning",
  channelIds: [],
  renotifyMin: "",
  mutedUntil: "",
  enabled: true,
};

function splitLines(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** An instant as a datetime-local input shows it, in the browser's zone. */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}`
  );
}

function windowOf(seconds: number): { window: string; windowUnit: WindowUnit } {
  if (seconds % 3600 === 0) return { window: String(seconds / 3600), windowUnit: "h" };
  if (seconds % 60 === 0) return { window: String(seconds / 60), windowUnit: "min" };
  return { window: String(seconds), windowUnit: "s" };
}

/** The form filled with a rule, to edit it. */
export function formFromRule(rule: Rule): RuleForm {
  return {
    name: rule.name,
    q: rule.match.q ?? "",
    regex: rule.match.regex ?? "",
    level: rule.match.level ?? "",
    fields: (rule.match.fields ?? []).join("\n"),
    kind: rule.condition.kind,
    count: String(rule.condition.count),
    ...windowOf(rule.condition.window_s),
    severity: rule.severity,
    channelIds: [...rule.channel_ids],
    renotifyMin: rule.renotify_s === null ? "" : String(rule.renotify_s / 60),
    mutedUntil: rule.muted_until ? toLocalInput(rule.muted_until) : "",
    enabled: rule.enabled,
  };
}

function wholeNumber(text: string): number | null {
  const value = Number(text.trim());
  return text.trim() && Number.isInteger(value) ? value : null;
}

/**
 * The body of POST (or PATCH, every field given) for a rule, or the first problem
 * with the field it belongs to. An empty match part is left out; an empty
 * re-notify or mute clears it.
 */
export function ruleBody(form: RuleForm): RuleCreate | FieldProblem<RuleField> {
  const name = form.name.trim();
  if (!name) return { field: "name", message: "Give the rule a name, e.g. Checkout errors." };
  const count = form.kind === "any" ? 1 : wholeNumber(form.count);
  if (count === null || count < 1)
    return { field: "condition", message: "The count is a whole number of at least 1." };
  const windowValue = Number(form.window.trim());
  const windowS = Math.round(windowValue * UNIT_S[form.windowUnit]);
  if (!form.window.trim() || !Number.isFinite(windowValue) || windowS < MIN_WINDOW_S || windowS > MAX_WINDOW_S)
    return { field: "condition", message: "The window is between 10 s and 24 h." };
  let renotify: number | null = null;
  if (form.renotifyMin.trim()) {
    const minutes = Number(form.renotifyMin.trim());
    renotify = Math.round(minutes * 60);
    if (!Number.isFinite(minutes) || renotify < MIN_RENOTIFY_S || renotify > MAX_RENOTIFY_S)
      return {
        field: "renotify",
        message: "Re-notify every 1 minute to 7 days (10080 minutes), or leave it empty.",
      };
  }
  let mutedUntil: string | null = null;
  if (form.mutedUntil.trim()) {
    const moment = new Date(form.mutedUntil);
    if (Number.isNaN(moment.getTime()))
      return { field: "muted_until", message: "Give the date and time the mute ends." };
    mutedUntil = moment.toISOString();
  }
  const match: Match = { fields: splitLines(form.fields) };
  if (form.q.trim()) match.q = form.q.trim();
  if (form.regex.trim()) match.regex = form.regex.trim();
  if (form.level.trim()) match.level = form.level.trim();
  return {
    name,
    match,
    condition: { kind: form.kind, count, window_s: windowS },
    severity: form.severity,
    channel_ids: form.channelIds,
    renotify_s: renotify,
    muted_until: mutedUntil,
    enabled: form.enabled,
  };
}

export function isProblem<F extends string>(value: unknown): value is FieldProblem<F> {
  return typeof value === "object" && value !== null && "field" in value && "message" in value;
}

/** Which input of the rule form a server refusal names ("body.condition.count", "match", …). */
export function ruleFieldOf(apiField: string): RuleField | null {
  const path = apiField.replace(/^body\./, "");
  const head = path.split(".")[0];
  switch (head) {
    case "name":
    case "match":
    case "condition":
    case "severity":
    case "muted_until":
      return head;
    case "channel_ids":
      return "channels";
    case "renotify_s":
      return "renotify";
    default:
      return null;
  }
}

/** A rule muted for ``hours`` from ``now``: the muted_until to PATCH. */
export function muteFor(hours: number, now: Date = new Date()): string {
  return new Date(now.getTime() + hours * 3600_000).toISOString();
}

export function isMuted(rule: Pick<Rule, "muted_until">, now: Date = new Date()): boolean {
  return rule.muted_until !== null && new Date(rule.muted_until).getTime() > now.getTime();
}

// ---- The channel form -----------------------------------------------------

export interface ChannelForm {
  name: string;
  kind: ChannelKind;
  url: string; // webhook
  recipients: string; // email: one per line or comma
  secret: string; // slack webhook URL, PagerDuty routing key
  eventsUrl: string; // pagerduty, optional
}

export type ChannelField = "name" | "url" | "recipients" | "secret" | "events_url";

export const EMPTY_CHANNEL: ChannelForm = {
  name: "",
  kind: "webhook",
  url: "",
  recipients: "",
  secret: "",
  eventsUrl: "",
};

function channelConfig(form: ChannelForm): Record<string, unknown> | FieldProblem<ChannelField> {
  switch (form.kind) {
    case "webhook":
      if (!form.url.trim()) return { field: "url", message: "Give the URL to post to." };
      return { url: form.url.trim() };
    case "email": {
      const to = form.recipients
        .split(/[\n,]/)
        .map((a) => a.trim())
        .filter(Boolean);
      if (!to.length) return { field: "recipients", message: "Give at least one email address." };
      return { to };
    }
    case "slack":
      return {};
    case "pagerduty":
      return form.eventsUrl.trim() ? { events_url: form.eventsUrl.trim() } : {};
  }
}

/** The body of POST .../alert-channels, or the first problem with its field. */
export function channelCreateBody(form: ChannelForm): ChannelCreate | FieldProblem<ChannelField> {
  const name = form.name.trim();
  if (!name) return { field: "name", message: "Give the channel a name, e.g. On-call webhook." };
  const config = channelConfig(form);
  if (isProblem<ChannelField>(config)) return config;
  const body: ChannelCreate = { name, kind: form.kind, config };
  if (form.kind === "slack" || form.kind === "pagerduty") {
    if (!form.secret.trim())
      return {
        field: "secret",
        message:
          form.kind === "slack"
            ? "Give the Slack incoming webhook URL."
            : "Give the PagerDuty routing key.",
      };
    body.secret = form.secret.trim();
  }
  return body;
}

/** The body of PATCH: name and config always, a new secret only when one is typed. */
export function channelPatchBody(form: ChannelForm): ChannelPatch | FieldProblem<ChannelField> {
  const name = form.name.trim();
  if (!name) return { field: "name", message: "Give the channel a name." };
  const config = channelConfig(form);
  if (isProblem<ChannelField>(config)) return config;
  const body: ChannelPatch = { name, config };
  if ((form.kind === "slack" || form.kind === "pagerduty") && form.secret.trim())
    body.secret = form.secret.trim();
  return body;
}

/** The form filled with a channel, to edit it; its secret stays unknown. */
export function formFromChannel(channel: Channel): ChannelForm {
  const config = channel.config as Record<string, unknown>;
  return {
    name: channel.name,
    kind: channel.kind,
    url: typeof config.url === "string" ? config.url : "",
    recipients: Array.isArray(config.to) ? config.to.join("\n") : "",
    secret: "",
    eventsUrl: typeof config.events_url === "string" ? config.events_url : "",
  };
}

/** Which input of the channel form a server refusal names ("config.url", "secret", …). */
export function channelFieldOf(apiField: string): ChannelField | null {
  const path = apiField.replace(/^body\./, "");
  if (path === "name") return "name";
  if (path === "secret") return "secret";
  if (path.startsWith("config.url")) return "url";
  if (path.startsWith("config.to")) return "recipients";
  if (path.startsWith("config.events_url")) return "events_url";
  return null;
}

/** A refusal placed at the input it names (or at the form's foot when it names none). */
export function placeRefusal<F extends string>(
  fields: { field: string; message: string }[],
  message: string,
  fieldOf: (apiField: string) => F | null,
): { field: F | null; message: string } {
  for (const problem of fields) {
    const field = fieldOf(problem.field);
    if (field) return { field, message };
  }
  return { field: null, message };
}

export type Transition = Schemas["AlertTransition"];

/** "fired", "resolved", "still firing (re-notified)". */
export function transitionWords(transition: Transition): string {
  return { firing: "fired", resolved: "resolved", renotify: "still firing" }[transition];
}

/** "On-call: delivered", "Ops mail: failed". */
export function deliveryWords(channel: string, outcome: "delivered" | "failed"): string {
  return `${channel}: ${outcome === "delivered" ? "delivered" : "not delivered"}`;
}
