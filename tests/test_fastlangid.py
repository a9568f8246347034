"""FastDetector against seeded langdetect itself: the same labels and the same probability
lists, floats compared with ==, on thousands of real texts in dozens of languages.

Real text, all of it read where it lies, nothing copied into the repository:
- Django's translation catalogs (the `django` package in the test extra; about 90 locales of
  real interface sentences, Latin, Cyrillic, Greek, Arabic, Hebrew, Indic, Thai, CJK and
  more): single sentences, 2 KB paragraphs and texts past langdetect's 10,000-character cut;
- the seed articles in raw/;
- when present, the real corpora in ../shared/corpora: Spanish fake-news articles and the
  Zyte benchmark's article bodies, whole and cut into sentences.
Around them: edge cases, mixed scripts and random character soup over every block that
langdetect normalises, from a fixed seed and from hypothesis.
"""

from __future__ import annotations

import gettext
import importlib.util
import json
import random
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langdetect.detector import Detector
from langdetect.lang_detect_exception import LangDetectException
from langdetect.utils.ngram import NGram

from dataset_builder.stages import langkernel
from dataset_builder.stages.fastlangid import FastDetector, remove_mail, seeded_factory
from dataset_builder.stages.langprofiles import gram_key, gram_slots, load_profiles
from tests.conftest import REPO, SHARED_CORPORA

Result = list[tuple[str, float]] | None


def langdetect(text: str, seed: int = 0) -> Result:
    """What the tagger gets from langdetect: a fresh seeded detector's sorted list, None if it raises."""
    detector = seeded_factory(seed).create()
    detector.append(text)
    try:
        return [(lang.lang, lang.prob) for lang in detector.get_probabilities()]
    except LangDetectException:
        return None


@cache
def shared_detector(mode: str = "compiled") -> FastDetector:
    """A detector that runs every text compiled, or every text interpreted (as a process's first)."""
    return FastDetector(seed=0, interpreted=0 if mode == "compiled" else 10**9)


@pytest.fixture(params=["compiled", "interpreted"])
def fast(request: pytest.FixtureRequest) -> FastDetector:
    return shared_detector(request.param)


def share(texts: list[str], detector: FastDetector) -> list[str]:
    """Every text for the compiled detector; every 8th for the interpreted one (~10 ms a text)."""
    return texts if detector.interpreted == 0 else texts[::8]


def assert_identical(texts: list[str], detector: FastDetector) -> list[Result]:
    """Both FastDetector paths, one at a time and batched, equal langdetect on every text."""
    expected = [langdetect(text, detector.seed) for text in texts]
    single = [detector.probabilities(text) for text in texts]
    batched = detector.probabilities_batch(texts)
    for name, got in (("probabilities", single), ("probabilities_batch", batched)):
        wrong = [i for i, (e, g) in enumerate(zip(expected, got, strict=True)) if e != g]
        assert not wrong, (
            f"{name}: {len(wrong)} of {len(texts)} differ, first {texts[wrong[0]][:80]!r}: "
            f"langdetect {expected[wrong[0]]}, fast {got[wrong[0]]}"
        )
    return expected


# -- real text ------------------------------------------------------------------------------


@cache
def catalog_messages() -> dict[str, list[str]]:
    """Every translated message of Django's .mo catalogs, by locale, in a fixed order."""
    spec = importlib.util.find_spec("django")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("the multilingual tests read Django's translation catalogs: install the test extra")
    root = Path(spec.submodule_search_locations[0])
    messages: dict[str, set[str]] = {}
    for path in sorted(root.glob("**/locale/*/LC_MESSAGES/*.mo")):
        locale = path.parent.parent.name
        with path.open("rb") as fp:
            catalog = gettext.GNUTranslations(fp)._catalog
        found = messages.setdefault(locale, set())
        found.update(text.strip() for key, text in catalog.items() if key and text.strip())
    return {locale: sorted(found) for locale, found in sorted(messages.items()) if len(found) >= 100}


