import { NavLink } from "react-router-dom";

/** A group's views: the audit log is there for its owners and admins (and superadmins). */
export function GroupTabs({ slug, manage = true }: { slug: string; manage?: boolean }) {
  return (
    <nav className="tabs" aria-label="Group views">
      <NavLink end to={`/groups/${slug}`}>
        Overview
      </NavLink>
      <NavLink to={`/groups/${slug}/alert-channels`}>Alert channels</NavLink>
      {manage && <NavLink to={`/groups/${slug}/audit`}>Audit log</NavLink>}
    </nav>
  );
}
