import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import axe from "axe-core";
import { afterEach, describe, expect, it } from "vitest";
import type { Schemas } from "../api/client";
import { AgentConfigChooser, offeredConfigs, PROTOCOLS } from "./AgentConfigChooser";

const SECRET = "b_s3cr3t";

const ALL: Schemas["AgentConfigs"] = {
  fluentd: `<match app.**> ${SECRET}`,
  fluent_bit: `[OUTPUT] http ${SECRET}`,
  otel_collector: `exporters: otlphttp ${SECRET}`,
  filebeat: `output.elasticsearch ${SECRET}`,
  logstash: `output { elasticsearch ${SECRET}`,
  vector: `sinks: elasticsearch ${SECRET}`,
  fluent_bit_es: `[OUTPUT] es ${SECRET}`,
  rsyslog_elasticsearch: `omelasticsearch ${SECRET}`,
  fluent_bit_forward: `[OUTPUT] forward ${SECRET}`,
  fluentd_forward: `<match ${SECRET}.**> forward`,
  rsyslog_syslog: `omfwd [barito@32473 secret=\\"${SECRET}\\"]`,
};

afterEach(cleanup);

function chooser(): HTMLSelectElement {
  return screen.getByLabelText("Your agent") as HTMLSelectElement;
}

describe("AgentConfigChooser", () => {
  it("offers every agent, grouped by protocol, fluentd first", () => {
    render(<AgentConfigChooser configs={ALL} />);
    const groups = [...chooser().querySelectorAll("optgroup")].map((g) => g.label);
    expect(groups).toEqual(PROTOCOLS.map((p) => p.name));
    expect(chooser().options).toHaveLength(11);
    expect(chooser().value).toBe("fluentd");
    expect(screen.getByLabelText("fluentd configuration").textContent).toBe(ALL.fluentd);
  });

  it("shows the chosen agent's configuration, its copy button and how the secret travels", () => {
    render(<AgentConfigChooser configs={ALL} />);
    fireEvent.change(chooser(), { target: { value: "otel_collector" } });
    const block = screen.getByLabelText("OpenTelemetry Collector configuration");
    expect(block.textContent).toContain(SECRET);
    expect(screen.queryByLabelText("fluentd configuration")).toBeNull();
    const head = block.closest(".code-block") as HTMLElement;
    expect(within(head).getByRole("button", { name: /Copy the OpenTelemetry Collector/ })).toBeTruthy();
    expect(chooser().getAttribute("aria-describedby")).toBeTruthy();
    const how = document.getElementById(chooser().getAttribute("aria-describedby")!);
    expect(how?.textContent).toContain("/v1/logs");

    fireEvent.change(chooser(), { target: { value: "rsyslog_syslog" } });
    expect(screen.getByLabelText("rsyslog syslog configuration").textContent).toContain(
      `secret=\\"${SECRET}\\"`,
    );
  });

  it("leaves out what the installation does not offer, and its protocol's group", () => {
    const some = { ...ALL, fluent_bit_forward: null, fluentd_forward: null, rsyslog_syslog: null };
    render(<AgentConfigChooser configs={some} />);
    const groups = [...chooser().querySelectorAll("optgroup")].map((g) => g.label);
    expect(groups).not.toContain("fluentd forward protocol");
    expect(groups).not.toContain("Syslog over TCP");
    expect(offeredConfigs(some).map((c) => c.key)).not.toContain("rsyslog_syslog");
    expect(chooser().options).toHaveLength(8);
  });

  it("is a labelled native select, reachable by keyboard, with no axe violations", async () => {
    const { container } = render(<AgentConfigChooser configs={ALL} />);
    chooser().focus();
    expect(document.activeElement).toBe(chooser());
    const results = await axe.run(container, { rules: { "color-contrast": { enabled: false } } });
    expect(results.violations.map((v) => v.id)).toEqual([]);
  });
});
