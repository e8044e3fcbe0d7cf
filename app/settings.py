"""One validated settings object, read from the environment inside ``create_app``.

Nothing reads the environment at import time: ``Settings.load`` is called by the app factory with
``os.environ`` merged with the explicit overrides a test or a script passes in.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me-0000000000"  # noqa: S105 - refused in production
# The audit chain's HMAC key outside production (demo, dev server, tests); refused in production.
DEV_AUDIT_KEY = "dev-only-insecure-audit-key-change-me-00000000000"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingsError(RuntimeError):
    """The environment does not describe a runnable deployment."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    DATABASE_URL: str | None = None
    # The role that owns the tables and runs `db upgrade` and `audit grant-app-role`; DATABASE_URL
    # (the application's role, with only INSERT and SELECT on audit_events) when unset.
    MIGRATION_DATABASE_URL: str | None = None
    SECRET_KEY: str | None = None
    # The audit chain's HMAC-SHA256 key: never stored in the database, so whoever can write the
    # database cannot re-hash a forged chain. Required in production; keep it with SECRET_KEY.
    AUDIT_KEY: str | None = None
    # Append-only JSON lines: each seal appends a signed checkpoint (latest sequence, hash, time) for
    # `flask audit verify --since-checkpoint FILE`. Unset: checkpoints go to the log only.
    AUDIT_CHECKPOINT_FILE: str | None = None
    FLASK_DEBUG: bool = False
    TESTING: bool = False
    PUBLIC_BASE_URL: str = "http://127.0.0.1:5000"
    REDIS_URL: str | None = None

    SMS_BACKEND: Literal["console", "twilio"] = "console"
    TWILIO_ACCOUNT_SID: str | None = None
    TWILIO_AUTH_TOKEN: str | None = None
    TWILIO_FROM_NUMBER: str | None = None
    TWILIO_API_BASE: str | None = None
    # Hours before a visit to send reminders; a reminder of 2 hours or less may go out in quiet hours.
    SMS_REMINDER_HOURS: tuple[int, ...] = (24, 2)
    # The outbox sender (scheduler job "notifications.dispatch"): how often it runs (each run drains
    # what is due, batch after batch), how long a claim on a batch lasts before another sender may
    # take the rows over (longer than a batch takes to send), and the first retry's delay (doubled
    # each time, with jitter).
    SMS_DISPATCH_SECONDS: int = Field(default=20, ge=1, le=3600)
    SMS_LEASE_SECONDS: int = Field(default=120, ge=5, le=3600)
    SMS_RETRY_BASE_SECONDS: float = Field(default=30, ge=0, le=3600)
    TWILIO_API_KEY_SID: str | None = None
    TWILIO_API_KEY_SECRET: str | None = None

    BILLING_BACKEND: Literal["dummy", "stripe"] = "dummy"
    STRIPE_SECRET_KEY: str | None = None
    STRIPE_WEBHOOK_SECRET: str | None = None
    STRIPE_PRICE_MONTHLY: str | None = None
    STRIPE_PRICE_ANNUAL: str | None = None
    STRIPE_API_BASE: str | None = None

    MAIL_BACKEND: Literal["console", "smtp"] = "console"
    MAIL_FROM: str = "Harbor Mind <no-reply@localhost>"
    SMTP_HOST: str | None = None
    SMTP_PORT: int = 587
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_STARTTLS: bool = True

    VIDEO_PROVIDER: Literal["jitsi", "twilio"] = "jitsi"
    VIDEO_BASE_URL: str = "https://meet.jit.si"
    # A Jitsi deployment with token authentication: each checked join gets a JWT for its one room.
    VIDEO_JITSI_APP_ID: str | None = None
    VIDEO_JITSI_APP_SECRET: str | None = None

    # None means "the default for how the process was started": on for `flask serve`, off elsewhere.
    SCHEDULER_ENABLED: bool | None = None

    SESSION_IDLE_MINUTES: int = Field(default=15, ge=1, le=24 * 60)
    SESSION_ABSOLUTE_HOURS: int = Field(default=12, ge=1, le=24 * 30)
    API_TOKEN_TTL_HOURS: int = Field(default=12, ge=1, le=24 * 90)
    LOGIN_FAILURE_LIMIT: str = "10 per 15 minutes"
    PASSWORD_RESET_LIMIT: str = "5 per 15 minutes"  # noqa: S105 (a rate, not a password)
    # A staff invitation's link works for this long (and once).
    INVITATION_TTL_HOURS: int = Field(default=72, ge=1, le=24 * 30)

    # CoCM minute bands per calendar month (CPT midpoint rule; payers differ). Checked together below.
    COCM_G2214_FROM: int = Field(default=16, ge=1, le=10_000)
    COCM_INITIAL_BASE_FROM: int = Field(default=36, ge=1, le=10_000)
    COCM_LATER_BASE_FROM: int = Field(default=31, ge=1, le=10_000)
    COCM_INITIAL_ADDON_FROM: int = Field(default=86, ge=1, le=10_000)
    COCM_LATER_ADDON_FROM: int = Field(default=76, ge=1, le=10_000)
    COCM_ADDON_STEP: int = Field(default=30, ge=1, le=10_000)

    @field_validator("FLASK_DEBUG", "TESTING", "SCHEDULER_ENABLED", "SMTP_STARTTLS", mode="before")
    @classmethod
    def _parse_bool(cls, value: Any) -> Any:
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
        return value

    @field_validator("SMS_REMINDER_HOURS", mode="before")
    @classmethod
    def _hours(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = tuple(int(part) for part in value.replace(" ", "").split(",") if part)
        if any(not 1 <= h <= 24 * 14 for h in value):
            raise ValueError("reminder hours must be between 1 and 336")
        return tuple(sorted(set(value), reverse=True))

    @model_validator(mode="after")
    def _cocm_bands_in_order(self) -> Settings:
        # The same order care_team's CocmBands insists on, checked here so a wrong environment stops start-up.
        g2214 = self.COCM_G2214_FROM
        for base, addon in ((self.COCM_INITIAL_BASE_FROM, self.COCM_INITIAL_ADDON_FROM),
                            (self.COCM_LATER_BASE_FROM, self.COCM_LATER_ADDON_FROM)):  # fmt: skip
            if not g2214 <= base < addon:
                raise ValueError("COCM_* minute bands: they must satisfy 0 < G2214 <= base < add-on")
        return self

    def cocm_band_minutes(self) -> dict[str, int]:
        """The CoCM minute thresholds as plain numbers, named as care_team's ``CocmBands`` fields: care_team
        builds its bands from them (``CocmBands(**settings.cocm_band_minutes())``)."""
        return {
            "g2214_from": self.COCM_G2214_FROM,
            "initial_base_from": self.COCM_INITIAL_BASE_FROM,
            "later_base_from": self.COCM_LATER_BASE_FROM,
            "initial_addon_from": self.COCM_INITIAL_ADDON_FROM,
            "later_addon_from": self.COCM_LATER_ADDON_FROM,
            "addon_step": self.COCM_ADDON_STEP,
        }

    @field_validator("PUBLIC_BASE_URL")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @classmethod
    def load(cls, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
        source: dict[str, Any] = dict(os.environ if environ is None else environ)
        source.update(overrides or {})
        # Empty strings in the environment mean "unset", as a shell user expects.
        cleaned = {k: v for k, v in source.items() if k in cls.model_fields and v != ""}
        try:
            return cls.model_validate(cleaned)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise SettingsError(f"invalid settings: {problems}") from exc

    def database_url(self, instance_path: str) -> str:
        if self.DATABASE_URL:
            return _with_driver(self.DATABASE_URL)
        return "sqlite:///" + os.path.join(instance_path, "clinic.sqlite3")

    def migration_database_url(self, instance_path: str) -> str:
        """The owner role's URL for migrations and grants; the application's when none is set."""
        if self.MIGRATION_DATABASE_URL:
            return _with_driver(self.MIGRATION_DATABASE_URL)
        return self.database_url(instance_path)

    @property
    def audit_key(self) -> bytes:
        return (self.AUDIT_KEY or DEV_AUDIT_KEY).encode()

    @property
    def is_production(self) -> bool:
        url = self.DATABASE_URL or ""
        return not self.FLASK_DEBUG and not self.TESTING and bool(url) and not url.startswith("sqlite")

    def check_deployable(self) -> None:
        """Production refuses to start with a missing or development secret key or audit key."""
        if not self.is_production:
            return
        for name, dev in (("SECRET_KEY", DEV_SECRET_KEY), ("AUDIT_KEY", DEV_AUDIT_KEY)):
            key = getattr(self, name) or ""
            if not key or key == dev or len(key) < 32:
                raise SettingsError(
                    f"{name} must be set to a random value of at least 32 characters in production "
                    "(FLASK_DEBUG off, non-SQLite DATABASE_URL). Generate one with: "
                    "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
                )
        if self.AUDIT_KEY == self.SECRET_KEY:
            raise SettingsError("AUDIT_KEY must differ from SECRET_KEY (each key has one job).")


def _with_driver(url: str) -> str:
    # Heroku-style URLs name the scheme "postgres"; SQLAlchemy wants the driver spelled out.
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url
