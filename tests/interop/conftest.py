"""Interop tests: make sure the pinned npm packages are installed once per session."""

from __future__ import annotations

import pytest

from .jsref import ensure_node_modules


@pytest.fixture(scope="session", autouse=True)
def _js_node_modules() -> None:
    ensure_node_modules()
