"""The seed interview laid out the ways interviews are published: web pages, Word, PDF.

Every builder takes the seed (its questions, answers and section heading, read with the
project's own parser) and returns the bytes a publisher would serve, so that an import of
any of them can be checked against the seed word for word.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from retrieval.corpus import parse_document

ROOT = Path(__file__).resolve().parent.parent
SEED_FILE = ROOT / "data" / "interview.txt"

# The seed's date is unknown; the layouts state this one so that its extraction is checked.
DATE = "2012-12-04"
SITE = "Министерство иностранных дел Республики Казахстан"
CANONICAL = "https://mfa.example.kz/ru/press/interview-1234"
LEAD = (
    "Министр иностранных дел Республики Казахстан ответил на вопросы нашего корреспондента "
    "накануне визита в Москву."
)
# Where Debian puts the fonts the PDF layouts are typeset in.
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype/liberation"),
)


@dataclass(frozen=True)
class Seed:
    title: str
    answers: tuple[tuple[str, tuple[str, ...]], ...]  # (question, paragraphs)
    heading: str
    heading_before: int  # index of the answer the heading stands before

    def paragraphs(self) -> int:
        return sum(len(paragraphs) for _, paragraphs in self.answers)


def seed() -> Seed:
    document, records = parse_document(SEED_FILE)
    answers: dict[int, tuple[str, list[str]]] = {}
    heading, heading_before = "", -1
    for record in records:
        answers.setdefault(record.answer_no, (record.question, []))[1].append(record.text)
        if record.section and not heading:
            heading, heading_before = record.section, record.answer_no - 1
    return Seed(
        title=document.name,
        answers=tuple((q, tuple(ps)) for q, ps in answers.values()),
        heading=heading,
        heading_before=heading_before,
    )


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _turns(s: Seed) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """(heading or "", question, paragraphs) for each answer."""
    for number, (question, paragraphs) in enumerate(s.answers):
        yield (s.heading if number == s.heading_before else ""), question, paragraphs


# --- web pages ----------------------------------------------------------------------------------

_SCRIPT = (
    "<script>window.dataLayer = [];"
    "document.write('<p><b>Вопрос из скрипта?</b></p><p>Ответ из скрипта.</p>');</script>"
)
_COOKIES = (
    '<div class="cookie-banner" id="cookie-consent"><p>Мы используем файлы cookie, чтобы '
    "сайт работал лучше. Продолжая, вы соглашаетесь с этим.</p><button>Принять</button></div>"
)
_NAVIGATION = (
    '<header class="site-header"><a href="/" class="logo">МИД РК</a>'
    "<nav><ul><li><a href='/ru'>Главная</a></li><li><a href='/ru/press'>Пресс-центр</a></li>"
    "<li><a href='/ru/ministry'>О министерстве</a></li><li><a href='/ru/contacts'>Контакты</a></li>"
    "</ul></nav></header>"
    '<div class="breadcrumbs"><a href="/ru">Главная</a> / <a href="/ru/press">Пресс-центр</a>'
    " / <span>Интервью</span></div>"
)
_SHARE = (
    '<div class="share-buttons"><span>Поделиться:</span> <a href="#">Facebook</a> '
    '<a href="#">Telegram</a> <a href="#">WhatsApp</a></div>'
)
_READ_ALSO = (
    '<section class="read-also"><h3>Читайте также</h3><ul>'
    '<li><a href="/ru/press/1"><b>Какие задачи стоят перед МИД в новом году?</b></a> '
    '<time datetime="2013-01-10">10.01.2013</time></li>'
    '<li><a href="/ru/press/2">Министр встретился с послом Японии</a> '
    '<time datetime="2013-01-09">09.01.2013</time></li>'
    "</ul></section>"
)
_FOOTER = (
    "<footer><p>Адрес: г. Астана, ул. Кунаева, 31. Телефон приёмной: +7 7172 72-05-18.</p>"
    "<p>© 2012 Министерство иностранных дел Республики Казахстан. Все права защищены.</p>"
    "</footer>"
)


def _page(head: str, body: str, lang: str = "ru") -> bytes:
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">{head}{_SCRIPT}'
        "<style>p { margin: 0 0 1em }</style></head>"
        f'<body onload="alert(1)">{_COOKIES}{_NAVIGATION}{body}{_FOOTER}</body></html>'
    ).encode()


def bold_page(s: Seed) -> bytes:
    """A ministry's page: questions in <strong>, an <h2> section heading, full chrome."""
    head = (
        f"<title>{_e(s.title)} | {_e(SITE)}</title>"
        f'<meta property="og:title" content="{_e(s.title)}">'
        f'<meta property="og:site_name" content="{_e(SITE)}">'
        f'<meta property="article:published_time" content="{DATE}T10:00:00+06:00">'
        f'<link rel="canonical" href="{CANONICAL}">'
    )
    parts = [
        f'<main><article class="news-detail"><h1>{_e(s.title)}</h1>',
        '<div class="news-date">4 декабря 2012</div>',
        _SHARE,
        f"<p>{_e(LEAD)}</p>",
    ]
    for heading, question, paragraphs in _turns(s):
        if heading:
            parts.append(f"<h2>{_e(heading)}</h2>")
        parts.append(f"<p><strong>{_e(question)}</strong></p>")
        parts.extend(f"<p>{_e(p)}</p>" for p in paragraphs)
    parts += [_SHARE, "</article>", _READ_ALSO, "</main>"]
    return _page(head, "".join(parts))


