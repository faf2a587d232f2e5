// Live tail over the tail server's websocket: the URL, the frames, the colours.
//
// The browser sends the market's session cookie with the websocket handshake
// because cookies belong to a host, not a port: a page on 127.0.0.1:18080
// and the tail server on 127.0.0.1:18084 share the barito_session cookie
// (SameSite=Lax allows it: same site). The tail server forwards it to the
// market to check membership, so no secret ever reaches the browser.

export interface TailFilters {
  q: string;
  level: string;
  fields: string; // "name=value" per line or comma
}

export type TailFrame =
  | { kind: "started"; from: string; resume: string }
  | { kind: "event"; event: Record<string, unknown>; resume: string }
  | { kind: "dropped"; count: number; resume: string }
  | { kind: "heartbeat"; at: string; resume: string }
  | { kind: "closed"; code: string; message: string; resume: string };

/** The websocket URL of an app's tail endpoint (http→ws), with its filters. */
export function tailSocketUrl(tailEndpoint: string, filters: TailFilters, resume?: string): string {
  const url = new URL(tailEndpoint, window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  if (filters.q.trim()) url.searchParams.set("q", filters.q.trim());
  if (filters.level.trim()) url.searchParams.set("level", filters.level.trim());
  for (const field of splitFields(filters.fields)) url.searchParams.append("field", field);
  if (resume) url.searchParams.set("resume", resume);
  return url.toString();
}

export function splitFields(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((part) => part.trim())
    .filter(Boolean);
}

/** Every frame of one websocket message (one or more NDJSON lines); unknown lines are skipped. */
export function parseFrames(message: string): TailFrame[] {
  const frames: TailFrame[] = [];
  for (const line of message.split("\n")) {
    if (!line.trim()) continue;
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const resume = typeof raw.resume === "string" ? raw.resume : "";
    if (raw.event && typeof raw.event === "object") {
      frames.push({ kind: "event", event: raw.event as Record<string, unknown>, resume });
    } else if (typeof raw.dropped === "number") {
      frames.push({ kind: "dropped", count: raw.dropped, resume });
    } else if (raw.started && typeof raw.started === "object") {
      const started = raw.started as Record<string, unknown>;
      frames.push({ kind: "started", from: String(started.from ?? "end"), resume });
    } else if (typeof raw.heartbeat === "string") {
      frames.push({ kind: "heartbeat", at: raw.heartbeat, resume });
    } else if (raw.closed && typeof raw.closed === "object") {
      const closed = raw.closed as Record<string, unknown>;
      frames.push({
        kind: "closed",
        code: String(closed.code ?? "closed"),
        message: String(closed.message ?? "The server ended the tail."),
        resume,
      });
    }
  }
  return frames;
}

export type Level = "error" | "warn" | "info" | "debug" | "other";

/** The colour family of an event, from its level (or severity) field. */
export function levelOf(event: Record<string, unknown>): Level {
  const value = String(event.level ?? event.severity ?? "").toLowerCase();
  if (["error", "err", "fatal", "critical", "crit", "alert", "emerg", "panic"].includes(value))
    return "error";
  if (["warn", "warning"].includes(value)) return "warn";
  if (["info", "notice", "information"].includes(value)) return "info";
  if (["debug", "trace"].includes(value)) return "debug";
  return "other";
}

/** The one line shown for an event: its message (or msg / log), else its JSON. */
export function summary(event: Record<string, unknown>): string {
  for (const key of ["message", "msg", "log"]) {
    const value = event[key];
    if (typeof value === "string" && value) return value;
  }
  const rest = { ...event };
  delete rest["@timestamp"];
  return JSON.stringify(rest);
}

/** Keeps the newest ``limit`` lines, so a busy tail cannot grow the page without bound. */
export function appendCapped<T>(lines: T[], added: T[], limit: number): T[] {
  const all = lines.concat(added);
  return all.length > limit ? all.slice(all.length - limit) : all;
}
