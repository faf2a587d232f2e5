import { describe, expect, it } from "vitest";
import { scopeLabel, tokenBody } from "./tokenScope";

describe("API token scopes", () => {
  it("are labelled as the tokens page shows them", () => {
    expect(scopeLabel({ read_only: false, group: null })).toBe("full");
    expect(scopeLabel({ read_only: true, group: null })).toBe("read-only");
    expect(scopeLabel({ read_only: false, group: "payments" })).toBe("group: payments");
    expect(scopeLabel({ read_only: true, group: "payments" })).toBe("read-only, group: payments");
  });

  it("become the create body: days or never, the group or all of them", () => {
    expect(tokenBody({ name: " ci ", expiry: "30", readOnly: true, group: "payments" })).toEqual({
      name: "ci",
      expires_in_days: 30,
      read_only: true,
      group: "payments",
    });
    expect(tokenBody({ name: "ci", expiry: "never", readOnly: false, group: "" })).toEqual({
      name: "ci",
      expires_in_days: null,
      read_only: false,
      group: null,
    });
  });

  it("need a name", () => {
    expect(tokenBody({ name: "  ", expiry: "30", readOnly: true, group: "" })).toBe(
      "Give the token a name, e.g. the machine or job that will use it.",
    );
  });
});
