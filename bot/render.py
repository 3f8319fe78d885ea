"""The bot's messages as Telegram HTML: pure functions from replies and records to texts.

Every answer says who asked (italic, "Вопрос: …"), who answered (underlined, the
interviewee's name as a label), and where it comes from (a citation line); the sentence
closest to the question is bold. Lists name a passage by its topic label and quote its best
sentence, never the whole paragraph or the interviewer's question again. Reply texts are
built from `reply.snapshot`, the index that produced them. html.py does the escaping and
the splitting into messages.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from telegram import InlineQueryResultArticle, InputTextMessageContent

from records import Decision, Document, Hit, Paragraph, Reason, Statement
from service.answering import ServiceStats
from service.citation import Citation
from service.questions import QuestionError
from service.replies import Reply
from service.report import Report
from service.snapshot import Snapshot

from .html import ELLIPSIS, Block, Span, excerpt, lines, one_message, pack, sentences, shorten
from .texts import Texts

if TYPE_CHECKING:
    from .context import BotStats

# A passage's best sentence in a list, and the user's question where a title repeats it:
# four alternatives and their title fit one phone screen (about 1,000 characters).
SNIPPET_CHARS = 160
QUERY_CHARS = 80
# An answer fits a phone screen: the interviewee's words first, the sentence that answers
# kept whole, the interviewer's question cut to its first sentence ("Whole answer" has all).
ANSWER_CHARS = 700
# /about lists the newest interviews of an archive: a thousand would be thirty messages.
MAX_SOURCES = 20
QUESTION_CHARS = 160


def _position(paragraph: Paragraph, texts: Texts) -> str:
    return texts.position.format(n=paragraph.position, m=paragraph.count)


def _named(paragraph: Paragraph, snapshot: Snapshot, texts: Texts) -> list[Span]:
    """The topic label in bold, and the paragraph's place in its answer when it has several."""
    spans = [Span(snapshot.corpus.label(paragraph, texts.language_code), "b")]
    if paragraph.count > 1:
        spans.append(Span(f" · {_position(paragraph, texts)}"))
    return spans


def _asked(
    paragraph: Paragraph, citation: Citation, texts: Texts, *, whole: bool = True
) -> list[Span]:
    """Who asked what: the whole question, or (under an answer) its first sentence."""
    who = texts.question_by.format(asker=citation.asker) if citation.asker else texts.question
    question = paragraph.question if whole else first_sentence(paragraph.question)
    return [Span(f"{who}: {question}", "i")]


def first_sentence(question: str) -> str:
    """An interviewer's question cut to its first sentence, and to QUESTION_CHARS."""
    (first, *rest) = sentences(" ".join(question.split())) or [question]
    cut = shorten(first, QUESTION_CHARS)
    return cut if not rest or cut.endswith(ELLIPSIS) else f"{cut.rstrip()} {ELLIPSIS}"


def shortened(paragraph: Paragraph) -> bool:
    """Whether an answer shows less than the paragraph and its whole question: then "Whole
    answer" offers them even when the answer has one paragraph."""
    return (
        paragraph.count > 1
        or first_sentence(paragraph.question) != paragraph.question
        or len(paragraph.text) > ANSWER_CHARS // 2
    )


def _speaker(citation: Citation, texts: Texts) -> list[Span]:
    return [Span(f"{citation.speaker or texts.answer}:", "u")]


def _highlighted(text: str, highlight: str | None) -> list[Span]:
    """The text with the highlight sentence in bold; plain when the highlight is all of it,
    since bold throughout would stress nothing."""
    start = text.find(highlight) if highlight and highlight.strip() else -1
    if highlight is None or start < 0 or highlight.strip() == text.strip():
        return [Span(text)]
    end = start + len(highlight)
    return [Span(text[:start]), Span(highlight, "b"), Span(text[end:])]


def _sources(
    paragraphs: Sequence[Paragraph], snapshot: Snapshot, texts: Texts, *, speaker: bool = True
) -> Block:
    """One citation line a document: who said it (unless the reply named them already),
    where and when, and the paragraph ids."""
    by_document: dict[str, list[Paragraph]] = {}
    for paragraph in paragraphs:
        by_document.setdefault(paragraph.document_id, []).append(paragraph)
    rows = []
    for cited in by_document.values():
        citation = snapshot.cite(cited[0])
        ids = ", ".join(p.id for p in cited)
        source = citation.source if speaker else citation.origin
        rows.append([Span(texts.source.format(source=f"{source} ({ids})"))])
    return lines(*rows)


def _note(texts: Texts) -> list[Block]:
    """That the interview is in Russian, for an interface that is not."""
    return [[Span(texts.language_note)]] if texts.language_note else []


