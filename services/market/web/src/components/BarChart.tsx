import { useEffect, useRef, useState } from "react";
import { type Bar, niceMax, ticks, xLabels } from "../lib/chart";

interface Props {
  bars: Bar[];
  title: string;
  format: (value: number) => string;
  height?: number;
  /** Whole numbers only (counts): no 0.25 ticks. */
  integer?: boolean;
}

/** The element's width in CSS pixels, so the SVG is drawn at its real size (text undistorted). */
function useWidth(fallback: number) {
  const ref = useRef<HTMLElement>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const element = ref.current;
    if (!element || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(([entry]) => {
      if (entry && entry.contentRect.width > 0) setWidth(Math.round(entry.contentRect.width));
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, width] as const;
}

/** A bar chart in SVG that scales to its container; the table beneath it is for screen readers. */
export function BarChart({ bars, title, format, height = 160, integer = false }: Props) {
  const [ref, width] = useWidth(600);
  const left = 48;
  const bottom = 22;
  const plotW = width - left - 8;
  const plotH = height - bottom - 8;
  const max = niceMax(Math.max(0, ...bars.map((b) => b.value)));
  const tickCount = integer ? Math.max(1, Math.min(4, max)) : 4;
  const barW = bars.length ? plotW / bars.length : plotW;
  const total = bars.reduce((sum, b) => sum + b.value, 0);
  return (
    <figure className="chart" ref={ref}>
      <figcaption>{title}</figcaption>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`${title}: ${bars.length} buckets, highest ${format(max)}`}
        width={width}
        height={height}
      >
        {ticks(max, tickCount).map((tick) => {
          const y = 8 + plotH - (tick / max) * plotH;
          return (
            <g key={tick}>
              <line x1={left} x2={width - 8} y1={y} y2={y} className="grid" />
              <text x={left - 6} y={y + 4} textAnchor="end" className="axis">
                {format(tick)}
              </text>
            </g>
          );
        })}
        {bars.map((bar, i) => {
          const h = (bar.value / max) * plotH;
          return (
            <rect
              key={bar.start}
              x={left + i * barW + barW * 0.1}
              y={8 + plotH - h}
              width={Math.max(1, barW * 0.8)}
              height={h}
              className="bar"
            >
              <title>{`${bar.label}: ${format(bar.value)}`}</title>
            </rect>
          );
        })}
        {xLabels(bars, width < 400 ? 3 : 5).map(([index, label], i, all) => (
          <text
            key={index}
            x={left + index * barW + barW / 2}
            y={height - 6}
            // The first and last labels stay inside the plot instead of being cut at the edge.
            textAnchor={i === 0 ? "start" : i === all.length - 1 ? "end" : "middle"}
            className="axis"
          >
            {label}
          </text>
        ))}
      </svg>
      {total === 0 && <p className="chart-empty">Nothing in this period yet.</p>}
    </figure>
  );
}
