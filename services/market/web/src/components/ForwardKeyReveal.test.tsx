import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { ForwardKeyReveal } from "./ForwardKeyReveal";

afterEach(cleanup);

describe("ForwardKeyReveal", () => {
  it("shows the key once with its copy button, the listener, and both agents' outputs", () => {
    render(
      <ForwardKeyReveal
        made={{
          slug: "shop",
          forward_key: "fk-123",
          username: "shop",
          forward_url: "tls://logs.example.test:24225",
          fluentd: "<match shop.**> shared_key fk-123",
          fluent_bit: "[OUTPUT] Shared_Key fk-123",
        }}
      />,
    );
    expect(screen.getByTestId("forward-key").textContent).toBe("fk-123");
    expect(screen.getByRole("button", { name: /Copy the forward key/ })).toBeTruthy();
    expect(screen.getByText("tls://logs.example.test:24225")).toBeTruthy();
    expect(screen.getByLabelText("fluentd forward handshake configuration").textContent).toContain(
      "shared_key fk-123",
    );
    expect(screen.getByLabelText("Fluent Bit forward handshake configuration").textContent).toContain(
      "Shared_Key fk-123",
    );
  });
});
