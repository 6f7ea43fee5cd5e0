"""The local HTTP gateway: one port for the REST and MPS APIs, signed storage URLs, zips, the COS XML
API and the runtime's invoke endpoint (server.py says which request goes where)."""

from infra.local.gateway.server import HEADER_TIMEOUT_SECONDS, IDLE_TIMEOUT_SECONDS, Gateway

__all__ = ["HEADER_TIMEOUT_SECONDS", "IDLE_TIMEOUT_SECONDS", "Gateway"]
