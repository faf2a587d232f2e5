import { type FormEvent, useEffect, useRef, useState } from "react";
import { api, type DeletionJob, unwrap } from "../api/client";
import { messageOf } from "../api/errors";
import {
  canConfirmDeletion,
  type DeletionBody,
  deletionBody,
  deletionFinished,
  deletionProgress,
  deletionRatio,
  type DeletionRangeForm,
  initialDeletionRange,
  previewSentence,
} from "../lib/governance";

const POLL_MS = 1500;

interface Props {
  slug: string;
  /** The logs page's current search: the dialog starts from its range and query. */
  search?: { start: string; end: string; q?: string } | null;
  /** Told when a job starts and when it ends, to refresh the list of jobs. */
  onChange?: () => void;
}

/**
 * Deleting an app's logs: a range and an optional query, a preview of how many events that
 * is, then the app's slug typed to confirm, then the job's progress until it is done.
 */
export function DeleteLogsDialog({ slug, search = null, onChange }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [form, setForm] = useState<DeletionRangeForm>(() => initialDeletionRange(search));
  const [previewed, setPreviewed] = useState<{ body: DeletionBody; count: number; text: string } | null>(null);
  const [typed, setTyped] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [job, setJob] = useState<DeletionJob | null>(null);
  const path = { params: { path: { slug } } };

  useEffect(() => () => dialog.current?.close(), []);

  // The job runs in the market's background: follow it until it is done or failed.
  useEffect(() => {
    if (!job || deletionFinished(job)) return;
    const timer = window.setTimeout(async () => {
      try {
        const next = await unwrap(
          api.GET("/api/v1/apps/{slug}/deletions/{job_id}", {
            params: { path: { slug, job_id: job.id } },
          }),
        );
        setJob(next);
        if (deletionFinished(next)) onChange?.();
      } catch (err) {
        setProblem(messageOf(err));
      }
    }, POLL_MS);
    return () => window.clearTimeout(timer);
  }, [job]);

  function open() {
    setForm(initialDeletionRange(search));
    setPreviewed(null);
    setTyped("");
    setProblem(null);
    setJob(null);
    dialog.current?.showModal();
  }

  function change(update: Partial<DeletionRangeForm>) {
    // A changed range or query needs a new preview before anything can be deleted.
    setForm((f) => ({ ...f, ...update }));
    setPreviewed(null);
  }

  async function preview(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    const body = deletionBody(form);
    if (typeof body === "string") {
      setProblem(body);
      return;
    }
    setBusy(true);
    try {
      const answer = await unwrap(api.POST("/api/v1/apps/{slug}/deletions/preview", { ...path, body }));
      setPreviewed({ body, count: answer.count, text: previewSentence(answer) });
    } catch (err) {
      setProblem(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  async function confirm() {
    if (!previewed) return;
    setProblem(null);
    setBusy(true);
    try {
      setJob(await unwrap(api.POST("/api/v1/apps/{slug}/deletions", { ...path, body: previewed.body })));
      onChange?.();
    } catch (err) {
      setProblem(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  const count = previewed?.count ?? null;
  return (
    <>
      <button type="button" className="button button-danger" onClick={open}>
        Delete logs…
      </button>
      <dialog ref={dialog} className="dialog dialog-wide" aria-labelledby="delete-logs-title">
        <h2 id="delete-logs-title">Delete logs of {slug}</h2>
        {job ? (
          <JobProgress job={job} />
        ) : (
          <form onSubmit={preview} noValidate>
            <p className="hint">
              Events in the range (your local time) that match the query are deleted for good;
              days wholly inside the range are dropped at once.
            </p>
            <div className="search-row">
              <div>
                <label htmlFor="delete-start">From</label>
                <input
                  id="delete-start"
                  type="datetime-local"
                  step={1}
                  value={form.start}
                  onChange={(e) => change({ start: e.target.value })}
                />
              </div>
              <div>
                <label htmlFor="delete-end">To</label>
                <input
                  id="delete-end"
                  type="datetime-local"
                  step={1}
                  value={form.end}
                  onChange={(e) => change({ end: e.target.value })}
                />
              </div>
            </div>
            <label htmlFor="delete-query">Only events matching (optional)</label>
            <input
              id="delete-query"
              type="search"
              placeholder="e.g. level:debug"
              value={form.query}
              onChange={(e) => change({ query: e.target.value })}
            />
            <div className="actions form-actions">
              <button type="submit" className="button" disabled={busy}>
                Preview
              </button>
            </div>
            {previewed && (
              <>
                <p className="notice notice-warn" role="status" data-testid="deletion-preview">
                  {previewed.text}
                </p>
                {count === 0 ? (
                  <p className="muted">Nothing to delete in this range.</p>
                ) : (
                  <>
                    <label htmlFor="delete-confirm">
                      Type <code>{slug}</code> to confirm
                    </label>
                    <input
                      id="delete-confirm"
                      autoComplete="off"
                      value={typed}
                      onChange={(e) => setTyped(e.target.value)}
                    />
                  </>
                )}
              </>
            )}
            {problem && (
              <p className="field-error" role="alert">
                {problem}
              </p>
            )}
          </form>
        )}
        <div className="actions form-actions">
          <button type="button" className="button" onClick={() => dialog.current?.close()}>
            {job ? "Close" : "Cancel"}
          </button>
          {!job && (
            <button
              type="button"
              className="button button-danger"
              disabled={busy || !canConfirmDeletion(typed, slug, count)}
              onClick={confirm}
            >
              Delete {count === null ? "" : `${count.toLocaleString("en-US")} `}events
            </button>
          )}
        </div>
      </dialog>
    </>
  );
}

function JobProgress({ job }: { job: DeletionJob }) {
  return (
    <div>
      <p role="status" aria-live="polite" data-testid="deletion-progress">
        {deletionProgress(job)}
      </p>
      <progress max={100} value={Math.round(deletionRatio(job) * 100)} aria-label="Deletion progress" />
    </div>
  );
}
