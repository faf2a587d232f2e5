import { useParams } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { useSession } from "../auth/session";
import { AuditLog } from "../components/AuditLog";
import { AdminTabs } from "../components/AdminTabs";
import { GroupTabs } from "../components/GroupTabs";
import { PageHeader } from "../components/Layout";
import { ErrorNotice, Loading } from "../components/States";
import { useLoad } from "../lib/useLoad";

/** One group's audit log, for its owners and admins. */
export function GroupAuditPage() {
  const { group: slug = "" } = useParams();
  const group = useLoad(
    () => unwrap(api.GET("/api/v1/groups/{group_slug}", { params: { path: { group_slug: slug } } })),
    slug,
  );
  const crumbs = [{ to: "/groups", label: "Groups" }];
  if (group.error) {
    return (
      <>
        <PageHeader title="Audit log" crumbs={crumbs} />
        <ErrorNotice error={group.error} retry={group.reload} />
      </>
    );
  }
  if (!group.data) return <Loading what="the group" />;
  const { name, role } = group.data;
  const title = `${name}: audit log`;
  if (role === "member") {
    return (
      <>
        <PageHeader title={title} crumbs={[...crumbs, { to: `/groups/${slug}`, label: name }]} />
        <div className="notice notice-info" role="alert">
          The audit log is for the group's owners and admins. Ask one if you need to know who
          changed what.
        </div>
      </>
    );
  }
  return (
    <>
      <PageHeader title={title} crumbs={[...crumbs, { to: `/groups/${slug}`, label: name }]} />
      <GroupTabs slug={slug} />
      <p className="lead">
        Who changed what in {name}, when and from which address: its apps, secrets, members and
        roles, including the roles the identity provider grants at sign-in.
      </p>
      <AuditLog group={slug} />
    </>
  );
}

/** Everything recorded on the installation, for superadmins. */
export function AdminAuditPage() {
  const { user } = useSession();
  if (!user?.is_superadmin) {
    return (
      <>
        <PageHeader title="Audit log" />
        <div className="notice notice-info" role="alert">
          The installation's audit log is for superadmins only. A group's owners and admins find
          their group's on the group's page.
        </div>
      </>
    );
  }
  return (
    <>
      <PageHeader title="Audit log" crumbs={[{ to: "/admin", label: "Administration" }]} />
      <AdminTabs />
      <p className="lead">
        Everything recorded on this installation: sign-ins and failed sign-ins, changes to groups,
        apps, members, secrets and tokens, and administrators' actions.
      </p>
      <AuditLog />
    </>
  );
}
