"""The few Kubernetes calls the driver makes, over kubernetes-asyncio.

Objects are created and updated with server-side apply (``PATCH`` with
``application/apply-patch+yaml``, a field manager, ``force``), so applying
the same rendered objects again is a no-op and a changed template changes
exactly the fields it owns. Unknown fields are refused (``fieldValidation=
Strict``) rather than silently dropped.

Exceptions::

    DriverError
    └── KubernetesApiError   the API server refused a request or did not answer
"""

from __future__ import annotations

from typing import Any

from kubernetes_asyncio import client, config
from kubernetes_asyncio.client.exceptions import ApiException

from barito_provisioner.drivers.base import DriverError
from barito_provisioner.settings import KubernetesSettings

__all__ = ["KubernetesApi", "KubernetesApiError"]

_APPLY = "application/apply-patch+yaml"


class KubernetesApiError(DriverError):
    """The API server refused a request or did not answer."""


class KubernetesApi:
    def __init__(self, settings: KubernetesSettings) -> None:
        self._settings = settings
        self._client: client.ApiClient | None = None

    async def _api(self) -> client.ApiClient:
        if self._client is None:
            configuration = client.Configuration()
            if self._settings.api_url:
                configuration.host = self._settings.api_url
                if self._settings.token:
                    configuration.api_key = {"BearerToken": self._settings.token.get_secret_value()}
                    configuration.api_key_prefix = {"BearerToken": "Bearer"}
                configuration.ssl_ca_cert = self._settings.ca_file
            elif self._settings.kubeconfig:
                await config.load_kube_config(
                    config_file=self._settings.kubeconfig, client_configuration=configuration
                )
            else:
                config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
            self._client = client.ApiClient(configuration)
        return self._client

    def _failed(self, action: str, err: Exception) -> KubernetesApiError:
        if isinstance(err, ApiException):
            body = err.body.decode() if isinstance(err.body, bytes) else err.body
            detail = f"{err.status} {err.reason}: {body}"
        else:
            detail = repr(err)
        where = self._settings.api_url or self._settings.kubeconfig or "the in-cluster API"
        return KubernetesApiError(
            f"{action} on Kubernetes at {where} failed: {detail}. Check the API server and "
            "the provisioner's credentials (BARITO_KUBERNETES__*), then retry."
        )

    async def _methods(self, kind: str) -> tuple[Any, str]:
        api = await self._api()
        if kind in ("StatefulSet", "Deployment"):
            return client.AppsV1Api(api), {"StatefulSet": "stateful_set"}.get(kind, "deployment")
        names = {"Namespace": "namespace", "ConfigMap": "config_map", "Service": "service"}
        return client.CoreV1Api(api), names[kind]

    async def apply(self, body: dict[str, Any]) -> dict[str, Any]:
        """Server-side apply one object; the object as the server stored it."""
        kind, metadata = body["kind"], body["metadata"]
        api, noun = await self._methods(kind)
        options = {
            "field_manager": self._settings.field_manager,
            "force": True,
            "field_validation": "Strict",
            "_content_type": _APPLY,
        }
        try:
            if kind == "Namespace":
                result = await api.patch_namespace(metadata["name"], body, **options)
            else:
                method = getattr(api, f"patch_namespaced_{noun}")
                result = await method(metadata["name"], metadata["namespace"], body, **options)
        except Exception as err:
            raise self._failed(f"applying {kind} {metadata['name']}", err) from err
        stored: dict[str, Any] = (await self._api()).sanitize_for_serialization(result)
        return stored

    async def read(self, kind: str, name: str, namespace: str | None) -> dict[str, Any] | None:
        """The object as stored, or None if it does not exist."""
        api, noun = await self._methods(kind)
        try:
            if kind == "Namespace":
                result = await api.read_namespace(name)
            else:
                result = await getattr(api, f"read_namespaced_{noun}")(name, namespace)
        except ApiException as err:
            if err.status == 404:
                return None
            raise self._failed(f"reading {kind} {name}", err) from err
        except Exception as err:
            raise self._failed(f"reading {kind} {name}", err) from err
        stored: dict[str, Any] = (await self._api()).sanitize_for_serialization(result)
        return stored

    async def delete(self, kind: str, name: str, namespace: str | None) -> None:
        """Delete an object; one that does not exist is already gone."""
        api, noun = await self._methods(kind)
        try:
            if kind == "Namespace":
                await api.delete_namespace(name)
            else:
                await getattr(api, f"delete_namespaced_{noun}")(name, namespace)
        except ApiException as err:
            if err.status != 404:
                raise self._failed(f"deleting {kind} {name}", err) from err
        except Exception as err:
            raise self._failed(f"deleting {kind} {name}", err) from err

    async def version(self) -> str:
        try:
            info = await client.VersionApi(await self._api()).get_code()
        except Exception as err:
            raise self._failed("reading the version", err) from err
        return str(info.git_version)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
