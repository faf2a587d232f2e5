// The Logs page's search: its form state in the URL, and the API query it makes.

export const RANGES = [
  { value: "15m", label: "Last 15 minutes", seconds: 15 * 60 },
  { value: "1h", label: "Last hour", seconds: 3600 },
  { value: "6h", label: "Last 6 hours", seconds: 6 * 3600 },
  { value: "24h", label: "Last 24 hours", seconds: 86400 },
  { value: "7d", label: "Last 7 days", seconds: 7 * 86400 },
  { value: "custom", label: "Custom range", seconds: 0 },
] as const;

export type RangeValue = (typeof RANGES)[number]["value"];

export interface LogSearchForm {
  range: RangeValue;
  from: string; // datetime-local, for a custom range
  to: string;
  q: string;
  filters: string[]; // "field:value"
  page: number;
}

export const PAGE_SIZE = 50;

export function formFromParams(params: URLSearchParams): LogSearchForm {
  const range = (RANGES.find((r) => r.value === params.get("range"))?.value ?? "1h") as RangeValue;
  const page = Number(params.get("page") ?? "1");
  return {
    range,
    from: params.get("from") ?? "",
    to: params.get("to") ?? "",
    q: params.get("q") ?? "",
    filters: params.getAll("filter"),
    page: Number.isInteger(page) && page > 0 ? page : 1,
  };
}

export function paramsFromForm(form: LogSearchForm): URLSearchParams {
  const params = new URLSearchParams();
  params.set("range", form.range);
  if (form.range === "custom") {
    if (form.from) params.set("from", form.from);
    if (form.to) params.set("to", form.to);
  }
  if (form.q) params.set("q", form.q);
  for (const filter of form.filters) params.append("filter", filter);
  if (form.page > 1) params.set("page", String(form.page));
  return params;
}

export interface ApiLogQuery {
  start: string;
  end: string;
  q?: string;
  filter: string[];
  page: number;
  size: number;
}

/** The /logs query for a form; a custom range with a bad or reversed time is an error message. */
export function toApiQuery(form: LogSearchForm, now: Date = new Date()): ApiLogQuery | string {
  let start: Date;
  let end: Date;
  if (form.range === "custom") {
    start = new Date(form.from);
    end = form.to ? new Date(form.to) : now;
    if (Number.isNaN(start.getTime())) return "Choose when the range starts.";
    if (Number.isNaN(end.getTime())) return "The end of the range is not a valid time.";
    if (start >= end) return "The range must start before it ends.";
  } else {
    const seconds = RANGES.find((r) => r.value === form.range)?.seconds ?? 3600;
    end = now;
    start = new Date(now.getTime() - seconds * 1000);
  }
  return {
    start: start.toISOString(),
    end: end.toISOString(),
    ...(form.q.trim() ? { q: form.q.trim() } : {}),
    filter: form.filters,
    page: form.page,
    size: PAGE_SIZE,
  };
}

/** "field:value" from the two inputs of the filter row; null unless both are given. */
export function makeFilter(field: string, value: string): string | null {
  const name = field.trim();
  if (!name || !value.trim() || name.includes(":")) return null;
  return `${name}:${value.trim()}`;
}

export function pageCount(total: number, size: number = PAGE_SIZE): number {
  // The engine serves at most 10,000 results by paging (from + size).
  return Math.max(1, Math.ceil(Math.min(total, 10_000) / size));
}

/** Fields of an event worth offering as one-click filters: short scalar values. */
export function filterableFields(source: Record<string, unknown>): [string, string][] {
  return Object.entries(source)
    .filter(([key]) => key !== "@timestamp" && key !== "message")
    .filter(([, value]) => ["string", "number", "boolean"].includes(typeof value))
    .map(([key, value]) => [key, String(value)] as [string, string])
    .filter(([, value]) => value.length <= 80);
}
