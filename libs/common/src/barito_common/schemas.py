"""The payloads services exchange through Kafka (architecture §2).

Every payload is JSON (UTF-8) with a ``schema_version``; write and read them
with :func:`to_bytes` and :func:`from_bytes`:

    >>> from datetime import UTC, datetime
    >>> start = datetime(2024, 1, 2, 3, 4, tzinfo=UTC)
    >>> report = UsageReport(
    ...     app_id="a1", window_start=start, window_end=start, events=10, bytes=2048,
    ...     source="receiver",
    ... )
    >>> from_bytes(UsageReport, to_bytes(report)) == report
    True

Evolution rules: adding an optional field keeps ``schema_version``; every
payload ignores fields it does not know, so a newer producer never breaks an
older consumer. A change an older consumer would misread (a renamed field, a
new meaning) bumps ``schema_version``, and readers refuse versions they do not
understand instead of guessing.

Exceptions::

    ValueError
    └── PayloadError    from_bytes: bytes that are not a valid payload of that type
"""

import hashlib
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID, uuid4

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from barito_common.alerts import AlertChannelSpec, AlertRuleSpec
from barito_common.redaction import RedactionRuleSpec

__all__ = [
    "SCHEMA_VERSION",
    "AppProfile",
    "AppStatus",
    "ClusterCoordinates",
    "Component",
    "ComponentKind",
    "ComponentState",
    "DeadLetter",
    "InfrastructureState",
    "PayloadError",
    "Placement",
    "ProvisionCommand",
    "ProvisionCommandKind",
    "ProvisionEvent",
    "RetiringSecret",
    "UsageReport",
    "from_bytes",
    "hash_secret",
    "to_bytes",
]

SCHEMA_VERSION = 1

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,63}$")]
SecretHash = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
# Naive datetimes are refused rather than guessed at: services run in
# different time zones, and the payload must mean the same to all of them.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(lambda moment: moment.astimezone(UTC))]
NonEmptyStr = Annotated[str, StringConstraints(min_length=1)]


class PayloadError(ValueError):
    """Bytes that are not a valid payload of the expected type."""


def hash_secret(secret: str) -> str:
    """The lowercase hex SHA-256 of an app secret, as published in ``AppProfile``."""
    # A fast, unsalted hash is deliberate: app secrets are long random tokens
    # (not passwords a human chose), so brute force is hopeless anyway, and
    # the receiver must map a secret to its app with one dict lookup per request.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class _Payload(BaseModel):
    # Every payload here crosses a service boundary and services deploy
    # independently, so unknown fields are ignored ("tolerant reader") rather
    # than forbidden: a producer that gained a field must not stop older
    # consumers (a receiver refusing an AppProfile would refuse that app's logs).
    model_config = ConfigDict(extra="ignore")

    schema_version: int = Field(
        default=SCHEMA_VERSION,
        description="Version of this payload's shape; bumped only for changes "
        "an older reader would misread.",
    )

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, version: int) -> int:
        if version != SCHEMA_VERSION:
            raise ValueError(
                f"schema_version {version} is not understood by this reader "
                f"(it understands {SCHEMA_VERSION})"
            )
        return version


class AppStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    DELETED = "deleted"


class RetiringSecret(BaseModel):
    """A secret replaced by a rotation, still accepted until ``valid_until``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    hash: SecretHash = Field(description="Lowercase hex SHA-256 of the old secret.")
    valid_until: UtcDatetime = Field(description="End of the rotation's grace period (UTC).")


class Placement(StrEnum):
    """Where an app group's logs live (architecture §6)."""

    SHARED = "shared"
    """The installation's own Kafka and search engine."""
    DEDICATED = "dedicated"
    """A cluster of the group's own, made by the installation's dedicated driver."""


