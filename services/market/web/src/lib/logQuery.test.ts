import { describe, expect, it } from "vitest";
import {
  filterableFields,
  formFromParams,
  makeFilter,
  pageCount,
  paramsFromForm,
  toApiQuery,
} from "./logQuery";

describe("the log search form", () => {
  it("round-trips through the URL, so a search can be shared and reloaded", () => {
    const form = { range: "6h" as const, from: "", to: "", q: "payment", filters: ["level:error"], page: 2 };
    expect(formFromParams(paramsFromForm(form))).toEqual(form);
    expect(formFromParams(new URLSearchParams("range=bogus&page=-3")).range).toBe("1h");
    expect(formFromParams(new URLSearchParams("page=-3")).page).toBe(1);
  });

  it("turns a preset range into start and end", () => {
    const now = new Date("2026-01-01T12:00:00Z");
    const query = toApiQuery(
      { range: "1h", from: "", to: "", q: " x ", filters: [], page: 1 },
      now,
    );
    expect(query).toEqual({
      start: "2026-01-01T11:00:00.000Z",
      end: "2026-01-01T12:00:00.000Z",
      q: "x",
      filter: [],
      page: 1,
      size: 50,
    });
  });

  it("refuses a custom range that is missing or reversed", () => {
    const base = { range: "custom" as const, q: "", filters: [], page: 1 };
    expect(toApiQuery({ ...base, from: "", to: "" })).toBe("Choose when the range starts.");
    expect(toApiQuery({ ...base, from: "2026-01-02T00:00", to: "2026-01-01T00:00" })).toBe(
      "The range must start before it ends.",
    );
  });

  it("builds field:value filters only from both halves", () => {
    expect(makeFilter(" level ", " error ")).toBe("level:error");
    expect(makeFilter("level", "")).toBeNull();
    expect(makeFilter("a:b", "c")).toBeNull();
  });

  it("counts pages within the engine's 10,000-result window", () => {
    expect(pageCount(0)).toBe(1);
    expect(pageCount(101)).toBe(3);
    expect(pageCount(1_000_000)).toBe(200);
  });

  it("offers short scalar fields as one-click filters", () => {
    expect(
      filterableFields({ "@timestamp": "t", message: "m", level: "error", nested: { a: 1 }, n: 5 }),
    ).toEqual([
      ["level", "error"],
      ["n", "5"],
    ]);
  });
});