def dash_page(s: Seed, emphasis: str = "b") -> bytes:
    """Dash dialogue: "— question" in bold or italic, "— answer", then plain paragraphs.

    The section heading is an <h3> in sentence case (the corpus keeps headings in capitals).
    """
    outlet = "Казинформ"
    article = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": s.title,
        "datePublished": f"{DATE}T09:30:00+06:00",
        "publisher": {"@type": "Organization", "name": outlet},
    }
    head = (
        f"<title>{_e(s.title)} — {outlet}</title>"
        f'<meta property="og:site_name" content="{outlet}">'
        f'<script type="application/ld+json">{json.dumps(article, ensure_ascii=False)}</script>'
    )
    parts = ['<div id="content" class="article-body">', f"<p><i>{_e(LEAD)}</i></p>"]
    for heading, question, paragraphs in _turns(s):
        if heading:
            parts.append(f"<h3>{_e(heading.capitalize().replace('рф', 'РФ'))}</h3>")
        parts.append(f"<p><{emphasis}>— {_e(question)}</{emphasis}></p>")
        first, *rest = paragraphs
        parts.append(f"<p>— {_e(first)}</p>")
        parts.extend(f"<p>{_e(p)}</p>" for p in rest)
    parts += ["</div>", '<aside class="sidebar">', _READ_ALSO, "</aside>"]
    return _page(head, "".join(parts))


def label_page(s: Seed, asker: str = "Корр.", answerer: str = "Министр") -> bytes:
    """Labels before each turn («Корр.:» / «Министр:», Вопрос:/Ответ:, names, ...)."""
    head = "<title>Новости</title>"
    parts = [
        f'<div class="content"><h1>{_e(s.title)}</h1>',
        f'<p class="meta"><time datetime="{DATE}">4 декабря 2012 года</time></p>',
        f"<p>{_e(LEAD)}</p>",
    ]
    for heading, question, paragraphs in _turns(s):
        if heading:
            parts.append(f"<h3>{_e(heading)}</h3>")
        parts.append(f"<p><b>{_e(asker)}:</b> {_e(question)}</p>")
        first, *rest = paragraphs
        parts.append(f"<p><b>{_e(answerer)}:</b> {_e(first)}</p>")
        parts.extend(f"<p>{_e(p)}</p>" for p in rest)
    parts.append("</div>")
    return _page(head, "".join(parts))


