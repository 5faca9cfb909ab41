"""Shared fixtures for the skills tests: the real ESCO framework and a cached matcher."""

from __future__ import annotations

from pathlib import Path

import pytest

from credstack.skills.framework import Framework, load_esco
from credstack.skills.matching import SkillMatcher


@pytest.fixture(scope="session")
def esco() -> Framework:
    """ESCO v1.2 as shipped (loaded once per session)."""
    return load_esco()


@pytest.fixture(scope="session")
def skills_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session-wide index cache folder (the CLI tests reuse it via --cache-dir)."""
    return tmp_path_factory.mktemp("skills-cache")


@pytest.fixture(scope="session")
def matcher(esco: Framework, skills_cache_dir: Path) -> SkillMatcher:
    """The fast (static embeddings) matcher over all of ESCO, cached under a tmp dir."""
    return SkillMatcher.build(esco, cache_dir=skills_cache_dir)