class ClusterCoordinates(BaseModel):
    """Where a dedicated group's cluster answers: its Kafka, search engine and viewer.

    Every address is as the installation's services reach it. A shared group
    has none: its apps use the installation's own Kafka and search engine.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    infrastructure_id: NonEmptyStr = Field(description="The infrastructure that is this cluster.")
    kafka_bootstrap_servers: NonEmptyStr = Field(
        description="Comma-separated host:port list of the cluster's Kafka brokers."
    )
    search_url: NonEmptyStr = Field(description="Base URL of the cluster's search engine.")
    search_engine: Literal["elasticsearch", "opensearch"] = Field(
        description="Which engine search_url is."
    )
    kibana_url: str | None = Field(
        default=None, description="Base URL of the cluster's Kibana, when one runs."
    )


class AppProfile(_Payload):
    """An app's registry entry, published on the compacted ``barito.apps`` topic."""

    app_id: NonEmptyStr = Field(description="Stable app id; the Kafka key.")
    slug: Slug = Field(description="URL- and topic-safe name: lowercase a-z, 0-9, '-'; 1-63.")
    name: str = Field(description="Display name.")
    group_id: NonEmptyStr = Field(description="Id of the app group that owns the app.")
    group_slug: Slug = Field(description="Slug of the owning app group.")
    status: AppStatus = Field(description="Only active apps may ingest.")
    secret_hashes: list[SecretHash] = Field(
        default_factory=list,
        description="Lowercase hex SHA-256 of every secret currently valid (see hash_secret).",
    )
    # The grace period travels as a deadline, not as a later "remove it" message,
    # so an old secret stops working on time even while the market is down.
    retiring_secrets: list[RetiringSecret] = Field(
        default_factory=list,
        description="Secrets replaced by a rotation, each valid until its deadline.",
    )
    group_secret_hashes: list[SecretHash] = Field(
        default_factory=list,
        description="SHA-256 of the owning group's secret: with X-App-Group-Secret and "
        "X-App-Name, any app of the group can be written to with the group's secret.",
    )
    retiring_group_secrets: list[RetiringSecret] = Field(
        default_factory=list,
        description="Group secrets replaced by a rotation, each valid until its deadline.",
    )
    forward_key_sealed: str | None = Field(
        default=None,
        description="The app's shared key for the fluentd forward protocol's handshake, "
        "sealed under the installation key (barito_common.installation_key); None until the "
        "app has one.",
    )
    tps: int = Field(gt=0, description="Events per second the app may send.")
    topic: NonEmptyStr = Field(description="Kafka topic holding the app's log chunks.")
    index_prefix: NonEmptyStr = Field(description="Prefix of the app's search indices.")
    retention_days: int = Field(ge=1, le=3650, description="Days logs are kept.")
    # A plain string, not a closed set: templates are data files, and a new
    # one must not make older consumers drop the profile.
    capacity: NonEmptyStr = Field(
        description="Capacity template name: small, medium, large, or custom."
    )
    updated_at: UtcDatetime = Field(description="When the market last changed the app (UTC).")
    # Absent in profiles older than dedicated clusters, which all meant "shared".
    cluster: ClusterCoordinates | None = Field(
        default=None,
        description="The group's dedicated cluster, once it is ACTIVE: the app's topic, "
        "indices and viewer live there. None: the installation's own cluster.",
    )
    alert_rules: list[AlertRuleSpec] = Field(
        default_factory=list,
        description="The app's alert rules, evaluated by the server on the live stream.",
    )
    alert_channels: list[AlertChannelSpec] = Field(
        default_factory=list,
        description="The group's channels that the rules name (secrets sealed).",
    )
    redaction_rules: list[RedactionRuleSpec] = Field(
        default_factory=list,
        description="What the receiver removes or masks in every event before Kafka, "
        "in order (barito_common.redaction).",
    )

    def accepts_secret_hash(self, secret_hash: str, *, now: datetime) -> bool:
        """Whether this app's own secret (current or still in its grace period) matches."""
        if secret_hash in self.secret_hashes:
            return True
        return _retiring_accepts(self.retiring_secrets, secret_hash, now)

    def accepts_group_secret_hash(self, secret_hash: str, *, now: datetime) -> bool:
        """Whether the owning group's secret (current or still in its grace period) matches."""
        if secret_hash in self.group_secret_hashes:
            return True
        return _retiring_accepts(self.retiring_group_secrets, secret_hash, now)


def _retiring_accepts(retiring: list[RetiringSecret], secret_hash: str, now: datetime) -> bool:
    return any(old.hash == secret_hash and now < old.valid_until for old in retiring)


