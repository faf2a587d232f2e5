import { describe, expect, it } from "vitest";
import {
  auditQuery,
  detailPieces,
  exportHref,
  filtersFromParams,
  NO_FILTERS,
  paramsFromFilters,
} from "./auditQuery";

describe("the audit log's filters", () => {
  it("round-trip through the URL, leaving out the empty ones", () => {
    const filters = { actor: "ann@example.test", action: "auth.login", since: "2026-01-01T10:00", until: "" };
    const params = paramsFromFilters(filters);
    expect(params.toString()).toBe("actor=ann%40example.test&action=auth.login&since=2026-01-01T10%3A00");
    expect(filtersFromParams(params)).toEqual(filters);
    expect(filtersFromParams(new URLSearchParams())).toEqual(NO_FILTERS);
  });

  it("become the API's query: trimmed, times as UTC instants, the group and the page", () => {
    const since = "2026-01-01T10:00";
    expect(
      auditQuery(
        { actor: " ann@example.test ", action: "", since, until: "" },
        { group: "payments", limit: 50, cursor: "c1" },
      ),
    ).toEqual({
      group: "payments",
      actor: "ann@example.test",
      since: new Date(since).toISOString(),
      limit: 50,
      cursor: "c1",
    });
    expect(auditQuery(NO_FILTERS)).toEqual({});
  });

  it("say what is wrong with a time range instead of asking for it", () => {
    expect(auditQuery({ ...NO_FILTERS, since: "soon" })).toBe(
      "The “since” time is not a date and time.",
    );
    expect(
      auditQuery({ ...NO_FILTERS, since: "2026-01-02T00:00", until: "2026-01-01T00:00" }),
    ).toBe("“Since” must be before “until”.");
  });

  it("carry over to the export link, without the paging", () => {
    const query = auditQuery(
      { actor: "ann@example.test", action: "token.create", since: "", until: "" },
      { group: "payments", limit: 50, cursor: "c1" },
    );
    expect(typeof query).toBe("object");
    expect(exportHref(query as object)).toBe(
      "/api/v1/audit/export?group=payments&actor=ann%40example.test&action=token.create",
    );
    expect(exportHref({})).toBe("/api/v1/audit/export");
  });
});

describe("an audit entry's details", () => {
  it("read as short key: value pieces", () => {
    expect(detailPieces({ role: "owner", size: 3, nested: { a: [1] }, ok: true })).toEqual([
      "role: owner",
      "size: 3",
      'nested: {"a":[1]}',
      "ok: true",
    ]);
  });
});
