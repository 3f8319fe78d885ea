"""The command line's replies: who asked, who answered, the citation, and one wording for each
decision (the CLI runner on the real index for an answer; built replies for the others,
whatever the policy decides for a real question)."""

from __future__ import annotations

import re

from click.testing import CliRunner
from test_bot_render import MINISTER, document, hit, paragraph, reply, snapshot_of

from interview_bot.cli import cli
from interview_bot.render import reply_text
from records import Decision
from service.settings import Settings

ASTRAKHAN = "Следующий форум планируется провести в Астрахани"  # -> interview/2.2


def test_ask_prints_the_answer_with_who_asked_who_answered_and_the_citation(
    built_settings: Settings,
) -> None:
    result = CliRunner().invoke(cli, ["--config", str(built_settings.path), "ask", ASTRAKHAN])
    assert result.exit_code == 0, result.output
    heading, answered, citation = result.stdout.strip().split("\n\n")
    assert heading.startswith(
        "Новый договор с Россией · paragraph 2 of 3\nQ: Астана и Москва готовят к подписанию"
    )
    speaker, *text = answered.splitlines()
    assert speaker == f"{MINISTER} Республики Казахстан:"
    assert " ".join(line.strip() for line in text).startswith("Идеальным было бы его подписание")
    citation = " ".join(line.strip() for line in citation.splitlines())
    assert citation.startswith(f"— {MINISTER} Республики Казахстан, Интервью министра")
    assert re.search(r"сотрудничество \(interview/2\.2, similarity 0\.\d{3}\)$", citation)


def test_the_asker_is_named_when_known_and_nothing_is_invented() -> None:
    known = document(interviewee=MINISTER, interviewer="Иван Петров", date="2013-05-12")
    text = reply_text(
        reply(Decision.ANSWERED, [hit(1, paragraph())], snapshot=snapshot_of(documents=[known]))
    )
    assert text.splitlines()[:2] == ["Тема 2 · paragraph 1 of 3", "Q (Иван Петров): Когда?"]
    assert text.endswith(f"— {MINISTER}, «Интервью», 2013-05-12 (interview/2.1, similarity 0.875)")
    unknown = reply_text(
        reply(
            Decision.ANSWERED, [hit(1, paragraph())], snapshot=snapshot_of(documents=[document()])
        )
    )
    assert "Answer:\n   Текст ответа." in unknown and "None" not in unknown
    assert unknown.endswith("— «Интервью» (interview/2.1, similarity 0.875)")


def test_uncertain_lists_the_closest_passages_under_the_caveat() -> None:
    hits = [
        hit(1, paragraph("Первое. Лучшее!", position=1), "Лучшее!"),
        hit(2, paragraph("Другое.", answer_no=3, count=1)),
    ]
    text = reply_text(reply(Decision.UNCERTAIN, hits, shown=2))
    assert text == (
        "The closest passages of the interview; it may not answer this question directly.\n\n"
        "1. Тема 2 · paragraph 1 of 3 (interview/2.1, similarity 0.875)\n"
        "   “Лучшее!”\n"
        "2. Тема 3 (interview/3.1, similarity 0.875)\n"
        "   “Другое.”\n\n"
        f"— {MINISTER}, «Интервью» (interview/2.1, interview/3.1)"
    )


def test_not_covered_says_so_names_the_missing_words_and_the_nearest_questions() -> None:
    nearest = (hit(1, paragraph(answer_no=1, question="Что с инвестициями?")),)
    refused = reply(Decision.NOT_COVERED, [], query="ВТО?", uncovered=("ВТО",), nearest=nearest)
    assert reply_text(refused) == (
        "The interview does not mention “ВТО”.\n"
        "The interviewer's questions on nearby topics:\n"
        "  - Тема 1 (interview/1.1): Что с инвестициями?"
    )
    plain = reply(Decision.NOT_COVERED, [hit(1, paragraph())], query="Best pizza in Almaty?")
    assert reply_text(plain) == "The interview does not answer “Best pizza in Almaty?”."


def test_uncertain_names_an_acronym_the_interview_never_uses_first() -> None:
    hits = [hit(1, paragraph("Первое.")), hit(2, paragraph("Второе.", position=2))]
    text = reply_text(reply(Decision.UNCERTAIN, hits, shown=2, uncovered=("ВТО",)))
    assert text.startswith("The interview does not mention “ВТО”.\nThe closest passages")
