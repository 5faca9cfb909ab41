""":class:`~credstack.platform.obclient.ObConnectionStore` in memory (one process; lost on
restart, so nothing is encrypted: nothing is at rest).

Each method holds one lock, so taking a pending authorization is atomic.
"""

from __future__ import annotations

import dataclasses
import threading

from credstack.errors import Conflict, NotFound
from credstack.platform.obclient import ObConnection

__all__ = ["MemoryObConnectionStore"]


class MemoryObConnectionStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: dict[str, ObConnection] = {}

    def __repr__(self) -> str:
        return f"MemoryObConnectionStore({len(self._connections)} connections)"

    def add(self, connection: ObConnection) -> None:
        with self._lock:
            if connection.id in self._connections:
                raise Conflict(f"connection {connection.id} exists")
            self._connections[connection.id] = connection

    def get(self, connection_id: str) -> ObConnection | None:
        with self._lock:
            return self._connections.get(connection_id)

    def for_user(self, user_id: str) -> list[ObConnection]:
        with self._lock:
            found = [c for c in self._connections.values() if c.user_id == user_id]
        return sorted(found, key=lambda c: (c.created_at, c.id))

    def replace(self, connection: ObConnection) -> None:
        with self._lock:
            if connection.id not in self._connections:
                raise NotFound("no such connection")
            self._connections[connection.id] = connection

    def delete(self, connection_id: str) -> bool:
        with self._lock:
            return self._connections.pop(connection_id, None) is not None

    def take_pending(self, state_hash: str) -> ObConnection | None:
        with self._lock:
            for key, connection in self._connections.items():
                pending = connection.pending
                if pending is not None and pending.state_hash == state_hash:
                    self._connections[key] = dataclasses.replace(connection, pending=None)
                    return connection
        return None
