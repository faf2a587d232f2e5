import type { ClusterCoordinates, Placement } from "../api/client";

/** A dedicated cluster's addresses: its Kafka, its search engine and its Kibana. */
export function ClusterAddresses({ cluster }: { cluster: ClusterCoordinates }) {
  return (
    <span className="small">
      Kafka <code>{cluster.kafka_bootstrap_servers}</code>, {cluster.search_engine}{" "}
      <code>{cluster.search_url}</code>
      {cluster.kibana_url && (
        <>
          , Kibana <code>{cluster.kibana_url}</code>
        </>
      )}
    </span>
  );
}

/**
 * Which cluster holds an app's (or group's) new logs. A dedicated group keeps
 * writing to the shared cluster until its own is ACTIVE.
 */
export function LogsCluster({
  placement,
  cluster,
}: {
  placement: Placement | undefined;
  cluster: ClusterCoordinates | null;
}) {
  if (cluster) {
    return (
      <>
        dedicated: <ClusterAddresses cluster={cluster} />
      </>
    );
  }
  if (placement === "dedicated") {
    return <>shared, until the group's dedicated cluster is ready</>;
  }
  return <>shared</>;
}

/** Where the viewer link would be, for an app whose dedicated cluster runs no Kibana. */
export function NoViewer() {
  return <>none: the group's cluster runs no Kibana (search its logs in the Logs tab)</>;
}
