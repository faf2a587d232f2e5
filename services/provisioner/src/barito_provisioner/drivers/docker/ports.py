"""Host ports for an infrastructure's containers.

Every container shares the host's network, so each listener needs a host port
of its own. A component keeps the ports recorded on its container; a new one
gets the lowest ports of the range that no barito container records (running
or stopped: a stopped one wants its ports back when it starts) and that
nothing on the host listens on now.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator, Mapping, Sequence

from barito_provisioner.drivers.base import DriverError

__all__ = ["allocate_ports", "port_is_free"]


def allocate_ports(
    wanted: Mapping[str, Sequence[str]],
    recorded: Mapping[str, Mapping[str, int]],
    taken: set[int],
    *,
    port_range: tuple[int, int],
    is_free: Callable[[int], bool],
) -> dict[str, dict[str, int]]:
    """A port for each name each component wants.

    ``wanted``: component → port names; ``recorded``: the ports this
    infrastructure's containers already carry; ``taken``: every port other
    barito containers record. A recorded port is kept without a free check:
    its own container may be listening on it.
    """
    low, high = port_range
    used = set(taken)
    for ports in recorded.values():
        used.update(ports.values())
    candidates = iter(range(low, high + 1))
    result: dict[str, dict[str, int]] = {}
    for component, names in wanted.items():
        result[component] = {}
        for name in names:
            port = recorded.get(component, {}).get(name)
            if port is None:
                port = _next_free(candidates, used, is_free, port_range)
                used.add(port)
            result[component][name] = port
    return result


def _next_free(
    candidates: Iterator[int],
    used: set[int],
    is_free: Callable[[int], bool],
    port_range: tuple[int, int],
) -> int:
    for port in candidates:
        if port not in used and is_free(port):
            return port
    raise DriverError(
        f"no free port left in {port_range[0]}-{port_range[1]} for the cluster's containers: "
        "widen BARITO_DOCKER__PORT_MIN/PORT_MAX or delete unused infrastructures"
    )


def port_is_free(port: int) -> bool:
    """Whether nothing on the host listens on ``port`` now, on any address.

    The provisioner runs in the host's network (as a process or a host-network
    container). Binding the wildcard address fails when any address, loopback
    included, already has the port.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers themselves bind: a port whose last connections linger
        # in TIME_WAIT is free to listen on again.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("", port))
        except OSError:
            return False
    return True
