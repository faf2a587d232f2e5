import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiFailure } from "../api/errors";
import { EMPTY_RULE, type RuleCreate } from "../lib/alerts";
import { AlertRuleForm } from "./AlertRuleForm";

afterEach(cleanup);

const channels = [
  {
    id: "c1",
    group: "shop",
    name: "On-call",
    kind: "webhook" as const,
    config: { url: "https://h.example/x" },
    has_secret: true,
    created_at: "2026-01-01T00:00:00Z",
  },
];

function renderForm(onSubmit = vi.fn(async (_body: RuleCreate) => {})) {
  render(
    <AlertRuleForm title="New rule" initial={EMPTY_RULE} channels={channels} submitLabel="Create rule" onSubmit={onSubmit} />,
  );
  return onSubmit;
}

describe("AlertRuleForm", () => {
  it("sends what was typed and the channels ticked", async () => {
    const onSubmit = renderForm();
    fireEvent.change(screen.getByLabelText("Rule name"), { target: { value: "Payments" } });
    fireEvent.change(screen.getByLabelText("Contains"), { target: { value: "payment failed" } });
    fireEvent.change(screen.getByLabelText("Condition"), { target: { value: "any" } });
    fireEvent.click(screen.getByLabelText(/On-call/));
    fireEvent.click(screen.getByRole("button", { name: "Create rule" }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledOnce());
    expect(onSubmit.mock.calls[0]?.[0]).toMatchObject({
      name: "Payments",
      match: { q: "payment failed", fields: [] },
      condition: { kind: "any", count: 1 },
      channel_ids: ["c1"],
    });
  });

  it("shows the server's refusal at the input it names", async () => {
    renderForm(
      vi.fn(async (_body: RuleCreate) => {
        throw new ApiFailure(422, "match: missing ) in regex", "invalid_request", [
          { field: "match", message: "missing ) in regex" },
        ]);
      }),
    );
    fireEvent.change(screen.getByLabelText("Rule name"), { target: { value: "Bad" } });
    fireEvent.change(screen.getByLabelText("Regular expression (RE2)"), { target: { value: "(" } });
    fireEvent.click(screen.getByRole("button", { name: "Create rule" }));
    const problem = await screen.findByRole("alert");
    expect(problem.id).toBe("rule-match-problem");
    expect(problem.textContent).toBe("match: missing ) in regex");
    expect(screen.getByRole("group", { name: "Events that count" }).contains(problem)).toBe(true);
  });

  it("marks the name invalid before sending anything", async () => {
    const onSubmit = renderForm();
    fireEvent.click(screen.getByRole("button", { name: "Create rule" }));
    const name = screen.getByLabelText("Rule name");
    expect(name.getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByRole("alert").textContent).toContain("Give the rule a name");
    expect(name.getAttribute("aria-describedby")).toBe("rule-name-problem");
    expect(onSubmit).not.toHaveBeenCalled();
  });
});
