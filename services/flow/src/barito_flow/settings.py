"""Settings of the flow consumer (env prefix ``BARITO_``)."""

from __future__ import annotations

from pydantic import Field, model_validator

from barito_common.capacity import DEFAULT_TEMPLATES_DIR
from barito_common.settings import KafkaSettings, SearchSettings, ServiceSettings

__all__ = ["FlowSettings", "get_settings"]


class FlowSettings(ServiceSettings):
    """The flow consumer: Kafka to the search engine.

    The installation's flow reads every app's log topic from the installation's
    Kafka. A dedicated group's own flow (started by the provisioner's driver)
    reads its group's log topics from the group's Kafka
    (``logs_bootstrap_servers``) and serves only that group (``app_group_id``);
    the app registry, the usage topic and the dead-letter topic stay on the
    installation's Kafka (``kafka``) in both, since the market reads them there.
    """

    port: int = Field(18083, ge=1, le=65535, description="Port the flow listens on.")
    search: SearchSettings = Field(default_factory=SearchSettings)
    group_id: str = Field("barito-flow", description="Kafka consumer group of all flow processes.")
    logs_bootstrap_servers: str | None = Field(
        None,
        min_length=1,
        description="Comma-separated host:port list of the Kafka holding the log topics this "
        "flow consumes (a dedicated group's own Kafka). Unset: the installation's Kafka "
        "(kafka.bootstrap_servers). Topic names keep kafka.topic_prefix.",
    )
    app_group_id: str | None = Field(
        None,
        min_length=1,
        description="The app group this flow serves alone (a dedicated group's own flow): "
        "retention deletes only its apps' indices, and a log topic of another group's app "
        "is left unconsumed with an error. Unset: every app (the installation's flow).",
    )
    bulk_max_docs: int = Field(
        2_000, ge=1, description="Most documents in one bulk request (see docs/performance.md)."
    )
    bulk_max_bytes: int = Field(
        5 * 1024 * 1024,
        ge=1024,
        description="Most bytes in one bulk request's body (each document's action line and "
        "JSON source). Keep it under any body-size limit in front of the engine (nginx's "
        "client_max_body_size, a managed service's 10 MB); a bulk refused as too large (413) "
        "is split in halves, and a single document still too large is dead-lettered.",
    )
    fetch_max_records: int = Field(
        200, ge=1, description="Most chunks taken from Kafka per poll, across partitions."
    )
    poll_timeout_ms: int = Field(
        200, ge=1, description="How long one poll waits for new chunks before indexing."
    )
    capacity_templates_dir: str = Field(
        str(DEFAULT_TEMPLATES_DIR),
        description="Directory of the capacity templates: the shards and replicas of an "
        "app's indices until the provisioner has put its own index template.",
    )
    bulks_in_flight: int = Field(4, ge=1, description="Bulk requests running at once.")
    retry_base_s: float = Field(
        0.5,
        gt=0,
        description="First retry delay (doubles, jittered) of a bulk, an index template put or "
        "a failed batch's replay.",
    )
    retry_cap_s: float = Field(30.0, gt=0, description="Longest delay between two retries.")
    topic_refresh_ms: int = Field(
        3_000,
        ge=100,
        description="How often the topic list is refreshed, so new app topics are consumed "
        "within seconds.",
    )
    shutdown_grace_s: float = Field(
        20.0, gt=0, description="On SIGTERM or rebalance, how long in-flight work may finish."
    )
    usage_window_s: float = Field(
        10.0, gt=0, description="Length of the usage windows published to the usage topic."
    )
    retention_interval_s: float = Field(
        86_400.0, gt=0, description="How often indices past their app's retention are deleted."
    )

    @model_validator(mode="after")
    def _group_flow_reads_its_groups_kafka(self) -> FlowSettings:
        # On the installation's Kafka a group's flow would join the installation's
        # flows on every group's topics and hold back (never index) the partitions
        # of the other groups it is handed.
        if self.app_group_id is not None and self.logs_bootstrap_servers is None:
            raise ValueError(
                "BARITO_APP_GROUP_ID is set without BARITO_LOGS_BOOTSTRAP_SERVERS: a group's "
                "own flow reads its group's Kafka; set both, or neither for the "
                "installation's flow"
            )
        return self

    @property
    def logs_kafka(self) -> KafkaSettings:
        """Where the log topics are: ``kafka`` itself unless ``logs_bootstrap_servers`` is set."""
        if self.logs_bootstrap_servers is None:
            return self.kafka
        return self.kafka.model_copy(update={"bootstrap_servers": self.logs_bootstrap_servers})


def get_settings() -> FlowSettings:
    return FlowSettings()