def caps_heading_page(s: Seed) -> bytes:
    """An older site: one <div> of text, paragraphs split by <br>, the heading a bold capitals
    line; no date anywhere but on the "read also" items (which are not this page's date)."""
    head = f"<title>{_e(s.title)}</title><noscript><p>Включите JavaScript</p></noscript>"
    parts = ['<table class="layout"><tr><td class="left-menu">']
    parts.append("<ul><li><a href='/a'>Новости</a></li><li><a href='/b'>Интервью</a></li></ul>")
    parts.append('</td><td class="main-column"><div class="text">')
    for heading, question, paragraphs in _turns(s):
        if heading:
            parts.append(f"<b>{_e(heading)}</b><br><br>")
        parts.append(f"<b>{_e(question)}</b><br>")
        parts.append("<br>".join(_e(p) for p in paragraphs) + "<br><br>")
    parts.append('</div><iframe src="https://ads.example.com/banner"></iframe></td></tr></table>')
    parts.append(_READ_ALSO)
    return _page(head, "".join(parts))


def news_page() -> bytes:
    """A news story about a meeting: a bold lead, a quote, no questions and answers."""
    head = "<title>Министр провёл встречу с послом</title>"
    body = (
        "<article><h1>Министр провёл встречу с послом</h1>"
        "<p><b>Стороны обсудили подготовку нового договора о добрососедстве.</b></p>"
        "<p>Встреча прошла в здании министерства. Министр отметил, что работа над "
        "проектом документа идёт по плану.</p>"
        "<p>— Мы рассчитываем согласовать текст в следующем году, — сказал министр.</p>"
        "<p>Посол поблагодарил казахстанскую сторону за гостеприимство.</p></article>"
    )
    return _page(head, body)


# --- a Word file --------------------------------------------------------------------------------

CREATED = dt.datetime(2012, 12, 4, 9, 0, tzinfo=dt.UTC)


def word_file(s: Seed) -> bytes:
    """A press release from Word: bold questions, a Heading 2 section, core title and date."""
    import docx

    document = docx.Document()
    document.core_properties.title = s.title
    document.core_properties.created = CREATED.replace(tzinfo=None)
    document.sections[0].header.paragraphs[0].text = "Пресс-служба МИД РК"
    document.sections[0].footer.paragraphs[0].text = "Для публикации"
    document.add_paragraph(LEAD)
    for heading, question, paragraphs in _turns(s):
        if heading:
            document.add_heading(heading, level=2)
        # Questions bold as Word users make them: the run, not a style.
        document.add_paragraph().add_run(question).bold = True
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- a PDF --------------------------------------------------------------------------------------


