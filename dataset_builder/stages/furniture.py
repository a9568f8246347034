"""Page furniture that trafilatura keeps in an article's text, dropped line by line: the
headline, date and byline on top (they are metadata here), teaser links to other articles
and the headings of their boxes, and the credits, follow and newsletter prompts, tag and
comment headers at the end. Rules are generic (none names a site) and each is measured in
bench/html_extraction.py."""

from __future__ import annotations

import re


def _rules(*patterns: str) -> re.Pattern[str]:
    """Patterns that must match a whole line, case-insensitively, like the cleaner's rules."""
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


WORD = re.compile(r"\w+")
SENTENCE_END = re.compile(r"[.!?。！？]\W*$")
SOCIAL = r"(?=.*(?:\b(?:twitter|facebook|instagram|youtube|linkedin|tiktok)\b|@\w|https?://))"

# Anywhere: links to other articles, and headings of the boxes that list them.
TEASER = _rules(
    r"\[?(related|related (posts?|articles?|stories|content|coverage|reading|videos?)|read more|read also"
    r"|also read|read next|see more|see also|more|more on this( story| topic)?|recommended)"
    r"\s?:\s?.{0,200}?\]?",
    r"also on [\w-]+(\.[\w-]+)+\s.{1,200}",
)
WIDGET_HEADING = _rules(
    r"(don'?t miss|you (may|might) (also )?like|most (read|viewed|popular|shared)( in .{1,40})?"
    r"|trending( now)?|editor'?s picks|popular (now|stories|articles)|recommended( for you)?)[:.…!]*",
)
WIDGET_LINES = 5  # headline-like lines a box heading may list (a "Don't miss" box, not a table)
SHORTCODE = re.compile(r"\[[a-z_]+\s+[a-z_-]+=[^\]]*\].*|\[([a-z_]+)\].*\[/\1\]")  # WordPress, leaked
READING_TIME = _rules(
    r"((estimated )?read(ing)? time|tempo de leitura|tiempo de lectura|temps de lecture|lesezeit"
    r"|tempo di lettura)\s?:?\s?\d+\s?\w{0,10}\.?",
    r"\d+\s?min(ute)?s?\.? read",
)

# At the end (see `trim_tail`): what a site puts after its articles.
FOOTER = _rules(
    # credits
    r"\(?((additional|with) )?(reporting|writing|editing|research) by .{1,250}\)?\.?",
    r".{1,200}\b(contributed|contributing) (to this (report|story|article)|reporting|additional reporting)"
    r"( from .{1,80})?\.?",
    r"(compiled|edited|written) by .{1,80}",
    # follow, contact, newsletter and share prompts
    SOCIAL + r".{0,300}\bfollow\b.{0,300}",
    r"(have a (news )?tip|reach (the )?(reporters?|writers?|authors?|him|her|us)|contact (the )?"
    r"(reporters?|writers?|authors?)|e-?mail (the )?(reporters?|writers?|authors?|us|him|her)"
    r"|send (us )?(your )?(news )?tips?)\b.{0,250}",
    r"(e-?mail:?\s*)?[\w.+-]+@[\w-]+(\.[\w-]+)+",
    r"(https?://)?(www\.)?(twitter|x|facebook|instagram|linkedin)\.com/\S+",
    r"@\w+",
    r"(?=.*\b(newsletters?|inbox)\b)"
    r"(.{0,40}|.{0,300}\b(sign(ing)? up|subscrib\w*|delivered|get|receive|join)\b.{0,300})",
    r"(like|enjoy(ed)?|love) this (story|article|post)\?.{0,100}",
    r"if you (enjoyed|liked|like|enjoy) this (article|story|post).{0,300}",
    # comment sections
    r"(\d+\s)?(comments?|responses?|replies|reactions)",
    r"(\d+ )?thoughts? on .{1,200}",
    r"(show|view|load|loading|read|see|add|post|write|leave|join)( all| the| a| your)?"
    r" (comments?|discussion|reply)(\.\.\.|…|!)?",
    r"comments? (are|is) closed\.?|comments? powered by .{1,40}",
    r"(tell|let) us what you think.{0,20}|want to join the discussion\??|feel free to contribute!?",
    r"you must (be )?log(ged)? in to (post|leave) a comment\.?|comment on this (story|article)",
    # labels
    r"(tags?|tagged( with)?|filed under|categories|category|topics?|keywords)\s?:?(\s.{0,300})?",
    r"(source|sources|fonte|fuente|quelle)\s?:\s?.{1,80}",
    r"(last )?updated( on| at)? .{0,40}\d.{0,40}",
    r"(copyright|©).{0,150}",
    r"[\w'’ .-]{1,40}:\s*https?://\S+.{0,40}",
)
TAIL_SLACK_WORDS = 40  # unmatched words a footer line may have below it (a tag list, a blurb)
TAIL_SLACK_LINES = 2

