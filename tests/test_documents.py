"""Documents and akim reports: residents browse, search, read and ask; staff publish and answer."""

from __future__ import annotations

import html

import pytest

from bot.keyboards.documents import AdmAct, AdmDoc, Doc, DocAct, QSupport
from bot.rules.clock import to_db
from bot.rules.documents import FILE_LIMIT, fold, search_key, search_query, split_text
from bot.rules.errors import NotAllowed
from storage import documents as docs
from storage.audit import STAFF_KIND, Actor
from storage.db import MIGRATIONS_DIR, _statements
from tests.harness import NOW, Person, World
from tests.steps import koktobe, published_document


async def open_documents(person: Person) -> None:
    await person.send("📄 Құжаттар" if person.language_code == "kk" else "📄 Документы")


STAFF_LABELS = {
    "kk": ("🛠 Басқару", "📄 Құжаттар", "➕ Жаңа құжат", "🗂 Жарияланғандар", "🆕 Жаңа нұсқа"),
    "ru": ("🛠 Управление", "📄 Документы", "➕ Новый документ", "🗂 Опубликованные", "🆕 Новая версия"),
}


async def new_document(staff: Person, kind: str) -> None:
    """A staff member starts a new document of a kind (its section's label) from the admin menu."""
    admin, documents, new, _published, _version = STAFF_LABELS[staff.language_code or "kk"]
    await staff.send(admin)
    await staff.press(documents)
    await staff.press(new)
    await staff.press(kind)


FORM_LABELS = {"kk": ("⏭ Өткізіп жіберу", "➡️ Әрі қарай"), "ru": ("⏭ Пропустить", "➡️ Далее")}
FIELDS = (("title_kk", False), ("title_ru", False), ("text_kk", True), ("text_ru", True), ("url", False))


async def fill_in(staff: Person, **fields: str) -> None:
    """The document form after its kind, step by step: each field of FIELDS typed, or skipped where it
    is not given (a new version keeps what it skips); a text, which may come in several messages,
    ends with «Next»."""
    assert set(fields) <= {name for name, _text in FIELDS}, fields
    skip, done = FORM_LABELS[staff.language_code or "kk"]
    for name, is_text in FIELDS:
        if name not in fields:
            await staff.press(skip)
            continue
        await staff.send(fields[name])
        if is_text:
            await staff.press(done)


async def new_version(staff: Person, title: str) -> None:
    """A staff member, in the documents' admin, starts a new version of a published document."""
    *_, published, version = STAFF_LABELS[staff.language_code or "kk"]
    await staff.press(published)
    await staff.press(title)
    await staff.press(version)


# -- the rules ------------------------------------------------------------------------------


