import { type FormEvent, useState } from "react";
import { useParams } from "react-router-dom";
import { api, type Schemas, unwrap } from "../api/client";
import { ApiFailure, messageOf } from "../api/errors";
import { ConfirmButton } from "../components/ConfirmButton";
import { CodeBlock, CopyButton } from "../components/CopyButton";
import { FormField } from "../components/FormField";
import { GroupTabs } from "../components/GroupTabs";
import { PageHeader } from "../components/Layout";
import { Empty, ErrorNotice, Loading } from "../components/States";
import {
  CHANNEL_KINDS,
  type Channel,
  type ChannelField,
  type ChannelForm,
  type ChannelKind,
  channelCreateBody,
  channelFieldOf,
  channelPatchBody,
  channelTarget,
  EMPTY_CHANNEL,
  formFromChannel,
  isProblem,
  placeRefusal,
} from "../lib/alerts";
import { formatAgo, formatTime } from "../lib/format";
import { useLoad } from "../lib/useLoad";

type Created = Schemas["ChannelCreated"];
type TestResult = Schemas["ChannelTestResult"];

async function loadChannels(slug: string) {
  const [group, channels] = await Promise.all([
    unwrap(api.GET("/api/v1/groups/{group_slug}", { params: { path: { group_slug: slug } } })),
    unwrap(api.GET("/api/v1/groups/{slug}/alert-channels", { params: { path: { slug } } })),
  ]);
  return { group, channels: channels.data };
}

/** A group's notification channels: where its apps' alert rules send. */
export function AlertChannelsPage() {
  const { group: slug = "" } = useParams();
  const loaded = useLoad(() => loadChannels(slug), slug);
  const [created, setCreated] = useState<Created | null>(null);
  const crumbs = [{ to: "/groups", label: "Groups" }];
  if (loaded.error && !loaded.data) {
    return (
      <>
        <PageHeader title="Alert channels" crumbs={crumbs} />
        <ErrorNotice error={loaded.error} retry={loaded.reload} />
      </>
    );
  }
  if (!loaded.data) return <Loading what="the alert channels" />;
  const { group, channels } = loaded.data;
  const manage = group.role !== "member";
  return (
    <>
      <PageHeader
        title={`${group.name}: alert channels`}
        crumbs={[...crumbs, { to: `/groups/${slug}`, label: group.name }]}
      />
      <GroupTabs slug={slug} manage={manage} />
      <p className="lead">
        Where the alert rules of this group's apps send their notifications. Each app chooses its
        channels rule by rule on its Alerts tab.
      </p>
      {created?.signing_secret && <SigningSecret channel={created} />}
      <section className="panel" aria-labelledby="channels-title">
        <h2 id="channels-title">Channels</h2>
        {channels.length === 0 ? (
          <Empty title="No channels yet">
            <p>
              {manage
                ? "Add one below: a webhook, Slack, email or PagerDuty."
                : "An owner or admin of the group adds them."}
            </p>
          </Empty>
        ) : (
          <ul className="channel-list">
            {channels.map((channel) => (
              <ChannelItem
                key={channel.id}
                group={slug}
                channel={channel}
                manage={manage}
                onChange={() => {
                  if (created?.id === channel.id) setCreated(null);
                  loaded.reload();
                }}
              />
            ))}
          </ul>
        )}
      </section>
      {manage && (
        <NewChannel
          group={slug}
          onCreated={(channel) => {
            setCreated(channel);
            loaded.reload();
          }}
        />
      )}
    </>
  );
}

