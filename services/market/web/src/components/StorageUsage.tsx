import { api, type GroupStorage, unwrap } from "../api/client";
import { formatAgo, formatBytes, formatCount, formatTime, plural } from "../lib/format";
import { storageBarPercent, storageLevel, storageSentence } from "../lib/governance";
import { type Loaded, useLoad } from "../lib/useLoad";
import { ErrorNotice } from "./States";

/** A group's storage against its quota, loaded once for the page's banner and panel. */
export function useGroupStorage(group: string) {
  return useLoad(
    () => unwrap(api.GET("/api/v1/groups/{group_slug}/storage", { params: { path: { group_slug: group } } })),
    group,
  );
}

/** At the top of a page: the group nears (>= 80 %) or is past its storage quota. */
export function StorageBanner({ storage, group }: { storage: GroupStorage | null; group: string }) {
  if (!storage) return null;
  const level = storageLevel(storage);
  if (level === "warning") {
    return (
      <div className="notice notice-warn" role="status" data-testid="storage-banner">
        {group} is approaching its storage quota: {storageSentence(storage)}. When it is full, the
        oldest days of its apps' logs are dropped to make room.
      </div>
    );
  }
  if (level === "over") {
    return (
      <div className="notice notice-error" role="alert" data-testid="storage-banner">
        {group} is over its storage quota: {storageSentence(storage)}. The oldest days of its apps'
        logs (never today's) are dropped at the next check until it fits; delete logs you do not
        need or ask a superadmin for a larger quota.
      </div>
    );
  }
  return null;
}

interface Props {
  loaded: Loaded<GroupStorage>;
  group: string;
  /** On an app's page: its own share, and only its dropped days. */
  app?: string;
}

/** The group's storage: used of the limit with a bar, each app's share, what was dropped. */
export function StoragePanel({ loaded, group, app }: Props) {
  if (loaded.error && !loaded.data) return <ErrorNotice error={loaded.error} retry={loaded.reload} />;
  if (!loaded.data) return null;
  return <StorageView storage={loaded.data} group={group} app={app} />;
}

function StorageView({
  storage,
  group,
  app,
}: {
  storage: GroupStorage;
  group: string;
  app?: string;
}) {
  const level = storageLevel(storage);
  const own = app ? storage.apps.find((a) => a.slug === app) : undefined;
  const drops = app ? storage.drops.filter((d) => d.app_slug === app) : storage.drops;
  return (
      <section className="panel" aria-labelledby="storage-title">
        <h2 id="storage-title">Storage</h2>
        <p data-testid="storage-used">
          {group}: {storageSentence(storage)}
          {storage.limit_bytes > 0 &&
            (storage.limit_source === "admin"
              ? " (limit set by a superadmin)"
              : " (the sum of its apps' capacity templates)")}
        </p>
        {storage.limit_bytes > 0 && (
        <meter
          className={`quota quota-${level}`}
          min={0}
          max={100}
          low={80}
          high={100}
          optimum={0}
          value={storageBarPercent(storage)}
          aria-label={`Storage used by ${group}`}
        />
        )}
        {app && (
          <p className="muted small">
            This app: {own ? `${formatBytes(own.bytes)} in ${plural(own.indices, "daily index", "daily indices")}` : "nothing stored yet"}.
          </p>
        )}
        {!app && storage.apps.length > 0 && (
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Storage per application">
            <table>
              <thead>
                <tr>
                  <th scope="col">Application</th>
                  <th scope="col" className="num">
                    Stored
                  </th>
                  <th scope="col" className="num">
                    Daily indices
                  </th>
                </tr>
              </thead>
              <tbody>
                {storage.apps.map((a) => (
                  <tr key={a.slug}>
                    <td>{a.slug}</td>
                    <td className="num">{formatBytes(a.bytes)}</td>
                    <td className="num">{formatCount(a.indices)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <h3 className="subheading">Days dropped to stay within the quota</h3>
        {drops.length === 0 ? (
          <p className="muted">None.</p>
        ) : (
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Dropped indices">
            <table>
              <thead>
                <tr>
                  <th scope="col">Index</th>
                  {!app && <th scope="col">Application</th>}
                  <th scope="col" className="num">
                    Size
                  </th>
                  <th scope="col" className="num">
                    Events
                  </th>
                  <th scope="col">Dropped</th>
                </tr>
              </thead>
              <tbody>
                {drops.map((drop) => (
                  <tr key={`${drop.index}-${drop.dropped_at}`} data-testid="storage-drop">
                    <td>
                      <code>{drop.index}</code>
                    </td>
                    {!app && <td>{drop.app_slug ?? "a deleted app"}</td>}
                    <td className="num">{formatBytes(drop.bytes)}</td>
                    <td className="num">{formatCount(drop.documents)}</td>
                    <td title={formatTime(drop.dropped_at)}>
                      {formatTime(drop.dropped_at)} ({formatAgo(drop.dropped_at)})
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
  );
}
