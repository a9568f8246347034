"""The quality signals of stages/quality.py as integer counts, for a whole batch in one compiled call.

The interpreted signals cost most of pass 1's time (issue 23): a regex `findall` that builds
a Python string per word, a dictionary of every word, then a dozen numpy calls per n. Here one
pass over each text's code points (a table lookup per character tells word characters,
whitespace, character-word scripts, Thai, end punctuation and bullets apart) finds words,
symbols, lines, paragraphs and sentences, and the n-grams are counted in open-addressing hash
tables. Everything is exact: a hash only chooses where to look, and equal hashes are checked
by comparing the code points (words, lines, paragraphs) or the pair of ids an n-gram is made
of (the id of its first n-1 words and of its last word), so no collision can merge two
different words or n-grams.

The kernel returns counts only (`COLUMNS`); quality.py divides them, int by int as the
interpreted code does, so every ratio is the same float. Each rule below names the regex or
str method of quality.py it reproduces, and tests/test_quality.py compares both with a
reference on generated text of every script.

This module imports numba: quality.py imports it only once a process has enough text for
the compile (or the load from numba's cache, `cache=True`) to pay.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Bits of the character table (quality.char_classes), one byte per code point.
WORD_CHAR = 1  # `\w`: str.isalnum() or "_"
SPACE = 2  # `\s`, str.isspace(), what str.strip() removes
CHARACTER_WORD_CHAR = 4  # quality.CHARACTER_WORD: every such character is a word of its own
THAI_CHAR = 8  # quality.HAS_THAI: the text's sentences are split by THAI_SENTENCE_END
END_PUNCT_CHAR = 16  # quality.END_PUNCT
BULLET_CHAR = 32  # quality.BULLETS
SENTENCE_END_CHAR = 64  # . ! ? … 。！？ (and the line break, told apart as whitespace)
SYMBOL_CHAR = 128  # # . … (a symbol, or part of one: "...")

NEWLINE, SPACE_BAR, HASH, DOT, ELLIPSIS = 10, 32, 35, 46, 0x2026
IDEOGRAPHIC_STOP = 0x3002  # below it, the sentence ends . ! ? …; from it on, 。！？ (U+3002, U+FF01, U+FF1F)

COLUMNS = (
    "words",
    "word_chars",
    "sentences",
    "symbols",
    "lines",
    "lines_end_punct",
    "lines_start_bullet",
    "lines_end_ellipsis",
    "distinct_lines",
    "paragraphs",
    "distinct_paragraphs",
    "stop_words",  # -1: no list for the language, or looked for as substrings (in quality.py)
    "top_2gram",
    "top_3gram",
    "top_4gram",  # characters: count times length of the most frequent repeated n-gram
    "dup_5gram",
    "dup_6gram",
    "dup_7gram",
    "dup_8gram",
    "dup_9gram",
    "dup_10gram",  # characters of the words inside a repeated n-gram
)
TOP_COLUMN = COLUMNS.index("top_2gram")  # n = 2, 3, 4 follow
DUP_COLUMN = COLUMNS.index("dup_5gram")  # n = 5 ... 10 follow
MAX_N = 10

GOLDEN = np.int64(-7046029254386353131)  # 0x9E3779B97F4A7C15 as a signed integer


@njit(cache=True, nogil=True)
def span_hash(cps: np.ndarray, start: int, end: int) -> int:
    """A hash of the code points `cps[start:end]`, three at a time (21 bits each): a multiply
    and a shift per three, so hashing costs less than a pass of comparisons."""
    h = np.int64(end - start) * GOLDEN
    i = start
    while i + 3 <= end:
        h = (h ^ ((np.int64(cps[i]) << 42) | (np.int64(cps[i + 1]) << 21) | np.int64(cps[i + 2]))) * GOLDEN
        h ^= h >> 29
        i += 3
    if i < end:
        last = np.int64(cps[i]) << 21
        if i + 1 < end:
            last |= np.int64(cps[i + 1])
        h = (h ^ last) * GOLDEN
    h ^= h >> 32
    h *= GOLDEN
    return h ^ (h >> 29)


@njit(cache=True, nogil=True)
def same_span(a: np.ndarray, a_start: int, a_end: int, b: np.ndarray, b_start: int, b_end: int) -> bool:
    length = a_end - a_start
    if b_end - b_start != length:
        return False
    k = 0
    while k < length and a[a_start + k] == b[b_start + k]:
        k += 1
    return k == length


@njit(cache=True, nogil=True)
def table_size(count: int) -> int:
    """A power of two at least twice `count`: probes stay short."""
    size = 8
    while size < 2 * count:
        size *= 2
    return size


@njit(cache=True, nogil=True)
def distinct_spans(cps: np.ndarray, starts: np.ndarray, ends: np.ndarray, count: int) -> int:
    """How many different strings the spans `starts[k]:ends[k]` of `cps` hold (a Python `set`)."""
    size = table_size(count)
    mask = size - 1
    slots = np.full(size, -1, dtype=np.int64)
    hashes = np.empty(size, dtype=np.int64)
    distinct = 0
    for k in range(count):
        h = span_hash(cps, starts[k], ends[k])
        slot = h & mask
        while slots[slot] >= 0:
            other = slots[slot]
            if hashes[slot] == h and same_span(cps, starts[k], ends[k], cps, starts[other], ends[other]):
                break
            slot = (slot + 1) & mask
        if slots[slot] < 0:
            slots[slot] = k
            hashes[slot] = h
            distinct += 1
    return distinct


@njit(cache=True, nogil=True)
def sentence_count(cps: np.ndarray, start: int, end: int, table: np.ndarray, thai: bool) -> int:
    """`sum(1 for part in ends.split(text) if ANY_WORD.search(part))`, ends being
    SENTENCE_END, or THAI_SENTENCE_END when the text has a Thai character.

    Both patterns match a run of . ! ? … only where whitespace or the end follows the whole
    run (a shorter run ends before one of those characters, and a match starting inside
    the run sees the same end), so a run that fails is skipped whole. SENTENCE_END matches
    one of 。！？ or a line break, with the 。！？ after it; THAI_SENTENCE_END a run of 。！？,
    a line break alone, and a run of spaces (U+0020) with a Thai character either side. A
    part between two matches counts if it holds a word character (no matched character is
    one)."""
    count = 0
    words = False
    i = start
    while i < end:
        c = np.int64(cps[i])
        matched = -1  # where the match starting at i ends, if one does
        kind = table[c]
        if kind & SENTENCE_END_CHAR and c < IDEOGRAPHIC_STOP:  # . ! ? …
            j = i + 1
            while j < end and table[cps[j]] & SENTENCE_END_CHAR and cps[j] < IDEOGRAPHIC_STOP:
                j += 1
            if j == end or table[cps[j]] & SPACE:
                matched = j
            else:
                i = j
                continue
        elif kind & SENTENCE_END_CHAR or c == NEWLINE:  # 。！？ or a line break
            j = i + 1
            if not thai or c != NEWLINE:
                while j < end and table[cps[j]] & SENTENCE_END_CHAR and cps[j] >= IDEOGRAPHIC_STOP:
                    j += 1
            matched = j
        elif thai and c == SPACE_BAR:
            j = i + 1
            while j < end and cps[j] == SPACE_BAR:
                j += 1
            if i > start and table[cps[i - 1]] & THAI_CHAR and j < end and table[cps[j]] & THAI_CHAR:
                matched = j
            else:
                i = j
                continue
        if matched >= 0:
            if words:
                count += 1
            words = False
            i = matched
            continue
        if kind & WORD_CHAR:
            words = True
        i += 1
    if words:
        count += 1
    return count


@njit(cache=True, nogil=True)
def ngram_counts(ids: np.ndarray, lengths: np.ndarray, words: int, out: np.ndarray) -> None:
    """Gopher's repetition counts of one text's words (`ids`, equal words equal ids).

    An n-gram can repeat only where the (n-1)-grams at its position and the next both
    repeat, so each n looks only at those positions (every occurrence of a repeated n-gram
    is among them). The n-gram at a position gets an id from the pair (id of its first n-1
    words, id of its last word), looked up in a hash table and compared whole, so equal
    ids mean equal n-grams."""
    cumulative = np.zeros(words + 1, dtype=np.int64)
    for k in range(words):
        cumulative[k + 1] = cumulative[k] + lengths[k]
    gram = ids.copy()  # the id of the n-gram at each candidate position
    counts = np.zeros(words, dtype=np.int64)
    for k in range(words):
        counts[ids[k]] += 1
    repeated = np.zeros(words + 1, dtype=np.bool_)
    for k in range(words):
        repeated[k] = counts[ids[k]] > 1
    candidates = np.empty(words, dtype=np.int64)
    size = table_size(words)
    slots = np.empty(size, dtype=np.int64)
    first = np.empty(words, dtype=np.int64)  # each n-gram id's pair
    second = np.empty(words, dtype=np.int64)
    for n in range(2, MAX_N + 1):
        found = 0
        for i in range(words - n + 1):
            if repeated[i] and repeated[i + 1]:
                candidates[found] = i
                found += 1
        if found == 0:
            break
        mask = table_size(found) - 1
        slots[: mask + 1] = -1
        grams = 0
        for j in range(found):
            i = candidates[j]
            a = gram[i]
            b = ids[i + n - 1]
            slot = ((a * GOLDEN) ^ b) * GOLDEN
            slot = (slot ^ (slot >> 31)) & mask
            while slots[slot] >= 0 and not (first[slots[slot]] == a and second[slots[slot]] == b):
                slot = (slot + 1) & mask
            if slots[slot] < 0:
                slots[slot] = grams
                first[grams] = a
                second[grams] = b
                counts[grams] = 0
                grams += 1
            gram[i] = slots[slot]
            counts[gram[i]] += 1
        repeated[:words] = False
        best_count = best_chars = 0
        reach = covered = 0
        for j in range(found):
            i = candidates[j]
            count = counts[gram[i]]
            if count < 2:
                continue
            repeated[i] = True
            chars = cumulative[i + n] - cumulative[i]
            if count > best_count or (count == best_count and chars > best_chars):
                best_count = count
                best_chars = chars
            covered += cumulative[i + n] - cumulative[max(i, reach)]
            reach = i + n
        if n <= 4:
            out[TOP_COLUMN + n - 2] = best_count * best_chars
        else:
            out[DUP_COLUMN + n - 5] = covered


@njit(cache=True, nogil=True)
def text_counts(
    cps: np.ndarray,
    start: int,
    end: int,
    table: np.ndarray,
    stop_cps: np.ndarray,
    stop_bounds: np.ndarray,
    stop_word: np.ndarray,
    stop_list: tuple[int, int],
    out: np.ndarray,
) -> None:
    """One text's counts into `out` (COLUMNS), from one pass over its code points.

    Words are those of quality.WORD: a character of CHARACTER_WORD alone, or a run of other
    word characters. A line or paragraph, stripped, runs from its first to its last
    non-whitespace character: a line ends at each line break, a paragraph where the
    whitespace between two non-whitespace characters holds two line breaks or more (what
    PARAGRAPH_BREAK, `\\n\\s*\\n`, matches). Sentences (SENTENCE_END) end at 。！？ and line
    breaks, and at a run of . ! ? … that whitespace or the text's end follows; a text with a
    Thai character is counted again by `sentence_count`. The variants `stop_list` (a range
    of `stop_bounds`, variants of one stop word having the same `stop_word`) are looked up
    among the words."""
    size = end - start
    word_starts = np.empty(size, dtype=np.int64)
    lengths = np.empty(size, dtype=np.int64)
    line_starts = np.empty(size // 2 + 1, dtype=np.int64)  # a line holds a character and a break
    line_ends = np.empty(size // 2 + 1, dtype=np.int64)
    para_starts = np.empty(size // 2 + 1, dtype=np.int64)
    para_ends = np.empty(size // 2 + 1, dtype=np.int64)
    words = chars = symbols = dots = sentences = 0
    lines = punct = bullets = ellipses = paragraphs = 0
    thai = False
    word_seen = False  # a word character since the last sentence end
    dot_run = False  # in a run of . ! ? …, which ends a sentence if whitespace follows it
    run = -1  # where the current run of word characters began
    line = -1  # the current line's first non-whitespace character
    paragraph = -1  # the current paragraph's
    last = -1  # the last non-whitespace character
    breaks = 0  # line breaks since it
    for i in range(start, end):
        c = cps[i]
        kind = table[c]
        if kind & WORD_CHAR and not kind & CHARACTER_WORD_CHAR:
            if run < 0:
                run = i
            word_seen = True
        else:
            if run >= 0:
                word_starts[words] = run
                lengths[words] = i - run
                chars += i - run
                words += 1
                run = -1
            if kind & CHARACTER_WORD_CHAR:
                thai |= (kind & THAI_CHAR) != 0
                word_starts[words] = i
                lengths[words] = 1
                chars += 1
                words += 1
                if kind & WORD_CHAR:
                    word_seen = True
        if dots and c != DOT:
            symbols += dots // 3  # str.count("..."): a run of k dots holds k // 3
            dots = 0
        if dot_run and not (kind & SENTENCE_END_CHAR and c < IDEOGRAPHIC_STOP):
            dot_run = False
            if kind & SPACE and word_seen:
                sentences += 1
                word_seen = False
        if kind & SPACE:
            if c == NEWLINE:
                if word_seen:
                    sentences += 1
                    word_seen = False
                breaks += 1
                if line >= 0:
                    line_starts[lines] = line
                    line_ends[lines] = last + 1
                    lines += 1
                    end_char = cps[last]
                    if table[end_char] & END_PUNCT_CHAR:
                        punct += 1
                    if table[cps[line]] & BULLET_CHAR:
                        bullets += 1
                    if end_char == ELLIPSIS or (
                        last - line >= 2 and end_char == DOT and cps[last - 1] == DOT and cps[last - 2] == DOT
                    ):
                        ellipses += 1
                    line = -1
            continue
        if kind & SENTENCE_END_CHAR:
            if c < IDEOGRAPHIC_STOP:  # . ! ? …, not 。！？
                dot_run = True
            elif word_seen:  # 。！？
                sentences += 1
                word_seen = False
        if kind & SYMBOL_CHAR:
            if c == DOT:
                dots += 1
            else:
                symbols += 1
        if breaks >= 2 and paragraph >= 0:
            para_starts[paragraphs] = paragraph
            para_ends[paragraphs] = last + 1
            paragraphs += 1
            paragraph = -1
        breaks = 0
        if paragraph < 0:
            paragraph = i
        if line < 0:
            line = i
        last = i
    # The text's end ends the last word, dot run, sentence, line and paragraph.
    if run >= 0:
        word_starts[words] = run
        lengths[words] = end - run
        chars += end - run
        words += 1
    symbols += dots // 3
    if word_seen:
        sentences += 1
    if line >= 0:
        line_starts[lines] = line
        line_ends[lines] = last + 1
        lines += 1
        end_char = cps[last]
        if table[end_char] & END_PUNCT_CHAR:
            punct += 1
        if table[cps[line]] & BULLET_CHAR:
            bullets += 1
        if end_char == ELLIPSIS or (
            last - line >= 2 and end_char == DOT and cps[last - 1] == DOT and cps[last - 2] == DOT
        ):
            ellipses += 1
    if paragraph >= 0:
        para_starts[paragraphs] = paragraph
        para_ends[paragraphs] = last + 1
        paragraphs += 1
    out[0] = words
    out[1] = chars
    out[2] = sentence_count(cps, start, end, table, True) if thai else sentences
    out[3] = symbols
    out[4] = lines
    out[5] = punct
    out[6] = bullets
    out[7] = ellipses
    out[8] = distinct_spans(cps, line_starts, line_ends, lines)
    out[9] = paragraphs
    out[10] = distinct_spans(cps, para_starts, para_ends, paragraphs)

    # Each word's id: the number of its first occurrence's value among the text's words.
    table_mask = table_size(words) - 1
    slots = np.full(table_mask + 1, -1, dtype=np.int64)
    hashes = np.empty(table_mask + 1, dtype=np.int64)
    firsts = np.empty(words, dtype=np.int64)  # each id's first word
    ids = np.empty(words, dtype=np.int64)
    vocabulary = 0
    for k in range(words):
        a = word_starts[k]
        b = a + lengths[k]
        h = span_hash(cps, a, b)
        slot = h & table_mask
        while slots[slot] >= 0:
            f = word_starts[firsts[slots[slot]]]
            if hashes[slot] == h and same_span(cps, a, b, cps, f, f + lengths[firsts[slots[slot]]]):
                break
            slot = (slot + 1) & table_mask
        if slots[slot] < 0:
            slots[slot] = vocabulary
            hashes[slot] = h
            firsts[vocabulary] = k
            vocabulary += 1
        ids[k] = slots[slot]

    if stop_list[0] < 0:
        out[11] = -1
    else:
        present = np.zeros(stop_word.max() + 1 if len(stop_word) else 1, dtype=np.bool_)
        for v in range(stop_list[0], stop_list[1]):
            a, b = stop_bounds[v], stop_bounds[v + 1]
            h = span_hash(stop_cps, a, b)
            slot = h & table_mask
            while slots[slot] >= 0:
                f = word_starts[firsts[slots[slot]]]
                if hashes[slot] == h and same_span(stop_cps, a, b, cps, f, f + lengths[firsts[slots[slot]]]):
                    present[stop_word[v]] = True
                    break
                slot = (slot + 1) & table_mask
        out[11] = present.sum()

    for column in range(TOP_COLUMN, len(out)):
        out[column] = 0
    if words:
        ngram_counts(ids, lengths[:words], words, out)


@njit(cache=True, nogil=True)
def batch_counts(
    cps: np.ndarray,
    bounds: np.ndarray,
    table: np.ndarray,
    stop_cps: np.ndarray,
    stop_bounds: np.ndarray,
    stop_word: np.ndarray,
    stop_lists: np.ndarray,
) -> np.ndarray:
    """COLUMNS for each text `cps[bounds[t]:bounds[t + 1]]`, whose stop-word variants are
    `stop_lists[t]` (a range of `stop_bounds`; -1, -1 for none)."""
    texts = len(bounds) - 1
    out = np.zeros((texts, len(COLUMNS)), dtype=np.int64)
    for t in range(texts):
        text_counts(
            cps,
            bounds[t],
            bounds[t + 1],
            table,
            stop_cps,
            stop_bounds,
            stop_word,
            (stop_lists[t, 0], stop_lists[t, 1]),
            out[t],
        )
    return out