def font_files() -> tuple[Path, Path] | None:
    """A regular and a bold TrueType font with Cyrillic, if the system has one."""
    for folder, regular, bold in (
        (FONT_DIRS[0], "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
        (FONT_DIRS[1], "LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
    ):
        if (folder / regular).exists() and (folder / bold).exists():
            return folder / regular, folder / bold
    return None


@dataclass
class PdfLayout:
    hyphenated: list[tuple[str, str]]  # (line end, next line start) of each hyphenated break
    pages: int
    split: int = 0  # paragraphs that go on from one page to the next


# Words broken after their own hyphen wherever they fall: the hyphen must stay.
KEEP_HYPHEN = ("из-за", "военно-технического")


def pdf_file(s: Seed, *, encrypt: str | None = None) -> tuple[bytes, PdfLayout]:
    """A PDF transcript typeset line by line: a running header and footer with the page
    number on every page, bold questions and heading, and long words hyphenated at line ends
    (a word with its own hyphen breaks after that hyphen, as typesetters do)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    fonts = font_files()
    assert fonts is not None, "no Cyrillic TrueType font"
    pdfmetrics.registerFont(TTFont("Body", str(fonts[0])))
    pdfmetrics.registerFont(TTFont("Body-Bold", str(fonts[1])))

    size, leading, gap, margin = 11.0, 14.5, 8.0, 56.0
    width, height = A4
    column = width - 2 * margin
    blocks: list[tuple[str, str]] = [("Body", LEAD)]
    for heading, question, paragraphs in _turns(s):
        if heading:
            blocks.append(("Body-Bold", heading))
        blocks.append(("Body-Bold", question))
        blocks.extend(("Body", p) for p in paragraphs)

    layout = PdfLayout(hyphenated=[], pages=0)
    lines: list[tuple[str, str, bool]] = []  # font, text, last line of its paragraph
    for font, text in blocks:
        wrapped = _wrap(text, font, size, column, layout, pdfmetrics.stringWidth)
        lines.extend((font, line, n == len(wrapped) - 1) for n, line in enumerate(wrapped))

    out = io.BytesIO()
    kwargs: dict[str, object] = {}
    if encrypt is not None:
        kwargs["encrypt"] = encrypt
    pdf = canvas.Canvas(out, pagesize=A4, **kwargs)  # type: ignore[arg-type]
    pdf.setTitle(s.title)
    pages: list[list[tuple[str, str, float]]] = [[]]
    y = height - margin - 30
    previous_last = True
    for font, text, last in lines:
        if y < margin + 30:
            pages.append([])
            y = height - margin - 30
            layout.split += not previous_last
        previous_last = last
        pages[-1].append((font, text, y))
        y -= leading + (gap if last else 0)
    for number, page in enumerate(pages, start=1):
        pdf.setFont("Body", 8)
        pdf.drawString(
            margin, height - margin + 10, "Министерство иностранных дел Республики Казахстан"
        )
        pdf.drawRightString(width - margin, height - margin + 10, "Пресс-служба")
        pdf.drawString(margin, margin - 20, "Стенограмма интервью. Для служебного пользования.")
        pdf.drawCentredString(width / 2, margin - 34, str(number))
        for font, text, y in page:
            pdf.setFont(font, size)
            pdf.drawString(margin, y, text)
        pdf.showPage()
    pdf.save()
    layout.pages = len(pages)
    return out.getvalue(), layout


def _wrap(
    text: str,
    font: str,
    size: float,
    column: float,
    layout: PdfLayout,
    measure: Callable[[str, str, float], float],
) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if word in KEEP_HYPHEN:
            head, _, tail = word.partition("-")
            if measure(f"{line} {head}-", font, size) > column:
                lines.append(line)
                line = ""
            lines.append(f"{line} {head}-" if line else f"{head}-")
            layout.hyphenated.append((f"{head}-", tail))
            line = tail
            continue
        if measure(candidate, font, size) <= column:
            line = candidate
            continue
        head, tail = _hyphenate(word, line, font, size, column, measure)
        if head:
            lines.append(f"{line} {head}" if line else head)
            layout.hyphenated.append((head, tail))
            line = tail
        else:
            lines.append(line)
            line = word
    lines.append(line)
    return lines


def _hyphenate(
    word: str,
    line: str,
    font: str,
    size: float,
    column: float,
    measure: Callable[[str, str, float], float],
) -> tuple[str, str]:
    """The longest head of `word` that still fits on `line` with its hyphen, and the rest."""
    prefix = f"{line} " if line else ""
    if "-" in word.strip("-"):
        head, _, tail = word.partition("-")
        if len(head) >= 2 and measure(f"{prefix}{head}-", font, size) <= column:
            return f"{head}-", tail
        return "", ""
    if len(word) < 8 or not word[:-1].isalpha():
        return "", ""
    for cut in range(len(word) - 4, 3, -1):
        head = word[:cut]
        if measure(f"{prefix}{head}-", font, size) <= column:
            return f"{head}-", word[cut:]
    return "", ""


def image_only_pdf() -> bytes:
    """A scan: one page holding only an image."""
    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    image = Image.new("RGB", (400, 200), "white")
    ImageDraw.Draw(image).text((10, 10), "Question? Answer.", fill="black")
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.drawImage(ImageReader(image), 50, 500, width=400, height=200)
    pdf.showPage()
    pdf.save()
    return out.getvalue()
