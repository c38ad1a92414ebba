"""The rural district's budget: residents see the figures, the self-sufficiency level and a chart;
staff enter revenues by source and spending by programme for a year."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.charts import draw as draw_chart
from bot.config import Settings
from bot.formatting import escape, format_money, format_share, local
from bot.i18n import N_
from bot.keyboards import budget as kb
from bot.keyboards.admin import AdminMenu
from bot.keyboards.budget import AdmBud, BAct, Bud
from bot.keyboards.common import back_button, inline, menu_button
from bot.keyboards.documents import DocNav, Nav
from bot.rules.clock import Clock
from bot.rules.documents import (
    DECREE_TARGETS,
    REVENUE_SOURCES,
    SPENDING_PROGRAMMES,
    parse_amount,
    parse_percent,
    self_sufficiency,
)
from bot.rules.errors import NotAllowed, NotFound
from handlers.common import NotMenu, target
from storage import budget as budgets
from storage import documents as docs
from storage import places
from storage.audit import Actor
from storage.budget import Budget
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)  # resident screens (filtered Onboarded where composed)
admin_router = Router(name=__name__ + ".admin")  # staff screens (filtered IsStaff where composed)


class BudgetForm(StatesGroup):
    name = State()
    amount = State()
    target = State()


async def admin_summary(db: Database, rural_district_id: int, clock: Clock) -> str | None:
    """Nothing waits on the budget."""
    return None


def _label(line: budgets.Line, lang: str) -> str:
    return kb.line_label(line.code, line.name_kk, line.name_ru, lang)


def render_budget(budget: Budget, rural_district: str, lang: str) -> str:
    """The figures in tenge, the self-sufficiency level with its formula, and the year's target."""
    money = lambda amount: format_money(amount, lang)  # noqa: E731
    lines = [
        _("<b>Budget of {rural_district} for {year}</b>").format(
            rural_district=escape(rural_district), year=budget.year
        ),
        "",
    ]
    lines.append(_("<b>Revenues: {amount}</b>").format(amount=money(budget.total_revenue)))
    for source, title, total in (
        ("own", _("Own revenues: {amount}"), budget.own),
        ("transfer", _("Transfers from above: {amount}"), budget.transfers),
    ):
        items = [line for line in budget.revenues() if line.source == source]
        if not items:
            continue
        lines.append(title.format(amount=money(total)))
        lines += [f"  • {escape(_label(line, lang))}: {money(line.amount)}" for line in items]
    lines += ["", _("<b>Spending: {amount}</b>").format(amount=money(budget.total_spending))]
    lines += [f"  • {escape(_label(line, lang))}: {money(line.amount)}" for line in budget.spending()]
    level = self_sufficiency(budget.own, budget.total_spending, budget.year, budget.target)
    lines.append("")
    if level.share is None:
        lines.append(_("Self-sufficiency cannot be counted yet: no spending is entered."))
    else:
        lines.append(_("<b>Self-sufficiency: {share}</b>").format(share=format_share(level.share, lang)))
        lines.append(
            _("= own revenues ÷ spending = {own} ÷ {spending}").format(
                own=money(level.own), spending=money(level.spending)
            )
        )
    if level.target is None:
        lines.append(_("No self-sufficiency target is set for {year}.").format(year=budget.year))
    else:
        if budget.year in DECREE_TARGETS:
            lines.append(
                _("Target for {year} set by the Concept of local self-government: {target}").format(
                    year=budget.year, target=format_share(level.target, lang, 0)
                )
            )
        else:
            lines.append(
                _("Target for {year} set by the akim's office: {target}").format(
                    year=budget.year, target=format_share(level.target, lang)
                )
            )
        if level.reached is True:
            lines.append(_("✅ The target is reached."))
        elif level.reached is False:
            lines.append(_("⏳ The target is not reached yet."))
    return "\n".join(lines)


async def chart_png(budget: Budget, rural_district: str, lang: str, settings: Settings) -> bytes:
    return await draw_chart(
        title=_("Budget of {rural_district}, {year}").format(rural_district=rural_district, year=budget.year),
        revenue_title=_("Revenues by source"),
        spending_title=_("Spending by programme"),
        revenues=[(_label(line, lang), line.amount, line.source == "own") for line in budget.revenues()],
        spending=[(_label(line, lang), line.amount) for line in budget.spending()],
        legend_own=_("own revenues"),
        legend_transfer=_("transfers from above"),
        lang=lang,
        in_process=not settings.chart_worker,
    )


