import { useEffect, useRef } from "react";
import { Link, NavLink, Navigate, Outlet, useLocation, useNavigate } from "react-router-dom";
import { useSession } from "../auth/session";
import { Loading } from "./States";

/** The frame of every logged-in page: header, navigation, logout, and the page itself. */
export function Layout() {
  const { user, checked, logOut } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const main = useRef<HTMLElement>(null);
  // Moving focus to the new page tells keyboard and screen-reader users it changed.
  useEffect(() => main.current?.focus(), [location.pathname]);
  if (!checked) return <Loading what="your session" />;
  if (!user) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/login?next=${next}`} replace />;
  }
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/groups" className="brand" aria-label="Barito home">
          <span className="logo" aria-hidden="true" />
          Barito
        </Link>
        <nav aria-label="Main">
          <NavLink to="/groups">Groups</NavLink>
          <NavLink to="/apps/new">Register app</NavLink>
          {user.is_superadmin && <NavLink to="/admin">Administration</NavLink>}
        </nav>
        <div className="who">
          <span className="email" title={user.email}>
            {user.email}
          </span>
          <nav aria-label="Your account">
            <NavLink to="/account/tokens">API tokens</NavLink>
          </nav>
          <button
            type="button"
            className="button button-small"
            onClick={async () => {
              const providerLogout = await logOut();
              // A single-sign-on session ends at the provider too, or its next
              // "Sign in with" would let the same person straight back in.
              if (providerLogout) window.location.assign(providerLogout);
              else navigate("/login");
            }}
          >
            Log out
          </button>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}

export function PageHeader({
  title,
  crumbs,
  children,
}: {
  title: string;
  crumbs?: { to: string; label: string }[];
  children?: React.ReactNode;
}) {
  useEffect(() => {
    document.title = `${title} · Barito`;
  }, [title]);
  return (
    <div className="page-header">
      {crumbs && crumbs.length > 0 && (
        <nav aria-label="Breadcrumb" className="crumbs">
          {crumbs.map((crumb) => (
            <span key={crumb.to}>
              <Link to={crumb.to}>{crumb.label}</Link> /{" "}
            </span>
          ))}
        </nav>
      )}
      <div className="page-title">
        <h1>{title}</h1>
        {children && <div className="actions">{children}</div>}
      </div>
    </div>
  );
}
