import { describe, expect, it } from "vitest";
import type { UsagePoint } from "../api/client";
import { histogramBars, lostTotal, niceMax, ticks, usageBars, xLabels } from "./chart";

const point = (minute: number, eps: number, rejected = 0, dead = 0): UsagePoint => ({
  start: new Date(Date.UTC(2026, 0, 1, 10, minute)).toISOString(),
  seconds: 60,
  received_events: eps * 60,
  indexed_events: eps * 60,
  rejected,
  dead_lettered: dead,
  events_per_second: eps,
});

describe("chart data shaping", () => {
  it("rounds the axis up to a readable maximum, never zero", () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(0.3)).toBe(0.5);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(180)).toBe(200);
    expect(niceMax(2400)).toBe(2500);
  });

  it("spreads ticks evenly from zero", () => {
    expect(ticks(200, 4)).toEqual([0, 50, 100, 150, 200]);
  });

  it("turns usage points into events/s bars in time order", () => {
    const bars = usageBars([point(0, 2), point(1, 5)]);
    expect(bars.map((b) => b.value)).toEqual([2, 5]);
    expect(bars[0]?.label).toMatch(/^\d\d:\d\d$/);
  });

  it("turns histogram buckets into count bars", () => {
    const bars = histogramBars([{ start: "2026-01-01T10:00:00Z", count: 4 }]);
    expect(bars).toHaveLength(1);
    expect(bars[0]?.value).toBe(4);
  });

  it("adds rejected and dead-lettered events as lost", () => {
    expect(lostTotal([point(0, 1, 2, 1), point(1, 1, 0, 3)])).toBe(6);
  });

  it("labels at most a few bars, including the first and the last", () => {
    const bars = usageBars(Array.from({ length: 60 }, (_, i) => point(i, 1)));
    const labels = xLabels(bars, 4);
    expect(labels.map(([i]) => i)).toEqual([0, 20, 39, 59]);
    expect(xLabels([], 4)).toEqual([]);
  });
});
