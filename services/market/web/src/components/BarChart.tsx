import { type Bar, niceMax, ticks, xLabels } from "../lib/chart";

interface Props {
  bars: Bar[];
  title: string;
  format: (value: number) => string;
  height?: number;
}

/** A bar chart in SVG that scales to its container; the table beneath it is for screen readers. */
export function BarChart({ bars, title, format, height = 160 }: Props) {
  const width = 600;
  const left = 48;
  const bottom = 22;
  const plotW = width - left - 8;
  const plotH = height - bottom - 8;
  const max = niceMax(Math.max(0, ...bars.map((b) => b.value)));
  const barW = bars.length ? plotW / bars.length : plotW;
  const total = bars.reduce((sum, b) => sum + b.value, 0);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`${title}: ${bars.length} buckets, highest ${format(max)}`}
        preserveAspectRatio="none"
      >
        {ticks(max).map((tick) => {
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
        {xLabels(bars).map(([index, label]) => (
          <text
            key={index}
            x={left + index * barW + barW / 2}
            y={height - 6}
            textAnchor="middle"
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
