import { cleanup, render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { afterEach, describe, expect, it } from "vitest";
import type { Schemas } from "../api/client";
import { SecretReveal } from "./SecretReveal";

const ENDPOINTS: Schemas["AppEndpoints"] = {
  ingest: "https://logs.example.test/api/v1/logs",
  otlp: "https://logs.example.test/v1/logs",
  bulk: "https://logs.example.test",
  forward: null,
  syslog: "tls://logs.example.test:6514",
  tail: "https://tail.example.test/api/v1/tail/shop",
  viewer: null,
};

const CONFIGS: Schemas["AgentConfigs"] = {
  fluentd: "<match app.**> s3cr3t",
  fluent_bit: "[OUTPUT] s3cr3t",
  otel_collector: "otlphttp s3cr3t",
  filebeat: null,
  logstash: null,
  vector: null,
  fluent_bit_es: null,
  rsyslog_elasticsearch: null,
  fluent_bit_forward: null,
  fluentd_forward: null,
  rsyslog_syslog: "omfwd s3cr3t",
};

afterEach(cleanup);

describe("SecretReveal", () => {
  it("lists the endpoints the installation offers, and only those", () => {
    render(
      <MemoryRouter>
        <SecretReveal slug="shop" secret="s3cr3t" endpoints={ENDPOINTS} configs={CONFIGS} />
      </MemoryRouter>,
    );
    const terms = [...document.querySelectorAll("dt")].map((dt) => dt.textContent);
    expect(terms).toEqual([
      "Ingest endpoint",
      "OTLP/HTTP logs",
      "Elasticsearch bulk API",
      "Syslog",
      "Live tail endpoint",
      "Viewer (Kibana)",
    ]);
    expect(screen.getByText("tls://logs.example.test:6514")).toBeTruthy();
    const options = [...(screen.getByLabelText("Your agent") as HTMLSelectElement).options];
    expect(options.map((o) => o.value)).toEqual([
      "fluentd",
      "fluent_bit",
      "otel_collector",
      "rsyslog_syslog",
    ]);
  });
});
