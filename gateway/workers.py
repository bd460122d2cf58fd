"""`python -m gateway.workers <uvicorn options>`: uvicorn, with TCP_NODELAY on the connections of
`--workers` mode. Run several workers behind one port with
`python -m gateway.workers --factory gateway.app:app_from_env --workers 4 --host 0.0.0.0 --port 8080`.

With `--workers`, uvicorn (0.54) binds the shared listening socket as `socket.socket(AF_INET)`,
whose `proto` is 0; asyncio only sets TCP_NODELAY on accepted sockets whose proto is IPPROTO_TCP,
so each worker's connections keep Nagle's algorithm. uvicorn writes a response's head and body
separately, so every response then waits for the client's delayed ACK: about 40 ms per request
(measured: /healthz 44 ms with 2 workers, 3 ms with 1). Rebinding the socket object as a TCP
socket (same file descriptor) makes asyncio set TCP_NODELAY again.
"""

from __future__ import annotations

import socket

import uvicorn.config
from uvicorn.main import main

_bind_socket = uvicorn.config.Config.bind_socket


def _bind_tcp_socket(self: uvicorn.config.Config) -> socket.socket:
    sock = _bind_socket(self)
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
        sock = socket.socket(sock.family, socket.SOCK_STREAM, socket.IPPROTO_TCP, fileno=sock.detach())
    return sock


uvicorn.config.Config.bind_socket = _bind_tcp_socket

if __name__ == "__main__":
    main()
