import type { Schemas } from "../api/client";
import { CodeBlock, CopyButton } from "./CopyButton";

/** The one time a forward key is shown: the handshake's shared key, with both agents' outputs. */
export function ForwardKeyReveal({ made }: { made: Schemas["AppForwardKey"] }) {
  return (
    <section className="panel reveal" aria-labelledby="forward-key-title">
      <h2 id="forward-key-title">Forward key</h2>
      <div className="notice notice-warn" role="note">
        <strong>Copy it now: it will not be shown again.</strong> It is the shared key and the password
        of the forward protocol's handshake; a key made before it no longer works.
      </div>
      <div className="secret-row">
        <code className="secret" data-testid="forward-key">
          {made.forward_key}
        </code>
        <CopyButton text={made.forward_key} label="the forward key" />
      </div>
      <dl className="facts">
        <dt>Handshake listener</dt>
        <dd>
          <code>{made.forward_url}</code>
        </dd>
        <dt>Username</dt>
        <dd>
          <code>{made.username}</code>
        </dd>
      </dl>
      <CodeBlock code={made.fluentd} label="fluentd forward handshake configuration" />
      <CodeBlock code={made.fluent_bit} label="Fluent Bit forward handshake configuration" />
    </section>
  );
}
