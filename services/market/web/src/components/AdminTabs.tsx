import { NavLink } from "react-router-dom";

/** The superadmin's views of the installation. */
export function AdminTabs() {
  return (
    <nav className="tabs" aria-label="Administration views">
      <NavLink end to="/admin">
        Installation
      </NavLink>
      <NavLink to="/admin/audit">Audit log</NavLink>
    </nav>
  );
}
