"""Scheduled work of initiatives."""

from __future__ import annotations

from bot.jobs import JobContext


async def tick(ctx: JobContext) -> None:
    """Claim what is due and queue its messages."""
