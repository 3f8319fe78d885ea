"""What is not a question to search is told apart before anything is ranked: nothing to
search, small talk, questions about the interview itself; and the service answers each
without the model, never with a paragraph."""

from __future__ import annotations

import pytest

from records import Decision, Reason
from service.answering import AnswerService
from service.intake import classify
from testkit.fake_encoder import FakeEncoder


@pytest.fixture(scope="module")
def vocabulary_and_documents(built_settings):
    from service.snapshot import open_index

    index = open_index(built_settings)
    return index.vocabulary, index.corpus.documents


@pytest.mark.parametrize(
    "text",
    ["?", "???", "...", "123", "42!", "Почему?", "что?", "Кто", "why", "what?", "қашан?", "иә",
     "да", "нет", "ok", "🤔", "👍👍", "тест", "asdf", "йцукен", "әәәә", "хм", "ну и?"],
)  # fmt: skip
def test_nothing_to_search(text, vocabulary_and_documents):
    intake = classify(text, *vocabulary_and_documents)
    assert (intake.reason, intake.certain) == (Reason.NO_CONTENT, True)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("привет", Reason.GREETING),
        ("Здравствуйте!", Reason.GREETING),
        ("добрый день", Reason.GREETING),
        ("hi there", Reason.GREETING),
        ("Сәлеметсіз бе", Reason.GREETING),
        ("спасибо большое!", Reason.THANKS),
        ("thank you so much 🙏", Reason.THANKS),
        ("рахмет", Reason.THANKS),
        ("пока", Reason.GOODBYE),
        ("see you later", Reason.GOODBYE),
        ("как дела?", Reason.SMALL_TALK),
        ("кто ты?", Reason.SMALL_TALK),
        ("what can you do", Reason.SMALL_TALK),
        ("Қалайсыз?", Reason.SMALL_TALK),
        ("помогите", Reason.SMALL_TALK),
        ("привет, как дела?", Reason.GREETING),  # the first phrase says what it is
    ],
)
def test_small_talk(text, reason, vocabulary_and_documents):
    intake = classify(text, *vocabulary_and_documents)
    assert (intake.reason, intake.certain) == (reason, True)


@pytest.mark.parametrize(
    "text",
    [
        "Когда было опубликовано интервью?",
        "в какой газете это напечатали",
        "кто брал интервью",
        "which newspaper published this interview?",
        "где прочитать полный текст",
        "кто министр",
        # The interviewee's own words ("иностранных дел") say nothing either way.
        "Как зовут министра иностранных дел?",
        "Сұхбат қашан жарияланды?",
    ],
)
def test_questions_about_the_interview_itself(text, vocabulary_and_documents):
    # Certain, or (with other words: "где прочитать...") settled after the search.
    assert classify(text, *vocabulary_and_documents).reason is Reason.ABOUT_INTERVIEW


@pytest.mark.parametrize(
    "text",
    [
        "привет, когда подпишут договор с Россией?",
        "спасибо, а что с военно-техническим сотрудничеством?",
        "Что министр сказал о договоре?",
        "отбор иностранных компаньонов",  # "иностранных" is the interviewee's word, not a cue
        "договор",
        "KADEX",
    ],
)
def test_questions_with_the_interviews_words_are_questions(text, vocabulary_and_documents):
    assert classify(text, *vocabulary_and_documents).reason is None


def test_small_talk_with_words_the_vocabulary_lacks_waits_for_the_search(
    vocabulary_and_documents,
):
    # Another language's words for what the interview says are only found by the search.
    intake = classify("hello, when will the treaty be signed?", *vocabulary_and_documents)
    assert intake.reason is Reason.GREETING and not intake.certain
    assert {"treaty", "signed"} <= intake.rest


async def test_the_service_answers_them_without_the_model_and_never_with_a_paragraph(
    service: AnswerService,
):
    encoder = service.encoder
    assert isinstance(encoder, FakeEncoder)
    before = len(encoder.calls)
    replies = service.answer(["?", "привет", "Когда было опубликовано интервью?"])
    assert len(encoder.calls) == before  # nothing was encoded
    assert [r.reason for r in replies] == [
        Reason.NO_CONTENT,
        Reason.GREETING,
        Reason.ABOUT_INTERVIEW,
    ]
    assert all(r.decision is Decision.NOT_COVERED and not r.hits for r in replies)
    assert all(r.confidence == 0.0 for r in replies)
    assert replies[2].sources == service.snapshot.corpus.documents
    assert replies[2].sources[0].date is None  # not recorded: nothing is guessed
    assert [r.sources for r in replies[:2]] == [(), ()]
    # What the search may settle: small talk that turns out a question the model answers.
    greeting_question = f"привет! {service.snapshot.corpus.paragraphs[4].text}"
    (settled,) = service.answer([greeting_question])
    assert settled.decision is Decision.ANSWERED and settled.reason is None


def test_a_searched_question_about_the_interview_still_says_what_its_metadata_knows(
    service: AnswerService,
):
    # "zebras" is no word of the interview: the search settles it, and it is not answered.
    (reply,) = service.answer(["Когда было опубликовано интервью о зебрах?"])
    assert reply.reason is Reason.ABOUT_INTERVIEW and reply.decision is Decision.NOT_COVERED
    assert reply.sources == service.snapshot.corpus.documents
