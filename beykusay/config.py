"""Settings from the environment (and `.env`), read once per process."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
ENV_FILE = ".env"  # read from the working folder, like DATA_DIR's default


class StartupError(RuntimeError):
    """A setting that cannot work: the server refuses to start, with this message."""


def default_prompts_dir() -> Path:
    """The checkout's prompts/ when run from one, else the prompts the package ships."""
    if (PROJECT_DIR / "pyproject.toml").is_file() and (PROJECT_DIR / "prompts").is_dir():
        return PROJECT_DIR / "prompts"
    return PACKAGE_DIR / "default_prompts"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=ENV_FILE, extra="ignore", populate_by_name=True)

    environment: Literal["development", "production"] = Field(
        "development", validation_alias="BEYKUSAY_ENV"
    )
    secret_key: str = ""
    data_dir: Path = Path("data")
    database_url: str = ""
    google_api_key: str = ""
    google_gemini_base_url: str = ""
    host: str = "0.0.0.0"
    port: int = 8000
    prompts_dir: Path = Field(default_factory=default_prompts_dir)

    model_beykus_small: str = "gemini-2.5-flash-lite"
    model_beykus_chat: str = "gemini-2.5-flash"
    model_beykus_small_r: str = "gemini-2.5-flash"

    access_token_minutes: int = Field(1440, ge=1)
    # argon2id's cost per password hash (RFC 9106's second recommendation: 64 MiB, three
    # passes, four lanes); raise them on a fast server, never lower them in production.
    argon2_memory_kib: int = Field(65536, ge=8)
    argon2_time_cost: int = Field(3, ge=1)
    argon2_parallelism: int = Field(4, ge=1)
    login_max_failures: int = Field(5, ge=1)
    login_window_seconds: int = Field(300, ge=1)
    gemini_stall_timeout: float = Field(60.0, gt=0)
    gemini_max_retries: int = Field(2, ge=0)
    gemini_retry_delay: float = Field(1.0, ge=0)
    save_interval: float = Field(1.0, gt=0)
    shutdown_grace_seconds: float = Field(5.0, ge=0)
    demo_delay: float = Field(0.04, ge=0)
    max_body_bytes: int = Field(256 * 1024, ge=1024)
    max_import_bytes: int = Field(200 * 1024 * 1024, ge=1024)
    send_max_per_window: int = Field(30, ge=1)
    send_window_seconds: float = Field(60.0, gt=0)
    max_answers_per_user: int = Field(3, ge=1)
    history_max_chars: int = Field(400_000, ge=1000)
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1)
    user_storage_bytes: int = Field(1024**3, ge=0)
    max_attachments: int = Field(10, ge=1, le=100)
    gemini_inline_bytes: int = Field(20_000_000, ge=0)
    redis_url: str = ""
    redis_prefix: str = "beykusay:"
    heartbeat_interval: float = Field(2.0, gt=0)
    heartbeat_timeout: float = Field(10.0, gt=0)
    # None (unset or empty): Secure in production, not in development (plain HTTP).
    session_cookie_secure: bool | None = None
    # Proxies whose X-Forwarded-For/-Proto are believed (IPs or CIDRs, comma-separated);
    # empty: none, so a client can't pick its own address for the login limit.
    forwarded_allow_ips: str = ""
    # Who may register: anyone, anyone once an admin approves, or only admins create.
    signup: Literal["open", "approval", "closed"] = "open"
    user_monthly_tokens: int | None = Field(None, ge=1)  # empty: no limit by default

    @field_validator("session_cookie_secure", "user_monthly_tokens", mode="before")
    @classmethod
    def _empty_means_default(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("prompts_dir", mode="before")
    @classmethod
    def _empty_prompts_dir_means_default(cls, value: object) -> object:
        return default_prompts_dir() if value in ("", None) else value

    @model_validator(mode="after")
    def _require_secret_in_production(self) -> Settings:
        if self.environment == "production" and len(self.secret_key) < 32:
            raise ValueError("SECRET_KEY (32+ characters) is required when BEYKUSAY_ENV=production")
        return self

    @property
    def sqlalchemy_url(self) -> str:
        """DATABASE_URL as SQLAlchemy wants it: a plain path means a SQLite file."""
        url = self.database_url or str(self.data_dir / "beykusay.db")
        return url if "://" in url else f"sqlite:///{url}"

    @property
    def database_for_log(self) -> str:
        """The database URL without its password; a SQLite file's full path."""
        url = make_url(self.sqlalchemy_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            url = url.set(database=str(Path(url.database).resolve()))
        return url.render_as_string(hide_password=True)

    def model_ids(self) -> dict[str, str]:
        """Our model aliases mapped to the Gemini model behind each."""
        return {
            "BeykusSmall": self.model_beykus_small,
            "BeykusChat": self.model_beykus_chat,
            "BeykusSmallR": self.model_beykus_small_r,
        }

    @property
    def session_cookie_is_secure(self) -> bool:
        if self.session_cookie_secure is None:
            return self.environment == "production"
        return self.session_cookie_secure

    def token_signing_key(self) -> str:
        """The key that signs and checks login tokens (JWTs)."""
        return derive_key(self._secret(), "access-token")

    def share_link_key(self) -> str:
        """The key that turns a share's stored nonce into its link token."""
        return derive_key(self._secret(), "share-link")

    def storage_secret(self) -> str:
        """The key that signs NiceGUI's browser-session cookie."""
        return derive_key(self._secret(), "browser-session")

    def _secret(self) -> str:
        """SECRET_KEY, or in development a random key kept in the data folder.

        Never used as a key itself: each use gets a key of its own derived from it.
        """
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_urlsafe(48))
        return path.read_text().strip()


def derive_key(secret: str, purpose: str) -> str:
    """A key for one purpose only: HMAC-SHA256 of the purpose's label under the secret.

    Keys for different purposes are unrelated, so a key that leaks from one place (say
    the cookie key) cannot sign for another (login tokens), and SECRET_KEY stays unused.
    """
    label = f"beykusay/{purpose}/v1".encode()
    return hmac.new(secret.encode(), label, hashlib.sha256).hexdigest()


@lru_cache
def get_settings() -> Settings:
    return Settings()
