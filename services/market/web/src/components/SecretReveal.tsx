import { Fragment } from "react";
import { Link } from "react-router-dom";
import type { Schemas } from "../api/client";
import { AgentConfigChooser } from "./AgentConfigChooser";
import { CopyButton } from "./CopyButton";
import { NoViewer } from "./LogsCluster";

interface Props {
  slug: string;
  secret: string;
  endpoints?: Schemas["AppEndpoints"];
  configs: Schemas["AgentConfigs"];
  rotatedUntil?: string | null;
}

/** The one time a secret is shown: copy it, paste the agent config, and go read the logs. */
export function SecretReveal({ slug, secret, endpoints, configs, rotatedUntil }: Props) {
  return (
    <section className="panel reveal" aria-labelledby="secret-title">
      <h2 id="secret-title">App secret</h2>
      <div className="notice notice-warn" role="note">
        <strong>Copy it now: it will not be shown again.</strong> Barito keeps only a hash of it. If
        you lose it, rotate the secret on the app's status page.
        {rotatedUntil && (
          <> The previous secret keeps working until {new Date(rotatedUntil).toLocaleString()}.</>
        )}
      </div>
      <div className="secret-row">
        <code className="secret" data-testid="app-secret">
          {secret}
        </code>
        <CopyButton text={secret} label="the app secret" />
      </div>
      {endpoints && (
        <dl className="facts">
          <dt>Ingest endpoint</dt>
          <dd>
            <code>{endpoints.ingest}</code> (POST, header <code>X-App-Secret</code>)
          </dd>
          <OtherEndpoints endpoints={endpoints} />
          <dt>Live tail endpoint</dt>
          <dd>
            <code>{endpoints.tail}</code>
          </dd>
          <dt>Viewer (Kibana)</dt>
          <dd>
            {endpoints.viewer ? (
              <a href={endpoints.viewer} target="_blank" rel="noreferrer">
                {endpoints.viewer}
              </a>
            ) : (
              <NoViewer />
            )}
          </dd>
        </dl>
      )}
      <h3>Configure your agent</h3>
      <p className="muted">
        Choose your agent, paste its configuration (it holds this secret) and reload the agent.
      </p>
      <AgentConfigChooser configs={configs} />
      <p>
        <Link className="button button-primary" to={`/apps/${slug}`}>
          Go to the app's status
        </Link>
      </p>
    </section>
  );
}

/** The receiver's other protocols, each only when this installation offers it. */
export function OtherEndpoints({ endpoints }: { endpoints: Schemas["AppEndpoints"] }) {
  const offered: [string, string | null, string][] = [
    ["OTLP/HTTP logs", endpoints.otlp, "header X-App-Secret"],
    ["Elasticsearch bulk API", endpoints.bulk, "basic-auth password"],
    ["fluentd forward", endpoints.forward, "the tag's first label"],
    ["Syslog", endpoints.syslog, "structured data"],
  ];
  return (
    <>
      {offered.map(([name, url, secret]) =>
        url ? (
          <Fragment key={name}>
            <dt>{name}</dt>
            <dd>
              <code>{url}</code> (the secret as {secret})
            </dd>
          </Fragment>
        ) : null,
      )}
    </>
  );
}

/** The smallest test a user can run in a terminal: one event with curl. */
export function curlExample(ingest: string, secret = "$BARITO_SECRET"): string {
  return `curl -X POST '${ingest}' \\
  -H 'X-App-Secret: ${secret}' \\
  -H 'Content-Type: application/x-ndjson' \\
  --data-binary '{"message":"hello from my app","level":"info"}'`;
}

export { CopyButton };
