import { useEffect } from "react";
import { api, unwrap } from "../api/client";
import { formatTime } from "../lib/format";
import { deletionFinished, deletionProgress, indexDay } from "../lib/governance";
import { useLoad } from "../lib/useLoad";
import { ErrorNotice } from "./States";

const REFRESH_MS = 3000;

/** The app's deletion jobs, newest first; refreshed while one is still going. */
export function DeletionJobs({ slug, round }: { slug: string; round: number }) {
  const loaded = useLoad(
    () => unwrap(api.GET("/api/v1/apps/{slug}/deletions", { params: { path: { slug } } })),
    `${slug}#${round}`,
  );
  const { reload } = loaded;
  const going = loaded.data?.jobs.some((job) => !deletionFinished(job)) ?? false;
  useEffect(() => {
    if (!going) return;
    const timer = window.setInterval(reload, REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [going, slug]);

  return (
    <section className="panel" aria-labelledby="deletions-title">
      <h2 id="deletions-title">Deleted logs</h2>
      {loaded.error && !loaded.data ? (
        <ErrorNotice error={loaded.error} retry={reload} />
      ) : !loaded.data ? null : loaded.data.jobs.length === 0 ? (
        <p className="muted">No logs of this app have been deleted.</p>
      ) : (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Deletion jobs of the app">
          <table>
            <thead>
              <tr>
                <th scope="col">Asked</th>
                <th scope="col">Range</th>
                <th scope="col">Query</th>
                <th scope="col">Progress</th>
                <th scope="col">By</th>
              </tr>
            </thead>
            <tbody>
              {loaded.data.jobs.map((job) => (
                <tr key={job.id} data-testid="deletion-job">
                  <td>{formatTime(job.created_at)}</td>
                  <td>
                    {formatTime(job.start)} to {formatTime(job.end)}
                  </td>
                  <td>{job.query ? <code>{job.query}</code> : <span className="muted">every event</span>}</td>
                  <td>
                    {deletionProgress(job)}
                    {job.dropped_indices.length > 0 && (
                      <div className="muted small">
                        whole days dropped: {job.dropped_indices.map(indexDay).join(", ")}
                      </div>
                    )}
                  </td>
                  <td>{job.requested_by ?? <span className="muted">a removed account</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
