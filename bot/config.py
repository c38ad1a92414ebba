"""Settings from the environment and an optional ``.env``, validated once at start."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.rules.anomalies import Thresholds

if TYPE_CHECKING:
    from storage.db import Database

TOKEN_RE = re.compile(r"^\d{3,15}:[A-Za-z0-9_-]{30,64}$")


class Settings(BaseSettings):
    """Every setting, with the default that just works on one machine."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = Field(None, description="the token from @BotFather (required to run)")
    database_path: Path = Field(Path("data/bot.sqlite3"), description="the SQLite file (documents' files beside it)")
    database_url: str | None = Field(
        None, description="postgresql://user:password@host/db selects PostgreSQL instead of the SQLite file"
    )
    redis_url: str | None = Field(
        None, description="redis://host:6379/0: several webhook workers share one bot's updates (event isolation)"
    )
    telegram_api_url: str | None = Field(None, description="a self-hosted Bot API server, e.g. http://127.0.0.1:8081")
    telegram_api_is_local: bool = Field(False, description="the self-hosted server runs with --local (files by path)")
    mode: Literal["polling", "webhook"] = Field("polling", description="how updates arrive")
    webhook_url: str | None = Field(None, description="public https URL Telegram posts updates to (webhook mode)")
    webhook_secret: SecretStr | None = Field(None, description="checked in X-Telegram-Bot-Api-Secret-Token")
    webhook_host: str = Field("0.0.0.0", description="address the webhook server listens on")
    webhook_port: int = Field(8080, description="port the webhook server listens on")
    webhook_path: str = Field("/webhook", description="path of the webhook on that server")
    operator_ids: Annotated[frozenset[int], NoDecode] = Field(
        frozenset(), description="Telegram ids of the operators, comma-separated"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="logging level")
    throttle_per_second: float = Field(3.0, description="updates a person may send per second before being slowed")
    send_rate: float = Field(30.0, description="messages per second the sender sends in all")
    send_rate_per_chat: float = Field(1.0, description="messages per second to one chat")
    allow_paid_broadcast: bool = Field(
        False, description="paid broadcasts: up to 1000 msg/s at 0.1 Star a message (costs Stars)"
    )
    send_max_attempts: int = Field(5, description="attempts per message on network errors and 5xx before giving up")
    sender_lease_seconds: float = Field(30.0, description="a sender silent this long is dead; its rows are resent")
    reminder_late_minutes: int = Field(30, description="a reminder claimed later than this is skipped")
    tick_seconds: float = Field(5.0, description="how often the scheduler looks for due work")
    web_port: int | None = Field(None, description="publish the public pages on this port (off when unset)")
    web_host: str = Field("127.0.0.1", description="address the public pages listen on (polling mode)")
    public_url: str | None = Field(None, description="where people open the pages, e.g. https://aksai.kz/bot")
    web_trust_forwarded: bool = Field(False, description="behind a reverse proxy: the client is in X-Forwarded-For")
    web_rate_per_client: float = Field(
        5.0, description="page requests a second one client may make (burst: 4x; 0: no limit)"
    )
    anomaly_burst_min: int = Field(10, ge=1, description="contest anomalies: an hour over this many votes…")
    anomaly_burst_factor: float = Field(3.0, gt=0, description="…and over this times the village's median hour")
    anomaly_night_start: int = Field(0, ge=0, le=23, description="contest anomalies: night votes from this hour…")
    anomaly_night_end: int = Field(6, ge=0, le=24, description="…until this hour, local time")
    anomaly_new_account_hours: int = Field(24, ge=0, description="contest anomalies: voter first seen this recently")
    anomaly_minute_votes: int = Field(
        5, ge=2, description="contest anomalies: this many votes of a village in a minute"
    )
    telegram_timeout: float = Field(30.0, description="seconds a request to Telegram may take before it is tried again")
    chart_worker: bool = Field(True, description="draw charts in a short-lived process (false: in the bot's own)")
    log_format: Literal["text", "json"] = Field("text", description="text, or json: one JSON object per line")
    backup_dir: Path | None = Field(None, description="a daily backup into this folder (off when not set)")
    backup_keep: int = Field(7, ge=1, description="how many daily backups to keep")
    retention_idle_days: int = Field(1095, ge=30, description="people silent this long are anonymised")
    retention_days: int = Field(30, ge=1, description="sent messages and received updates are kept this long")
    vote_hash_key: SecretStr | None = Field(
        None, description="key of the hashes of deleted voters' numbers (else generated, kept in the database)"
    )

    def database(self) -> Database:
        """The database these settings name (not connected): PostgreSQL for a ``database_url``,
        else the SQLite file."""
        if self.database_url and self.database_url.startswith(("postgresql://", "postgres://")):
            from storage.postgres import open_database  # asyncpg only where it is used

            return open_database(self.database_url, path=self.database_path)
        from storage.db import Database

        return Database(self.database_url or self.database_path)

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not TOKEN_RE.match(value.get_secret_value().strip()):
            raise ValueError("BOT_TOKEN does not look like a token from @BotFather (digits:letters)")
        return value

    @field_validator("operator_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(int(part) for part in re.split(r"[,\s]+", value.strip()) if part)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _url_shape(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://", value):
            raise ValueError("TELEGRAM_API_URL must start with http:// or https://")
        return value.rstrip("/") if value else value

    @field_validator("public_url")
    @classmethod
    def _public_url_shape(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/?#\s]+(/[^?#\s]*)?$", value.strip()):
            raise ValueError("PUBLIC_URL must be an http:// or https:// address without ? or #")
        return value.strip().rstrip("/") if value else value

    @model_validator(mode="after")
    def _webhook_needs_url(self) -> Settings:
        if self.mode == "webhook" and not self.webhook_url:
            raise ValueError("MODE=webhook needs WEBHOOK_URL")
        return self

    def anomaly_thresholds(self) -> Thresholds:
        """The contest anomaly thresholds (``bot/rules/anomalies.py``)."""
        return Thresholds(
            burst_min=self.anomaly_burst_min,
            burst_factor=self.anomaly_burst_factor,
            night_start=self.anomaly_night_start,
            night_end=self.anomaly_night_end,
            new_hours=self.anomaly_new_account_hours,
            minute_votes=self.anomaly_minute_votes,
        )

    def token(self) -> str:
        """The token, or a clear error when it is missing."""
        if self.bot_token is None:
            raise MissingToken
        return self.bot_token.get_secret_value().strip()


class MissingToken(Exception):
    """BOT_TOKEN is not set."""


def describe_settings() -> str:
    """The settings table for ``--help``: name, default, meaning."""
    lines = []
    for name, field in Settings.model_fields.items():
        default = "" if field.default is None else str(field.default)
        if isinstance(field.default, frozenset):
            default = ""
        lines.append(f"  {name.upper():<24} {default:<20} {field.description or ''}")
    return "\n".join(lines)
