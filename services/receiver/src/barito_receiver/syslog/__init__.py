"""Syslog over TCP (RFC 5424 and RFC 3164; RFC 6587 framing; optional TLS, RFC 5425).

Modules, from bytes to Kafka:

* ``framing``: the stream into frames (octet counting or LF/NUL, per frame).
* ``rfc5424``, ``rfc3164``, ``structured_data``: a frame into a :class:`SyslogMessage`.
* ``decode``: dispatch, and the app secret taken out of the structured data.
* ``app_secret``: the secret to an app, with the HTTP path's status checks.
* ``connection``: batching and back-pressure per connection; ``limits`` its bounds.
* ``listener``: the TCP/TLS server, a ``barito_receiver.listeners.Listener``.
"""

from barito_receiver.syslog.listener import SyslogListener

__all__ = ["SyslogListener"]
