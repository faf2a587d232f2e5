import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AuditEntry } from "../api/client";
import { AuditLog } from "./AuditLog";

// Each GET /api/v1/audit is recorded and answered from ``pages``, keyed by its cursor.
const market = vi.hoisted(() => ({
  asked: [] as Record<string, unknown>[],
  pages: {} as Record<string, { data: unknown[]; next_cursor: string | null } | "fail">,
}));

vi.mock("../api/client", async (original) => {
  const real = await original<typeof import("../api/client")>();
  return {
    ...real,
    api: {
      GET: (_path: string, options: { params: { query: Record<string, unknown> } }) => {
        const query = options.params.query;
        market.asked.push(query);
        const page = market.pages[String(query.cursor ?? "")];
        if (page === "fail" || page === undefined) {
          const error = { error: { code: "unavailable", message: "The database is not answering." } };
          return Promise.resolve({ error, response: new Response(null, { status: 503 }) });
        }
        return Promise.resolve({ data: page, response: new Response(null, { status: 200 }) });
      },
    },
  };
});

afterEach(() => {
  cleanup();
  market.asked = [];
  market.pages = {};
});

function entry(n: number): AuditEntry {
  return {
    id: `id-${n}`,
    at: "2026-01-01T12:00:00Z",
    actor_id: n === 0 ? null : "5d1f1c9e-0000-4000-8000-000000000001",
    actor_email: n === 0 ? null : "ann@example.test",
    address: "192.0.2.7",
    action: n === 0 ? "group.member.set" : "app.register",
    target_kind: "app",
    target_id: `app-${n}`,
    group: "payments",
    details: n === 0 ? { source: "identity_provider", role: "admin" } : { name: `app ${n}` },
  };
}

function rows() {
  return screen.getAllByRole("row").slice(1);
}

describe("the audit log", () => {
  it("shows who, from where and what, then older entries a page at a time", async () => {
    market.pages = {
      "": { data: [entry(0), entry(1)], next_cursor: "c1" },
      c1: { data: [entry(2)], next_cursor: null },
    };
    render(
      <MemoryRouter initialEntries={["/groups/payments/audit?actor=ann%40example.test"]}>
        <AuditLog group="payments" />
      </MemoryRouter>,
    );
    await screen.findByRole("region", { name: "Audit log entries" });
    expect(rows().map((row) => row.textContent)).toEqual([
      expect.stringContaining("the identity provider192.0.2.7group.member.set"),
      expect.stringContaining("ann@example.test192.0.2.7app.register"),
    ]);
    expect(market.asked[0]).toEqual({ group: "payments", actor: "ann@example.test", limit: 50 });
    expect(screen.getByRole("link", { name: "Export NDJSON" }).getAttribute("href")).toBe(
      "/api/v1/audit/export?group=payments&actor=ann%40example.test",
    );

    fireEvent.click(screen.getByRole("button", { name: "Load older" }));
    await screen.findByText("app 2", { exact: false });
    expect(market.asked[1]).toMatchObject({ cursor: "c1", actor: "ann@example.test" });
    expect(rows()).toHaveLength(3);
    expect(screen.queryByRole("button", { name: "Load older" })).toBeNull();
  });

  it("keeps the entries shown when an older page cannot be read", async () => {
    market.pages = { "": { data: [entry(1)], next_cursor: "c1" }, c1: "fail" };
    render(
      <MemoryRouter initialEntries={["/admin/audit"]}>
        <AuditLog />
      </MemoryRouter>,
    );
    fireEvent.click(await screen.findByRole("button", { name: "Load older" }));
    expect((await screen.findByRole("alert")).textContent).toBe("The database is not answering.");
    expect(rows()).toHaveLength(1);
  });
});