def _quoted(sentence: str, texts: Texts) -> Span:
    return Span(texts.term.format(term=shorten(sentence, SNIPPET_CHARS)))


def _paragraph_blocks(
    paragraph: Paragraph,
    snapshot: Snapshot,
    texts: Texts,
    text: str,
    highlight: str | None = None,
    caveat: str | None = None,
) -> list[Block]:
    """An answer: its topic, who said it (once), their words with the sentence closest to
    the question in bold, then what they were asked, and where it was published."""
    citation = snapshot.cite(paragraph)
    return [
        *([[Span(caveat, "i")]] if caveat else []),
        _named(paragraph, snapshot, texts),
        lines(_speaker(citation, texts), _highlighted(text, highlight)),
        _asked(paragraph, citation, texts, whole=False),
        _sources([paragraph], snapshot, texts, speaker=False),
        *_note(texts),
    ]


def paragraph(
    shown: Paragraph,
    snapshot: Snapshot,
    texts: Texts,
    highlight: str | None = None,
    statements: Sequence[Statement] = (),
) -> list[str]:
    """One paragraph as an answer, within ANSWER_CHARS: the paragraph whole when it fits,
    else the sentence closest to the question (`highlight`) whole with what fits around
    it; "Whole answer" has the rest. When other interviews answered the question too
    (`statements`) and this is the newest, it says so first."""
    note = texts.newest_statement.format(n=len(statements)) if newest(shown, statements) else None
    # A few characters to spare: Telegram trims and joins what `_visible_length` counts.
    frame = _visible_length(_paragraph_blocks(shown, snapshot, texts, "", highlight, note)) + 4
    # Never less than a quarter of the room: long labels or headlines do not hide the answer.
    room = max(ANSWER_CHARS - frame, ANSWER_CHARS // 4, len(highlight or ""))
    text = excerpt(shown.text, highlight, room)
    return pack(_paragraph_blocks(shown, snapshot, texts, text, highlight, note))


def newest(shown: Paragraph, statements: Sequence[Statement]) -> bool:
    """Whether `shown` is the newest dated statement of several."""
    mine = next((s for s in statements if s.paragraph_id == shown.id), None)
    dates = [s.date for s in statements if s.date]
    return len(statements) > 1 and mine is not None and bool(mine.date) and mine.date == max(dates)


def statements(query: str, found: Sequence[Statement], texts: Texts) -> list[str]:
    """What each interview said on the question, oldest first, numbered as their buttons:
    date, speaker, whether it answers, and its best sentence."""
    asked = shorten(query, QUERY_CHARS)
    if not found:
        return pack([[Span(texts.timeline_none.format(query=asked))]])
    items = []
    for number, statement in enumerate(found, 1):
        answered = statement.decision is Decision.ANSWERED
        said = texts.answers_it if answered else texts.may_answer_it
        date = statement.date or texts.date_not_recorded
        speaker = statement.interviewee or texts.answer
        head = [Span(f"{number}. {date} · "), Span(speaker, "u"), Span(f" — {said}")]
        items.append(lines(head, [_quoted(statement.highlight, texts)]))
    return pack([[Span(texts.timeline_title.format(query=asked), "b")], *items, *_note(texts)])


def _visible_length(blocks: Sequence[Block]) -> int:
    """The characters the blocks show, separators included."""
    return sum(len(span.text) for block in blocks for span in block) + 2 * (len(blocks) - 1)


def whole_answer(paragraphs: Sequence[Paragraph], snapshot: Snapshot, texts: Texts) -> list[str]:
    """Every paragraph of one interview answer, in order, with its question and citation."""
    first = paragraphs[0]
    citation = snapshot.cite(first)
    return pack(
        [
            lines(
                [Span(snapshot.corpus.label(first, texts.language_code), "b")],
                _asked(first, citation, texts),
            ),
            lines(_speaker(citation, texts), [Span(first.text)]),
            *([Span(p.text)] for p in paragraphs[1:]),
            _sources(paragraphs, snapshot, texts),
            *_note(texts),
        ]
    )


def _passage(
    hit: Hit, snapshot: Snapshot, texts: Texts, number: int | None = None, dated: bool = False
) -> Block:
    """A passage in a list: its topic label and place (numbered, when its buttons are),
    when the list spans interviews (`dated`) when and by whom it was said, and its best
    sentence in quotes."""
    named = _named(hit.paragraph, snapshot, texts)
    if number is not None:
        named = [Span(f"{number}. "), *named]
    document = hit.document
    said = f"{document.date or texts.date_not_recorded} · {document.interviewee or texts.answer}"
    return lines(named, *([[Span(said, "i")]] if dated else []), [_quoted(hit.highlight, texts)])


def _several(hits: Sequence[Hit]) -> bool:
    """Whether the hits come from more than one interview."""
    return len({hit.paragraph.document_id for hit in hits}) > 1


def uncertain(reply: Reply, texts: Texts) -> list[str]:
    """The closest passages under a caveat, each as its best sentence, with their sources."""
    snapshot = reply.snapshot
    return pack(
        [
            *([Span(said)] for said in _unmentioned(reply, texts)),
            [Span(texts.uncertain, "i")],
            *(
                _passage(hit, snapshot, texts, n, _several(reply.passages))
                for n, hit in enumerate(reply.passages, 1)
            ),
            _sources([hit.paragraph for hit in reply.passages], snapshot, texts),
            *_note(texts),
        ]
    )


def _unmentioned(reply: Reply, texts: Texts) -> list[str]:
    """The interview does not mention «X», when the question names words it lacks."""
    if not reply.uncovered_terms:
        return []
    terms = ", ".join(texts.term.format(term=term) for term in reply.uncovered_terms)
    return [texts.not_mentioned.format(terms=terms)]


def not_a_question(reply: Reply, texts: Texts) -> list[str]:
    """What the bot says to what is not a question to search: help for nothing, a friendly
    word and examples for small talk, what is known of the source for a question about it.
    Never a paragraph."""
    reason = reply.reason
    if reason is Reason.ABOUT_INTERVIEW:
        return pack([[Span(texts.about_title, "b")], *(_about(d, texts) for d in reply.sources)])
    said, with_examples = texts.said_to(reason)
    if not with_examples:
        return pack([[Span(said)]])
    return pack([lines([Span(said)], *([Span(f"— {e}")] for e in texts.examples))])


def _about(document: Document, texts: Texts) -> Block:
    """One interview's title, then each field the source states, or that it does not."""
    rows: list[list[Span]] = [[_title(document)]]
    for field, name in texts.about_fields:
        value = getattr(document, field)
        if field == "source_url" and value:
            rows.append([Span(f"{name}: "), Span(value, "a", value)])
        else:
            rows.append([Span(f"{name}: {value or texts.not_recorded}")])
    return lines(*rows)


def not_covered(reply: Reply, texts: Texts) -> list[str]:
    """A plain "the interview does not answer this", naming the words it never mentions;
    the nearest interviewer questions are the buttons below."""
    said = _unmentioned(reply, texts) or [
        texts.not_covered.format(query=shorten(reply.query, QUERY_CHARS))
    ]
    blocks: list[Block] = [[Span(said[0])]]
    if reply.nearest_questions:
        # The note says the buttons below are in Russian: it goes right above them.
        blocks += [*_note(texts), [Span(texts.nearest_questions)]]
    return pack(blocks)


def other_answers(
    heading: str, query: str, hits: Sequence[Hit], snapshot: Snapshot, texts: Texts
) -> list[str]:
    """Alternatives to the answer shown, compactly: `heading` (a template with {query}),
    then each hit's topic label and best sentence, in the order of their buttons."""
    title = [Span(heading.format(query=shorten(query, QUERY_CHARS)))]
    dated = _several(hits)
    listed = (_passage(hit, snapshot, texts, dated=dated) for hit in hits)
    return pack([title, *listed, *_note(texts)])


def quotation(
    shown: Paragraph, snapshot: Snapshot, texts: Texts, *, whole: bool = False
) -> list[str]:
    """The paragraph (or, `whole`, its whole answer) in quotes and its source, as plain
    text to copy and paste; what the source does not record is said so in the user's
    language."""
    citation = snapshot.cite(shown)
    quoted = snapshot.corpus.answer(shown) if whole else (shown,)
    text = " ".join(p.text for p in quoted)
    reference = f"{quoted[0].id}–{quoted[-1].id}" if len(quoted) > 1 else None
    return pack([[Span(citation.quotation(text, texts.language_code or "ru", reference))]])


def inline_results(reply: Reply, texts: Texts) -> list[InlineQueryResultArticle]:
    """The reply's passages to post in any chat: the answer, or the closest passages, each
    marked as such. A question the interview does not cover has none."""
    closest = reply.decision is Decision.UNCERTAIN
    caveat = texts.closest_passage.format(query=shorten(reply.query, QUERY_CHARS))
    return [
        _inline_article(hit, reply.snapshot, texts, caveat if closest else None)
        for hit in reply.passages
    ]


def _inline_article(
    hit: Hit, snapshot: Snapshot, texts: Texts, caveat: str | None
) -> InlineQueryResultArticle:
    shown, label = hit.paragraph, snapshot.corpus.label(hit.paragraph, texts.language_code)

    def blocks(text: str) -> list[Block]:
        return _paragraph_blocks(shown, snapshot, texts, text, hit.highlight, caveat)

    return InlineQueryResultArticle(
        id=str(hit.rank),
        title=label if caveat is None else texts.inline_closest.format(label=label),
        description=shorten(hit.highlight, SNIPPET_CHARS),
        # An inline result is one message: a long paragraph is shortened to fit.
        input_message_content=InputTextMessageContent(one_message(blocks, shown.text)),
    )


def _bullets(items: Sequence[Sequence[Span]]) -> Block:
    return lines(*([Span("• "), *item] for item in items))


def _title(document: Document) -> Span:
    if document.source_url:
        return Span(document.name, "a", document.source_url)
    return Span(document.name)


def start(documents: Sequence[Document], username: str, texts: Texts) -> list[str]:
    """What the bot knows, how to ask, and example questions."""
    return pack(
        [
            [Span(texts.intro)],
            _bullets([[Span(d.name, "b")] for d in documents]),
            *_how_to_ask(username, texts),
            lines([Span(texts.examples_title)], *([Span(f"— {e}")] for e in texts.examples)),
        ]
    )


def _how_to_ask(username: str, texts: Texts) -> list[Block]:
    mention = f"@{username}"
    return [
        [Span(texts.how_to_ask)],
        [Span(texts.in_groups.format(username=mention))],
        [Span(texts.inline_mode.format(username=mention))],
    ]


def help_text(username: str, texts: Texts) -> list[str]:
    """How to ask, and the commands."""
    commands = [[Span(f"/{command} — {description}")] for command, description in texts.commands]
    return pack([*_how_to_ask(username, texts), lines(*commands)])


def about(snapshot: Snapshot, texts: Texts) -> list[str]:
    """The sources, newest first: title (linked when there is a URL), interviewee, date
    when known and how many paragraphs; the newest MAX_SOURCES of a large archive."""
    corpus, entries = snapshot.corpus, []
    listed = corpus.newest_first()
    for document in listed[:MAX_SOURCES]:
        count = texts.paragraph_count.format(n=corpus.count(document))
        details = ", ".join(d for d in (document.interviewee, document.date, count) if d)
        entries.append([_title(document), Span(f" ({details})")])
    more = len(listed) - MAX_SOURCES
    rest = [[Span(texts.more_sources.format(n=more))]] if more > 0 else []
    return pack([[Span(texts.sources_title, "b")], _bullets(entries), *rest])


def notice(text: str) -> str:
    """A one-line UI message as HTML."""
    return html.escape(text, quote=False)


def query_error(error: QuestionError, limit: int, texts: Texts) -> str:
    """Why a question was not searched."""
    return notice(texts.empty if error.kind == "empty" else texts.too_long.format(limit=limit))


def stats(service: ServiceStats, bot: BotStats, snapshot: Snapshot, texts: Texts) -> str:
    """The counters since start, and the index being served."""
    seconds = int(service.uptime)
    uptime = f"{seconds // 3600}:{seconds // 60 % 60:02}:{seconds % 60:02}"
    return notice(
        texts.stats.format(
            uptime=uptime,
            answered=service.decisions[Decision.ANSWERED],
            uncertain=service.decisions[Decision.UNCERTAIN],
            not_covered=service.decisions[Decision.NOT_COVERED],
            limited=bot.limited,
            paragraphs=snapshot.manifest.count,
            built_at=snapshot.manifest.built_at,
            build_seconds=snapshot.manifest.build_seconds,
            reloads=service.reloads,
            failed_reloads=service.failed_reloads,
        )
    )


REPORT_GROUPS = 5


def report(summary: Report, days: int, texts: Texts) -> str:
    """The owner's report, short: the counts, and the biggest groups of unanswered questions."""
    decisions: Counter[str] = Counter()
    for day in summary.days:
        decisions[day.decision] += day.count
    lines = [
        texts.report.format(
            days=days,
            total=sum(decisions.values()),
            answered=decisions[Decision.ANSWERED],
            uncertain=decisions[Decision.UNCERTAIN],
            not_covered=decisions[Decision.NOT_COVERED],
            up=summary.votes.up,
            down=summary.votes.down,
        )
    ]
    if summary.unanswered:
        lines.append("")
        lines.append(texts.report_groups)
        lines.extend(
            f"• {group.count}× «{shorten(group.examples[0], SNIPPET_CHARS)}»"
            for group in summary.unanswered[:REPORT_GROUPS]
        )
    return notice("\n".join(lines))


def reloaded(snapshot: Snapshot, texts: Texts) -> str:
    manifest = snapshot.manifest
    return notice(texts.reloaded.format(paragraphs=manifest.count, built_at=manifest.built_at))


def reload_failed(error: str, texts: Texts) -> str:
    return notice(texts.reload_failed.format(error=error))


def slow_down(limit: int, seconds: int, texts: Texts) -> str:
    return notice(texts.slow_down.format(limit=limit, seconds=seconds))
