"""describe_failure names each refusal from the error alone (no engine needed).

The real engines' refusals are in test_search_security; these cover the
shapes a client may hand over that the secured stack does not produce.
"""

from __future__ import annotations

import ssl

from elastic_transport import TlsError

from barito_common.search.access_failures import describe_failure
from barito_common.settings import SearchSettings

HTTPS = SearchSettings(url="https://search.internal:9200", username="barito", password="x")


def _verify_error(code: int, words: str) -> ssl.SSLCertVerificationError:
    err = ssl.SSLCertVerificationError(1, f"[SSL: CERTIFICATE_VERIFY_FAILED] {words}")
    err.verify_code = code
    return err


def test_without_a_ca_file_the_untrusted_chain_names_the_system_trust_store() -> None:
    wrapped = ConnectionError("Cannot connect")
    wrapped.__cause__ = _verify_error(20, "unable to get local issuer certificate")
    assert describe_failure(wrapped, HTTPS) == (
        "the certificate of https://search.internal:9200 is not signed by a CA the system "
        "trusts (certificate verify failed)"
    )


def test_a_transport_error_holding_only_words_is_still_named() -> None:
    err = TlsError(
        "Cannot connect to host search.internal:9200 ssl:True [SSLCertVerificationError: "
        '(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, '
        "certificate is not valid for 'search.internal'\")]"
    )
    assert "does not name host 'search.internal'" in (describe_failure(err, HTTPS) or "")


def test_an_api_key_refused_is_named_without_quoting_it() -> None:
    err = type("AuthenticationException", (Exception,), {"status_code": 401})()
    settings = SearchSettings(url="https://search:9200", api_key="c2VjcmV0OmtleQ==")
    described = describe_failure(err, settings) or ""
    assert described == "the API key was refused (invalid, expired or revoked)"
    assert "c2VjcmV0" not in described


def test_what_is_not_about_access_is_left_to_the_engines_words() -> None:
    forbidden = type("AuthorizationException", (Exception,), {"status_code": 403})()
    assert describe_failure(forbidden, HTTPS) is None
    assert describe_failure(ConnectionRefusedError(111, "refused"), HTTPS) is None
