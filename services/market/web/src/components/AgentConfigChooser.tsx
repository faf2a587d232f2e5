import { useId, useState } from "react";
import type { Schemas } from "../api/client";
import { CodeBlock } from "./CopyButton";

type Configs = Schemas["AgentConfigs"];
type ConfigKey = keyof Configs;

interface Agent {
  key: ConfigKey;
  /** The option's text: the agent and the output it uses. */
  agent: string;
  /** The code block's name, for copy buttons and screen readers. */
  label: string;
}

interface Protocol {
  name: string;
  /** How this protocol carries the secret: what a user checks when a config does not work. */
  how: string;
  agents: Agent[];
}

/** Every configuration the market may offer, grouped by the protocol the agent speaks. */
export const PROTOCOLS: Protocol[] = [
  {
    name: "Barito HTTP (/api/v1/logs)",
    how: "NDJSON over HTTP to the ingest endpoint, the secret in the X-App-Secret header.",
    agents: [
      { key: "fluentd", agent: "fluentd (out_http)", label: "fluentd configuration" },
      { key: "fluent_bit", agent: "Fluent Bit (http)", label: "Fluent Bit configuration" },
    ],
  },
  {
    name: "OpenTelemetry (OTLP/HTTP)",
    how: "OTLP logs to /v1/logs, the secret in the X-App-Secret header.",
    agents: [
      {
        key: "otel_collector",
        agent: "OpenTelemetry Collector (otlphttp)",
        label: "OpenTelemetry Collector configuration",
      },
    ],
  },
  {
    name: "Elasticsearch bulk API",
    how: "Elasticsearch's bulk API; the secret is the basic-auth password, the app slug the user name.",
    agents: [
      { key: "filebeat", agent: "Filebeat", label: "Filebeat configuration" },
      { key: "logstash", agent: "Logstash", label: "Logstash configuration" },
      { key: "vector", agent: "Vector", label: "Vector configuration" },
      { key: "fluent_bit_es", agent: "Fluent Bit (es)", label: "Fluent Bit es configuration" },
      {
        key: "rsyslog_elasticsearch",
        agent: "rsyslog (omelasticsearch)",
        label: "rsyslog omelasticsearch configuration",
      },
    ],
  },
  {
    name: "fluentd forward protocol",
    how: "The forward protocol over TCP; the secret is the tag's first label (secret.tag).",
    agents: [
      {
        key: "fluent_bit_forward",
        agent: "Fluent Bit (forward)",
        label: "Fluent Bit forward configuration",
      },
      { key: "fluentd_forward", agent: "fluentd (out_forward)", label: "fluentd forward configuration" },
    ],
  },
  {
    name: "Syslog over TCP",
    how: 'RFC 5424 over TCP; the secret travels in the structured data [barito@32473 secret="…"].',
    agents: [{ key: "rsyslog_syslog", agent: "rsyslog (omfwd)", label: "rsyslog syslog configuration" }],
  },
];

export interface OfferedConfig extends Agent {
  protocol: Protocol;
  code: string;
}

/** The configurations this installation offers, in the chooser's order (null ones left out). */
export function offeredConfigs(configs: Configs): OfferedConfig[] {
  return PROTOCOLS.flatMap((protocol) =>
    protocol.agents.flatMap((agent) => {
      const code = configs[agent.key];
      return code ? [{ ...agent, protocol, code }] : [];
    }),
  );
}

/** A labelled select of the agents, and the chosen one's configuration with its copy button. */
export function AgentConfigChooser({ configs }: { configs: Configs }) {
  const offered = offeredConfigs(configs);
  const [chosen, setChosen] = useState<ConfigKey>(offered[0]?.key ?? "fluentd");
  const selectId = useId();
  const howId = useId();
  const current = offered.find((config) => config.key === chosen) ?? offered[0];
  if (!current) return null;
  return (
    <div className="agent-chooser">
      <label htmlFor={selectId}>Your agent</label>
      <select
        id={selectId}
        value={current.key}
        aria-describedby={howId}
        onChange={(event) => setChosen(event.target.value as ConfigKey)}
      >
        {PROTOCOLS.map((protocol) => {
          const agents = offered.filter((config) => config.protocol === protocol);
          return agents.length === 0 ? null : (
            <optgroup key={protocol.name} label={protocol.name}>
              {agents.map((config) => (
                <option key={config.key} value={config.key}>
                  {config.agent}
                </option>
              ))}
            </optgroup>
          );
        })}
      </select>
      <p className="muted" id={howId}>
        {current.protocol.how}
      </p>
      <CodeBlock code={current.code} label={current.label} />
    </div>
  );
}
