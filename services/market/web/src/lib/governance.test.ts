import { describe, expect, it } from "vitest";
import {
  canConfirmDeletion,
  deletionBody,
  deletionProgress,
  deletionRatio,
  EMPTY_REDACTION,
  formFromRedaction,
  indexDay,
  initialDeletionRange,
  limitBytesFromGib,
  movedPosition,
  previewSentence,
  searchQueryText,
  redactionBody,
  redactionSummary,
  storageBarPercent,
  storageLevel,
  storageSentence,
  toLocalInput,
} from "./governance";

const DETECTORS = { email: "email addresses" };

describe("a redaction rule's form", () => {
  it("sends only the input its kind uses, the others as null", () => {
    const form = { ...EMPTY_REDACTION, name: "emails", kind: "detector" as const, field: "x", detector: "email" };
    expect(redactionBody(form)).toEqual({
      body: { name: "emails", kind: "detector", field: null, pattern: null, detector: "email" },
    });
    const mask = { ...form, kind: "mask" as const, field: " user.email " };
    expect(redactionBody(mask)).toEqual({
      body: { name: "emails", kind: "mask", field: "user.email", pattern: null, detector: null },
    });
  });

  it("names the input a rule is missing", () => {
    expect(redactionBody({ ...EMPTY_REDACTION, name: "Bad Name" })).toMatchObject({ input: "name" });
    expect(redactionBody({ ...EMPTY_REDACTION, name: "a", kind: "drop" })).toMatchObject({ input: "field" });
    expect(redactionBody({ ...EMPTY_REDACTION, name: "a", kind: "pattern" })).toMatchObject({
      input: "pattern",
    });
    expect(redactionBody({ ...EMPTY_REDACTION, name: "a", kind: "detector" })).toMatchObject({
      input: "detector",
    });
  });

  it("round-trips a rule the API returned", () => {
    const rule = { name: "card", kind: "pattern", field: null, pattern: "\\d{16}", detector: null };
    expect(formFromRedaction(rule)).toEqual({
      name: "card",
      kind: "pattern",
      field: "",
      pattern: "\\d{16}",
      detector: "",
    });
  });

  it("says what a rule does, with the detector's description", () => {
    expect(redactionSummary({ name: "e", kind: "detector", detector: "email" }, DETECTORS)).toBe(
      "masks email addresses in any text",
    );
    expect(redactionSummary({ name: "p", kind: "drop", field: "password" }, DETECTORS)).toBe(
      "removes the field password",
    );
  });

  it("moves up and down within the list only", () => {
    expect(movedPosition(0, -1, 3)).toBeNull();
    expect(movedPosition(2, 1, 3)).toBeNull();
    expect(movedPosition(1, -1, 3)).toBe(0);
    expect(movedPosition(1, 1, 3)).toBe(2);
  });
});

describe("the delete-logs dialog", () => {
  it("starts from the search's range and query", () => {
    const range = initialDeletionRange({
      start: "2026-12-01T10:00:00Z",
      end: "2026-12-01T11:00:00Z",
      q: "level:debug",
    });
    expect(range.query).toBe("level:debug");
    expect(new Date(range.start).toISOString()).toBe("2026-12-01T10:00:00.000Z");
    const now = new Date("2026-12-05T12:00:00Z");
    expect(initialDeletionRange(null, now).end).toBe(toLocalInput(now));
  });

  it("rounds the search's range outwards to whole seconds", () => {
    const range = initialDeletionRange({ start: "2026-12-01T10:00:00.700Z", end: "2026-12-01T11:00:00.200Z" });
    expect(new Date(range.start).toISOString()).toBe("2026-12-01T10:00:00.000Z");
    expect(new Date(range.end).toISOString()).toBe("2026-12-01T11:00:01.000Z");
  });

  it("refuses a reversed or missing range and leaves an empty query out", () => {
    expect(deletionBody({ start: "", end: "2026-12-01T10:00", query: "" })).toBe(
      "Choose when the range starts.",
    );
    expect(deletionBody({ start: "2026-12-01T10:00", end: "2026-12-01T09:00", query: "" })).toBe(
      "The range must start before it ends.",
    );
    const body = deletionBody({ start: "2026-12-01T10:00", end: "2026-12-01T11:00", query: "  " });
    expect(typeof body).toBe("object");
    expect(body).not.toHaveProperty("query");
  });

  it("words the preview with the whole days as dates", () => {
    expect(indexDay("barito-shop-2026.12.01")).toBe("2026-12-01");
    expect(previewSentence({ count: 1204, whole_indices: ["barito-shop-2026.12.01"] })).toBe(
      "1,204 events will be deleted (whole days dropped: 2026-12-01).",
    );
    expect(previewSentence({ count: 1, whole_indices: [] })).toBe(
      "1 event will be deleted (whole days dropped: none).",
    );
  });

  it("confirms only after a non-empty preview and the slug typed exactly", () => {
    expect(canConfirmDeletion("shop", "shop", null)).toBe(false);
    expect(canConfirmDeletion("shop", "shop", 0)).toBe(false);
    expect(canConfirmDeletion("sho", "shop", 10)).toBe(false);
    expect(canConfirmDeletion(" shop ", "shop", 10)).toBe(true);
  });

  it("says how far a job is", () => {
    expect(deletionProgress({ state: "running", total: 1200, deleted: 300 })).toBe(
      "running: 300 of 1,200 deleted",
    );
    expect(deletionProgress({ state: "done", total: 1200, deleted: 1200 })).toBe(
      "done: 1,200 events deleted",
    );
    expect(deletionProgress({ state: "failed", total: 5, deleted: 2, error: "engine down" })).toBe(
      "failed after 2 deleted: engine down",
    );
    expect(deletionRatio({ state: "running", total: 0, deleted: 0 })).toBe(0);
    expect(deletionRatio({ state: "running", total: 4, deleted: 1 })).toBe(0.25);
  });
});

describe("a group's storage quota", () => {
  const GIB = 1024 ** 3;
  const storage = (used: number, limit: number, warning = false, over = false) => ({
    used_bytes: used,
    limit_bytes: limit,
    used_ratio: used / limit,
    warning,
    over,
  });

  it("reads used of limit with the percentage", () => {
    expect(storageSentence(storage(8 * GIB, 10 * GIB))).toBe("storage used 8.0 GiB of 10.0 GiB (80 %)");
    expect(storageSentence({ ...storage(GIB, 1), limit_bytes: 0, used_ratio: 0 })).toBe(
      "storage used 1.0 GiB (no limit)",
    );
  });

  it("follows the API's warning and over flags and caps the bar", () => {
    expect(storageLevel(storage(1, 10))).toBe("ok");
    expect(storageLevel(storage(8, 10, true))).toBe("warning");
    expect(storageLevel(storage(12, 10, true, true))).toBe("over");
    expect(storageBarPercent(storage(12, 10))).toBe(100);
    expect(storageBarPercent(storage(5, 10))).toBe(50);
  });

  it("takes a limit in GiB", () => {
    expect(limitBytesFromGib("2")).toBe(2 * GIB);
    expect(limitBytesFromGib("0.5")).toBe(GIB / 2);
    expect(typeof limitBytesFromGib("0")).toBe("string");
    expect(typeof limitBytesFromGib("lots")).toBe("string");
  });
});

describe("the logs page's search as a deletion query", () => {
  it("joins the query and the filters", () => {
    expect(searchQueryText("", [])).toBe("");
    expect(searchQueryText("timeout", [])).toBe("timeout");
    expect(searchQueryText("a OR b", ["level:debug"])).toBe("(a OR b) AND level:debug");
  });
});
