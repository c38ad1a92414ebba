"""Scheduled work of initiatives: staff reminders before a review deadline, and the daily digest
of new initiatives for staff who chose it instead of a notice per initiative."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.formatting import escape, format_day
from bot.i18n import in_all_languages
from bot.jobs import JobContext
from bot.rules import initiatives as rules
from storage import initiatives as store
from storage import people


async def tick(ctx: JobContext) -> None:
    """Claim what is due and queue its messages."""
    now = ctx.clock.now()
    await remind(ctx, now)
    await digests(ctx, now)


async def remind(ctx: JobContext, now: datetime) -> int:
    """Tell the district's staff once when an undecided initiative nears its deadline."""
    due = await store.claim_reminders(ctx.db, now)
    for initiative in due:
        staff = await people.staff_of(ctx.db, initiative.rural_district_id)
        if not staff:
            continue

        def render(i: store.Initiative = initiative) -> str:
            lang = str(ctx.i18n.current_locale)
            return _(
                "⏰ Initiative №{number} «{title}»: the review deadline is {date}. Please decide, or extend "
                "the review with a reason."
            ).format(number=i.number, title=escape(i.title), date=format_day(i.deadline_on, lang))

        await store.enqueue_staff(
            ctx.db,
            initiative.rural_district_id,
            staff,
            in_all_languages(ctx.i18n, render),
            now=now,
            source_id=initiative.id,
        )
    return len(due)


async def digests(ctx: JobContext, now: datetime) -> int:
    """Once a day, from the morning hour in the district's zone: what arrived since the last digest."""
    sent = 0
    for rural_district_id, tz in await store.districts_with_initiatives(ctx.db):
        local = now.astimezone(ZoneInfo(tz))
        if local.hour < rules.REMIND_HOUR:
            continue
        for person_id, since in await store.claim_digests(ctx.db, rural_district_id, local.date()):
            items = await store.submitted_between(ctx.db, rural_district_id, since, now)
            overdue = await store.overdue_count(ctx.db, rural_district_id, now)
            if items or overdue:

                def render(items: list[store.Initiative] = items, overdue: int = overdue) -> str:
                    lang = str(ctx.i18n.current_locale)
                    lines = [
                        ngettext(
                            "📰 {count} new initiative since the last digest:",
                            "📰 {count} new initiatives since the last digest:",
                            len(items),
                        ).format(count=len(items))
                    ]
                    lines += [f"№{i.number} «{escape(i.title)}» · {escape(i.village(lang))}" for i in items[:30]]
                    if overdue:
                        lines.append(
                            ngettext(
                                "⏰ {count} initiative is overdue", "⏰ {count} initiatives are overdue", overdue
                            ).format(count=overdue)
                        )
                    return "\n".join(lines)

                await store.enqueue_staff(
                    ctx.db, rural_district_id, [person_id], in_all_languages(ctx.i18n, render), now=now
                )
                sent += 1
            await store.digest_sent(ctx.db, person_id, now)
    return sent