function ChannelItem({
  group,
  channel,
  manage,
  onChange,
}: {
  group: string;
  channel: Channel;
  manage: boolean;
  onChange: () => void;
}) {
  const [editing, setEditing] = useState(false);
  const [test, setTest] = useState<TestResult | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const path = { params: { path: { slug: group, channel_id: channel.id } } };

  async function sendTest() {
    setBusy(true);
    setProblem(null);
    setTest(null);
    try {
      setTest(await unwrap(api.POST("/api/v1/groups/{slug}/alert-channels/{channel_id}/test", path)));
    } catch (err) {
      setProblem(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    setProblem(null);
    try {
      await unwrap(api.DELETE("/api/v1/groups/{slug}/alert-channels/{channel_id}", path));
      onChange();
    } catch (err) {
      setProblem(messageOf(err));
    }
  }

  return (
    <li className="channel" data-testid="alert-channel">
      <h3>{channel.name}</h3>
      <dl className="facts">
        <dt>Kind</dt>
        <dd>{CHANNEL_KINDS.find((k) => k.value === channel.kind)?.label ?? channel.kind}</dd>
        <dt>Sends to</dt>
        <dd>
          <code>{channelTarget(channel)}</code>
        </dd>
        <dt>Secret</dt>
        <dd>{channel.has_secret ? "kept sealed (not shown)" : "none"}</dd>
        <dt>Created</dt>
        <dd title={formatTime(channel.created_at)}>{formatAgo(channel.created_at)}</dd>
      </dl>
      {manage && (
        <div className="actions">
          <button type="button" className="button button-small" onClick={sendTest} disabled={busy}>
            {busy ? "Sending…" : "Send test"}
            <span className="sr-only"> to {channel.name}</span>
          </button>
          <button
            type="button"
            className="button button-small"
            aria-expanded={editing}
            onClick={() => setEditing(!editing)}
          >
            {editing ? "Close the editor" : "Edit"}
            <span className="sr-only"> {channel.name}</span>
          </button>
          <ConfirmButton
            small
            danger
            label="Delete"
            detail={channel.name}
            question={`Delete ${channel.name}? Rules using it stop sending there.`}
            confirmLabel="Delete"
            onConfirm={remove}
          />
        </div>
      )}
      {test && (
        <p
          className={`notice ${test.delivered ? "notice-info" : "notice-error"}`}
          role="status"
          data-testid="channel-test-result"
        >
          {test.delivered
            ? `Delivered (${test.attempts === 1 ? "first attempt" : `${test.attempts} attempts`}).`
            : `Not delivered after ${test.attempts} attempt${test.attempts === 1 ? "" : "s"}: ${test.error ?? "no reason given"}`}
        </p>
      )}
      {problem && (
        <p className="notice notice-error" role="alert">
          {problem}
        </p>
      )}
      {editing && (
        <ChannelEditor
          group={group}
          channel={channel}
          onSaved={() => {
            setEditing(false);
            onChange();
          }}
        />
      )}
    </li>
  );
}

interface Placed {
  field: ChannelField | null;
  message: string;
}

function refusal(err: unknown): Placed {
  if (err instanceof ApiFailure) return placeRefusal(err.fields, err.message, channelFieldOf);
  return { field: null, message: messageOf(err) };
}

function ChannelFields({
  prefix,
  form,
  setForm,
  placed,
  editing,
}: {
  prefix: string;
  form: ChannelForm;
  setForm: (form: ChannelForm) => void;
  placed: Placed | null;
  editing: boolean;
}) {
  const at = (field: ChannelField) => (placed?.field === field ? placed.message : null);
  return (
    <>
      <FormField id={`${prefix}-name`} label="Name" problem={at("name")}>
        <input
          value={form.name}
          placeholder="e.g. On-call webhook"
          onChange={(e) => setForm({ ...form, name: e.target.value })}
        />
      </FormField>
      {!editing && (
        <FormField id={`${prefix}-kind`} label="Kind">
          <select
            value={form.kind}
            onChange={(e) => setForm({ ...form, kind: e.target.value as ChannelKind })}
          >
            {CHANNEL_KINDS.map((k) => (
              <option key={k.value} value={k.value}>
                {k.label}
              </option>
            ))}
          </select>
        </FormField>
      )}
      {form.kind === "webhook" && (
        <FormField
          id={`${prefix}-url`}
          label="Webhook URL"
          hint={editing ? undefined : "Barito POSTs each notification as JSON, signed (see below)."}
          problem={at("url")}
        >
          <input
            type="url"
            value={form.url}
            placeholder="https://hooks.example.com/barito"
            onChange={(e) => setForm({ ...form, url: e.target.value })}
          />
        </FormField>
      )}
      {form.kind === "email" && (
        <FormField
          id={`${prefix}-recipients`}
          label="Recipients"
          hint="One address per line (at most 20); sent through the installation's mail server."
          problem={at("recipients")}
        >
          <textarea
            rows={3}
            value={form.recipients}
            onChange={(e) => setForm({ ...form, recipients: e.target.value })}
          />
        </FormField>
      )}
      {(form.kind === "slack" || form.kind === "pagerduty") && (
        <FormField
          id={`${prefix}-secret`}
          label={form.kind === "slack" ? "Slack incoming webhook URL" : "PagerDuty routing key"}
          hint={
            editing
              ? "Kept sealed and never shown. Leave empty to keep the current one."
              : "Kept sealed and never shown again."
          }
          problem={at("secret")}
        >
          <input
            type="password"
            autoComplete="off"
            value={form.secret}
            onChange={(e) => setForm({ ...form, secret: e.target.value })}
          />
        </FormField>
      )}
      {form.kind === "pagerduty" && (
        <FormField
          id={`${prefix}-events-url`}
          label="Events API URL (optional)"
          hint="Leave empty for PagerDuty's Events API v2."
          problem={at("events_url")}
        >
          <input
            type="url"
            value={form.eventsUrl}
            onChange={(e) => setForm({ ...form, eventsUrl: e.target.value })}
          />
        </FormField>
      )}
      {placed && !placed.field && (
        <p className="field-error" role="alert">
          {placed.message}
        </p>
      )}
    </>
  );
}

function NewChannel({ group, onCreated }: { group: string; onCreated: (c: Created) => void }) {
  const [form, setForm] = useState<ChannelForm>(EMPTY_CHANNEL);
  const [placed, setPlaced] = useState<Placed | null>(null);
  const [busy, setBusy] = useState(false);

  async function create(event: FormEvent) {
    event.preventDefault();
    setPlaced(null);
    const body = channelCreateBody(form);
    if (isProblem<ChannelField>(body)) {
      setPlaced(body);
      return;
    }
    setBusy(true);
    try {
      onCreated(
        await unwrap(
          api.POST("/api/v1/groups/{slug}/alert-channels", { params: { path: { slug: group } }, body }),
        ),
      );
      setForm(EMPTY_CHANNEL);
    } catch (err) {
      setPlaced(refusal(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel" aria-labelledby="new-channel-title">
      <h2 id="new-channel-title">New channel</h2>
      <form className="form" onSubmit={create} noValidate>
        <ChannelFields prefix="new-channel" form={form} setForm={setForm} placed={placed} editing={false} />
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? "One moment…" : "Add channel"}
        </button>
      </form>
    </section>
  );
}

function ChannelEditor({
  group,
  channel,
  onSaved,
}: {
  group: string;
  channel: Channel;
  onSaved: () => void;
}) {
  const [form, setForm] = useState<ChannelForm>(() => formFromChannel(channel));
  const [placed, setPlaced] = useState<Placed | null>(null);
  const [busy, setBusy] = useState(false);

  async function save(event: FormEvent) {
    event.preventDefault();
    setPlaced(null);
    const body = channelPatchBody(form);
    if (isProblem<ChannelField>(body)) {
      setPlaced(body);
      return;
    }
    setBusy(true);
    try {
      await unwrap(
        api.PATCH("/api/v1/groups/{slug}/alert-channels/{channel_id}", {
          params: { path: { slug: group, channel_id: channel.id } },
          body,
        }),
      );
      onSaved();
    } catch (err) {
      setPlaced(refusal(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="form channel-editor" onSubmit={save} noValidate aria-label={`Edit ${channel.name}`}>
      <ChannelFields
        prefix={`edit-${channel.id}`}
        form={form}
        setForm={setForm}
        placed={placed}
        editing
      />
      {channel.kind === "webhook" && (
        <p className="hint">
          The signing secret stays the same; to get a new one, add a new channel and delete this
          one.
        </p>
      )}
      <button type="submit" className="button button-primary" disabled={busy}>
        {busy ? "Saving…" : "Save"}
      </button>
    </form>
  );
}

/** The webhook's signing secret, shown this once, and how a receiver checks it. */
function SigningSecret({ channel }: { channel: Created }) {
  const secret = channel.signing_secret ?? "";
  const check = `expected = "sha256=" + hex(HMAC_SHA256(secret, timestamp + "." + raw_body))
# timestamp: the X-Barito-Timestamp header; compare with X-Barito-Signature
# in constant time, and drop a repeated X-Barito-Notification-Id.`;
  return (
    <section className="panel reveal" aria-labelledby="signing-title">
      <h2 id="signing-title">Signing secret of {channel.name}</h2>
      <div className="notice notice-warn" role="note">
        <strong>Copy it now: it will not be shown again.</strong> Your receiver needs it to check
        that a notification comes from Barito.
      </div>
      <div className="secret-row">
        <code className="secret" data-testid="signing-secret">
          {secret}
        </code>
        <CopyButton text={secret} label="the signing secret" />
      </div>
      <h3>How to verify a notification</h3>
      <p>
        Each POST carries <code>X-Barito-Signature: sha256=&lt;hex&gt;</code>, the HMAC-SHA256 of{" "}
        <code>&lt;X-Barito-Timestamp&gt;.&lt;body&gt;</code> under this secret. Compute it over the
        raw body, compare in constant time, refuse a timestamp more than 5 minutes from your clock,
        and treat a repeated{" "}
        <code>X-Barito-Notification-Id</code> as already handled: a notification may arrive more
        than once.
      </p>
      <CodeBlock code={check} label="Signature check" />
    </section>
  );
}
