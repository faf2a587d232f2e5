import { describe, expect, it } from "vitest";
import {
  channelCreateBody,
  channelFieldOf,
  channelPatchBody,
  channelTarget,
  conditionWords,
  EMPTY_CHANNEL,
  EMPTY_RULE,
  formatWindow,
  formFromRule,
  isMuted,
  matchSummary,
  muteFor,
  placeRefusal,
  type Rule,
  ruleBody,
  ruleFieldOf,
} from "./alerts";

describe("conditionWords", () => {
  it("says each kind as people would", () => {
    expect(conditionWords({ kind: "any", count: 1, window_s: 300 })).toBe("any match");
    expect(conditionWords({ kind: "threshold", count: 5, window_s: 300 })).toBe(
      "≥ 5 matching events in 5 min",
    );
    expect(conditionWords({ kind: "threshold", count: 1, window_s: 30 })).toBe(
      "≥ 1 matching event in 30 s",
    );
    expect(conditionWords({ kind: "absence", count: 1, window_s: 600 })).toBe(
      "fewer than 1 event in 10 min",
    );
    expect(conditionWords({ kind: "absence", count: 3, window_s: 7200 })).toBe(
      "fewer than 3 events in 2 h",
    );
  });

  it("keeps odd windows in seconds", () => {
    expect(formatWindow(90)).toBe("90 s");
    expect(formatWindow(86400)).toBe("24 h");
  });
});

describe("matchSummary and channelTarget", () => {
  it("lists every part of a match, or says every event", () => {
    expect(matchSummary({ fields: [] })).toBe("every event");
    expect(
      matchSummary({ q: "payment failed", regex: "5\\d\\d", level: "error", fields: ["env=prod"] }),
    ).toBe('contains "payment failed" · matches /5\\d\\d/ · level error · env=prod');
  });

  it("shows where a channel sends and never a secret", () => {
    expect(channelTarget({ kind: "webhook", config: { url: "https://h.example/x" }, has_secret: true })).toBe(
      "https://h.example/x",
    );
    expect(channelTarget({ kind: "email", config: { to: ["a@x.io", "b@x.io"] }, has_secret: false })).toBe(
      "a@x.io, b@x.io",
    );
    expect(channelTarget({ kind: "slack", config: {}, has_secret: true })).toBe("a Slack incoming webhook");
    expect(channelTarget({ kind: "pagerduty", config: {}, has_secret: true })).toBe("PagerDuty Events API v2");
  });
});

describe("ruleBody", () => {
  it("maps the form to the request body, leaving out empty match parts", () => {
    const body = ruleBody({
      ...EMPTY_RULE,
      name: "  Checkout errors ",
      q: "payment failed",
      fields: "env=prod\n\n http.status=500 ",
      kind: "threshold",
      count: "5",
      window: "5",
      windowUnit: "min",
      severity: "critical",
      channelIds: ["c1"],
      renotifyMin: "30",
    });
    expect(body).toEqual({
      name: "Checkout errors",
      match: { q: "payment failed", fields: ["env=prod", "http.status=500"] },
      condition: { kind: "threshold", count: 5, window_s: 300 },
      severity: "critical",
      channel_ids: ["c1"],
      renotify_s: 1800,
      muted_until: null,
      enabled: true,
    });
  });

  it("sends count 1 for 'any' and the mute as a UTC instant", () => {
    const body = ruleBody({ ...EMPTY_RULE, name: "x", kind: "any", count: "", mutedUntil: "2030-01-02T03:04" });
    expect(body).toMatchObject({ condition: { kind: "any", count: 1, window_s: 300 } });
    expect((body as { muted_until: string }).muted_until).toBe(new Date("2030-01-02T03:04").toISOString());
  });

  it("names the field at fault", () => {
    expect(ruleBody({ ...EMPTY_RULE, name: " " })).toMatchObject({ field: "name" });
    expect(ruleBody({ ...EMPTY_RULE, name: "x", count: "0" })).toMatchObject({ field: "condition" });
    expect(ruleBody({ ...EMPTY_RULE, name: "x", window: "5", windowUnit: "s" })).toEqual({
      field: "condition",
      message: "The window is between 10 s and 24 h.",
    });
    expect(ruleBody({ ...EMPTY_RULE, name: "x", renotifyMin: "0.5" })).toMatchObject({ field: "renotify" });
  });

  it("round-trips a rule through the edit form", () => {
    const rule: Rule = {
      id: "r1",
      app: "shop",
      name: "Quiet",
      match: { level: "info", fields: [] },
      condition: { kind: "absence", count: 1, window_s: 600 },
      severity: "warning",
      channel_ids: ["c1", "c2"],
      renotify_s: null,
      muted_until: null,
      enabled: false,
      status: "ok",
      created_at: "2026-01-01T00:00:00Z",
      updated_at: "2026-01-01T00:00:00Z",
    };
    expect(ruleBody(formFromRule(rule))).toEqual({
      name: "Quiet",
      match: { level: "info", fields: [] },
      condition: { kind: "absence", count: 1, window_s: 600 },
      severity: "warning",
      channel_ids: ["c1", "c2"],
      renotify_s: null,
      muted_until: null,
      enabled: false,
    });
  });
});

