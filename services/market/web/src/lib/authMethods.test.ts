import { describe, expect, it } from "vitest";
import { loginChoices, safeNext, ssoErrorText, withNext } from "./authMethods";

const SSO = { name: "Keycloak", login_url: "/api/v1/auth/oidc/login" };

describe("the login page's choices", () => {
  it("offer single sign-on with the page to come back to, beside passwords", () => {
    expect(loginChoices({ passwords: true, sign_up: true, single_sign_on: SSO }, "/groups/x")).toEqual({
      singleSignOn: { name: "Keycloak", href: "/api/v1/auth/oidc/login?next=%2Fgroups%2Fx" },
      passwords: true,
      signUp: true,
    });
  });

  it("have no password form or sign-up when passwords are off", () => {
    const choices = loginChoices({ passwords: false, sign_up: true, single_sign_on: SSO }, "/groups");
    expect(choices.passwords).toBe(false);
    expect(choices.signUp).toBe(false);
    expect(choices.singleSignOn?.name).toBe("Keycloak");
  });

  it("are passwords alone on an installation without a provider", () => {
    expect(loginChoices({ passwords: true, sign_up: false, single_sign_on: null }, "/")).toEqual({
      singleSignOn: null,
      passwords: true,
      signUp: false,
    });
  });
});

describe("where a login comes back to", () => {
  it("is a path of this app, never another site", () => {
    expect(safeNext("/apps/shop?x=1")).toBe("/apps/shop?x=1");
    expect(safeNext("//evil.example")).toBe("/groups");
    expect(safeNext("https://evil.example")).toBe("/groups");
    expect(safeNext(null)).toBe("/groups");
  });

  it("is added to a login URL that may already have a query or a host", () => {
    expect(withNext("/api/v1/auth/oidc/login?prompt=login", "/a")).toBe(
      "/api/v1/auth/oidc/login?prompt=login&next=%2Fa",
    );
    expect(withNext("https://logs.example.test/api/v1/auth/oidc/login", "/a")).toBe(
      "https://logs.example.test/api/v1/auth/oidc/login?next=%2Fa",
    );
  });
});

describe("a single sign-on error in the URL", () => {
  it("is shown as plain, short text", () => {
    expect(ssoErrorText(null)).toBeNull();
    expect(ssoErrorText("  ")).toBeNull();
    expect(ssoErrorText("The sign-in\ntook  too long.")).toBe("The sign-in took too long.");
    expect(ssoErrorText("the provider refused: access_denied")).toBe(
      "The provider refused: access_denied.",
    );
    expect(ssoErrorText("x".repeat(500))).toBe(`X${"x".repeat(298)}…`);
  });
});
