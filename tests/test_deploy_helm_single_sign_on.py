"""The Helm chart's single sign-on: settings for the market, its client secret a file.

Rendered by the real ``helm``; the market's settings are built from what its
container would see (``tests/support/chart_pods.py``), so a value the chart
renders but the market would refuse fails here, not at an operator's rollout.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.chart_pods import container_view, secret_store
from tests.support.deploy import CHART, SETTINGS, render_chart, run_helm, settings_from

pytestmark = pytest.mark.timeout(1800)

ISSUER = "https://sso.example.com/realms/acme"
CLIENT_SECRET = "the client secret from the operator's Secret"
MAPPING = [{"claim": "payments-admins", "group": "payments", "role": "admin"}]


def _sso_values(tmp_path: Path, **overrides: object) -> Path:
    values = {
        "singleSignOn": {
            "issuer": ISSUER,
            "clientId": "barito-market",
            "clientSecret": {"name": "barito-sso", "key": "client-secret"},
            "caSecret": {"name": "company-ca", "key": "ca.crt"},
            "displayName": "Acme SSO",
            "rolesFromClaims": MAPPING,
            "superadminClaims": ["barito-operators"],
            **overrides,
        }
    }
    path = tmp_path / "sso.yaml"
    path.write_text(json.dumps(values))  # JSON is YAML
    return path


def test_the_market_signs_in_through_the_provider_with_its_secret_as_a_file(
    tmp_path: Path,
) -> None:
    objects = render_chart("-f", str(_sso_values(tmp_path, passwords=False)))
    store = {
        **secret_store(objects),
        "barito-sso": {"client-secret": f"{CLIENT_SECRET}\n"},
        "company-ca": {"ca.crt": "-----BEGIN CERTIFICATE-----\n"},
    }

    for service in SETTINGS:
        view = container_view(objects, service, store)
        given = "barito-sso" in view.secrets
        assert given == (service == "market"), service
        assert ("company-ca" in view.secrets) == given, service
        if service != "market":
            assert not any(name.startswith("BARITO_OIDC__") for name in view.plain_env), service
            continue
        path = view.plain_env["BARITO_OIDC__CLIENT_SECRET_FILE"]
        mount, volume = view.mounts[str(Path(path).parent)]
        assert mount["readOnly"] is True and volume["projected"]["defaultMode"] == 0o440
        settings = settings_from(SETTINGS[service], view.materialize(store, tmp_path / service))
        assert settings.oidc.issuer == ISSUER
        assert settings.oidc.client_id == "barito-market"
        assert settings.oidc.client_secret.get_secret_value() == CLIENT_SECRET
        assert view.files[settings.oidc.ssl_cafile] == ("company-ca", "ca.crt")
        assert settings.oidc.display_name == "Acme SSO"
        assert [m.model_dump(mode="json") for m in settings.oidc.roles_from_claims] == MAPPING
        assert settings.oidc.superadmin_claims == ["barito-operators"]
        assert settings.passwords_enabled is False


def test_without_an_issuer_the_market_has_no_single_sign_on_and_keeps_passwords() -> None:
    objects = render_chart()
    view = container_view(objects, "market")
    assert not any(name.startswith("BARITO_OIDC__") for name in view.plain_env)
    assert "BARITO_PASSWORDS_ENABLED" not in view.plain_env


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"issuer": "http://sso.example.com"}, "issuer"),
        ({"clientSecret": {"name": "", "key": "k"}}, "clientSecret.name is required"),
        ({"issuer": "", "passwords": False}, "passwords=false needs singleSignOn.issuer"),
        ({"rolesFromClaims": [{"claim": "x", "group": "g", "role": "boss"}]}, "role"),
    ],
)
def test_a_half_configured_single_sign_on_is_refused_by_the_chart(
    tmp_path: Path, overrides: dict[str, object], words: str
) -> None:
    values = _sso_values(tmp_path, **overrides)
    refused = run_helm("template", "barito", CHART, "-f", values, check=False)
    assert refused.returncode != 0
    assert words in refused.stderr
