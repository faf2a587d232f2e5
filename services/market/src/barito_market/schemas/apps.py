"""Bodies of /api/v1/apps: registering, listing, changing and rotating apps."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from barito_common.reserved_names import RESERVED_APP_SLUGS
from barito_common.schemas import AppStatus, ClusterCoordinates, InfrastructureState, Placement
from barito_market.apps.agent_configs import AgentConfigs
from barito_market.apps.endpoints import AppEndpoints
from barito_market.schemas.display_names import DisplayName
from barito_market.schemas.groups import GroupName

__all__ = [
    "AppCreate",
    "AppForwardKey",
    "AppPublic",
    "AppRegistered",
    "AppSecretRotated",
    "AppUpdate",
    "AppsPublic",
    "InfrastructureSummary",
]

AppName = DisplayName
Tps = Annotated[int, Field(gt=0, le=10_000_000)]
RetentionDays = Annotated[int, Field(ge=1, le=3650)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Sizing(_Body):
    capacity: str | None = Field(
        None, description="Capacity template: small, medium or large. Not with tps."
    )
    tps: Tps | None = Field(
        None,
        description="A custom limit in events/s; the smallest template that fits is used. "
        "Not with capacity.",
    )
    retention_days: RetentionDays | None = Field(
        None, description="Days logs are kept; default: the template's."
    )

    @model_validator(mode="after")
    def _capacity_or_tps(self) -> _Sizing:
        if self.capacity is not None and self.tps is not None:
            raise ValueError("give either capacity or tps, not both")
        return self


class AppCreate(_Sizing):
    name: AppName = Field(
        description="Unique within the group; the slug is derived from it, and may not be "
        f"one the installation keeps for itself: {', '.join(sorted(RESERVED_APP_SLUGS))}."
    )
    group: str | None = Field(None, description="Slug of an existing group you administer.")
    new_group: GroupName | None = Field(
        None, description="Name of a new group to create on the spot (you become its owner)."
    )

    @model_validator(mode="after")
    def _one_group(self) -> AppCreate:
        if (self.group is None) == (self.new_group is None):
            raise ValueError("give exactly one of group (an existing group's slug) or new_group")
        return self


class AppUpdate(_Sizing):
    pass


class InfrastructureSummary(BaseModel):
    state: InfrastructureState
    capacity: str
    placement: Placement = Field(
        description="shared: the installation's cluster; dedicated: a cluster of the group's own."
    )
    message: str | None


class AppPublic(BaseModel):
    slug: str = Field(description="Unique, immutable; names the app's topic and indices.")
    name: str
    group: str = Field(description="Slug of the app's group.")
    group_name: str
    capacity: str = Field(description="Capacity template.")
    tps: int = Field(description="Events per second the app may send.")
    custom_tps: bool = Field(description="Whether tps is a custom limit, not the template's.")
    retention_days: int
    status: AppStatus
    endpoints: AppEndpoints
    infrastructure: InfrastructureSummary | None
    cluster: ClusterCoordinates | None = Field(
        description="The dedicated cluster holding the app's new logs; null: the installation's "
        "shared cluster (also for a dedicated group until its cluster is ACTIVE). Logs "
        "written before a move stay searchable on the shared cluster until they expire."
    )
    previous_secret_valid_until: datetime | None = Field(
        description="While a rotated secret still works: until when."
    )
    has_forward_key: bool = Field(
        description="Whether the app has a forward key (POST /apps/{slug}/forward-key) for the "
        "fluentd forward protocol. The key itself is shown only when it is made."
    )
    created_at: datetime
    updated_at: datetime


class AppsPublic(BaseModel):
    data: list[AppPublic]


class AppRegistered(AppPublic):
    secret: str = Field(description="The app secret, shown this once; send it as X-App-Secret.")
    agent_configs: AgentConfigs


class AppSecretRotated(BaseModel):
    slug: str
    secret: str = Field(description="The new app secret, shown this once.")
    previous_valid_until: datetime | None = Field(
        description="Until when the replaced secret keeps working."
    )
    agent_configs: AgentConfigs


class AppForwardKey(BaseModel):
    slug: str
    forward_key: str = Field(
        description="The app's forward key, shown this once: the shared_key of the forward "
        "handshake and the password of its user. The previous key, if any, no longer works."
    )
    username: str = Field(description="The forward handshake's username: the app's slug.")
    forward_url: str = Field(
        description="The receiver's forward listener: tcp://host:port, or tls://host:port."
    )
    fluentd: str = Field(description="A fluentd <match> section (out_forward) with <security>.")
    fluent_bit: str = Field(description="A Fluent Bit [OUTPUT] section (forward).")
