"""Body extraction: which lines of a capture are the article, which are page chrome.

Every removed line is logged as a :class:`Cut`; header metadata is also *lifted* into
``CleanResult.lifted`` so nothing the page said is lost.  The rules describe the
chrome of the sites the captures come from (NetEase, ifeng and the aggregators that
republish them) as patterns, not as the literal lines of these five pages, so the
same junk on another page of those sites is caught too.  They are deliberately
narrow: a rule that could match a sentence of an article is not used.

Detection looks at each line with GBK mojibake repaired, pinyin readings and stray
tags removed and whitespace normalised (``相關(guān)推薦`` must match ``相關推薦``, ``<span>特別聲明:…``
must match ``特別聲明:…``); the lines themselves are cleaned later.  Whatever the
later rules remove must be removed here too, or cleaning the cleaned text would cut
lines the first pass kept.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from ..model import ArticleMeta, Cut
from .pinyin import strip_annotations
from .textrules import normalize_space, strip_tags

# A section heading after which a page lists other stories or stock quotes; the
# article never continues after one, so everything from it to the end is cut.
TAIL_MARKER = re.compile(r"^(相[關关]|熱[點门門議]|热[点门议])(推薦|推荐|內容|内容|資訊|资讯|股票)$")
SITE_NAV = re.compile(r"首[頁页]\s*>.*正文")
PLATFORM_NOTICE = re.compile(r"^(特別聲明|特别声明)[:：].*(平[臺台]|网易号|網易號)|^Notice: The content above")
DISCLAIMER = re.compile(r"^(免責聲明|免责声明)[:：]")
APP_PROMO = re.compile(r"(歡迎下載|欢迎下载).*(客戶端|客户端)")
# A call to action ("*試用…請訪問:") is a short line ending in a colon whose next
# line is a bare link; it is recognised by that shape, because on these pages the
# call itself is often garbled.
CALL_TO_ACTION = re.compile(r"^\S{1,40}[:：]$")
BARE_URL = re.compile(r"^(https?://|www\.)\S+$")
SOURCE_LINE = re.compile(r"^(來源|来源)[:：]\s*(\S.*)$")
SHARE_WIDGET = re.compile(r"^分享至$")
COUNTER = re.compile(r"^\d+$")
DATE = re.compile(r"^(\d{2}/\d{2}|\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?)$")
# "界面新聞記者 | 伍洋宇": a role, a bar, a name.  The role may be garbled, so the
# shape decides and the role word only chooses the key.
STAFF = re.compile(r"^(\S{1,20}?)\s*\|\s*(\S{1,10})$")
# A header tag: a short label such as a column name or a person, no punctuation.
TAG = re.compile(r"^[^\s,.:;?!。，：；？！、()]{1,8}$")
# Prose: a body line has sentence punctuation and some length; header lines do not.
PROSE = re.compile(r"[。，,]")
PROSE_MIN = 15


@dataclass(frozen=True)
class Extracted:
    kept: tuple[tuple[int, str], ...]  # (source line number, whitespace-normalised text)
    cuts: tuple[Cut, ...]
    lifted: dict[str, str]


def spam_banner(view: str) -> bool:
    """A link-farm banner: many short fields joined by ``|`` and no sentence."""
    fields = view.split("|")
    return len(fields) >= 6 and all(0 < len(f) <= 20 for f in fields) and not PROSE.search(view)


def is_prose(view: str) -> bool:
    return len(view) >= PROSE_MIN and bool(PROSE.search(view))


def extract(lines: list[str], meta: ArticleMeta, repair: Callable[[str, int], str] | None = None) -> Extracted:
    """``repair(line, number)`` repairs a line's GBK mojibake: detection sees damaged
    runs repaired, as a second cleaning would."""
    views = [_view(line, number, repair) for number, line in enumerate(lines, 1)]
    verdict: dict[int, str] = {}  # 0-based index -> rule that cuts it
    lifted: dict[str, str] = {}
    # Detection runs again over the lines it kept, as cleaning the cleaned text would,
    # until it cuts nothing more: a cut line (a share counter) can stand between a call
    # to action and its address, and only its removal shows them to be a promo.
    while True:
        found = _detect([("" if i in verdict else v) for i, v in enumerate(views)], meta, lifted)
        new = {i: rule for i, rule in found.items() if i not in verdict}
        if not new:
            break
        verdict.update(new)

    # Judged on the line, not its view: a line of residue only (a tag, a reading) is kept
    # here so that the rule removing the residue logs it and the emptied line is cut.
    kept = tuple((i + 1, normalize_space(lines[i])) for i in range(len(lines))
                 if i not in verdict and normalize_space(lines[i]))
    return Extracted(kept, _blocks(verdict, lines), lifted)


def _detect(views: list[str], meta: ArticleMeta, lifted: dict[str, str]) -> dict[int, str]:
    """One pass of the rules over the views of the lines not yet cut ("" for cut ones)."""
    verdict: dict[int, str] = {}

    first_body = next((i for i, v in enumerate(views) if is_prose(v) and not _chrome(v)), len(views))
    # Only after the body starts: a tail marker before it would be a title.
    tail = next((i for i in range(first_body, len(views)) if TAIL_MARKER.match(views[i])), None)
    if tail is not None:
        for i in range(tail, len(views)):
            verdict[i] = "related-list"

    for i, view in enumerate(views):
        if i in verdict or not view:
            continue
        rule = _chrome(view)
        if rule:
            verdict[i] = rule
        elif SHARE_WIDGET.match(view):
            verdict[i] = "share-widget"
            # The share count printed just above the button.
            prev = _previous_nonempty(views, i, verdict)
            if prev is not None and COUNTER.match(views[prev]):
                verdict[prev] = "share-widget"
        elif BARE_URL.match(view):
            prev = _previous_nonempty(views, i, verdict)
            if prev is not None and CALL_TO_ACTION.match(views[prev]) and not is_prose(views[prev]):
                verdict[prev] = verdict[i] = "promo"
        elif match := SOURCE_LINE.match(view):
            verdict[i] = "source-line"
            lifted["source"] = match.group(2)

    for i in range(first_body):
        if i in verdict or not views[i]:
            continue
        rule = _header(views[i], meta, lifted)
        if rule:
            verdict[i] = rule
    return verdict


def _view(line: str, number: int, repair: Callable[[str, int], str] | None) -> str:
    """The line as detection sees it: GBK runs repaired, readings and tags removed as
    the in-line rules remove them, repeatedly (a tag may split a reading:
    ``相關(<span>guān)推薦``, or stand before a damaged run, see ``clean_text``)."""
    text = normalize_space(line)
    while True:
        if repair is not None:
            text = repair(text, number)
        bare = strip_tags(strip_annotations(text))
        if bare == text:
            return normalize_space(text)
        text = bare


def _chrome(view: str) -> str | None:
    if spam_banner(view):
        return "spam-banner"
    if SITE_NAV.search(view):
        return "site-navigation"
    if PLATFORM_NOTICE.search(view):
        return "platform-notice"
    if DISCLAIMER.match(view):
        return "disclaimer"
    if APP_PROMO.search(view):
        return "promo"
    return None


def _header(view: str, meta: ArticleMeta, lifted: dict[str, str]) -> str | None:
    """Lift one header line above the first paragraph into ``lifted``."""
    if view == meta.title_zh:
        lifted["title"] = view
        return "header-title"
    if DATE.match(view):
        lifted["date"] = view
        return "header-date"
    if view == meta.outlet_zh:
        lifted["outlet"] = view
        return "header-outlet"
    if match := STAFF.match(view):
        key = "editor" if re.search("編輯|编辑", match.group(1)) else "reporter"
        lifted[key] = match.group(2)
        return "header-byline"
    if COUNTER.match(view):
        return "header-counter"
    if TAG.match(view):
        lifted["tag"] = view
        return "header-tag"
    return None


def _previous_nonempty(views: list[str], i: int, cut: dict[int, str]) -> int | None:
    # Lines already cut do not count: once they are gone the line above is the one a
    # second cleaning would see, and cleaning must not change cleaned text again.
    for j in range(i - 1, -1, -1):
        if views[j] and j not in cut:
            return j
    return None


def _blocks(verdict: dict[int, str], lines: list[str]) -> tuple[Cut, ...]:
    """Group cut lines into blocks of one rule; blank lines inside a block join it."""
    cuts: list[Cut] = []
    for i in sorted(verdict):
        rule = verdict[i]
        last = cuts[-1] if cuts else None
        gap_blank = last is not None and all(not lines[j].strip() for j in range(last.last, i))
        if last is not None and last.rule == rule and gap_blank:
            cuts[-1] = Cut(rule, last.first, i + 1, last.preview)
        else:
            cuts.append(Cut(rule, i + 1, i + 1, _preview(lines[i])))
    return tuple(cuts)


def _preview(line: str) -> str:
    text = normalize_space(line)
    return text if len(text) <= 40 else text[:39] + "…"
