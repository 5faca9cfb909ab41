"""The HTTP API (needs the ``server`` extra: FastAPI, uvicorn, argon2-cffi)."""

from __future__ import annotations

from credstack.api.app import create_app
from credstack.api.limits import Limits

__all__ = ["Limits", "create_app"]
