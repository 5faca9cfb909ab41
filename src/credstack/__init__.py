"""credstack: Open Badges 3.0 credentials, signed and verified offline."""

__version__ = "0.1.0"