# On top, before the first paragraph: a date or time ("Nov. 20, 2019 - 11:28 AMT", "22 de
# janeiro de 2018 às 0:13", "2019年11月20日") on a short line, and the authors' names.
DATE = re.compile(
    r"\b\d{1,2}:\d{2}\b"
    r"|\b\d{1,4}[./-]\d{1,2}[./-]\d{2,4}\b"
    r"|\b\d{1,2}\.?\s+(de\s+)?[^\W\d_]{3,}\.?,?\s+(de\s+)?\d{4}\b"
    r"|\b[^\W\d_]{3,}\.?\s+\d{1,2}(st|nd|rd|th)?,?\s+\d{4}\b"
    r"|\d{4}年\d{1,2}月\d{1,2}日"
)
BYLINE_WORDS = {"by", "and", "por", "y", "e", "von", "und", "par", "et", "di", "przez", "i"}
HEAD_LINES = 4  # a headline, a standfirst, a date and a byline at most


def strip_furniture(
    text: str, title: str | None, author: str | None, skip: frozenset[str] = frozenset()
) -> list[str]:
    """The article's paragraphs, without the page furniture trafilatura kept with them;
    `skip` leaves out steps by name ("head", "teasers", "tail"), for measuring them."""
    lines = [line for line in (" ".join(line.split()) for line in text.split("\n")) if line]
    if "head" not in skip:
        lines = trim_head(lines, title, author)
    if "teasers" not in skip:
        lines = drop_teasers(lines)
    return lines if "tail" in skip else trim_tail(lines)


def _words(line: str) -> list[str]:
    return WORD.findall(line.lower())


def trim_head(lines: list[str], title: str | None, author: str | None) -> list[str]:
    """Drop leading lines that repeat the title, or are a date, a byline or a reading time;
    the last line is kept."""
    title_words = _words(title or "")
    author_words = set(_words(author or ""))
    start = 0
    while start < min(HEAD_LINES, len(lines) - 1):
        line, words = lines[start], _words(lines[start])
        if not (
            _repeats_title(words, title_words, author_words)
            or _is_dateline(line, words)
            or _is_byline(words, author_words)
            or READING_TIME.fullmatch(line)
        ):
            break
        start += 1
    return lines[start:]


def _repeats_title(words: list[str], title_words: list[str], author_words: set[str]) -> bool:
    """The line is the title, or its start (a title shown without the site's suffix), or
    the title followed by a few words of byline and date."""
    if len(title_words) < 2 or len(words) < 2:
        return False
    if words == title_words or (len(words) >= 3 and title_words[: len(words)] == words):
        return True
    if words[: len(title_words)] == title_words:
        rest = words[len(title_words) :]
        return sum(1 for w in rest if not w.isdigit() and w not in author_words) <= 6
    return False


def _is_dateline(line: str, words: list[str]) -> bool:
    return len(words) <= 16 and not SENTENCE_END.search(line) and bool(DATE.search(line))


def _is_byline(words: list[str], author_words: set[str]) -> bool:
    """The authors' names (as the page's metadata gives them), with "by" and "and"."""
    return bool(author_words & set(words)) and set(words) <= author_words | BYLINE_WORDS


def drop_teasers(lines: list[str]) -> list[str]:
    """Drop lines that link to other articles, and box headings with the few headline-like
    lines (short, no full stop) listed under them."""
    kept = []
    listed = 0  # headline-like lines still to drop under a box heading
    for line in lines:
        if WIDGET_HEADING.fullmatch(line):
            listed = WIDGET_LINES
        elif listed and len(_words(line)) <= 20 and not SENTENCE_END.search(line):
            listed -= 1
        else:
            listed = 0
            if not (TEASER.fullmatch(line) or SHORTCODE.fullmatch(line) or READING_TIME.fullmatch(line)):
                kept.append(line)
    return kept


def trim_tail(lines: list[str]) -> list[str]:
    """Cut the text at the first of its closing footer lines: a footer line below which there
    are only footer lines and at most a couple of short other lines. The first line is kept."""
    end = len(lines)
    slack_words = slack_lines = 0
    for index in range(len(lines) - 1, 0, -1):
        if FOOTER.fullmatch(lines[index]):
            end, slack_words, slack_lines = index, 0, 0
            continue
        slack_words += len(_words(lines[index]))
        slack_lines += 1
        if slack_words > TAIL_SLACK_WORDS or slack_lines > TAIL_SLACK_LINES:
            break
    return lines[:end]
