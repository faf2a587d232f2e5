import { describe, expect, it } from "vitest";
import { formatAgo, formatBytes, formatCount, formatRate, plural } from "./format";

describe("numbers as the UI shows them", () => {
  it("counts group thousands and compact large numbers", () => {
    expect(formatCount(0)).toBe("0");
    expect(formatCount(12345)).toBe("12,345");
    expect(formatCount(2_500_000)).toBe("2.5M");
  });

  it("rates keep a decimal only when small", () => {
    expect(formatRate(0)).toBe("0 /s");
    expect(formatRate(0.05)).toBe("0.05 /s");
    expect(formatRate(0.0025)).toBe("0.0025 /s");
    expect(formatRate(3.25)).toBe("3.3 /s");
    expect(formatRate(1500)).toBe("1,500 /s");
  });

  it("bytes in binary units", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(5 * 1024 ** 3)).toBe("5.0 GiB");
  });

  it("relative times in words", () => {
    const now = new Date("2026-01-01T12:00:00Z");
    expect(formatAgo("2026-01-01T11:59:50Z", now)).toBe("just now");
    expect(formatAgo("2026-01-01T11:55:00Z", now)).toBe("5 min ago");
    expect(formatAgo("2025-12-30T12:00:00Z", now)).toBe("2 d ago");
    expect(formatAgo("2026-01-01T14:00:00Z", now)).toBe("in 2 h");
  });

  it("plurals", () => {
    expect(plural(1, "event")).toBe("1 event");
    expect(plural(2, "event")).toBe("2 events");
  });
});
