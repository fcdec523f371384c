"""The REST API for scripts and other clients (see shared API.md)."""
