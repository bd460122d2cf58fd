"""The ports a data directory's embedded services got last time, kept in ``D/ports.json``.

The embedded PostgreSQL and S3 first try fixed defaults and fall back to a free port when the
default is busy. Whatever port a service got is remembered here and preferred on the next start,
so the services keep their addresses across restarts: a connection string or a signed URL (which
names the S3 port) handed out earlier still points at the same service. A remembered port that is
busy at the next start gives way to another free one, with a warning, and that one is remembered
instead.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

log = logging.getLogger("labelgate.embedded")

PORTS_FILE = "ports.json"
_MAX_PORT = 65535


def _read(path: Path) -> dict[str, int]:
    """The ports in ``path``; nothing (and a warning) when it is unreadable: the defaults then apply."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring %s, which cannot be read (%s); using the default ports", path, exc)
        return {}
    if not isinstance(data, dict):
        log.warning("ignoring %s, which is not a JSON object; using the default ports", path)
        return {}
    ports = {}
    for service, port in data.items():
        if isinstance(port, int) and not isinstance(port, bool) and 0 < port <= _MAX_PORT:
            ports[service] = port
        else:
            log.warning("ignoring %s in %s: %r is not a port number", service, path, port)
    return ports


class PortMemory:
    """The remembered ports of one data directory, read once when created.

    :meth:`preferred` says which port a service should try, :meth:`record` notes the port it got
    (warning when it had to fall back), :meth:`save` writes ``ports.json`` if anything changed.
    ``record`` may be called from the threads that start the services (one key each).
    """

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / PORTS_FILE
        self._saved = _read(self.path)
        self._ports = dict(self._saved)

    def preferred(self, service: str, default: int) -> int:
        """The port ``service`` got last time, else ``default``."""
        return self._saved.get(service, default)

    def record(self, service: str, what: str, default: int, port: int) -> None:
        """``service`` (``what`` in the log) now listens on ``port``; say so if that is not the preferred one."""
        preferred = self.preferred(service, default)
        if port != preferred:
            source = f"remembered in {self.path}" if service in self._saved else "the default"
            log.warning("%s: port %d (%s) is busy; using port %d instead", what, preferred, source, port)
        self._ports[service] = port

    def save(self) -> None:
        """Write the recorded ports to ``ports.json`` (atomically) unless it holds them already."""
        if self._ports == self._saved:
            return
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w") as out:
            json.dump(self._ports, out, indent=2, sort_keys=True)
        os.replace(tmp, self.path)
        log.info("remembered the ports %s in %s for the next start", self._ports, self.path)
        self._saved = dict(self._ports)
