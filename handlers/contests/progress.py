"""Following the money of a funded project: staff post its stages (started, half done, finished)
with photos and a location; its voters and its village are told; residents read the stages and,
once it is finished, answer «done as promised» or «there is a problem» with one tap.

``staff_router`` is composed into the admin router, ``router`` into the residents' one."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape, format_datetime
from bot.i18n import N_, in_all_languages
from bot.keyboards.common import cancel_button, inline
from bot.keyboards.contests import (
    STAGE_LABELS,
    Act,
    AdmAct,
    AdminContestCb,
    ContestCb,
    FormAct,
    FormCb,
    ProjectCb,
    admin_projects_keyboard,
    cancel_keyboard,
    progress_buttons,
    progress_keyboard,
    stages_keyboard,
)
from bot.rules.clock import Clock
from bot.rules.contests import Phase
from bot.rules.errors import DomainError, NotFound
from handlers.common import Has, NotMenu, target
from storage import contests, progress
from storage.audit import Actor
from storage.contests import Contest, Project
from storage.db import Database
from storage.people import Person
from storage.places import timezone

router = Router(name=__name__)
staff_router = Router(name=__name__ + ".staff")
MAX_PHOTOS = 5
NOTE_MAX = 1000


class Post(StatesGroup):
    collect = State()  # data: contest, project, stage, photos, location, note


class Problem(StatesGroup):
    text = State()  # data: contest, project


def _stage_lines(stages: list[progress.Stage], tz: str, lang: str) -> list[str]:
    lines = []
    for stage in stages:
        line = f"{_(STAGE_LABELS[stage.stage])} · {format_datetime(stage.posted_at, tz, lang)}"
        if stage.photos:
            line += f" · 📷 {len(stage.photos)}"
        lines.append(line)
        if stage.note:
            lines.append("    " + escape(stage.note))
        if stage.latitude is not None and stage.longitude is not None:
            url = f"https://www.openstreetmap.org/?mlat={stage.latitude:.5f}&mlon={stage.longitude:.5f}"
            lines.append(f"    📍 {escape(url)}")
    return lines


async def _funded(db: Database, contest: Contest) -> list[Project]:
    results = await contests.results(db, contest)
    funded = {r.project_id for r in results.ranked if r.funded}
    return [p for p in await contests.projects(db, contest.id) if p.id in funded]


# --- staff ------------------------------------------------------------------------------------


@staff_router.callback_query(AdminContestCb.filter(F.act == AdmAct.PROGRESS))
async def funded_projects(
    query: CallbackQuery, callback_data: AdminContestCb, person: Person, db: Database, clock: Clock
) -> None:
    """The funded projects of a closed contest, to report their progress."""
    contest = await contests.get(db, callback_data.id, person.rural_district_id or 0)
    if contest.phase(clock.now()) is not Phase.CLOSED:
        raise DomainError(N_("Progress is reported only for funded projects of a closed contest."))
    await query.answer()
    items = [(p.id, p.title(person.language)) for p in await _funded(db, contest)]
    text = _("📍 <b>Progress of funded projects</b>") if items else _("No project of this contest is funded.")
    await target(query).answer(text, reply_markup=admin_projects_keyboard(contest.id, items, AdmAct.PROGRESS))


@staff_router.callback_query(ProjectCb.filter((F.act == AdmAct.PROGRESS) & (F.stage == "")))
async def staff_project(query: CallbackQuery, callback_data: ProjectCb, person: Person, db: Database) -> None:
    """A funded project: its stages, the residents' verdict (counts and the problems written), the next stage."""
    contest = await contests.get(db, callback_data.contest, person.rural_district_id or 0)
    project = await contests.project(db, contest.id, callback_data.project)
    await query.answer()
    lang, tz = person.language, await timezone(db, contest.rural_district_id)
    verdict = await progress.verdict(db, project.id)
    lines = [f"📍 <b>{escape(project.title(lang))}</b>", *_stage_lines(await progress.stages(db, project.id), tz, lang)]
    lines += [
        "",
        _("Residents' verdict: 👍 done as promised {done}, ⚠️ a problem {problems}.").format(
            done=verdict.done, problems=verdict.problems
        ),
    ]
    for at, body in verdict.described:
        lines.append(f"· {format_datetime(at, tz, lang)}: {escape(body)}")
    lines += ["", _("Post a stage: residents who voted for it and its village are told.")]
    await target(query).answer("\n".join(lines), reply_markup=stages_keyboard(contest.id, project.id))


