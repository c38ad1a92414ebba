"""The staff add the projects of a draft contest in eight steps: titles and descriptions in both
languages, the category, the village, the cost, a photo."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.formatting import escape, format_money
from bot.i18n import N_
from bot.keyboards import contests as kb
from bot.keyboards.contests import AdmAct, AdminContestCb, FormAct, FormCb, ProjectCb
from bot.rules import contests as rules
from bot.rules.clock import Clock
from bot.rules.errors import DomainError, NotFound
from handlers.common import target
from handlers.contests.running import show_card
from handlers.contests.steps import PROJECT_DESCRIPTION_MAX, TITLE_MAX, Step, take
from storage import contests, places
from storage.audit import Actor
from storage.contests import Contest
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)


class NewProject(StatesGroup):
    title_kk = State()
    title_ru = State()
    description_kk = State()
    description_ru = State()
    category = State()
    village = State()
    cost = State()
    photo = State()


_TOO_LONG = N_("Please send text, at most {limit} characters.")
_STEPS = {
    NewProject.title_kk.state: Step(
        "title_kk",
        TITLE_MAX,
        _TOO_LONG,
        NewProject.title_ru,
        N_("Step 2 of 8. Send the project's title <b>in Russian</b>, or skip."),
    ),
    NewProject.title_ru.state: Step(
        "title_ru",
        TITLE_MAX,
        _TOO_LONG,
        NewProject.description_kk,
        N_("Step 3 of 8. Send a short description <b>in Kazakh</b>, or skip."),
    ),
    NewProject.description_kk.state: Step(
        "description_kk",
        PROJECT_DESCRIPTION_MAX,
        _TOO_LONG,
        NewProject.description_ru,
        N_("Step 4 of 8. Send a short description <b>in Russian</b>, or skip."),
    ),
    NewProject.description_ru.state: Step("description_ru", PROJECT_DESCRIPTION_MAX, _TOO_LONG, NewProject.category),
}
_TEXTS = StateFilter(*(NewProject.title_kk, NewProject.title_ru, NewProject.description_kk, NewProject.description_ru))
_NO_TITLE = N_("A project needs a title in at least one language. Please send it.")


async def start_project(message: Message, state: FSMContext, contest_id: int) -> None:
    """The first step of a new project of this draft."""
    await state.set_state(NewProject.title_kk)
    await state.set_data({"contest": contest_id})
    await message.answer(
        _("<b>Project</b>, step 1 of 8. Send its title <b>in Kazakh</b>, or skip."), reply_markup=kb.skip_keyboard()
    )


@router.callback_query(AdminContestCb.filter(F.act == AdmAct.ADD_PROJECT))
async def add_project(
    query: CallbackQuery, callback_data: AdminContestCb, person: Person, db: Database, state: FSMContext
) -> None:
    """Another project for a draft contest."""
    contest = await contests.get(db, callback_data.id, person.rural_district_id or 0)
    if contest.status == "closed":
        raise DomainError(N_("Projects can only be added while the contest is a draft."))
    await _unfrozen(db, contest)
    await query.answer()
    await start_project(target(query), state, contest.id)


@router.callback_query(NewProject.title_kk, FormCb.filter(F.act == FormAct.MORE))
async def more_projects(query: CallbackQuery, state: FSMContext) -> None:
    """«Another project» after one was added."""
    await query.answer()
    await start_project(target(query), state, int((await state.get_data())["contest"]))


async def _after_texts(message: Message, step: Step | None) -> None:
    if step is not None and step.following == NewProject.category:
        await message.answer(_("Step 5 of 8. Choose the category."), reply_markup=kb.categories_keyboard())


@router.message(_TEXTS)
async def project_text(message: Message, state: FSMContext) -> None:
    """A title or description of the project in one language."""
    await _after_texts(message, await take(message, state, _STEPS, _NO_TITLE))


@router.callback_query(_TEXTS, FormCb.filter(F.act == FormAct.SKIP))
async def project_skip(query: CallbackQuery, state: FSMContext) -> None:
    """Leave this language empty."""
    await query.answer()
    await _after_texts(target(query), await take(target(query), state, _STEPS, _NO_TITLE, skipped=True))


@router.callback_query(NewProject.category, FormCb.filter(F.act == FormAct.CATEGORY))
async def project_category(
    query: CallbackQuery, callback_data: FormCb, person: Person, db: Database, state: FSMContext
) -> None:
    """The category; then the village."""
    if callback_data.category is None:
        raise NotFound(N_("This choice is no longer available."))
    await query.answer()
    await state.update_data(category=callback_data.category.value)
    await state.set_state(NewProject.village)
    data = await state.get_data()
    covered = set(await contests.covered(db, int(data["contest"])))
    villages = [v for v in await places.villages(db, person.rural_district_id or 0) if v.id in covered]
    await target(query).answer(
        _("Step 6 of 8. Where is the project?"), reply_markup=kb.project_village_keyboard(villages, person.language)
    )


@router.callback_query(NewProject.village, FormCb.filter(F.act == FormAct.PLACE))
async def project_village(
    query: CallbackQuery, callback_data: FormCb, person: Person, db: Database, state: FSMContext
) -> None:
    """The village (or the whole rural district); then the cost."""
    village_id = callback_data.village
    if village_id and await places.village_in(db, person.rural_district_id or 0, village_id) is None:
        raise NotFound(N_("This village is not in your rural district."))
    await query.answer()
    await state.update_data(village=village_id or None)
    await state.set_state(NewProject.cost)
    await target(query).answer(
        _("Step 7 of 8. The estimated cost in whole tenge, for example 2 400 000."), reply_markup=kb.cancel_keyboard()
    )


@router.message(NewProject.cost)
async def project_cost(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The cost: more than zero, and not more than all the contest's money."""
    cost = rules.parse_money(message.text)
    data = await state.get_data()
    contest = await contests.get(db, int(data["contest"]), person.rural_district_id or 0)
    if not cost:
        await message.answer(
            _("Please send the cost as a whole number of tenge greater than zero."), reply_markup=kb.cancel_keyboard()
        )
        return
    if cost > contest.budget:
        await message.answer(
            _(
                "The cost is more than all the money of the contest ({budget}): such a project "
                "could never be funded. Please check the amount."
            ).format(budget=format_money(contest.budget, person.language)),
            reply_markup=kb.cancel_keyboard(),
        )
        return
    await state.update_data(cost=cost)
    await state.set_state(NewProject.photo)
    await message.answer(
        _("Step 8 of 8. Send a photo of the place or a sketch of the project, or skip."),
        reply_markup=kb.skip_keyboard(),
    )


