"""Real local PostgreSQL and S3 (SeaweedFS) servers for the test session and zero-config ``serve``."""

from gateway.embedded.ports import WeedPorts, free_port, port_is_free, weed_ports
from gateway.embedded.postgres import PostgresServer, find_postgres_bin, start_postgres
from gateway.embedded.seaweedfs import S3Server, ensure_bucket, find_weed, start_seaweedfs

__all__ = [
    "PostgresServer",
    "S3Server",
    "WeedPorts",
    "ensure_bucket",
    "find_postgres_bin",
    "find_weed",
    "free_port",
    "port_is_free",
    "start_postgres",
    "start_seaweedfs",
    "weed_ports",
]