class ProvisionCommandKind(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    RETRY = "retry"
    DELETE = "delete"


class ProvisionCommand(_Payload):
    """Market → provisioner, on ``barito.provisioning.commands``."""

    command_id: UUID = Field(description="Idempotency key: a command is applied at most once.")
    kind: ProvisionCommandKind = Field(description="What to do with the infrastructure.")
    infrastructure_id: NonEmptyStr = Field(description="Infrastructure to act on; the Kafka key.")
    group_id: NonEmptyStr = Field(description="App group the infrastructure serves.")
    capacity: NonEmptyStr = Field(description="Name of the capacity template.")
    template: dict[str, Any] = Field(
        default_factory=dict,
        description="The capacity template's contents, so the provisioner needs no copy.",
    )
    # The market decides, not the template alone: a group once dedicated stays
    # so when its template shrinks to a shared one, since its logs live there.
    placement: Placement = Field(
        default=Placement.SHARED,
        description="Where the group's infrastructure lives: the installation's shared "
        "cluster or a dedicated one.",
    )
    issued_at: UtcDatetime = Field(description="When the market issued the command (UTC).")


class InfrastructureState(StrEnum):
    PENDING = "PENDING"
    PROVISIONING = "PROVISIONING"
    BOOTSTRAPPING = "BOOTSTRAPPING"
    ACTIVE = "ACTIVE"
    ERROR = "ERROR"
    DELETING = "DELETING"
    DELETED = "DELETED"


class ComponentState(StrEnum):
    PENDING = "pending"
    PROVISIONING = "provisioning"
    RUNNING = "running"
    ACTIVE = "active"
    ERROR = "error"
    DELETING = "deleting"
    DELETED = "deleted"


class ComponentKind(StrEnum):
    KAFKA = "kafka"
    CONTROLLER = "controller"
    SEARCH = "search"
    KIBANA = "kibana"
    FLOW = "flow"


class Component(BaseModel):
    """One part of an infrastructure, as reported in a ``ProvisionEvent``."""

    model_config = ConfigDict(extra="ignore")

    name: NonEmptyStr = Field(description='Component name, e.g. "kafka-0".')
    kind: ComponentKind = Field(description="What the component is.")
    address: str | None = Field(default=None, description="Where it listens, once known.")
    state: ComponentState = Field(description="The component's own state.")
    message: str | None = Field(default=None, description="Why it is in this state, if notable.")


class ProvisionEvent(_Payload):
    """Provisioner → market, on ``barito.provisioning.events``: one state transition."""

    command_id: UUID = Field(description="The command this event reports on.")
    infrastructure_id: NonEmptyStr = Field(description="The infrastructure; the Kafka key.")
    state: InfrastructureState = Field(description="The infrastructure's state after the change.")
    components: list[Component] = Field(
        default_factory=list, description="Every component with its current state."
    )
    message: str | None = Field(default=None, description="Human-readable detail, e.g. an error.")
    at: UtcDatetime = Field(description="When the transition happened (UTC).")
    cluster: ClusterCoordinates | None = Field(
        default=None,
        description="A dedicated infrastructure's coordinates, in every event from the one "
        "that makes it ACTIVE on; None for a shared one (and before it is ACTIVE).",
    )


class UsageReport(_Payload):
    """Receiver or flow → market, on ``barito.usage``: one app's counts for one window."""

    # A report sent again after a failed attempt keeps its id, so the market
    # can apply each report once even when Kafka delivered it twice.
    report_id: UUID = Field(
        default_factory=uuid4, description="Unique per report; the market applies each once."
    )
    app_id: NonEmptyStr = Field(description="The app counted; the Kafka key.")
    window_start: UtcDatetime = Field(description="Start of the counting window (UTC).")
    window_end: UtcDatetime = Field(description="End of the counting window (UTC).")
    events: int = Field(ge=0, description="Events accepted (receiver) or indexed (flow).")
    bytes: int = Field(ge=0, description="Size of those events in bytes.")
    rejected: dict[str, Annotated[int, Field(ge=0)]] = Field(
        default_factory=dict, description="Events refused in the window, by reason."
    )
    dead_lettered: int = Field(default=0, ge=0, description="Events sent to the dead letter topic.")
    source: Literal["receiver", "flow"] = Field(description="The service that counted.")

    @model_validator(mode="after")
    def _window_in_order(self) -> "UsageReport":
        if self.window_end < self.window_start:
            raise ValueError("window_end is before window_start")
        return self


class DeadLetter(_Payload):
    """Flow → market and operators, on ``barito.logs.dlq``: one event that could not be indexed."""

    app_id: NonEmptyStr = Field(description="The event's app; the Kafka key.")
    app_slug: Slug = Field(description="The event's app slug.")
    topic: NonEmptyStr = Field(description="Log topic the event's chunk was read from.")
    partition: int = Field(ge=0, description="Partition of the chunk's record.")
    offset: int = Field(ge=0, description="Offset of the chunk's record.")
    index_in_chunk: int = Field(ge=0, description="Position of the event within its chunk.")
    event: dict[str, Any] = Field(description="The event's record as it was received.")
    reason: NonEmptyStr = Field(description="Why indexing failed, as the search engine said.")
    failed_at: UtcDatetime = Field(description="When flow gave up on the event (UTC).")


PayloadT = TypeVar("PayloadT", bound=BaseModel)


def to_bytes(model: BaseModel) -> bytes:
    """Serialise a payload as a Kafka record value (JSON, UTF-8)."""
    return model.model_dump_json().encode("utf-8")


def from_bytes(cls: type[PayloadT], data: bytes) -> PayloadT:
    """Parse a Kafka record value as ``cls``; raise :class:`PayloadError` if it is not one."""
    try:
        return cls.model_validate_json(data)
    except ValidationError as err:
        # The input is left out on purpose: dead letters carry log data, and
        # this message ends up in logs.
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'payload'}: {problem['msg']}"
            for problem in err.errors(include_input=False, include_url=False)
        )
        raise PayloadError(f"invalid {cls.__name__} payload: {problems}") from err
