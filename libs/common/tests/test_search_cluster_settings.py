"""A dedicated group's search engine gets none of the installation's search credentials."""

from __future__ import annotations

from barito_common.clusters import search_settings_for
from barito_common.schemas import ClusterCoordinates
from barito_common.settings import SearchSettings


def test_a_group_engine_gets_no_installation_password_api_key_or_ca() -> None:
    cluster = ClusterCoordinates(
        infrastructure_id="infra",
        kafka_bootstrap_servers="group-kafka:31000",
        search_url="http://group-search:31200",
        search_engine="elasticsearch",
    )
    with_key = SearchSettings(
        url="https://search.internal:9200",
        api_key="aW5zdGFsbGF0aW9uOm9ubHk=",
        ssl_cafile="/etc/ca.pem",
        index_prefix="barito-",
        request_timeout_s=12,
    )
    group = search_settings_for(with_key, cluster)
    assert (group.url, group.engine) == ("http://group-search:31200", "elasticsearch")
    assert (group.index_prefix, group.request_timeout_s) == ("barito-", 12)
    assert (group.api_key, group.username, group.password, group.ssl_cafile) == (None,) * 4
    with_user = SearchSettings(engine="opensearch", username="barito", password="only-ours")
    group = search_settings_for(with_user, cluster)
    assert (group.username, group.password) == (None, None)
    assert search_settings_for(with_key, None) is with_key