def _collect_keyboard() -> InlineKeyboardMarkup:
    return inline(
        [
            [InlineKeyboardButton(text=_("📣 Publish"), callback_data=FormCb(act=FormAct.CONFIRM).pack())],
            [cancel_button()],
        ]
    )


@staff_router.callback_query(ProjectCb.filter((F.act == AdmAct.PROGRESS) & (F.stage != "")))
async def start_post(
    query: CallbackQuery, callback_data: ProjectCb, person: Person, db: Database, state: FSMContext
) -> None:
    """A stage: then photos, a location and a note, each optional, then publish."""
    if callback_data.stage not in progress.STAGES:
        raise NotFound(N_("This choice is no longer available."))
    contest = await contests.get(db, callback_data.contest, person.rural_district_id or 0)
    await contests.project(db, contest.id, callback_data.project)
    await query.answer()
    await state.set_state(Post.collect)
    await state.set_data(
        {"contest": contest.id, "project": callback_data.project, "stage": callback_data.stage, "photos": []}
    )
    await target(query).answer(
        _(
            "Stage «{stage}». Send photos (up to {count}), the location (📎 → Location) and a short note, "
            "in any order; then press «Publish»."
        ).format(stage=_(STAGE_LABELS[callback_data.stage]), count=MAX_PHOTOS),
        reply_markup=_collect_keyboard(),
    )


@staff_router.message(StateFilter(Post.collect), Has("photo"))
async def post_photo(message: Message, state: FSMContext) -> None:
    assert message.photo
    photos: list[str] = (await state.get_data()).get("photos", [])
    if len(photos) >= MAX_PHOTOS:
        await message.answer(_("At most {count} photos.").format(count=MAX_PHOTOS), reply_markup=_collect_keyboard())
        return
    photos.append(message.photo[-1].file_id)
    await state.update_data(photos=photos)
    await message.answer(_("Photo {number} added.").format(number=len(photos)), reply_markup=_collect_keyboard())


@staff_router.message(StateFilter(Post.collect), Has("location"))
async def post_location(message: Message, state: FSMContext) -> None:
    assert message.location is not None
    await state.update_data(location=[message.location.latitude, message.location.longitude])
    await message.answer(_("Location added."), reply_markup=_collect_keyboard())


@staff_router.message(StateFilter(Post.collect), NotMenu())
async def post_note(message: Message, state: FSMContext) -> None:
    text = (message.text or "").strip()
    if not text or len(text) > NOTE_MAX:
        await message.answer(
            _("Please send text, at most {limit} characters.").format(limit=NOTE_MAX), reply_markup=_collect_keyboard()
        )
        return
    await state.update_data(note=text)
    await message.answer(_("Note added."), reply_markup=_collect_keyboard())


@staff_router.callback_query(StateFilter(Post.collect), FormCb.filter(F.act == FormAct.CONFIRM))
async def publish_stage(
    query: CallbackQuery, person: Person, db: Database, clock: Clock, i18n: I18n, state: FSMContext
) -> None:
    """Store the stage and tell the project's voters and village."""
    data = await state.get_data()
    contest = await contests.get(db, int(data["contest"]), person.rural_district_id or 0)
    stage, note = str(data["stage"]), data.get("note")

    def render(project: Project) -> dict[str, str]:
        def one() -> str:
            lang = str(i18n.current_locale)
            lines = [
                _("📍 <b>{title}</b>: {stage}").format(title=escape(project.title(lang)), stage=_(STAGE_LABELS[stage])),
                _("A project of the contest «{contest}», funded by the residents' votes.").format(
                    contest=escape(contest.title(lang))
                ),
            ]
            if note:
                lines.append(escape(note))
            if stage == "finished":
                lines.append(_("Is it done as promised? Open the project's progress and answer with one tap."))
            return "\n".join(lines)

        return in_all_languages(i18n, one)

    location = data.get("location")
    told = await progress.post(
        db,
        Actor.of(person),
        contest_id=contest.id,
        project_id=int(data["project"]),
        stage=stage,
        note=note,
        photos=list(data.get("photos", [])),
        location=(float(location[0]), float(location[1])) if location else None,
        now=clock.now(),
        texts=render,
        buttons=in_all_languages(i18n, lambda: progress_buttons(contest.id, int(data["project"]))),
    )
    await state.clear()
    await query.answer()
    await target(query).answer(
        _("Published. Residents told: {count}.").format(count=told),
        reply_markup=admin_projects_keyboard(contest.id, [], AdmAct.PROGRESS),
    )


