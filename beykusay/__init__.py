"""BeykuSay: a self-hosted AI chat web app."""

__version__ = "0.1.0"
