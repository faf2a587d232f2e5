import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { BarChart } from "./BarChart";

describe("BarChart", () => {
  it("draws one bar per bucket, scaled to the rounded maximum", () => {
    const bars = [
      { start: "a", value: 2, label: "10:00" },
      { start: "b", value: 8, label: "10:01" },
    ];
    const { container } = render(<BarChart bars={bars} title="Events" format={String} />);
    const rects = container.querySelectorAll("rect.bar");
    expect(rects).toHaveLength(2);
    const heights = [...rects].map((r) => Number(r.getAttribute("height")));
    expect(heights[1]! / heights[0]!).toBeCloseTo(4);
    expect(screen.getByRole("img").getAttribute("aria-label")).toContain("highest 10");
    expect(screen.queryByText("Nothing in this period yet.")).toBeNull();
  });

  it("says so when the period is empty", () => {
    render(<BarChart bars={[{ start: "a", value: 0, label: "10:00" }]} title="Events" format={String} />);
    expect(screen.getByText("Nothing in this period yet.")).toBeTruthy();
  });
});
