import { NavLink } from "react-router-dom";

/** A group's views: the audit log is there for its owners and admins (and superadmins). */
export function GroupTabs({ slug }: { slug: string }) {
  return (
    <nav className="tabs" aria-label="Group views">
      <NavLink end to={`/groups/${slug}`}>
        Overview
      </NavLink>
      <NavLink to={`/groups/${slug}/audit`}>Audit log</NavLink>
    </nav>
  );
}
