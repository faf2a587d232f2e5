"""Channel secrets are kept and published only sealed under the installation key."""

from __future__ import annotations

from barito_common.errors import ApiError
from barito_common.installation_key import MIN_INSTALLATION_KEY_CHARS, InstallationKey
from barito_common.notifications import SecretOpener
from barito_market.settings import MarketSettings

__all__ = ["NO_INSTALLATION_KEY", "opener", "seal"]

NO_INSTALLATION_KEY = "no_installation_key"


def seal(settings: MarketSettings, secret: str) -> str:
    """``secret`` sealed; 409 naming how to set an installation key when there is none."""
    if settings.installation_key is None:
        raise ApiError(
            409,
            "This installation has no installation key, so it cannot keep alert channels' "
            "secrets sealed. Give the market and the server the same secret of at least "
            f"{MIN_INSTALLATION_KEY_CHARS} characters as BARITO_INSTALLATION_KEY (or a file "
            "holding it as BARITO_INSTALLATION_KEY_FILE; e.g. openssl rand -base64 48), "
            "restart them, and try again.",
            code=NO_INSTALLATION_KEY,
        )
    return InstallationKey(settings.installation_key).seal(secret)


def opener(settings: MarketSettings) -> SecretOpener | None:
    """What opens a sealed secret for a delivery; None without an installation key."""
    if settings.installation_key is None:
        return None
    return InstallationKey(settings.installation_key).open