def catalog_texts() -> Iterator[str]:
    """Per locale: 15 single messages, two ~2 KB paragraphs, and for every fourth locale one
    text longer than langdetect's 10,000-character cut."""
    for number, messages in enumerate(catalog_messages().values()):
        yield from messages[:: len(messages) // 15][:15]
        rng = random.Random(number)
        for _ in range(2):
            paragraph = []
            while sum(map(len, paragraph)) < 2000:
                paragraph.append(rng.choice(messages))
            yield " ".join(paragraph)
        if number % 4 == 0:
            yield "\n".join(messages)[:14000]


def corpus_texts() -> list[str]:
    """The Zyte benchmark's article bodies, every fourth Spanish fake-news article, and the
    sentences of every 25th of them."""
    truth = json.loads((SHARED_CORPORA / "article_extraction_benchmark" / "ground-truth.json").read_text())
    articles = [page["articleBody"] for _, page in sorted(truth.items())]
    with (SHARED_CORPORA / "fakenews_es" / "fakenews_es.jsonl").open(encoding="utf-8") as lines:
        articles += [json.loads(line)["text"] for line in lines][::4]
    lines = [line for article in articles[::25] for line in article.replace("\n", ". ").split(". ")]
    return articles + [line for line in lines if line.strip()]


# -- edge cases and made-up text --------------------------------------------------------------

# One character or more from every branch of NGram.normalize and cleaning_text, and around them.
SOUP = (
    "abcxyzABCXYZ0189 .,;:!?'\"()[]\\^_`{}~@#/-\t\n\x00\x7f"
    "\u00a0«°»ßàéîõüÿÀÉÎÕÜ¡¿ąčęėįšųūžĄČŁŃŚŹŻőűŐŰ"
    "șțȘȚƒǅǆȀ"
    "\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b"
    "αβγδΑΒΓΔάέήίόύώ абвгдеёжАБВГДЕЁЖ їієґ"
    "ابتثجحخدذرزسشصضطظعغفقكلمنهوي\u06cc\u064a\u06a9پچژگ"
    "אבגדהוזחטיכלמנסעפצקרשת"
    "कखगघङचछजझञटठडढणतथदधनपफबभमयरलवशषसहािीुूेैोौ्"
    "กขคงจฉชซญดตถทธนบปผฝพฟภมยรลวศษสหอฮะาำิีึืุู"
    "\u1ea0\u1ea1\u1ec3\u1ef9\u1e00\u1e9e"
    "\u2000\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u2030"
    "あいうえおかきくけこアイウエオカキクケコㄅㄆㄇㄈ\u31a0"
    "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年"
    "丼乂亅亠仂仆仈㐀\U00020000\U0002a6d6"
    "가나다라마바사아자차카타파하ㄱㄴㄷ\u3000\u3001\u3002"
    "\U0001f600\U0001f30d\ufeff\u200b\u200d\ufffd"
) + "".join(sorted(NGram.CJK_MAP)[::300])  # ideographs that normalise to their class's first


def soup_texts(count: int, seed: int) -> list[str]:
    """Words of random characters from SOUP, of every length from one character to 3 KB."""
    rng = random.Random(seed)
    texts = []
    for i in range(count):
        words = [
            "".join(rng.choice(SOUP) for _ in range(rng.randint(1, 9)))
            for _ in range(rng.choice((1, 2, 5, 20, 100, 400)))
        ]
        text = " ".join(words)
        texts.append(text.upper() if i % 7 == 0 else text)
    return texts


def mixed_texts(messages: dict[str, list[str]]) -> list[str]:
    """Sentences of two locales joined, in both orders and in uneven amounts, so that
    cleaning_text's Latin-versus-the-rest rule falls either way."""
    rng = random.Random(1)
    locales = sorted(messages)
    texts = []
    for _ in range(150):
        a, b = rng.sample(locales, 2)
        first = " ".join(rng.sample(messages[a], rng.randint(1, 4)))
        second = " ".join(rng.sample(messages[b], rng.randint(1, 4)))
        texts += [f"{first} {second}", f"{second}\n{first}"]
    return texts


EDGE_CASES = [
    "",
    " ",
    "\n\n\t  \n",
    "0123456789",
    "3.14159 2,718 1/2 100% $5 +44 (0)20 7946 0958",
    "!!! ??? ... --- *** ### @@@",
    "http://example.com/path?x=1&y=2#frag",
    "https://www.example.org/a/b/c.html http://x.y/z",
    "user.name+tag@example.co.uk",
    "Write to jane.doe@example.com or visit https://example.com/contact for more",
    "http https:// www. @ @@ a@ @b",
    "Tiếng Việt là ngôn ngữ của người Việt và là ngôn ngữ chính thức tại Việt Nam.",
    # Vietnamese with combining marks: normalize_vi composes them.
    "Tie\u0302\u0301ng Vie\u0323\u0302t la\u0300 ngo\u0302n ngu\u031b\u0303 "
    "cu\u0309a ngu\u031bo\u031b\u0300i Vie\u0323\u0302t.",
    "日本語は日本で使われている言語です。ひらがなとカタカナと漢字があります。",
    "中华人民共和国是位于东亚的国家。北京是首都。",
    "中華民國是位於東亞的國家。臺北是首都。",
    "한국어는 대한민국과 조선민주주의인민공화국의 공용어이다.",
    "اللغة العربية هي أكثر اللغات السامية تحدثاً، وإحدى أكثر اللغات انتشاراً في العالم.",
    "فارسی یکی از زبان‌های هندواروپایی است که در ایران، افغانستان و تاجیکستان صحبت می‌شود.",
    "עברית היא שפה שמית ממשפחת השפות האפרו-אסייתיות.",
    "हिन्दी विश्व की एक प्रमुख भाषा है एवं भारत की राजभाषा है।",
    "ภาษาไทยเป็นภาษาราชการของประเทศไทย",
    "Ελληνικά είναι η επίσημη γλώσσα της Ελλάδας και της Κύπρου.",
    "Русский язык — один из восточнославянских языков, национальный язык русского народа.",
    "Hello мир 世界 عالم שלום दुनिया",
    "The word Straße and the word 東京 and the word Москва.",
    "NASA ESA UNESCO NATO OTAN ONU UEFA FIFA",
    "ABC DEF GHI jkl MNO pqr",
    "McDonald's iPhone eBay USAToday YouTube",
    "ÜBER ÄRGER ÖL ÉTÉ ÇA ΑΘΗΝΑ МОСКВА",
    "ǅemal ǈubljana ǋegoš",
    "Română: școală, țară, ȘCOALĂ, ȚARĂ",
    "\u00a0«Bonjour»\u00a0à 20 °C",
    "a",
    "é",
    "ab",
    "A",
    "中",
    "\ud800abc \udfff",
    "Привет \ud83d\ude00 мир \ud800\udc00",  # surrogate pairs as two code points
    "\U0001f600\U0001f600 \U0001f30d",
    "𠀀𪛖 𝐀𝐁𝐂 𝔞𝔟𝔠",
    "a" * 20000,
    "ab " * 5000,
    "ÀÉÎ" * 5000,
    "日本" * 6000,
    "x" * 9990 + " http://example.com/very/long/path " + "y" * 100,
    "z" * 9998 + " hello world",
    "e-mail " * 2000,
    "Le\u00a0chat\u2009noir\u202fdort\u2003ici",
    "abc" + "а" * 7 + "abc",  # Latin beside Cyrillic: Latin kept (3+3 > 7/2)
    "ab" + "я" * 5,  # 2 * 2 < 5: Latin removed
    "ab" + "я" * 4,  # 2 * 2 == 4: Latin kept
]


# -- the tests ------------------------------------------------------------------------------


def test_character_tables() -> None:
    """Every code point normalised as NGram.normalize does, upper case where str.isupper says,
    a letter where str.isalpha does."""
    profiles = load_profiles()
    rng = random.Random(0)
    points = [*range(0x10000), *rng.sample(range(0x10000, 0x110000), 20000), 0x10FFFF]
    assert [chr(profiles.normal[cp]) for cp in points] == [NGram.normalize(chr(cp)) for cp in points]
    assert profiles.upper.tolist() == [chr(cp).isupper() for cp in range(0x110000)]
    assert profiles.alpha.tolist() == [chr(cp).isalpha() for cp in range(0x110000)]


def test_profiles_are_langdetects() -> None:
    """The cached matrix holds langdetect's map row for row, its languages in its order."""
    factory = seeded_factory(0)
    profiles = load_profiles()
    assert profiles.langs == tuple(factory.langlist)
    grams = factory.word_lang_prob_map
    assert profiles.matrix.shape == (len(grams), len(factory.langlist))
    for row, values in enumerate(grams.values()):
        assert profiles.matrix[row].tolist() == values[: len(factory.langlist)]


def test_gram_table_finds_every_profile_ngram_and_nothing_else() -> None:
    """Each key in the table's slot chain; absent keys end at an empty slot."""
    grams = list(seeded_factory(0).word_lang_prob_map)
    profiles = load_profiles()
    keys, rows = profiles.gram_keys, profiles.gram_rows

    def lookup(gram: str) -> int:
        key = gram_key(gram)
        slot = int(gram_slots(np.array([key], dtype=np.uint64))[0])
        while int(keys[slot]) not in (key, 0):
            slot = (slot + 1) % len(keys)
        return int(rows[slot]) if keys[slot] else -1

    assert [lookup(gram) for gram in grams] == list(range(len(grams)))
    others = [g for g in (" ", "  ", "zzz", "qxj", "\u3042\u3042\u3042", "\U0001f600") if g not in grams]
    assert [lookup(g) for g in others] == [-1] * len(others)


def test_mail_removal_is_langdetects() -> None:
    """The '@' runs alone through Detector.MAIL_RE give what the regex over the whole text gives."""
    rng = random.Random(0)
    texts = [
        "".join(rng.choice("ab.-_@ Z9éx@@..  \n") for _ in range(rng.randint(0, 120))) for _ in range(20000)
    ]
    texts += [f"{'a' * n}@{'b' * n}.{'c' * n} x@y {'@' * n}" for n in (1, 63, 64, 65, 254, 255, 256, 600)]
    assert [remove_mail(text) for text in texts] == [Detector.MAIL_RE.sub(" ", text) for text in texts]


def test_ngrams_are_langdetects(fast: FastDetector) -> None:
    """The n-grams FastDetector draws from, in order, are those langdetect extracts."""
    messages = catalog_messages()
    texts = EDGE_CASES + soup_texts(150, seed=2) + mixed_texts(messages)[:100]
    texts += [m for msgs in messages.values() for m in msgs[::250]]
    grams = list(seeded_factory(0).word_lang_prob_map)
    for text in texts:
        detector = seeded_factory(0).create()
        detector.append(text)
        detector.cleaning_text()
        kernel = langkernel.compiled() if fast.interpreted == 0 else None
        rows = fast.ngram_rows(text, kernel).tolist()
        assert [grams[row] for row in rows] == detector._extract_ngrams(), text[:80]


def test_catalog_sentences_in_many_languages(fast: FastDetector) -> None:
    texts = share(list(catalog_texts()), fast)
    results = assert_identical(texts, fast)
    labels = {result[0][0] for result in results if result}
    assert len(texts) >= 1500 // (1 if fast.interpreted == 0 else 8)
    assert len(labels) >= 40, sorted(labels)
    assert sum(len(text) > 10000 for text in texts) >= 20 // (1 if fast.interpreted == 0 else 8)
    assert fast.fallbacks == 0


def test_mixed_scripts_and_edge_cases(fast: FastDetector) -> None:
    texts = EDGE_CASES + share(mixed_texts(catalog_messages()) + soup_texts(150, seed=3), fast)
    results = assert_identical(texts, fast)
    assert results[0] is None and results[3] is None  # no features: langdetect raises
    assert fast.fallbacks == 0


def test_seed_articles(fast: FastDetector) -> None:
    texts = [path.read_text(encoding="utf-8") for path in sorted((REPO / "raw").glob("*.txt"))]
    assert len(texts) >= 4
    assert_identical(texts, fast)


@pytest.mark.skipif(not SHARED_CORPORA.is_dir(), reason="../shared/corpora (real news) not present")
def test_real_news_articles(fast: FastDetector) -> None:
    texts = share(corpus_texts(), fast)
    results = assert_identical(texts, fast)
    assert len(texts) >= 900 // (1 if fast.interpreted == 0 else 8)
    assert {"es", "en"} <= {result[0][0] for result in results if result}
    assert fast.fallbacks == 0


@given(st.text(st.sampled_from(SOUP) | st.characters(), max_size=300))
@settings(max_examples=200, deadline=None, derandomize=True)
def test_any_text(text: str) -> None:
    assert shared_detector("compiled").probabilities(text) == langdetect(text)
    assert shared_detector("interpreted").probabilities(text) == langdetect(text)


@pytest.mark.parametrize("seed", [1, 12345])
def test_other_seeds(seed: int) -> None:
    messages = catalog_messages()
    texts = [m for msgs in messages.values() for m in msgs[::400]] + EDGE_CASES[:20]
    assert_identical(texts, FastDetector(seed=seed))


@pytest.mark.parametrize("interpreted", [0, 10**9])
def test_falls_back_where_the_stream_runs_out(interpreted: int) -> None:
    """With a stream too short for long trials, those texts go to langdetect, counted."""
    detector = FastDetector(seed=0, stream_words=700, interpreted=interpreted)
    messages = catalog_messages()
    texts = [m for msgs in messages.values() for m in msgs[::900]] + EDGE_CASES
    assert_identical(texts, detector)
    assert 0 < detector.fallbacks < 2 * len(texts)


def test_falls_back_where_random_is_not_replayed(monkeypatch: pytest.MonkeyPatch) -> None:
    """If `random.choice` drew differently (say a future Python), the replay must not be used."""

    def choice(self: random.Random, seq: Sequence[Any]) -> Any:
        return seq[int(self.random() * len(seq))]

    monkeypatch.setattr(random.Random, "choice", choice)
    detector = FastDetector(seed=0)
    assert not detector.replays
    texts = ["Das ist ein deutscher Satz.", "Ceci est une phrase française.", "", "1234"]
    assert_identical(texts, detector)
    # The two texts with n-grams, each one at a time and batched; no n-grams needs no langdetect.
    assert detector.fallbacks == 4


def test_batch_of_one_and_of_none(fast: FastDetector) -> None:
    sentence = "Esto es una frase en español."
    assert fast.probabilities_batch([]) == []
    assert fast.probabilities_batch([sentence]) == [langdetect(sentence)]
    assert fast.probabilities_batch(["", "123"]) == [None, None]


def test_probabilities_are_plain_floats(fast: FastDetector) -> None:
    (result,) = fast.probabilities_batch(["Questa è una frase italiana abbastanza lunga."])
    assert result and all(type(lang) is str and type(p) is float for lang, p in result)
    assert not any(isinstance(p, np.floating) for _, p in fast.probabilities("Dies ist ein Satz.") or [])