async def _district_name(db: Database, person: Person) -> str:
    rd = await places.rural_district(db, person.rural_district_id)
    return rd.name(person.language) if rd else "—"


@router.callback_query(Bud.filter())
async def show_budget(
    query: CallbackQuery, callback_data: Bud, person: Person, db: Database, settings: Settings
) -> None:
    """A year's budget (the newest by default), or its chart."""
    assert person.rural_district_id is not None
    await query.answer()
    years = await budgets.years(db, person.rural_district_id)
    year = callback_data.year or (years[0] if years else 0)
    budget = await budgets.get(db, person.rural_district_id, year) if year else None
    back = DocNav(to=Nav.HOME).pack()
    citizen = await docs.latest(db, person.rural_district_id, "citizen_budget", year or None)
    if budget is None or not budget.lines:
        text = _("The budget has not been published in the bot yet.")
        markup = inline([[back_button(back), menu_button()]])
        if citizen is not None:
            markup = kb.budget_keyboard(0, [], citizen.id, back, chart=False)
        await target(query).answer(text, reply_markup=markup)
        return
    name = await _district_name(db, person)
    markup = kb.budget_keyboard(year, years, citizen.id if citizen else None, back)
    if callback_data.chart:
        png = await chart_png(budget, name, person.language, settings)
        await target(query).answer_photo(
            BufferedInputFile(png, filename=f"budget-{year}.png"),
            caption=_("Budget of {rural_district}, {year}").format(rural_district=escape(name), year=year),
            reply_markup=markup,
        )
        return
    await target(query).answer(render_budget(budget, name, person.language), reply_markup=markup)


# -- staff ------------------------------------------------------------------------------------


async def _this_year(db: Database, person: Person, clock: Clock) -> int:
    rd = await places.rural_district(db, person.rural_district_id)
    return local(clock.now(), rd.timezone if rd else "Asia/Almaty").year


@admin_router.callback_query(AdminMenu.filter(F.section == "budget"))
async def admin_budget_home(
    query: CallbackQuery, person: Person, db: Database, clock: Clock, state: FSMContext
) -> None:
    """Choose the year to enter."""
    await query.answer()
    await state.clear()
    year = await _this_year(db, person, clock)
    await target(query).answer(
        _("<b>Budget</b>\nWhich year's budget do you want to enter?"),
        reply_markup=kb.admin_years([year - 1, year, year + 1]),
    )


async def _admin_year(message: Message, db: Database, person: Person, year: int) -> None:
    assert person.rural_district_id is not None
    budget = await budgets.get(db, person.rural_district_id, year)
    if budget is None or not budget.lines:
        text = _(
            "<b>Budget for {year}</b>\nNothing is entered yet. Add revenues by source and spending by programme."
        ).format(year=year)
    else:
        text = render_budget(budget, await _district_name(db, person), person.language)
    await message.answer(text, reply_markup=kb.admin_budget(year, can_set_target=year > max(DECREE_TARGETS)))