def test_split_text_keeps_paragraphs_whole_within_the_limit() -> None:
    paragraphs = [f"Параграф {i}. " + "сөз " * 150 for i in range(30)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    pieces = split_text(text)
    assert len(pieces) > 1
    assert all(len(piece) <= 4096 for piece in pieces)
    # every paragraph lands whole in exactly one piece
    for paragraph in paragraphs:
        assert sum(paragraph.strip() in piece.split("\n\n") for piece in pieces) == 1
    assert "\n\n".join(pieces) == text


def test_split_text_cuts_a_huge_paragraph_at_spaces() -> None:
    text = "сөз " * 3000
    pieces = split_text(text)
    assert all(len(p) <= 4096 for p in pieces)
    assert all(not p.startswith(" ") and not p.endswith("сө") for p in pieces)
    assert " ".join(pieces).split() == text.split()


def test_folding_handles_cyrillic_and_kazakh_letters() -> None:
    assert fold("ӘКІМНІҢ ЕСЕБІ") == "әкімнің есебі"
    assert fold("Отчёт  акима!") == "отчет акима"
    assert search_query("   ") is None
    assert "бюджет для граждан" in search_key("citizen_budget", "Азаматтық бюджет 2026", "")


# -- residents browse and read ----------------------------------------------------------------


async def test_resident_browses_a_kind_newest_first_page_by_page(world: World) -> None:
    for i in range(7):
        await published_document(world, title_kk=f"Жиын хаттамасы №{i + 1}", minutes=i)
    aigerim = await world.resident()
    await open_documents(aigerim)
    assert "Жиын хаттамалары (7)" in aigerim.last.buttons
    await aigerim.press("Жиын хаттамалары (7)")
    assert aigerim.last.buttons[:5] == [f"Жиын хаттамасы №{n}" for n in (7, 6, 5, 4, 3)]
    assert "1/2" in aigerim.last.buttons
    await aigerim.press("▶️")
    assert aigerim.last.buttons[:2] == ["Жиын хаттамасы №2", "Жиын хаттамасы №1"]
    assert "2/2" in aigerim.last.buttons


async def test_a_document_in_one_language_is_shown_to_everyone(world: World) -> None:
    await published_document(world, kind="decision", title_kk="Шешім №5", text_kk="Көше атауы өзгертілді.")
    ivan = await world.resident("Ivan", lang="ru")
    await open_documents(ivan)
    await ivan.press("Решения (1)")
    await ivan.press("Шешім №5")
    assert "<b>Шешім №5</b>" in ivan.last.text
    assert "Решения ·" in ivan.last.text  # the kind in the reader's language
    assert "Көше атауы өзгертілді." in ivan.last.text


async def test_a_long_text_arrives_in_several_messages_split_at_paragraphs(world: World) -> None:
    paragraphs = [f"{i}-бөлім. " + "мәтін " * 200 for i in range(1, 16)]
    await published_document(
        world,
        kind="development_programme",
        title_kk="Даму бағдарламасы 2026-2028",
        text_kk="\n\n".join(p.strip() for p in paragraphs),
    )
    aigerim = await world.resident()
    await open_documents(aigerim)
    await aigerim.press("Даму бағдарламалары (1)")
    sent = await aigerim.press("Даму бағдарламасы 2026-2028")
    messages = [r for r in sent if r.method == "sendMessage"]
    assert len(messages) >= 3
    assert all(len(m.text) <= 4096 for m in messages)
    assert messages[-1].buttons and not messages[0].buttons
    for paragraph in paragraphs:  # each paragraph whole, in exactly one message
        assert sum(paragraph.strip() in m.text.split("\n\n") for m in messages) == 1


async def test_a_new_version_replaces_the_old_one_and_the_history_stays(world: World) -> None:
    staff = await world.staff()
    await new_document(staff, "Ақылы қызметтер")
    await fill_in(  # no Russian text: the Kazakh one serves everyone
        staff,
        title_kk="Ақылы қызметтер тізбесі",
        title_ru="Перечень платных услуг",
        text_kk="1. Анықтама беру — 500 теңге.",
        url="https://www.gov.kz/memleket/entities/aksai/documents/details/1",
    )
    assert "Қаралама сақталды" in staff.inbox[-2].text
    await staff.press("✅ Жариялау")
    assert "Жарияланды" in staff.inbox[-2].text
    first = await world.db.fetchval("SELECT id FROM documents WHERE kind = 'paid_services'")

    await new_version(staff, "Ақылы қызметтер тізбесі")
    await fill_in(staff, text_kk="1. Анықтама беру — 300 теңге.")  # keeps the titles
    await staff.press("✅ Жариялау")

    rows = await world.db.fetchall(
        "SELECT id, version, superseded_by, title_ru FROM documents WHERE kind = 'paid_services' ORDER BY id"
    )
    assert [(r[1], r[2] is not None, r[3]) for r in rows] == [
        (1, True, "Перечень платных услуг"),
        (2, False, "Перечень платных услуг"),
    ]
    ivan = await world.resident("Ivan", lang="ru")
    await open_documents(ivan)
    await ivan.press("Перечень платных услуг (1)")
    await ivan.press("Перечень платных услуг")
    assert "300 теңге" in ivan.last.text and "Версия 2" in ivan.last.text
    assert "единая платформа" not in ivan.last.text  # the new version has no link of its own
    await ivan.press("🕘 Все версии")
    assert ivan.last.buttons[0].startswith("✅ Версия 2")
    await ivan.press("Версия 1")
    assert "500 теңге" in ivan.last.text
    assert "Эта версия заменена более новой." in ivan.last.text
    assert 'href="https://www.gov.kz/memleket/entities/aksai/documents/details/1"' in ivan.last.text
    await ivan.press("📄 Текущая версия")
    assert "300 теңге" in ivan.last.text
    assert first == rows[0][0]


async def test_a_text_with_ampersands_and_brackets_reads_as_written_in_every_version_and_the_preview(
    world: World,
) -> None:
    """Stored as the staff typed it and escaped once when shown: «&», «<» never reach anyone as «&amp;»."""
    written = ("Освещение & вода (<50% жителей) — «Да» > «Нет».", "Освещение & вода: версия 2 (<50%).")
    shown = [html.escape(text, quote=False) for text in written]
    staff = await world.staff(lang="ru")
    await new_document(staff, "Решения")
    await fill_in(staff, title_kk="Шешім №7", title_ru="Решение №7", text_ru=written[0])
    assert shown[0] in staff.last.text  # the draft's preview
    await staff.press("✅ Опубликовать")
    await new_version(staff, "Решение №7")
    await fill_in(staff, text_ru=written[1])
    assert shown[1] in staff.last.text
    await staff.press("✅ Опубликовать")
    assert await world.db.fetchval("SELECT text_ru FROM documents ORDER BY id DESC") == written[1]
    ivan = await world.resident("Ivan", lang="ru")
    await open_documents(ivan)
    await ivan.press("Решения (1)")
    await ivan.press("Решение №7")
    assert shown[1] in ivan.last.text
    await ivan.press("🕘 Все версии")
    await ivan.press("Версия 1")
    assert shown[0] in ivan.last.text


async def test_texts_stored_as_telegram_html_before_are_read_back_as_plain_text(world: World) -> None:
    """Migration 011: what ``html_text`` wrote (tags, «&amp;», «&lt;») becomes the text the staff typed."""
    stored = {
        '<b>Освещение</b> &amp; вода (&lt;50%) — <a href="https://gov.kz/?a=1&amp;b=2">ссылка</a>': (
            "Освещение & вода (<50%) — ссылка"
        ),
        "Написано «&amp;lt;» буквально, и «&gt;»": "Написано «&lt;» буквально, и «>»",
        "Без разметки": "Без разметки",
    }
    ids = [await published_document(world, text_kk="Мәтін", text_ru=text) for text in stored]
    script = (MIGRATIONS_DIR / "011_screens.sql").read_text(encoding="utf-8")
    statements = [s for s in _statements(script) if "UPDATE documents" in s]
    assert len(statements) == 2
    async with world.db.transaction() as tx:
        for statement in statements:
            await tx.execute(statement)
    for doc_id, plain in zip(ids, stored.values(), strict=True):
        assert await world.db.fetchval("SELECT text_ru FROM documents WHERE id = ?", (doc_id,)) == plain


# -- files ------------------------------------------------------------------------------------


async def staff_uploads_a_file(
    world: World,
    staff: Person,
    *,
    file_id: str = "DOC1",
    size: int = 1000,
    mime: str = "application/pdf",
    name: str = "hattama.pdf",
) -> None:
    await new_document(staff, "Жиналыс хаттамалары")
    await staff.send("Жиналыс хаттамасы №3")
    await staff.press("⏭ Өткізіп жіберу")
    await staff.send_document(file_id=file_id, file_name=name, file_size=size, mime_type=mime)


async def test_a_file_is_kept_and_resent_by_file_id_and_uploaded_again_for_another_bot(world: World) -> None:
    world.telegram.files["DOC1"] = b"%PDF-1.4 protocol"
    staff = await world.staff()
    await staff_uploads_a_file(world, staff)
    assert "Файл қабылданды: hattama.pdf" in staff.last.text
    await staff.press("➡️ Әрі қарай")
    await staff.press("⏭ Өткізіп жіберу")
    await staff.press("⏭ Өткізіп жіберу")
    await staff.press("✅ Жариялау")
    ref, path = await world.db.fetchone("SELECT id, path FROM document_files")
    assert (world.path / path).read_bytes() == b"%PDF-1.4 protocol"

    ivan = await world.resident("Ivan", lang="ru")
    await open_documents(ivan)
    await ivan.press("Протоколы собраний (1)")
    sent = await ivan.press("Жиналыс хаттамасы №3")
    document = [r for r in sent if r.method == "sendDocument"]
    assert document and document[0].params["document"] == "DOC1"  # by file_id, no upload
    assert document[0].buttons  # the buttons come under the file

    # another bot of the deployment: no file_id of its own yet, so the kept bytes are uploaded
    await world.db.execute("UPDATE document_file_ids SET bot_id = 999 WHERE file_ref = ?", (ref,))
    sent = await ivan.press("Жиналыс хаттамасы №3")
    upload = next(r for r in sent if r.method == "sendDocument")
    assert upload.params["document"] == b"%PDF-1.4 protocol"
    new_id = await docs.file_id_for(world.db, ref, world.bot.id)
    assert new_id is not None and new_id != "DOC1"
    sent = await ivan.press("Жиналыс хаттамасы №3")
    assert next(r for r in sent if r.method == "sendDocument").params["document"] == new_id


async def test_a_file_over_20_mb_is_refused(world: World) -> None:
    staff = await world.staff()
    await staff_uploads_a_file(world, staff, size=FILE_LIMIT + 1)
    assert "Файл тым үлкен (шегі — 20 МБ)" in staff.last.text
    assert await world.db.fetchval("SELECT COUNT(*) FROM document_files") == 0
    assert not [r for r in world.telegram.requests if r.method == "getFile"]


async def test_a_picture_or_archive_is_not_taken_as_a_document(world: World) -> None:
    staff = await world.staff()
    await staff_uploads_a_file(world, staff, mime="application/zip", name="photos.zip")
    assert "PDF, Word немесе Excel файлын" in staff.last.text
    assert await world.db.fetchval("SELECT COUNT(*) FROM document_files") == 0


async def test_a_document_with_no_text_and_no_file_is_refused(world: World) -> None:
    staff = await world.staff()
    await new_document(staff, "Шешімдер")
    await staff.send("Шешім №7")
    await staff.press("⏭ Өткізіп жіберу")
    await staff.press("⏭ Өткізіп жіберу")  # no Kazakh text
    await staff.press("⏭ Өткізіп жіберу")  # no Russian text either
    assert "мәтіні немесе файлы болуы керек" in staff.last.text
    assert await world.db.fetchval("SELECT COUNT(*) FROM documents") == 0
    with pytest.raises(ValueError):
        await published_document(world, text_kk=None)


# -- search -----------------------------------------------------------------------------------


async def test_search_is_case_insensitive_in_cyrillic_and_finds_the_citizen_budget(world: World) -> None:
    await published_document(world, kind="citizen_budget", title_kk="Азаматтық бюджет 2026", text_kk="…")
    await published_document(
        world, kind="akim_report", title_kk="Әкімнің 2025 жылғы есебі", title_ru="Отчёт акима за 2025 год"
    )
    ivan = await world.resident("Ivan", lang="ru")
    await open_documents(ivan)
    await ivan.press("🔍 Поиск")
    await ivan.send("бюджет для граждан")
    assert "найден 1 документ" in ivan.last.text
    assert ivan.last.buttons[0] == "Азаматтық бюджет 2026"
    await ivan.press("🔍 Поиск")
    await ivan.send("ОТЧЕТ")  # no ё, capitals
    assert ivan.last.buttons[0] == "Әкімнің 2025 жылғы есебі" or ivan.last.buttons[0] == "Отчёт акима за 2025 год"
    await ivan.press("🔍 Поиск")
    await ivan.send("ӘКІМНІҢ")
    assert "найден 1 документ" in ivan.last.text


async def test_search_with_no_results_or_only_spaces(world: World) -> None:
    await published_document(world)
    aigerim = await world.resident()
    await open_documents(aigerim)
    await aigerim.press("🔍 Іздеу")
    await aigerim.send("   ")
    assert aigerim.last.text == "Іздеу үшін сөз жазыңыз."
    await aigerim.send("трактор")
    assert "«трактор» бойынша ештеңе табылмады" in aigerim.last.text
    await aigerim.send("хаттама")  # still searching: the next word works
    assert aigerim.last.buttons[0] == "Жиын хаттамасы"


async def test_search_does_not_find_drafts_or_other_districts(world: World) -> None:
    other = await koktobe(world)
    await published_document(world, title_kk="Хаттама жобасы", draft=True)
    await published_document(world, title_kk="Көктөбе хаттамасы", rural_district_id=other)
    aigerim = await world.resident()
    await open_documents(aigerim)
    await aigerim.press("🔍 Іздеу")
    await aigerim.send("хаттама")
    assert "ештеңе табылмады" in aigerim.last.text


# -- forged buttons ---------------------------------------------------------------------------


async def test_a_resident_cannot_read_a_draft_or_another_districts_document(world: World) -> None:
    other = await koktobe(world)
    draft = await published_document(world, title_kk="Құпия жоба", text_kk="жарияланбаған мәтін", draft=True)
    foreign_draft = await published_document(
        world, title_kk="Көрші жоба", text_kk="басқа округтің жобасы", rural_district_id=other, draft=True
    )
    aigerim = await world.resident()
    for doc_id in (draft, foreign_draft):
        sent = await aigerim.press_data(Doc(act=DocAct.OPEN, id=doc_id).pack())
        assert all("жоба" not in r.text.lower() for r in sent if r.method == "sendMessage")
        assert aigerim.last.text == "Бұл құжат қолжетімсіз."
    await aigerim.press_data(AdmDoc(act=AdmAct.VIEW, id=foreign_draft).pack())
    assert aigerim.last.text == "Бұл әрекет тек әкім аппаратының қызметкерлеріне қолжетімді."


async def test_a_resident_forging_publish_is_refused_and_logged(world: World) -> None:
    draft = await published_document(world, title_kk="Жоба", draft=True)
    aigerim = await world.resident()
    await aigerim.press_data(AdmDoc(act=AdmAct.PUBLISH, id=draft).pack())
    assert aigerim.last.text == "Бұл әрекет тек әкім аппаратының қызметкерлеріне қолжетімді."
    assert await world.db.fetchval("SELECT status FROM documents WHERE id = ?", (draft,)) == "draft"
    assert await world.db.fetchval("SELECT COUNT(*) FROM audit_log WHERE action = 'admin_callback_refused'") == 1


async def test_staff_of_another_district_cannot_publish_our_draft(world: World) -> None:
    other = await koktobe(world)
    draft = await published_document(world, title_kk="Жоба", draft=True)
    stranger = await world.staff("Stranger", rural_district_id=other)
    await stranger.press_data(AdmDoc(act=AdmAct.PUBLISH, id=draft).pack())
    assert stranger.last.text == "Бұл құжат қолжетімсіз."
    assert await world.db.fetchval("SELECT status FROM documents WHERE id = ?", (draft,)) == "draft"


async def test_an_open_button_of_the_unversioned_kind_is_answered_as_out_of_date(world: World) -> None:
    doc_id = await published_document(world, title_kk="Жиын хаттамасы")
    aigerim = await world.resident()
    sent = await aigerim.press_data(f"doc:o:{doc_id}")  # as notices sent before ``doc1`` carry it
    assert aigerim.last.text == "Бұл түйме ескірген. Міне, басты мәзір."
    assert all("Жиын хаттамасы" not in r.text for r in sent if r.method == "sendMessage")
    await aigerim.press_data(Doc(act=DocAct.OPEN, id=doc_id).pack())
    assert "<b>Жиын хаттамасы</b>" in aigerim.last.text


async def test_the_writes_refuse_staff_of_another_district_and_change_nothing(world: World) -> None:
    other = await koktobe(world)
    stranger = Actor(STAFF_KIND, rural_district_id=other)
    draft = await published_document(world, title_kk="Жоба", draft=True)
    report = await published_document(world, kind="akim_report", title_kk="Есеп")
    aigerim = await world.resident()
    await aigerim.press_data(Doc(act=DocAct.ASK, id=report).pack())
    await aigerim.send("Жол қашан жөнделеді?")
    qid = await world.db.fetchval("SELECT id FROM report_questions")
    audit_rows = await world.db.fetchval("SELECT COUNT(*) FROM audit_log")
    refused = (
        docs.publish_document(world.db, stranger, draft, now=to_db(NOW)),
        docs.delete_draft(world.db, stranger, draft),
        docs.answer(world.db, stranger, qid, text="Жауап", now=to_db(NOW), texts={"kk": "Жауап", "ru": "Ответ"}),
        docs.publish_answer(world.db, stranger, qid),
        docs.save_draft(
            world.db,
            stranger,
            rural_district_id=world.rural_district_id,
            kind="decision",
            title_kk="Шешім",
            title_ru="",
            text_kk="Мәтін",
        ),
    )
    for write in refused:
        with pytest.raises(NotAllowed):
            await write
    assert await world.db.fetchval("SELECT status FROM documents WHERE id = ?", (draft,)) == "draft"
    assert await world.db.fetchval("SELECT answer FROM report_questions") is None
    assert await world.db.fetchval("SELECT COUNT(*) FROM documents") == 2
    assert await world.db.fetchval("SELECT COUNT(*) FROM outbox_messages") == 0
    assert await world.db.fetchval("SELECT COUNT(*) FROM audit_log") == audit_rows

    ours = Actor(STAFF_KIND, rural_district_id=world.rural_district_id)
    assert await docs.publish_document(world.db, ours, draft, now=to_db(NOW)) == 0
    actions = [r[0] for r in await world.db.fetchall("SELECT action FROM audit_log ORDER BY id")]
    assert actions[-1] == "document_publish"


# -- notify -----------------------------------------------------------------------------------


async def test_publish_and_notify_tells_the_district_through_the_outbox(world: World) -> None:
    draft = await published_document(
        world, kind="announcement", title_kk="Су өшіріледі", title_ru="Отключение воды", draft=True
    )
    aigerim = await world.resident()
    ivan = await world.resident("Ivan", lang="ru")
    staff = await world.staff()
    await staff.press_data(AdmDoc(act=AdmAct.NOTIFY, id=draft).pack())
    assert "Хабарлама алатын тұрғын саны: 3." in staff.inbox[-2].text
    assert await world.db.fetchval("SELECT kind FROM outbox_messages") == "notice"
    await world.deliver()
    assert "Жаңа құжат: <b>Су өшіріледі</b>" in aigerim.last.text
    assert "Новый документ: <b>Отключение воды</b>" in ivan.last.text
    await ivan.press("📄 Открыть")
    assert "<b>Отключение воды</b>" in ivan.last.text


# -- akim reports: questions, support, answers ------------------------------------------------


async def test_a_question_needs_consent_first(world: World) -> None:
    report = await published_document(world, kind="akim_report", title_kk="Әкімнің есебі 2026", text_kk="Есеп мәтіні")
    aigerim = await world.resident(consent=False)
    await aigerim.press_data(Doc(act=DocAct.ASK, id=report).pack())
    assert "Дербес деректерді" in aigerim.last.text or "келісім" in aigerim.last.text.lower()
    assert aigerim.last.buttons == ["✅ Келісемін", "Келіспеймін"]
    await aigerim.send("Жол қашан жөнделеді?")
    assert await world.db.fetchval("SELECT COUNT(*) FROM report_questions") == 0
    await aigerim.press("✅ Келісемін")
    await aigerim.press("▶️ Жалғастыру")
    assert "сұрағыңызды жазыңыз" in aigerim.last.text
    await aigerim.send("Жол қашан жөнделеді?")
    assert await world.db.fetchval("SELECT text FROM report_questions") == "Жол қашан жөнделеді?"


async def test_questions_are_supported_once_and_the_answer_reaches_everyone(world: World) -> None:
    report = await published_document(
        world, kind="akim_report", title_kk="Әкімнің есебі 2026", title_ru="Отчёт акима 2026", text_kk="Есеп мәтіні"
    )
    asker = await world.resident("Asker")
    await open_documents(asker)
    await asker.press("Әкімнің есептері (1)")
    await asker.press("Әкімнің есебі 2026")
    await asker.press("❓ Сұрақ қою")
    await asker.send("Жол қашан жөнделеді?")
    assert "Рақмет! Сұрағыңыз әкім аппаратына жіберілді" in asker.last.text
    await asker.press_data(Doc(act=DocAct.ASK, id=report).pack())
    await asker.send_voice("VOICE7")
    assert await world.db.fetchval("SELECT COUNT(*) FROM report_questions") == 2
    voice_q = await world.db.fetchval("SELECT id FROM report_questions WHERE voice_file_id = 'VOICE7'")

    ivan = await world.resident("Ivan", lang="ru")
    await ivan.press_data(Doc(act=DocAct.QUESTIONS, id=report).pack())
    assert "1. Жол қашан жөнделеді? — 👍 0" in ivan.last.text
    await ivan.press("👍 1")
    assert "1. Жол қашан жөнделеді? — 👍 1" in ivan.last.text
    await ivan.press("👍 1")  # a second tap counts nothing
    assert "1. Жол қашан жөнделеді? — 👍 1" in ivan.last.text
    assert [r for r in world.telegram.requests if r.method == "answerCallbackQuery"][-1].params[
        "text"
    ] == "Вы уже поддержали этот вопрос."
    await asker.press_data(Doc(act=DocAct.QUESTIONS, id=report).pack())
    await asker.press("👍 1")  # one's own question
    assert await world.db.fetchval("SELECT COUNT(*) FROM report_question_supports") == 1

    staff = await world.staff()
    await staff.send("🛠 Басқару")
    assert "Әкімнің есептері бойынша жауап күтіп тұрған сұрақ: 2" in staff.last.text
    await staff.press("📄 Құжаттар")
    await staff.press("❓ Сұрақтар (2)")
    assert staff.last.text.index("Жол қашан") < staff.last.text.index("дауыстық хабарлама")  # most supported first
    sent = await staff.press("▶️ №2 тыңдау")
    assert next(r for r in sent if r.method == "sendVoice").params["voice"] == "VOICE7"
    await staff.press("✍️ №1 сұраққа жауап")
    await staff.send("Жол көктемде жөнделеді.")
    assert staff.last.text == "Жауап жіберілген адам саны: 2."
    await world.deliver()
    assert "Жауап: Жол көктемде жөнделеді." in asker.last.text
    assert "Ответ: Жол көктемде жөнделеді." in ivan.last.text
    assert "Отчёт акима 2026" in ivan.last.text

    await staff.press("📌 Есептің астына жариялау")
    assert staff.inbox[-2].text == "Есептің астына жарияланды."
    await ivan.press_data(Doc(act=DocAct.OPEN, id=report).pack())
    assert "Ответы на вопросы жителей" in ivan.last.text
    assert "Жол көктемде жөнделеді." in ivan.last.text
    assert voice_q is not None


async def test_a_resident_cannot_support_a_question_of_another_district(world: World) -> None:
    other = await koktobe(world)
    report = await published_document(world, kind="akim_report", title_kk="Есеп", rural_district_id=other)
    stranger = await world.resident("Stranger", rural_district_id=other)
    await stranger.press_data(Doc(act=DocAct.ASK, id=report).pack())
    await stranger.send("Сұрақ")
    qid = await world.db.fetchval("SELECT id FROM report_questions")
    aigerim = await world.resident()
    await aigerim.press_data(QSupport(id=qid).pack())
    assert aigerim.last.text == "Бұл сұрақ қолжетімсіз."
    assert await world.db.fetchval("SELECT COUNT(*) FROM report_question_supports") == 0
