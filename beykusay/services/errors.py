"""Service-level failures; the API and the pages each turn them into their own answer."""


class ServiceError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(ServiceError):
    status_code = 400


class InvalidReference(ServiceError):
    """An id in the request that exists but cannot be used there."""

    status_code = 422


class NotFound(ServiceError):
    status_code = 404


class Conflict(ServiceError):
    status_code = 409


class InvalidCredentials(ServiceError):
    status_code = 401

    def __init__(self) -> None:
        super().__init__("Invalid username or password")


class TooManyAttempts(ServiceError):
    status_code = 429

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message or f"Too many attempts. Try again in {retry_after} seconds.")
        self.retry_after = retry_after


class Unavailable(ServiceError):
    status_code = 503


class Forbidden(ServiceError):
    """Signed in, but not allowed to do this (a non-admin, an API key, closed sign-up)."""

    status_code = 403
