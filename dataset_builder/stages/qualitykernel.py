"""The quality signals of stages/quality.py as integer counts, for a whole batch in one compiled call.

The interpreted signals cost most of pass 1's time (issue 23): a regex `findall` that builds
a Python string per word, a dictionary of every word, then a dozen numpy calls per n. Here
one pass over each text's code points (a table lookup per character tells word characters,
whitespace, character-word scripts, Thai, end punctuation and bullets apart) finds words,
symbols, lines, paragraphs and sentences, and the n-grams are counted in open-addressing
hash tables. Where words begin and end is written down without a branch (word lengths follow
no pattern a branch predictor could learn), and only line breaks, sentence ends, # and the
character after one of them take the branch that does the rest. Everything is exact: a hash
only chooses where to look, and equal hashes are checked by comparing the code points
(words, lines, paragraphs) or the pair of ids an n-gram is made of (the id of its first n-1
words and of its last word), so no collision can merge two different words or n-grams.

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

# Bits of the character table (quality.char_classes), uint16, one entry per code point.
RUN_CHAR = 1  # WORD_CHAR but not CHARACTER_WORD_CHAR: a run of them is a word
CHARACTER_WORD_CHAR = 2  # quality.CHARACTER_WORD: every such character is a word of its own
WORD_CHAR = 4  # `\w`: str.isalnum() or "_"
SPACE = 8  # `\s`, str.isspace(), what str.strip() removes
SLOW_CHAR = 16  # a line break, # or a SENTENCE_END_CHAR: more to do than words, whatever came before
THAI_CHAR = 32  # quality.HAS_THAI: the text's sentences are split by THAI_SENTENCE_END
SENTENCE_END_CHAR = 64  # . ! ? … 。！？ (and the line break, told apart as whitespace)
END_PUNCT_CHAR = 128  # quality.END_PUNCT
BULLET_CHAR = 256  # quality.BULLETS

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
    "repeated_lines",  # lines equal to an earlier one
    "paragraphs",
    "repeated_paragraphs",
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
def word_hash(cps: np.ndarray, start: int, end: int) -> int:
    """The hash `text_counts` folds as it reads a word, one multiply-add a character (h * 31
    + c, a single character being its own code point), to be `mix`ed with its length."""
    h = np.int64(0)
    for i in range(start, end):
        h = h * 31 + np.int64(cps[i])
    return h


@njit(cache=True, nogil=True)
def mix(h: int, length: int) -> int:
    """murmur3's finalizer over a folded hash and its length: the low bits are a slot."""
    h = (h ^ (length * GOLDEN)) * np.int64(-49064778989728563)  # 0xFF51AFD7ED558CCD
    h ^= h >> 33
    h *= np.int64(-4265267296055464877)  # 0xC4CEB9FE1A85EC53
    return h ^ (h >> 33)


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
    """How many different strings the spans `starts[k]:ends[k]` of `cps` hold (a Python `set`).

    A span whose length no other span has is different from all: only spans of a shared
    length are hashed and compared (most lines and paragraphs of a text differ in length)."""
    if count < 2:
        return count
    size = table_size(count)
    mask = size - 1
    lengths = np.full(size, -1, dtype=np.int64)
    shared = np.zeros(size, dtype=np.int64)  # how many spans have the length in the slot
    where = np.empty(count, dtype=np.int64)  # each span's length slot
    for k in range(count):
        length = ends[k] - starts[k]
        slot = mix(length, 0) & mask
        while lengths[slot] >= 0 and lengths[slot] != length:
            slot = (slot + 1) & mask
        lengths[slot] = length
        shared[slot] += 1
        where[k] = slot
    slots = np.full(size, -1, dtype=np.int64)
    hashes = np.empty(size, dtype=np.int64)
    distinct = 0
    for k in range(count):
        if shared[where[k]] == 1:
            distinct += 1
            continue
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
    SENTENCE_END, or THAI_SENTENCE_END when the text has a Thai character (`text_counts`
    counts SENTENCE_END's as it reads, and calls this for a text with Thai only).

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
    is among them), found among the positions of repeated (n-1)-grams (`starts`), fewer
    with each n. The n-gram at a position gets an id from the pair (id of its first n-1
    words, id of its last word), looked up in a hash table and compared whole, so equal
    ids mean equal n-grams."""
    cumulative = np.zeros(words + 1, dtype=np.int64)
    for k in range(words):
        cumulative[k + 1] = cumulative[k] + lengths[k]
    gram = ids.copy()  # the id of the n-gram at each candidate position
    counts = np.zeros(words, dtype=np.int64)
    for k in range(words):
        counts[ids[k]] += 1
    repeated = np.zeros(words + 1, dtype=np.bool_)  # the (n-1)-gram at the position repeats
    starts = np.empty(words, dtype=np.int64)  # those positions, in order
    kept = 0
    for k in range(words):
        repeated[k] = counts[ids[k]] > 1
        starts[kept] = k
        kept += repeated[k]
    candidates = np.empty(words, dtype=np.int64)
    size = table_size(words)
    slots = np.empty(size, dtype=np.int64)
    first = np.empty(words, dtype=np.int64)  # each n-gram id's pair
    second = np.empty(words, dtype=np.int64)
    for n in range(2, MAX_N + 1):
        found = 0
        for j in range(kept):
            i = starts[j]
            if i + n > words:
                break
            candidates[found] = i
            found += repeated[i + 1]  # without a branch: the flags follow no pattern
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
        for j in range(kept):
            repeated[starts[j]] = False
        kept = 0
        best_count = best_chars = 0
        reach = covered = 0
        for j in range(found):
            i = candidates[j]
            count = counts[gram[i]]
            if count < 2:
                continue
            repeated[i] = True
            starts[kept] = i
            kept += 1
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
def line_marks(cps: np.ndarray, first: int, last: int, table: np.ndarray) -> tuple[int, int, int]:
    """Whether the stripped line `cps[first:last + 1]` ends in END_PUNCT, starts with a bullet,
    and ends with "..." or "…" (each 0 or 1)."""
    end = cps[last]
    dots = last - first >= 2 and end == DOT and cps[last - 1] == DOT and cps[last - 2] == DOT
    return (
        1 if table[end] & END_PUNCT_CHAR else 0,
        1 if table[cps[first]] & BULLET_CHAR else 0,
        1 if end == ELLIPSIS or dots else 0,
    )


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
    word_starts = np.empty(size + 2, dtype=np.int64)  # written at every character, kept where a
    word_ends = np.empty(size + 2, dtype=np.int64)  # word starts or ends (no branch to mispredict)
    word_hashes = np.empty(size + 2, dtype=np.int64)
    line_starts = np.empty(size // 2 + 1, dtype=np.int64)  # a line holds a character and a break
    line_ends = np.empty(size // 2 + 1, dtype=np.int64)
    para_starts = np.empty(size // 2 + 1, dtype=np.int64)
    para_ends = np.empty(size // 2 + 1, dtype=np.int64)
    words = ends = symbols = dots = sentences = 0
    lines = punct = bullets = ellipses = paragraphs = 0
    thai = 0
    word_seen = 0  # a word character since the last sentence end
    dot_run = False  # in a run of . ! ? …, which ends a sentence if whitespace follows it
    line = -1  # the current line's first non-whitespace character
    paragraph = -1  # the current paragraph's
    last = -1  # the last non-whitespace character
    breaks = 0  # line breaks since it
    pending = True  # a line to start, dots to count or a dot run to end: any character has work
    in_run = 0  # the previous character was a RUN_CHAR
    h = np.int64(0)  # word_hash of the current run
    for i in range(start, end):
        c = np.int64(cps[i])
        kind = np.int64(table[c])
        run = kind & RUN_CHAR
        alone = (kind >> 1) & 1  # CHARACTER_WORD_CHAR: a word of its own
        # Words, without a branch: the run that ends here, a word that starts here, this
        # character's own word (each written always, counted only if it is one).
        word_ends[ends] = i
        word_hashes[ends] = h
        ends += in_run & (1 - run)
        word_starts[words] = i
        words += (run & (1 - in_run)) | alone
        word_ends[ends] = i + 1
        word_hashes[ends] = c
        ends += alone
        h = h * 31 * in_run + c  # a new run starts from its first character
        in_run = run
        word_seen |= (kind >> 2) & 1  # WORD_CHAR
        thai |= (kind >> 5) & 1  # THAI_CHAR
        # Otherwise (a letter, a space, a comma, ...) nothing but the words and `last` changes:
        # the line and paragraph have begun, no dot run or line breaks wait for this character.
        if kind & SLOW_CHAR or pending:
            if dots and c != DOT:
                symbols += dots // 3  # str.count("..."): a run of k dots holds k // 3
                dots = 0
            if dot_run and not (kind & SENTENCE_END_CHAR and c < IDEOGRAPHIC_STOP):
                dot_run = False
                if kind & SPACE and word_seen:
                    sentences += 1
                    word_seen = 0
            if kind & SPACE:
                if c == NEWLINE:
                    if word_seen:
                        sentences += 1
                        word_seen = 0
                    breaks += 1
                    if line >= 0:
                        line_starts[lines] = line
                        line_ends[lines] = last + 1
                        lines += 1
                        marks = line_marks(cps, line, last, table)
                        punct += marks[0]
                        bullets += marks[1]
                        ellipses += marks[2]
                        line = -1
            else:
                if kind & SENTENCE_END_CHAR:
                    if c < IDEOGRAPHIC_STOP:  # . ! ? …, not 。！？
                        dot_run = True
                    elif word_seen:  # 。！？
                        sentences += 1
                        word_seen = 0
                if c == DOT:
                    dots += 1
                elif c in (HASH, ELLIPSIS):
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
            pending = line < 0 or dots > 0 or dot_run
        last = last if kind & SPACE else i
    # The text's end ends the last word, dot run, sentence, line and paragraph.
    if in_run:
        word_ends[ends] = end
        word_hashes[ends] = h
        ends += 1
    symbols += dots // 3
    if word_seen:
        sentences += 1
    if line >= 0:
        line_starts[lines] = line
        line_ends[lines] = last + 1
        lines += 1
        marks = line_marks(cps, line, last, table)
        punct += marks[0]
        bullets += marks[1]
        ellipses += marks[2]
    if paragraph >= 0:
        para_starts[paragraphs] = paragraph
        para_ends[paragraphs] = last + 1
        paragraphs += 1
    lengths = word_ends[:words] - word_starts[:words]
    out[0] = words
    out[1] = lengths.sum()
    out[2] = sentence_count(cps, start, end, table, True) if thai else sentences
    out[3] = symbols
    out[4] = lines
    out[5] = punct
    out[6] = bullets
    out[7] = ellipses
    out[8] = lines - distinct_spans(cps, line_starts, line_ends, lines)
    out[9] = paragraphs
    out[10] = paragraphs - distinct_spans(cps, para_starts, para_ends, paragraphs)

    # Each word's id: the number of its first occurrence's value among the text's words.
    table_mask = table_size(words) - 1
    slots = np.full(table_mask + 1, -1, dtype=np.int64)
    hashes = np.empty(table_mask + 1, dtype=np.int64)
    firsts = np.empty(words, dtype=np.int64)  # each id's first word
    ids = np.empty(words, dtype=np.int64)
    vocabulary = 0
    for k in range(words):
        a = word_starts[k]
        b = word_ends[k]
        h = mix(word_hashes[k], b - a)
        slot = h & table_mask
        while slots[slot] >= 0:
            f = firsts[slots[slot]]
            if hashes[slot] == h and same_span(cps, a, b, cps, word_starts[f], word_ends[f]):
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
            h = mix(word_hash(stop_cps, a, b), b - a)
            slot = h & table_mask
            while slots[slot] >= 0:
                f = firsts[slots[slot]]
                if hashes[slot] == h and same_span(stop_cps, a, b, cps, word_starts[f], word_ends[f]):
                    present[stop_word[v]] = True
                    break
                slot = (slot + 1) & table_mask
        out[11] = present.sum()

    for column in range(TOP_COLUMN, len(out)):
        out[column] = 0
    if words:
        ngram_counts(ids, lengths, words, out)


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
