import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiFailure } from "../api/errors";
import { EMPTY_REDACTION, type RedactionBody } from "../lib/governance";
import { RedactionRuleForm } from "./RedactionRuleForm";

afterEach(cleanup);

const detectors = { email: "email addresses", jwt: "JSON Web Tokens" };

function renderForm(onSubmit = vi.fn(async (_body: RedactionBody) => {})) {
  render(
    <RedactionRuleForm
      title="New redaction rule"
      initial={EMPTY_REDACTION}
      detectors={detectors}
      submitLabel="Add rule"
      onSubmit={onSubmit}
      onCancel={() => {}}
    />,
  );
  return onSubmit;
}

describe("RedactionRuleForm", () => {
  it("offers the detectors with what they find and sends the one chosen", async () => {
    const onSubmit = renderForm();
    fireEvent.change(screen.getByLabelText("Rule name"), { target: { value: "emails" } });
    expect(screen.getByRole("option", { name: "email: email addresses" })).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Detector"), { target: { value: "email" } });
    expect(screen.getByText("Finds email addresses.")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Add rule" }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledOnce());
    expect(onSubmit.mock.calls[0]?.[0]).toEqual({
      name: "emails",
      kind: "detector",
      field: null,
      pattern: null,
      detector: "email",
    });
  });

  it("shows the kind's own input: a field for mask, a pattern for pattern", () => {
    renderForm();
    fireEvent.change(screen.getByLabelText("Kind"), { target: { value: "mask" } });
    expect(screen.getByLabelText("Field")).toBeTruthy();
    expect(screen.queryByLabelText("Detector")).toBeNull();
    fireEvent.change(screen.getByLabelText("Kind"), { target: { value: "pattern" } });
    expect(screen.getByLabelText("Pattern (RE2)")).toBeTruthy();
    expect(screen.queryByLabelText("Field")).toBeNull();
  });

  it("shows the server's refusal at the input it names, or above the buttons", async () => {
    const refusals = [
      new ApiFailure(422, "pattern: missing ) in the regular expression", "invalid_request", [
        { field: "pattern", message: "missing ) in the regular expression" },
      ]),
      new ApiFailure(422, "The app has 50 redaction rules already.", "too_many_rules"),
    ];
    renderForm(
      vi.fn(async (_body: RedactionBody) => {
        throw refusals.shift();
      }),
    );
    fireEvent.change(screen.getByLabelText("Rule name"), { target: { value: "cards" } });
    fireEvent.change(screen.getByLabelText("Kind"), { target: { value: "pattern" } });
    fireEvent.change(screen.getByLabelText("Pattern (RE2)"), { target: { value: "card (" } });
    fireEvent.click(screen.getByRole("button", { name: "Add rule" }));
    const atPattern = await screen.findByRole("alert");
    expect(atPattern.id).toBe("redaction-pattern-problem");
    expect(atPattern.textContent).toBe("missing ) in the regular expression");
    fireEvent.click(screen.getByRole("button", { name: "Add rule" }));
    await waitFor(() => expect(screen.getByRole("alert").id).toBe("redaction-form-problem"));
    expect(screen.getByRole("alert").textContent).toBe("The app has 50 redaction rules already.");
  });

  it("names the missing input before sending anything", () => {
    const onSubmit = renderForm();
    fireEvent.change(screen.getByLabelText("Rule name"), { target: { value: "emails" } });
    fireEvent.click(screen.getByRole("button", { name: "Add rule" }));
    expect(screen.getByRole("alert").textContent).toBe("Choose a detector.");
    expect(screen.getByLabelText("Detector").getAttribute("aria-invalid")).toBe("true");
    expect(onSubmit).not.toHaveBeenCalled();
  });
});