# --- residents ----------------------------------------------------------------------------------


@router.callback_query(ContestCb.filter(F.act == Act.PROGRESS))
async def show_progress(query: CallbackQuery, callback_data: ContestCb, person: Person, db: Database) -> None:
    """A funded project's stages; when it is finished, its village's residents answer with one tap."""
    contest = await contests.for_resident(db, callback_data.contest, person.rural_district_id or 0)
    project = await contests.project(db, contest.id, callback_data.project)
    await query.answer()
    lang, tz = person.language, await timezone(db, contest.rural_district_id)
    stages = await progress.stages(db, project.id)
    lines = [f"📍 <b>{escape(project.title(lang))}</b>"]
    lines += _stage_lines(stages, tz, lang) or [_("No progress is reported yet.")]
    finished = any(s.stage == "finished" for s in stages)
    villages = [project.village_id] if project.village_id else await contests.covered(db, contest.id)
    may_answer = finished and person.village_id in villages
    if may_answer:
        mine = await progress.my_answer(db, project.id, person.id)
        lines.append("")
        if mine == "done":
            lines.append(_("Your answer: done as promised. You can change it."))
        elif mine == "problem":
            lines.append(_("Your answer: there is a problem. You can change it."))
        else:
            lines.append(_("Is it done as promised?"))
    photos = [photo for stage in stages for photo in stage.photos]
    if photos:
        await target(query).answer_photo(photos[-1], caption=escape(project.title(lang))[:1000])
    await target(query).answer(
        "\n".join(lines), reply_markup=progress_keyboard(contest.id, project.id, may_answer=may_answer)
    )


@router.callback_query(ContestCb.filter(F.act.in_({Act.DONE, Act.PROBLEM})))
async def verdict(
    query: CallbackQuery, callback_data: ContestCb, person: Person, db: Database, clock: Clock, state: FSMContext
) -> None:
    """One tap: «done as promised» or «there is a problem» (then, optionally, what)."""
    done = callback_data.act is Act.DONE
    await progress.answer(
        db,
        person_id=person.id,
        rural_district_id=person.rural_district_id or 0,
        village_id=person.village_id,
        contest_id=callback_data.contest,
        project_id=callback_data.project,
        done=done,
        now=clock.now(),
    )
    await query.answer()
    if done:
        await target(query).answer(
            _("Thank you: your answer «done as promised» is counted."),
            reply_markup=progress_keyboard(callback_data.contest, callback_data.project, may_answer=False),
        )
        return
    await state.set_state(Problem.text)
    await state.set_data({"contest": callback_data.contest, "project": callback_data.project})
    await target(query).answer(
        _("Your answer «there is a problem» is counted. What is wrong? Write it, and the akim's office will see it."),
        reply_markup=cancel_keyboard(),
    )


@router.message(StateFilter(Problem.text), NotMenu())
async def problem_text(message: Message, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    """What is wrong with the finished project (without the resident's name for the staff)."""
    text = (message.text or "").strip()
    if not text or len(text) > NOTE_MAX:
        await message.answer(
            _("Please send text, at most {limit} characters.").format(limit=NOTE_MAX), reply_markup=cancel_keyboard()
        )
        return
    data = await state.get_data()
    await state.clear()
    await progress.describe_problem(
        db, person_id=person.id, project_id=int(data["project"]), body=text, now=clock.now()
    )
    await message.answer(
        _("Thank you. The akim's office sees what you wrote."),
        reply_markup=progress_keyboard(int(data["contest"]), int(data["project"]), may_answer=False),
    )
