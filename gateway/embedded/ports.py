"""Picking free TCP ports for the embedded services."""

from __future__ import annotations

import random
import socket
from dataclasses import astuple, dataclass

MAX_PORT = 65535
#: SeaweedFS derives gRPC ports as ``port + 10000`` (trap T5), so its ports must stay below this.
WEED_PORT_LIMIT = MAX_PORT - 10000 + 1  # 55536
_GRPC_OFFSET = 10000
_MIN_PICK = 20000


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether ``host:port`` can be bound right now.

    ``SO_REUSEADDR`` is set on purpose (trap T10): without it, sockets in TIME_WAIT left by a
    server that was just stopped make its port look busy, although the server itself could
    bind it again.
    """
    if not 0 < port <= MAX_PORT:
        return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _os_chosen_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def free_port(preferred: int | None = None, host: str = "127.0.0.1") -> int:
    """Return ``preferred`` if it can be bound on ``host``, else a free port chosen by the OS."""
    if preferred is not None and port_is_free(preferred, host):
        return preferred
    return _os_chosen_port(host)


@dataclass(frozen=True)
class WeedPorts:
    """Every port of one ``weed mini`` process; all of them are passed explicitly (trap T5)."""

    s3: int
    s3_grpc: int
    master: int
    master_grpc: int
    volume: int
    volume_grpc: int
    filer: int
    filer_grpc: int
    admin: int

    @property
    def admin_grpc(self) -> int:
        """weed 4.48's built-in worker dials ``admin + 10000`` whatever ``-admin.port.grpc`` says (T5)."""
        return self.admin + _GRPC_OFFSET

    def all(self) -> tuple[int, ...]:
        """All ports weed listens on, including the derived admin gRPC port."""
        return (*astuple(self), self.admin_grpc)


def _weed_port_ok(port: int, taken: set[int], host: str) -> bool:
    """``port`` and ``port + 10000`` are valid, not already picked, and free (trap T5)."""
    pair = (port, port + _GRPC_OFFSET)
    if not 0 < port < WEED_PORT_LIMIT or taken.intersection(pair):
        return False
    return all(port_is_free(p, host) for p in pair)


def _pick_weed_port(taken: set[int], host: str, attempts: int = 200) -> int:
    """A port below 55536 such that it and port+10000 are free; the OS's choice first, then random."""
    for i in range(attempts):
        if i < attempts // 2:
            candidate = _os_chosen_port(host)
        else:
            candidate = random.randrange(_MIN_PICK, WEED_PORT_LIMIT)
        if _weed_port_ok(candidate, taken, host):
            return candidate
    raise RuntimeError(f"no free port pair (port, port+10000) below {WEED_PORT_LIMIT} on {host}")


def weed_ports(s3_preferred: int | None = None, host: str = "127.0.0.1") -> WeedPorts:
    """Pick the nine distinct ports of ``weed mini``, honouring trap T5.

    Each chosen port ``p`` is below 55536 and both ``p`` and ``p + 10000`` are free and distinct
    from the others, because weed derives ``+10000`` gRPC ports wherever one isn't given (and for
    the admin worker even when it is). ``s3_preferred`` is used when it satisfies the same rule.
    """
    taken: set[int] = set()

    def take(port: int) -> int:
        taken.update((port, port + _GRPC_OFFSET))
        return port

    if s3_preferred is not None and _weed_port_ok(s3_preferred, taken, host):
        s3 = take(s3_preferred)
    else:
        s3 = take(_pick_weed_port(taken, host))
    rest = [take(_pick_weed_port(taken, host)) for _ in range(8)]
    return WeedPorts(s3, *rest)
