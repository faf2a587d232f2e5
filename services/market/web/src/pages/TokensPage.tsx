import { type FormEvent, useState } from "react";
import { api, type Group, type Token, type TokenCreated, unwrap } from "../api/client";
import { messageOf } from "../api/errors";
import { ConfirmButton } from "../components/ConfirmButton";
import { CodeBlock, CopyButton } from "../components/CopyButton";
import { PageHeader } from "../components/Layout";
import { Empty, ErrorNotice, Loading } from "../components/States";
import { formatAgo, formatTime } from "../lib/format";
import { EXPIRIES, type ExpiryValue, scopeLabel, tokenBody } from "../lib/tokenScope";
import { useLoad } from "../lib/useLoad";

async function loadTokens() {
  const [tokens, groups] = await Promise.all([
    unwrap(api.GET("/api/v1/auth/tokens")),
    unwrap(api.GET("/api/v1/groups")),
  ]);
  return { tokens: tokens.data, groups: groups.data };
}

/** The user's personal API tokens: for scripts and machines, each scoped as narrowly as it needs. */
export function TokensPage() {
  const loaded = useLoad(loadTokens, "tokens");
  const [created, setCreated] = useState<TokenCreated | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  async function revoke(token: Token) {
    setProblem(null);
    try {
      await unwrap(
        api.DELETE("/api/v1/auth/tokens/{token_id}", { params: { path: { token_id: token.id } } }),
      );
      if (created?.id === token.id) setCreated(null);
      loaded.reload();
    } catch (err) {
      setProblem(messageOf(err));
    }
  }

  return (
    <>
      <PageHeader title="API tokens" />
      <p className="lead">
        Scripts and machines call the API with a token, sent as{" "}
        <code>Authorization: Bearer &lt;token&gt;</code>. It acts as you, so give each one only what
        it needs: a read-only token searches and tails but changes nothing; a group token sees that
        group only.
      </p>
      {created && <TokenReveal token={created} />}
      {loaded.error ? (
        <ErrorNotice error={loaded.error} retry={loaded.reload} />
      ) : !loaded.data ? (
        <Loading what="your tokens" />
      ) : (
        <>
          <section className="panel" aria-labelledby="tokens-title">
            <h2 id="tokens-title">Your tokens</h2>
            {problem && (
              <div className="notice notice-error" role="alert">
                {problem}
              </div>
            )}
            {loaded.data.tokens.length === 0 ? (
              <Empty title="No tokens yet">
                <p>Create one below for each script or machine that calls the API.</p>
              </Empty>
            ) : (
              <TokensTable tokens={loaded.data.tokens} onRevoke={revoke} />
            )}
          </section>
          <NewToken
            groups={loaded.data.groups}
            onCreated={(token) => {
              setCreated(token);
              loaded.reload();
            }}
          />
        </>
      )}
    </>
  );
}

function TokensTable({ tokens, onRevoke }: { tokens: Token[]; onRevoke: (t: Token) => void }) {
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label="Your API tokens">
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Starts with</th>
            <th scope="col">Scope</th>
            <th scope="col">Created</th>
            <th scope="col">Expires</th>
            <th scope="col">Revoke</th>
          </tr>
        </thead>
        <tbody>
          {tokens.map((token) => (
            <tr key={token.id}>
              <td>{token.name}</td>
              <td>
                <code>{token.prefix}…</code>
              </td>
              <td data-testid="token-scope">{scopeLabel(token)}</td>
              <td title={formatTime(token.created_at)}>{formatAgo(token.created_at)}</td>
              <td>
                {token.expires_at ? (
                  <span title={formatTime(token.expires_at)}>{formatAgo(token.expires_at)}</span>
                ) : (
                  "never"
                )}
              </td>
              <td>
                <ConfirmButton
                  small
                  label="Revoke"
                  detail={token.name}
                  question={`Revoke ${token.name}? Anything still using it is refused from now on.`}
                  confirmLabel="Revoke"
                  danger
                  onConfirm={() => onRevoke(token)}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function NewToken({
  groups,
  onCreated,
}: {
  groups: Group[];
  onCreated: (token: TokenCreated) => void;
}) {
  const [name, setName] = useState("");
  const [expiry, setExpiry] = useState<ExpiryValue>("90");
  const [readOnly, setReadOnly] = useState(true);
  const [group, setGroup] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function create(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    const body = tokenBody({ name, expiry, readOnly, group });
    if (typeof body === "string") {
      setProblem(body);
      return;
    }
    setBusy(true);
    try {
      onCreated(await unwrap(api.POST("/api/v1/auth/tokens", { body })));
      setName("");
    } catch (err) {
      setProblem(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel" aria-labelledby="new-token-title">
      <h2 id="new-token-title">New token</h2>
      <form className="form token-form" onSubmit={create} noValidate>
        <div className="search-row">
          <div className="grow">
            <label htmlFor="token-name">Token name</label>
            <input
              id="token-name"
              value={name}
              placeholder="e.g. nightly-report"
              onChange={(e) => setName(e.target.value)}
              aria-invalid={problem ? true : undefined}
              aria-describedby={problem ? "token-problem" : undefined}
            />
          </div>
          <div>
            <label htmlFor="token-expiry">Expires after</label>
            <select
              id="token-expiry"
              value={expiry}
              onChange={(e) => setExpiry(e.target.value as ExpiryValue)}
            >
              {EXPIRIES.map((option) => (
                <option key={option.value} value={option.value}>
                  {option.label}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="token-group">Sees</label>
            <select id="token-group" value={group} onChange={(e) => setGroup(e.target.value)}>
              <option value="">All your groups</option>
              {groups.map((g) => (
                <option key={g.slug} value={g.slug}>
                  Only {g.name}
                </option>
              ))}
            </select>
          </div>
        </div>
        <label className="check">
          <input type="checkbox" checked={readOnly} onChange={(e) => setReadOnly(e.target.checked)} />
          Read-only: search and live tail, no changes
        </label>
        {problem && (
          <p className="field-error" id="token-problem" role="alert">
            {problem}
          </p>
        )}
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? "One moment…" : "Create token"}
        </button>
      </form>
    </section>
  );
}

function TokenReveal({ token }: { token: TokenCreated }) {
  const example = `curl -H 'Authorization: Bearer ${token.token}' ${window.location.origin}/api/v1/auth/me`;
  return (
    <section className="panel reveal" aria-labelledby="token-title">
      <h2 id="token-title">Token {token.name} is ready</h2>
      <div className="notice notice-warn" role="note">
        <strong>Copy it now: it will not be shown again.</strong> Barito keeps only a hash of it. Its
        scope: {scopeLabel(token)}.
      </div>
      <div className="secret-row">
        <code className="secret" data-testid="api-token">
          {token.token}
        </code>
        <CopyButton text={token.token} label="the API token" />
      </div>
      <CodeBlock code={example} label="Try it with curl" />
    </section>
  );
}
