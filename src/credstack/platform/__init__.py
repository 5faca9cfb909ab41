"""The platform: organisations, keys, versioned achievements, issuance, revocation.

Services here orchestrate the core through the ports in :mod:`credstack.platform.ports`;
they never import SQLAlchemy or FastAPI and never commit (the edges do).
"""