def _check_year(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise NotFound(N_("This year is not available."))
    return year


@admin_router.callback_query(AdmBud.filter(F.act == BAct.YEAR))
async def admin_year(
    query: CallbackQuery, callback_data: AdmBud, person: Person, db: Database, state: FSMContext
) -> None:
    """A year's budget as entered, with buttons to add lines."""
    await query.answer()
    await state.clear()
    await _admin_year(target(query), db, person, _check_year(callback_data.year))


@admin_router.callback_query(AdmBud.filter(F.act.in_({BAct.REVENUE, BAct.SPENDING})))
async def admin_pick(query: CallbackQuery, callback_data: AdmBud) -> None:
    """Choose a revenue source or a spending programme."""
    await query.answer()
    year = _check_year(callback_data.year)
    if callback_data.act is BAct.REVENUE:
        await target(query).answer(
            _("Which revenue source?"), reply_markup=kb.admin_codes(year, tuple(REVENUE_SOURCES), other=False)
        )
    else:
        await target(query).answer(
            _("Which spending programme?"), reply_markup=kb.admin_codes(year, SPENDING_PROGRAMMES, other=True)
        )


@admin_router.callback_query(AdmBud.filter(F.act == BAct.LINE))
async def admin_line(query: CallbackQuery, callback_data: AdmBud, state: FSMContext) -> None:
    """A known source or programme: ask for the amount."""
    code = callback_data.code
    if code is None:
        raise NotFound(N_("This year is not available."))
    await query.answer()
    year = _check_year(callback_data.year)
    await state.set_state(BudgetForm.amount)
    await state.set_data({"year": year, "code": str(code)})
    await target(query).answer(
        _("{line}, {year}: send the amount in tenge, for example 1 500 000. Send 0 to remove the line.").format(
            line=_(kb.LINE_LABELS[code]), year=year
        ),
        reply_markup=kb.admin_cancel(year),
    )


@admin_router.callback_query(AdmBud.filter(F.act == BAct.OTHER))
async def admin_other(query: CallbackQuery, callback_data: AdmBud, state: FSMContext) -> None:
    """Another programme: ask for its name first."""
    await query.answer()
    year = _check_year(callback_data.year)
    await state.set_state(BudgetForm.name)
    await state.set_data({"year": year})
    await target(query).answer(
        _("Send the programme's name. Give both languages separated by «/»: Kazakh / Russian."),
        reply_markup=kb.admin_cancel(year),
    )


@admin_router.message(BudgetForm.name, F.text, NotMenu())
async def admin_name(message: Message, state: FSMContext) -> None:
    """The programme's name in one or both languages."""
    assert message.text is not None
    kk, _sep, ru = message.text.partition("/")
    kk, ru = " ".join(kk.split())[:100], " ".join(ru.split())[:100]
    if not kk and not ru:
        await message.answer(_("Please send the programme's name."))
        return
    data = await state.get_data()
    await state.update_data(name_kk=kk, name_ru=ru)
    await state.set_state(BudgetForm.amount)
    await message.answer(
        _("Send the amount in tenge, for example 1 500 000. Send 0 to remove the line."),
        reply_markup=kb.admin_cancel(int(data["year"])),
    )


@admin_router.message(BudgetForm.amount, F.text, NotMenu())
async def admin_amount(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """Store the line (replacing an earlier amount of the same source or programme)."""
    assert message.text is not None and person.rural_district_id is not None
    amount = parse_amount(message.text)
    data = await state.get_data()
    year = int(data["year"])
    if amount is None:
        await message.answer(
            _("Please send a whole number of tenge, for example 1 500 000."), reply_markup=kb.admin_cancel(year)
        )
        return
    code = data.get("code")
    await budgets.set_line(
        db,
        Actor.of(person),
        rural_district_id=person.rural_district_id,
        year=year,
        side="revenue" if code in REVENUE_SOURCES else "spending",
        amount=amount,
        source=REVENUE_SOURCES.get(code or ""),
        code=code,
        name_kk=data.get("name_kk", ""),
        name_ru=data.get("name_ru", ""),
    )
    await state.clear()
    await message.answer(_("Saved."))
    await _admin_year(message, db, person, year)


@admin_router.callback_query(AdmBud.filter(F.act == BAct.TARGET))
async def admin_target_start(query: CallbackQuery, callback_data: AdmBud, state: FSMContext) -> None:
    """The self-sufficiency target for a year the decree sets none."""
    year = _check_year(callback_data.year)
    if year in DECREE_TARGETS or year < min(DECREE_TARGETS):
        raise NotAllowed(N_("The target for this year is set by the decree."))
    await query.answer()
    await state.set_state(BudgetForm.target)
    await state.set_data({"year": year})
    await target(query).answer(
        _("Send the self-sufficiency target for {year} in percent, for example 35. Send 0 to remove it.").format(
            year=year
        ),
        reply_markup=kb.admin_cancel(year),
    )


@admin_router.message(BudgetForm.target, F.text, NotMenu())
async def admin_target(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """Store the target."""
    assert message.text is not None and person.rural_district_id is not None
    year = int((await state.get_data())["year"])
    removed = message.text.strip() in {"0", "0%", "0 %"}
    value = None if removed else parse_percent(message.text)
    if value is None and not removed:
        await message.answer(
            _("Please send a percent between 1 and 100, for example 35."), reply_markup=kb.admin_cancel(year)
        )
        return
    await budgets.set_target(db, Actor.of(person), rural_district_id=person.rural_district_id, year=year, target=value)
    await state.clear()
    await message.answer(_("Saved."))
    await _admin_year(message, db, person, year)


@admin_router.message(BudgetForm.name)
@admin_router.message(BudgetForm.amount)
@admin_router.message(BudgetForm.target)
async def admin_form_other(message: Message) -> None:
    await message.answer(_("Please send text, or /cancel."))
