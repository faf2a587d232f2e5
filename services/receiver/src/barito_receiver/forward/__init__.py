"""The fluentd forward protocol (v1) input: TCP, msgpack, acks, the shared-key handshake.

Modules: :mod:`.requests` decodes a request's modes into events (pure),
:mod:`.apps` and :mod:`.handshake` decide the app by a secret,
:mod:`.connection` serves one client, :mod:`.listener` the port.
"""

from barito_receiver.forward.listener import ForwardListener

__all__ = ["ForwardListener"]
