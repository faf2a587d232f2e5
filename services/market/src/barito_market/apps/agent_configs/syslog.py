"""rsyslog's ``omfwd`` to the receiver's syslog listener, the secret in structured data.

RFC 5424 with octet-counting framing (RFC 5425 requires it over TLS, and it
survives line breaks inside messages), the app named by the SD element
``[barito@32473 secret="..."]`` placed before the message's own structured
data; the receiver takes the secret out before storing. Over TCP nothing is
acknowledged, so a disconnect may lose what was in flight; the action's queue
and endless resume keep an outage from losing more. ``sp-if-no-1st-sp``
writes the space before MSG only when rsyslog's message does not start with
one (an RFC 3164 line's does), so the receiver stores the text without it.
"""

from __future__ import annotations

from barito_market.apps.agent_configs.addresses import tcp_address

__all__ = ["rsyslog_syslog_config"]


def rsyslog_syslog_config(*, syslog_url: str, secret: str, app_slug: str) -> str:
    address = tcp_address(syslog_url)
    tls = (
        f'\n       StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name"'
        f'\n       StreamDriverPermittedPeers="{address.host}"'
        f'\n       StreamDriver.CAFile="/etc/ssl/certs/ca-certificates.crt"'
        if address.tls
        else ""
    )
    header = "<%PRI%>1 %TIMESTAMP:::date-rfc3339% %HOSTNAME% %APP-NAME% %PROCID% %MSGID%"
    sd = f'[barito@32473 secret=\\"{secret}\\"]%STRUCTURED-DATA%'
    return f"""template(name="barito-{app_slug}" type="string"
         string="{header} {sd}%msg:::sp-if-no-1st-sp%%msg%")
action(type="omfwd" target="{address.host}" port="{address.port}" protocol="tcp"
       TCP_Framing="octet-counted" template="barito-{app_slug}"{tls}
       queue.type="LinkedList" queue.size="10000" action.resumeRetryCount="-1")
"""
