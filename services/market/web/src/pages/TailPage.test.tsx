import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Tail } from "./TailPage";

/** A stand-in for the browser's WebSocket: jsdom has no tail server to talk to. */
class FakeTailSocket {
  static opened: FakeTailSocket[] = [];
  onmessage: ((message: MessageEvent<string>) => void) | null = null;
  onclose: (() => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeTailSocket.opened.push(this);
  }
  send(lines: object[]) {
    const data = lines.map((line) => JSON.stringify(line)).join("\n");
    act(() => this.onmessage?.({ data } as MessageEvent<string>));
  }
  close() {
    this.closed = true;
  }
}

const real = globalThis.WebSocket;
beforeEach(() => {
  FakeTailSocket.opened = [];
  (globalThis as { WebSocket: unknown }).WebSocket = FakeTailSocket;
});
afterEach(() => {
  cleanup();
  (globalThis as { WebSocket: unknown }).WebSocket = real;
});

function event(message: string, level: string) {
  return { event: { message, level, "@timestamp": "2026-01-01T00:00:00Z" }, resume: "r" };
}

describe("the live tail page", () => {
  it("shows events coloured by level, the dropped notice, and holds events while paused", () => {
    const { container } = render(<Tail endpoint="http://127.0.0.1:18084/api/v1/tail/shop" />);
    const socket = FakeTailSocket.opened[0]!;
    expect(socket.url).toBe("ws://127.0.0.1:18084/api/v1/tail/shop");
    socket.send([{ started: { app: "shop", from: "end" }, resume: "r0" }, event("disk full", "error")]);
    expect(screen.getByText("Live")).toBeTruthy();
    expect(container.querySelector(".level-error")?.textContent).toContain("disk full");

    socket.send([{ dropped: 12, resume: "r1" }]);
    expect(screen.getByTestId("dropped").textContent).toContain("12 events were skipped");

    fireEvent.click(screen.getByRole("button", { name: "Pause" }));
    socket.send([event("while paused", "info")]);
    expect(screen.getByText("Paused: 1 new")).toBeTruthy();
    expect(screen.queryByText("while paused")).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Resume" }));
    expect(screen.getByText("while paused")).toBeTruthy();
  });

  it("reconnects with the filters applied", () => {
    render(<Tail endpoint="http://127.0.0.1:18084/api/v1/tail/shop" />);
    fireEvent.change(screen.getByLabelText("Levels"), { target: { value: "error" } });
    fireEvent.click(screen.getByRole("button", { name: "Apply filters" }));
    expect(FakeTailSocket.opened[0]!.closed).toBe(true);
    expect(FakeTailSocket.opened.at(-1)!.url).toContain("level=error");
  });
});
