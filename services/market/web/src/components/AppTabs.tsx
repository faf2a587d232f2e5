import { NavLink } from "react-router-dom";

/** The views of one app. */
export function AppTabs({ slug }: { slug: string }) {
  return (
    <nav className="tabs" aria-label="App views">
      <NavLink end to={`/apps/${slug}`}>
        Status
      </NavLink>
      <NavLink to={`/apps/${slug}/logs`}>Logs</NavLink>
      <NavLink to={`/apps/${slug}/tail`}>Live tail</NavLink>
      <NavLink end to={`/apps/${slug}/alerts`}>
        Alerts
      </NavLink>
      <NavLink to={`/apps/${slug}/alerts/history`}>Alert history</NavLink>
      <NavLink to={`/apps/${slug}/redactions`}>Redaction</NavLink>
    </nav>
  );
}
