import { cleanup, render, screen } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SessionProvider } from "../auth/session";
import type { AuthMethodsInfo } from "../lib/authMethods";
import { LoginPage } from "./LoginPage";

// The market's answers: nobody is logged in, and /auth/methods says what it offers.
const answers = vi.hoisted(() => ({ methods: null as unknown }));

vi.mock("../api/client", async (original) => {
  const real = await original<typeof import("../api/client")>();
  const answer = (status: number, data: unknown) =>
    Promise.resolve({
      data: status < 400 ? data : undefined,
      error: status < 400 ? undefined : data,
      response: new Response(null, { status }),
    });
  return {
    ...real,
    api: {
      GET: (path: string) =>
        path === "/api/v1/auth/methods"
          ? answer(200, answers.methods)
          : answer(401, { error: { code: "unauthorized", message: "You are not logged in." } }),
      POST: () => answer(500, null),
    },
  };
});

afterEach(cleanup);

function show(methods: AuthMethodsInfo, url: string) {
  answers.methods = methods;
  render(
    <MemoryRouter initialEntries={[url]}>
      <SessionProvider>
        <Routes>
          <Route path="/login" element={<LoginPage mode="login" />} />
        </Routes>
      </SessionProvider>
    </MemoryRouter>,
  );
}

const KEYCLOAK = { name: "Keycloak", login_url: "/api/v1/auth/oidc/login" };

describe("the login page", () => {
  it("offers the provider's button, coming back to where the user was going, and passwords", async () => {
    show({ passwords: true, sign_up: true, single_sign_on: KEYCLOAK }, "/login?next=/apps/shop");
    const button = await screen.findByRole("link", { name: "Sign in with Keycloak" });
    expect(button.getAttribute("href")).toBe("/api/v1/auth/oidc/login?next=%2Fapps%2Fshop");
    expect(screen.getByLabelText("Password")).toBeTruthy();
    expect(screen.getByRole("link", { name: "Create an account" })).toBeTruthy();
  });

  it("has no password form and no sign-up when the installation turned passwords off", async () => {
    show({ passwords: false, sign_up: true, single_sign_on: KEYCLOAK }, "/login");
    await screen.findByRole("link", { name: "Sign in with Keycloak" });
    expect(screen.queryByLabelText("Password")).toBeNull();
    expect(screen.queryByRole("link", { name: "Create an account" })).toBeNull();
  });

  it("shows passwords alone without a provider, and no sign-up link when sign-up is off", async () => {
    show({ passwords: true, sign_up: false, single_sign_on: null }, "/login");
    await screen.findByLabelText("Password");
    expect(screen.queryByRole("link", { name: /Sign in with/ })).toBeNull();
    expect(screen.queryByRole("link", { name: "Create an account" })).toBeNull();
  });

  it("says in plain words why single sign-on failed", async () => {
    show(
      { passwords: false, sign_up: false, single_sign_on: KEYCLOAK },
      "/login?sso_error=The+sign-in+took+too+long%3B+start+again.",
    );
    await screen.findByRole("link", { name: "Sign in with Keycloak" });
    const alert = screen.getByRole("alert");
    expect(alert.textContent).toBe(
      "Signing in with Keycloak did not work. The sign-in took too long; start again.",
    );
  });
});
