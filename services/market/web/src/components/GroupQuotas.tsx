import { type FormEvent, useState } from "react";
import { api, type Group, type GroupStorage, unwrap } from "../api/client";
import { messageOf } from "../api/errors";
import { limitBytesFromGib, storageSentence } from "../lib/governance";
import { useLoad } from "../lib/useLoad";
import { FormField } from "./FormField";
import { ErrorNotice, Loading } from "./States";

/** Superadmins' control of a group's storage limit: set one, or go back to its template's. */
export function GroupQuotas({ groups }: { groups: Group[] }) {
  const [group, setGroup] = useState(groups[0]?.slug ?? "");
  if (groups.length === 0) return <p className="muted">No groups yet.</p>;
  return (
    <>
      <div className="subfield">
        <label htmlFor="quota-group">Group</label>
        <select id="quota-group" value={group} onChange={(e) => setGroup(e.target.value)}>
          {groups.map((g) => (
            <option key={g.slug} value={g.slug}>
              {g.name} ({g.slug})
            </option>
          ))}
        </select>
      </div>
      {group && <QuotaForm key={group} group={group} />}
    </>
  );
}

function QuotaForm({ group }: { group: string }) {
  const path = { params: { path: { group_slug: group } } };
  const loaded = useLoad(() => unwrap(api.GET("/api/v1/groups/{group_slug}/storage", path)), group);
  const [storage, setStorage] = useState<GroupStorage | null>(null);
  const [gib, setGib] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const shown = storage ?? loaded.data;
  if (loaded.error && !shown) return <ErrorNotice error={loaded.error} retry={loaded.reload} />;
  if (!shown) return <Loading what="the group's storage" />;

  async function save(limit: number | null) {
    setProblem(null);
    setBusy(true);
    try {
      setStorage(
        await unwrap(api.PATCH("/api/v1/groups/{group_slug}/storage", { ...path, body: { limit_bytes: limit } })),
      );
      setGib("");
    } catch (err) {
      setProblem(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const bytes = limitBytesFromGib(gib);
    if (typeof bytes === "string") {
      setProblem(bytes);
      return;
    }
    void save(bytes);
  }

  return (
    <form className="form" onSubmit={submit} noValidate aria-label={`Storage limit of ${group}`}>
      <p data-testid="quota-now">
        Now: {storageSentence(shown)},{" "}
        {shown.limit_source === "admin" ? "a limit set by a superadmin" : "the sum of its apps' capacity templates"}.
      </p>
      <div className="subfield">
        <FormField id="quota-gib" label="New limit (GiB)" problem={problem}>
          <input inputMode="decimal" value={gib} placeholder="e.g. 50" onChange={(e) => setGib(e.target.value)} />
        </FormField>
      </div>
      <div className="actions form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          Set limit
        </button>
        {shown.limit_source === "admin" && (
          <button type="button" className="button" disabled={busy} onClick={() => save(null)}>
            Back to the templates' sum
          </button>
        )}
      </div>
    </form>
  );
}
