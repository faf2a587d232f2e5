// The audit pages' filters: kept in the URL, turned into the API's query, and
// carried over to the NDJSON export so it holds exactly what the table shows.

export interface AuditFilters {
  actor: string;
  action: string;
  since: string; // datetime-local, the reader's own time zone
  until: string;
}

export const NO_FILTERS: AuditFilters = { actor: "", action: "", since: "", until: "" };

export const AUDIT_PAGE_SIZE = 50;

const FIELDS = ["actor", "action", "since", "until"] as const;

export function filtersFromParams(params: URLSearchParams): AuditFilters {
  const filters = { ...NO_FILTERS };
  for (const field of FIELDS) filters[field] = params.get(field) ?? "";
  return filters;
}

export function paramsFromFilters(filters: AuditFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const field of FIELDS) {
    const value = filters[field].trim();
    if (value) params.set(field, value);
  }
  return params;
}

/** A datetime-local value as an instant the API reads (UTC); null when unreadable. */
function instant(local: string): string | null {
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export interface AuditApiQuery {
  group?: string;
  actor?: string;
  action?: string;
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string;
}

/**
 * The query of GET /api/v1/audit (and of its export) for these filters, or a
 * sentence saying what is wrong with them.
 */
export function auditQuery(
  filters: AuditFilters,
  scope: { group?: string; cursor?: string | null; limit?: number } = {},
): AuditApiQuery | string {
  const query: AuditApiQuery = {};
  if (scope.group) query.group = scope.group;
  const actor = filters.actor.trim();
  const action = filters.action.trim();
  if (actor) query.actor = actor;
  if (action) query.action = action;
  const since = filters.since ? instant(filters.since) : undefined;
  const until = filters.until ? instant(filters.until) : undefined;
  if (since === null) return "The “since” time is not a date and time.";
  if (until === null) return "The “until” time is not a date and time.";
  if (since && until && since >= until) return "“Since” must be before “until”.";
  if (since) query.since = since;
  if (until) query.until = until;
  if (scope.limit) query.limit = scope.limit;
  if (scope.cursor) query.cursor = scope.cursor;
  return query;
}

/** The export link for the same filters (no paging: the export holds every match). */
export function exportHref(query: AuditApiQuery): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (key === "cursor" || key === "limit" || value === undefined) continue;
    params.set(key, String(value));
  }
  const search = params.toString();
  return `/api/v1/audit/export${search ? `?${search}` : ""}`;
}

/** An entry's details as short "key: value" pieces (nested values as compact JSON). */
export function detailPieces(details: Record<string, unknown>): string[] {
  return Object.entries(details).map(([key, value]) => {
    const text =
      typeof value === "string" || typeof value === "number" || typeof value === "boolean"
        ? String(value)
        : JSON.stringify(value);
    return `${key}: ${text}`;
  });
}
