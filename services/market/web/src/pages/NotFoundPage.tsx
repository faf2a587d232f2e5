import { Link } from "react-router-dom";
import { PageHeader } from "../components/Layout";

export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" />
      <div className="empty">
        <p>There is no page at this address.</p>
        <Link to="/groups">Go to your groups</Link>
      </div>
    </>
  );
}