describe("server refusals", () => {
  it("find the rule form's input they name", () => {
    expect(ruleFieldOf("body.condition.window_s")).toBe("condition");
    expect(ruleFieldOf("match")).toBe("match");
    expect(ruleFieldOf("channel_ids")).toBe("channels");
    expect(ruleFieldOf("body.renotify_s")).toBe("renotify");
    expect(ruleFieldOf("muted_until")).toBe("muted_until");
    expect(ruleFieldOf("body")).toBeNull();
    expect(placeRefusal([{ field: "match", message: "bad" }], "match: bad regex", ruleFieldOf)).toEqual({
      field: "match",
      message: "match: bad regex",
    });
    expect(placeRefusal([], "The app already has 50 alert rules", ruleFieldOf).field).toBeNull();
  });

  it("find the channel form's input they name", () => {
    expect(channelFieldOf("config.url")).toBe("url");
    expect(channelFieldOf("config.to")).toBe("recipients");
    expect(channelFieldOf("config.events_url")).toBe("events_url");
    expect(channelFieldOf("secret")).toBe("secret");
    expect(channelFieldOf("body.name")).toBe("name");
  });
});

describe("channel bodies", () => {
  it("make a webhook without a secret and Slack with its URL as the secret", () => {
    expect(channelCreateBody({ ...EMPTY_CHANNEL, name: "Hook", url: " http://127.0.0.1:9/h " })).toEqual({
      name: "Hook",
      kind: "webhook",
      config: { url: "http://127.0.0.1:9/h" },
    });
    expect(channelCreateBody({ ...EMPTY_CHANNEL, name: "S", kind: "slack", secret: "https://hooks.slack.com/x" })).toEqual({
      name: "S",
      kind: "slack",
      config: {},
      secret: "https://hooks.slack.com/x",
    });
    expect(channelCreateBody({ ...EMPTY_CHANNEL, name: "M", kind: "email", recipients: "a@x.io, b@x.io\nc@x.io" })).toEqual({
      name: "M",
      kind: "email",
      config: { to: ["a@x.io", "b@x.io", "c@x.io"] },
    });
    expect(channelCreateBody({ ...EMPTY_CHANNEL, name: "P", kind: "pagerduty", secret: "rk", eventsUrl: "" })).toEqual({
      name: "P",
      kind: "pagerduty",
      config: {},
      secret: "rk",
    });
  });

  it("name what is missing", () => {
    expect(channelCreateBody({ ...EMPTY_CHANNEL, name: "Hook" })).toMatchObject({ field: "url" });
    expect(channelCreateBody({ ...EMPTY_CHANNEL, name: "P", kind: "pagerduty" })).toMatchObject({ field: "secret" });
    expect(channelCreateBody({ ...EMPTY_CHANNEL, name: "M", kind: "email" })).toMatchObject({ field: "recipients" });
  });

  it("patch a secret only when one is typed", () => {
    expect(channelPatchBody({ ...EMPTY_CHANNEL, name: "S", kind: "slack" })).toEqual({ name: "S", config: {} });
    expect(channelPatchBody({ ...EMPTY_CHANNEL, name: "S", kind: "slack", secret: "https://n" })).toEqual({
      name: "S",
      config: {},
      secret: "https://n",
    });
  });
});

describe("muting", () => {
  it("mutes for an hour from now and knows when a mute is over", () => {
    const now = new Date("2026-12-05T17:00:00Z");
    expect(muteFor(1, now)).toBe("2026-12-05T18:00:00.000Z");
    expect(isMuted({ muted_until: "2026-12-05T18:00:00Z" }, now)).toBe(true);
    expect(isMuted({ muted_until: "2026-12-05T16:00:00Z" }, now)).toBe(false);
    expect(isMuted({ muted_until: null }, now)).toBe(false);
  });
});
