import { describe, expect, it } from "vitest";
import { failureFrom, messageOf } from "./errors";

describe("API errors as the user reads them", () => {
  it("uses the market's own message and per-field problems", () => {
    const failure = failureFrom(422, {
      error: {
        code: "invalid_request",
        message: "body.name: too long",
        fields: [{ field: "body.name", message: "too long" }],
      },
    });
    expect(failure.message).toBe("body.name: too long");
    expect(failure.fieldMessage("name")).toBe("too long");
    expect(failure.fieldMessage("email")).toBeUndefined();
  });

  it("falls back to a plain sentence when the body says nothing", () => {
    expect(failureFrom(503, null).message).toMatch(/not answering/);
    expect(failureFrom(418, "teapot").message).toBe("The market answered 418.");
    expect(messageOf(42)).toBe("Something went wrong.");
  });
});