async def _save_project(message: Message, person: Person, db: Database, state: FSMContext, photo: str | None) -> None:
    data = await state.get_data()
    contest_id = int(data["contest"])
    await contests.add_project(
        db,
        Actor.of(person),
        contest_id=contest_id,
        titles=(data.get("title_kk", ""), data.get("title_ru", "")),
        descriptions=(data.get("description_kk", ""), data.get("description_ru", "")),
        category=data["category"],
        village_id=data.get("village"),
        cost=int(data["cost"]),
        photo_file_id=photo,
    )
    await state.set_state(NewProject.title_kk)
    await state.set_data({"contest": contest_id})
    count = len(await contests.projects(db, contest_id))
    await message.answer(
        ngettext(
            "The project is added. The contest has {count} project.",
            "The project is added. The contest has {count} projects.",
            count,
        ).format(count=count),
        reply_markup=kb.more_projects_keyboard(contest_id),
    )


@router.message(NewProject.photo, F.photo)
async def project_photo(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The photo (the largest size Telegram made)."""
    assert message.photo
    await _save_project(message, person, db, state, message.photo[-1].file_id)


@router.callback_query(NewProject.photo, FormCb.filter(F.act == FormAct.SKIP))
async def project_no_photo(query: CallbackQuery, person: Person, db: Database, state: FSMContext) -> None:
    """No photo."""
    await query.answer()
    await _save_project(target(query), person, db, state, None)


@router.message(NewProject.photo)
async def project_not_photo(message: Message) -> None:
    """Something other than a photo."""
    await message.answer(_("Please send a photo, or press «Skip»."), reply_markup=kb.skip_keyboard())


# --- before the first vote: a project's cost, the ballot's K ------------------------------------


class Edit(StatesGroup):
    cost = State()  # data: contest, project
    choices = State()  # data: contest


async def _unfrozen(db: Database, contest: Contest) -> None:
    """The same refusal the write gives, before anything is asked."""
    first = await contests.frozen_at(db, contest.id)
    if first is not None:
        raise DomainError(rules.FROZEN, at=await contests.local_stamp(db, contest.rural_district_id, first))
    if contest.status == "closed":
        raise DomainError(rules.FROZEN_CLOSED)


@router.callback_query(AdminContestCb.filter(F.act == AdmAct.COST))
async def cost_projects(query: CallbackQuery, callback_data: AdminContestCb, person: Person, db: Database) -> None:
    """Which project's cost changes."""
    contest = await contests.get(db, callback_data.id, person.rural_district_id or 0)
    await _unfrozen(db, contest)
    await query.answer()
    items = [
        (p.id, f"{p.title(person.language)} · {format_money(p.cost, person.language)}")
        for p in await contests.projects(db, contest.id)
    ]
    await target(query).answer(
        _("Whose cost changes?"), reply_markup=kb.admin_projects_keyboard(contest.id, items, AdmAct.COST)
    )


@router.callback_query(ProjectCb.filter(F.act == AdmAct.COST))
async def ask_cost(
    query: CallbackQuery, callback_data: ProjectCb, person: Person, db: Database, state: FSMContext
) -> None:
    """The new cost of one project."""
    contest = await contests.get(db, callback_data.contest, person.rural_district_id or 0)
    project = await contests.project(db, contest.id, callback_data.project)
    await _unfrozen(db, contest)
    await query.answer()
    await state.set_state(Edit.cost)
    await state.set_data({"contest": contest.id, "project": project.id})
    await target(query).answer(
        _("The new estimated cost of «{title}» in whole tenge (now {cost}).").format(
            title=escape(project.title(person.language)), cost=format_money(project.cost, person.language)
        ),
        reply_markup=kb.cancel_keyboard(),
    )


@router.message(Edit.cost)
async def new_cost(message: Message, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    cost = rules.parse_money(message.text)
    if not cost:
        await message.answer(
            _("Please send the cost as a whole number of tenge greater than zero."), reply_markup=kb.cancel_keyboard()
        )
        return
    data = await state.get_data()
    await state.clear()
    await contests.set_cost(
        db, Actor.of(person), contest_id=int(data["contest"]), project_id=int(data["project"]), cost=cost
    )
    await message.answer(_("The cost is changed."))
    await show_card(message, person, db, clock, int(data["contest"]))


@router.callback_query(AdminContestCb.filter(F.act == AdmAct.CHOICES))
async def ask_choices(
    query: CallbackQuery, callback_data: AdminContestCb, person: Person, db: Database, state: FSMContext
) -> None:
    """How many projects a voter may choose."""
    contest = await contests.get(db, callback_data.id, person.rural_district_id or 0)
    await _unfrozen(db, contest)
    await query.answer()
    await state.set_state(Edit.choices)
    await state.set_data({"contest": contest.id})
    await target(query).answer(
        _(
            "How many projects may each voter choose? Send 1 for the usual ballot (one project), or 2 and more "
            "for an approval ballot. Now: {k}."
        ).format(k=contest.max_choices),
        reply_markup=kb.cancel_keyboard(),
    )


@router.message(Edit.choices)
async def new_choices(message: Message, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    text = (message.text or "").strip()
    data = await state.get_data()
    if not text.isdigit() or len(text) > 2:
        await message.answer(_("Please send a whole number, for example 1 or 3."), reply_markup=kb.cancel_keyboard())
        return
    await contests.set_max_choices(db, Actor.of(person), contest_id=int(data["contest"]), max_choices=int(text))
    await state.clear()
    await message.answer(_("The ballot is changed."))
    await show_card(message, person, db, clock, int(data["contest"]))
