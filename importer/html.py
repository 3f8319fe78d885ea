"""Web pages: the article's paragraphs with their bold, italic and heading marks, without
the page around them, and what the page states about itself.

The page is parsed by lxml and never run: scripts, styles, frames and forms are dropped
before anything is read. Chrome goes by what it is marked as (nav, header, footer, aside,
ARIA roles, hidden elements, class and id words such as share, cookie, breadcrumb,
related), by its text (a "Read also" heading and the list after it, copyright and cookie
notices, a "Share" row) and by being links only. The article is then the element that holds
most of the page's remaining text: starting from <body>, go down into a child while one
child holds three quarters of its text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml import html as lxml_html

from .blocks import (
    Block,
    BlockBuilder,
    Extracted,
    Metadata,
    Refused,
    boilerplate,
    clean,
    iso_date,
    language,
)
from .sources import decode_text

# Never text: dropped with everything inside, before anything else is looked at.
_JUNK = {
    "script", "style", "noscript", "template", "iframe", "frame", "frameset", "object",
    "embed", "svg", "math", "canvas", "video", "audio", "picture", "img", "map", "form",
    "input", "button", "select", "textarea", "option", "link", "meta", "head",
}  # fmt: skip
# Page chrome by element.
_CHROME_TAGS = {"nav", "header", "footer", "aside", "menu", "dialog", "figure", "figcaption"}
_CHROME_ROLES = {
    "navigation", "banner", "contentinfo", "complementary", "search", "dialog",
    "alertdialog", "menu", "menubar", "toolbar", "tablist",
}  # fmt: skip
# Page chrome by the words of its class or id.
_CHROME_WORDS = {
    "nav", "navbar", "navigation", "menu", "submenu", "breadcrumb", "breadcrumbs", "crumbs",
    "share", "sharing", "social", "socials", "likes", "related", "readalso", "also",
    "comment", "comments", "disqus", "cookie", "cookies", "consent", "gdpr", "banner",
    "advert", "advertising", "ads", "adv", "promo", "sponsored", "subscribe", "subscription",
    "newsletter", "sidebar", "widget", "widgets", "footer", "header", "copyright", "tags",
    "popup", "modal", "toolbar", "pagination", "pager", "rating", "print", "author-box",
}  # fmt: skip
_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "center", "dd", "details", "div", "dl",
    "dt", "fieldset", "h1", "h2", "h3", "h4", "h5", "h6", "hgroup", "hr", "li", "main",
    "ol", "p", "pre", "section", "table", "tbody", "thead", "tfoot", "tr", "td", "th", "ul",
    "summary", "caption", "body", "html",
}  # fmt: skip
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BOLD_STYLE = re.compile(r"font-weight\s*:\s*(bold|bolder|[6-9]00)", re.IGNORECASE)
_ITALIC_STYLE = re.compile(r"font-style\s*:\s*(italic|oblique)", re.IGNORECASE)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_WORDS = re.compile(r"[a-z0-9]+")
_READ_ALSO = re.compile(
    r"^(читайте|смотрите) (также|по теме|ещё|еще)|^(по теме|новости по теме|похожие "
    r"(новости|материалы)|другие (новости|материалы)|read (also|more)|see also|related"
    r"( (news|stories|articles))?|оқи отырыңыз|тақырыпқа қатысты)\W*$",
    re.IGNORECASE,
)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
_TITLE_SEPARATORS = (" | ", " — ", " – ", " - ", " :: ", " / ", " · ", " » ", " : ")
_DATE_META = (
    "article:published_time",
    "datepublished",
    "og:published_time",
    "date",
    "pubdate",
    "publishdate",
    "publication_date",
    "dc.date.issued",
    "dc.date",
    "dcterms.issued",
)
# The part of the page that holds the article holds at least this share of its parent's text.
_DESCEND = 0.75
# An element with a chrome-like class is still kept when it holds this share of the text:
# some sites wrap the whole article in a `page-header`-like class.
_CONTENT_SHARE = 0.4


def read_html(data: bytes, charset: str | None = None, url: str | None = None) -> Extracted:
    text = decode_text(data, charset or _declared_charset(data))
    parser = lxml_html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
    try:
        root = lxml_html.document_fromstring(_XML_DECLARATION.sub("", text), parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise Refused(f"not a readable web page: {exc}") from None
    metadata = _metadata(root, url)
    body = root.find("body")
    if body is None:
        body = root
    _drop_junk(body)
    _drop_chrome(body)
    article = _article(body)
    if metadata.date is None:
        metadata.date = _time_in(article)
    builder = BlockBuilder()
    _walk(article, builder, bold=False, italic=False, heading=False, link=False)
    builder.end()
    return Extracted([b for b in builder.blocks if not _chrome_text(b)], metadata)


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    return match[1].decode("ascii", "replace") if match else None


# --- what the page is not -----------------------------------------------------------------


def _tag(element: Any) -> str | None:
    # Comments and processing instructions have a function for a tag.
    return element.tag.lower() if isinstance(element.tag, str) else None


def _drop_junk(body: Any) -> None:
    for element in list(body.iter()):
        tag = _tag(element)
        if tag in _JUNK and element.getparent() is not None:
            element.drop_tree()


def _weights(body: Any) -> dict[Any, int]:
    """Letters of text outside links in each element, counted once bottom-up."""
    weights: dict[Any, int] = {}

    def weigh(element: Any) -> int:
        own = 0 if _tag(element) == "a" else _count(element.text)
        total = own + sum(weigh(child) + _count(child.tail) for child in element)
        weights[element] = total
        return total

    weigh(body)
    return weights


def _count(text: str | None) -> int:
    return sum(c.isalnum() for c in text) if text else 0


def _is_chrome(element: Any) -> bool:
    tag = _tag(element)
    if tag in _CHROME_TAGS:
        return True
    attrib = element.attrib
    if "hidden" in attrib or attrib.get("aria-hidden", "").lower() == "true":
        return True
    if _HIDDEN_STYLE.search(attrib.get("style", "")):
        return True
    if attrib.get("role", "").lower() in _CHROME_ROLES:
        return True
    names = f"{attrib.get('class', '')} {attrib.get('id', '')}".lower()
    words = set(_WORDS.findall(names))
    words |= {a + b for a, b in zip(names.split("-"), names.split("-")[1:], strict=False)}
    return bool(words & _CHROME_WORDS)


def _drop_chrome(body: Any) -> None:
    weights = _weights(body)
    total = weights.get(body, 0) or 1
    for element in list(body.iter()):
        if _tag(element) is None or element.getparent() is None or not _attached(element, body):
            continue
        if _is_chrome(element) and weights.get(element, 0) < _CONTENT_SHARE * total:
            element.drop_tree()
        elif _READ_ALSO.match(clean(element.text_content())) and _tag(element) != "body":
            following = element.getnext()
            if following is not None and _link_share(following) >= 0.5:
                following.drop_tree()
            element.drop_tree()


def _attached(element: Any, body: Any) -> bool:
    return any(ancestor is body for ancestor in element.iterancestors()) or element is body


def _link_share(element: Any) -> float:
    text = clean(element.text_content())
    if not text:
        return 1.0
    linked = sum(_count(a.text_content()) for a in element.iter("a"))
    return linked / max(1, _count(text))


def _chrome_text(block: Block) -> bool:
    return block.linked or boilerplate(block.text)


def _article(body: Any) -> Any:
    weights = _weights(body)
    node = body
    while True:
        children = [c for c in node if _tag(c) is not None]
        here = weights.get(node, 0)
        best = max(children, key=lambda c: weights.get(c, 0), default=None)
        if best is None or here == 0 or weights.get(best, 0) < _DESCEND * here:
            return node
        node = best


# --- the article's blocks -----------------------------------------------------------------


def _walk(
    element: Any, out: BlockBuilder, *, bold: bool, italic: bool, heading: bool, link: bool
) -> None:
    tag = _tag(element)
    if tag is None:
        return
    style = element.attrib.get("style", "")
    bold = bold or tag in ("b", "strong") or bool(_BOLD_STYLE.search(style))
    italic = italic or tag in ("i", "em", "cite") or bool(_ITALIC_STYLE.search(style))
    heading = heading or tag in _HEADINGS
    link = link or tag == "a"
    if tag == "br":
        out.end()
        return
    block = tag in _BLOCK_TAGS
    if block:
        out.end()
    flags = {"bold": bold, "italic": italic, "heading": heading, "link": link}
    out.add(element.text or "", **flags)
    for child in element:
        _walk(child, out, bold=bold, italic=italic, heading=heading, link=link)
        # A child's tail is its parent's text again.
        out.add(child.tail or "", **flags)
    if block:
        out.end()


# --- what the page says about itself ------------------------------------------------------


def _metadata(root: Any, url: str | None) -> Metadata:
    meta: dict[str, str] = {}
    for element in root.iter("meta"):
        key = (
            element.get("property") or element.get("name") or element.get("itemprop") or ""
        ).lower()
        content = clean(element.get("content") or "")
        if key and content:
            meta.setdefault(key, content)
    articles = list(_json_ld(root))
    site = meta.get("og:site_name") or _first(_publisher(a) for a in articles)
    h1 = root.find(".//h1")
    title_element = root.find(".//title")
    titles = [
        _without_site(meta.get("og:title"), site),
        _first(clean(str(a.get("headline") or "")) for a in articles),
        clean(h1.text_content()) if h1 is not None else None,
        _without_site(
            clean(title_element.text_content()) if title_element is not None else "", site
        ),
    ]
    date = None
    for key in _DATE_META:
        if date := iso_date(meta.get(key)):
            break
    if date is None:
        date = _first(iso_date(a.get("datePublished")) for a in articles)
    canonical = None
    for element in root.iter("link"):
        if "canonical" in (element.get("rel") or "").lower().split():
            canonical = _absolute(element.get("href"), url)
            break
    return Metadata(
        title=_first(titles),
        date=date,
        outlet=site or None,
        source_url=canonical or _absolute(meta.get("og:url"), url) or url,
        language=language(root.get("lang"))
        or language(meta.get("og:locale"))
        or language(meta.get("content-language")),
    )


def _first(values: Any) -> str | None:
    for value in values:
        if value:
            return str(value)
    return None


def _without_site(title: str | None, site: str | None) -> str | None:
    if not title:
        return None
    if site:
        for separator in _TITLE_SEPARATORS:
            if title.endswith(separator + site):
                return title[: -len(separator + site)].strip() or None
            if title.startswith(site + separator):
                return title[len(site + separator) :].strip() or None
    return title


def _absolute(href: str | None, base: str | None) -> str | None:
    if not href:
        return None
    href = urljoin(base, href.strip()) if base else href.strip()
    return href if urlsplit(href).scheme in ("http", "https") else None


def _json_ld(root: Any) -> Iterator[dict[str, Any]]:
    """The JSON-LD objects that state a publication date or headline."""
    for script in root.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                if "datePublished" in item or "headline" in item:
                    yield item
                stack.extend(v for k, v in item.items() if k == "@graph")


def _publisher(article: dict[str, Any]) -> str | None:
    publisher = article.get("publisher")
    if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
        return clean(publisher["name"]) or None
    return None


def _time_in(article: Any) -> str | None:
    """The article's own <time>, when all of its <time> elements agree on one date."""
    dates = {iso_date(t.get("datetime")) for t in article.iter("time") if t.get("datetime")}
    dates.discard(None)
    return dates.pop() if len(dates) == 1 else None
