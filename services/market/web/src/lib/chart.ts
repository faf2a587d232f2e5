// Chart data shaping: API series → bars with labels and a readable y-axis.
import type { UsagePoint } from "../api/client";

export interface Bar {
  start: string;
  value: number;
  label: string;
}

/** A round axis maximum at or above ``max`` (1, 2, 2.5 or 5 × 10^n), never 0. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= max) return step * power;
  }
  return 10 * power;
}

/** ``count`` evenly spaced ticks from 0 to ``max``, inclusive. */
export function ticks(max: number, count = 4): number[] {
  return Array.from({ length: count + 1 }, (_, i) => (max * i) / count);
}

function clock(iso: string): string {
  const date = new Date(iso);
  return `${String(date.getHours()).padStart(2, "0")}:${String(date.getMinutes()).padStart(2, "0")}`;
}

/** Events/s received per usage bucket, as bars labelled with their local start time. */
export function usageBars(points: UsagePoint[]): Bar[] {
  return points.map((point) => ({
    start: point.start,
    value: point.events_per_second,
    label: clock(point.start),
  }));
}

/** Log search histogram buckets as bars. */
export function histogramBars(buckets: { start: string; count: number }[]): Bar[] {
  return buckets.map((bucket) => ({
    start: bucket.start,
    value: bucket.count,
    label: clock(bucket.start),
  }));
}

/** Sum of events lost per bucket (rejected + dead-lettered), for the "lost" chart. */
export function lostTotal(points: UsagePoint[]): number {
  return points.reduce((sum, p) => sum + p.rejected + p.dead_lettered, 0);
}

/** Up to ``count`` labels spread along the x axis: [index, label]. */
export function xLabels(bars: Bar[], count = 4): [number, string][] {
  if (bars.length === 0) return [];
  if (bars.length <= count) return bars.map((bar, i) => [i, bar.label]);
  const step = (bars.length - 1) / (count - 1);
  return Array.from({ length: count }, (_, i) => {
    const index = Math.round(i * step);
    return [index, bars[index]?.label ?? ""] as [number, string];
  });
}
