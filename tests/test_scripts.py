"""Near-duplicates and exact duplicates in every script: Chinese, Japanese, Korean and Thai
copies are caught as English ones are. The articles are written here, in the test."""

from __future__ import annotations

import json
import re
import unicodedata

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dataset_builder.decide.dedup import content_key
from dataset_builder.decide.minhash import (
    Shingling,
    folded,
    jaccard,
    mixed_token_hashes,
    shingle_hashes,
    shingle_set,
    token_hashes,
    tokens,
)
from dataset_builder.pipeline import build
from dataset_builder.scripts import fold_punctuation, has_unspaced, script_of
from tests.conftest import jsonl, make_config, write_files

SHINGLING = Shingling(words=3, chars=5)  # the defaults (dataset_builder/defaults.toml)

# Two distinct articles on the same topic (AI policy) per script, a footer a site adds,
# a sentence a copy inserts, and how sentences end.
ARTICLES = {
    "Han": (
        "国务院近日印发《新一代人工智能发展规划》，提出到二〇三〇年使中国人工智能理论、技术与应用总体达到"
        "世界领先水平，成为世界主要人工智能创新中心。规划指出，人工智能已成为国际竞争的新焦点和经济发展的"
        "新引擎。各地政府要加强组织领导，完善政策支持，推动人工智能与实体经济深度融合。专家表示，规划的实施"
        "将带动相关产业规模超过十万亿元。同时也需要重视数据安全和伦理规范。",
        "北京市科学技术委员会昨日发布消息，今年将在海淀区建设一批人工智能开放创新平台，重点支持智能芯片、"
        "自动驾驶和医疗影像等方向的研究。负责人介绍，平台将向中小企业开放算力资源，并为高校毕业生提供实习"
        "岗位。业内人士认为，这一举措有助于缓解初创企业算力成本高的难题，但人才短缺仍是制约行业发展的主要"
        "因素。",
        "（责任编辑：王明）本文来源：新华网",
        "会议还听取了有关部门的工作汇报。",
        "。",
    ),
    "Japanese": (
        "政府は十日、人工知能の開発と利用に関する新しい指針を公表した。指針では、企業が生成AIを使う際に、"
        "個人情報の取り扱いや著作権への配慮を求めている。担当大臣は記者会見で「技術の進歩を妨げず、安心して"
        "使える環境を整えたい」と述べた。専門家からは、罰則のない指針では実効性に欠けるとの声も上がっている。"
        "政府は来年の通常国会に関連法案を提出する方針だ。",
        "東京都内の大学で、人工知能を活用した授業の実証実験が始まった。学生は対話型のアプリを使って英語の"
        "発音を練習し、教員は学習の進み具合を画面で確認できる。大学の担当者は「一人ひとりに合わせた指導が"
        "できるようになった」と話す。一方で、課題をAIに任せてしまう学生への対応が新たな悩みになっているという。",
        "無断転載を禁じます。",
        "会見には関係省庁の幹部も同席した。",
        "。",
    ),
    "Hangul": (
        "정부는 10일 인공지능 산업 육성을 위한 종합 계획을 발표했다. 계획에 따르면 정부는 앞으로 5년 동안 "
        "인공지능 반도체와 데이터 센터 구축에 모두 3조 원을 투자할 예정이다. 과학기술정보통신부 장관은 "
        "기자회견에서 인공지능은 국가 경쟁력을 좌우할 핵심 기술이라고 강조했다. 업계는 이번 계획을 "
        "환영하면서도 규제 완화가 함께 이뤄져야 한다고 지적했다. 시민단체는 개인정보 보호를 요구했다.",
        "서울시는 인공지능을 활용한 교통 신호 제어 시스템을 강남구 일대에 시범 도입한다고 밝혔다. 시스템은 "
        "도로 위 차량의 흐름을 실시간으로 분석해 신호 시간을 자동으로 조정한다. 시는 시범 운영 결과를 "
        "바탕으로 내년부터 적용 지역을 넓힐 계획이다. 전문가들은 개인정보 보호 대책도 마련해야 한다고 "
        "조언했다.",
        "무단전재 및 재배포 금지",
        "이날 회의에는 관계 부처 차관들도 참석했다.",
        ". ",
    ),
    "Thai": (
        "รัฐบาลไทยประกาศแผนส่งเสริมการพัฒนาปัญญาประดิษฐ์แห่งชาติ โดยตั้งเป้าให้ประเทศไทยเป็นศูนย์กลางด้าน"
        "เทคโนโลยีในภูมิภาค รัฐมนตรีกล่าวว่ารัฐบาลจะลงทุนในศูนย์ข้อมูลและการฝึกอบรมบุคลากรจำนวนมาก "
        "นักวิชาการเตือนว่าต้องมีกฎหมายคุ้มครองข้อมูลส่วนบุคคลที่เข้มแข็งควบคู่กันไป "
        "ภาคเอกชนแสดงความพร้อมที่จะร่วมมือกับภาครัฐ",
        "มหาวิทยาลัยแห่งหนึ่งในกรุงเทพมหานครเปิดหลักสูตรใหม่ด้านวิทยาการข้อมูล เพื่อตอบสนองความต้องการ"
        "ของตลาดแรงงาน นักศึกษาจะได้เรียนรู้การเขียนโปรแกรมและการวิเคราะห์ข้อมูลจากผู้เชี่ยวชาญใน"
        "อุตสาหกรรม คณบดีกล่าวว่าผู้สำเร็จการศึกษาจะมีโอกาสได้งานสูงกว่าสาขาอื่น",
        "ติดตามข่าวเพิ่มเติมได้ที่เว็บไซต์",
        "การประชุมมีผู้เข้าร่วมจำนวนมาก",
        " ",
    ),
    "Latin": (
        "The government published new rules on artificial intelligence on Tuesday, requiring companies "
        "that build large models to report safety tests to a national regulator before release. The "
        "minister said the rules would protect consumers without slowing research, and that small firms "
        "would get two extra years to comply. Industry groups welcomed the delay but warned that the "
        "reporting forms were still unclear. Civil liberties groups said the rules did too little to "
        "limit facial recognition by the police, and promised to challenge parts of them in court. The "
        "regulator will publish its first guidance in the spring.",
        "A university in the capital has opened a new research centre for machine learning in medicine, "
        "funded by a grant from a private foundation. Doctors and engineers will work side by side on "
        "tools that read scans and predict which patients need urgent care. The director said the centre"
        " would share its data with other hospitals under strict privacy rules, and that students from "
        "poorer families would receive scholarships. Critics asked who would own the software once it is"
        " sold.",
        "Share this article on Facebook and Twitter.",
        "Officials from three ministries also attended the meeting.",
        ". ",
    ),
}
SCRIPTS = list(ARTICLES)


def fix_one_character(text: str) -> str:
    """A corrected character (or letter) in the middle of the text."""
    middle = len(text) // 2
    while not text[middle].isalpha():
        middle += 1
    replacement = "x" if text[middle].isascii() else chr(ord(text[middle]) + 1)
    return text[:middle] + replacement + text[middle + 1 :]


def sentences(script: str) -> tuple[list[str], str]:
    """The article's sentences, and what joins them back into its text."""
    text, end = ARTICLES[script][0], ARTICLES[script][4]
    if end == "。":
        parts, joiner = re.findall(r"[^。]+。", text), ""
    else:
        parts, joiner = (re.split(r"(?<=\.) ", text) if end == ". " else text.split(" ")), " "
    assert joiner.join(parts) == text
    return parts, joiner


def copies(script: str) -> dict[str, str]:
    """The ways the web copies an article: a fixed character, an added footer, the last
    sentence cut, a sentence inserted in the middle."""
    text, _, footer, sentence, _ = ARTICLES[script]
    parts, joiner = sentences(script)
    middle = len(parts) // 2
    return {
        "fix": fix_one_character(text),
        "footer": f"{text}\n\n{footer}",
        "cut": joiner.join(parts[:-1]),
        "insert": joiner.join([*parts[:middle], sentence, *parts[middle:]]),
    }


def full_width(text: str) -> str:
    """ASCII letters and digits as their full-width forms, spaces as ideographic spaces."""
    return "".join(
        chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else "\u3000" if c == " " else c for c in text
    )


# The letters of the scripts in ARTICLES (Han, Kana, Hangul, Thai), and punctuation marks.
LETTER_RANGES = "\u3005\u3041-\u309f\u30a0-\u30fa\u30fc-\u30ff\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f"
MARK_RANGES = "!-/:-@\\[-`{-~\u3000-\u303f"
UNSPACED_LETTER = re.compile(f"[{LETTER_RANGES}]")
PUNCTUATION = re.compile(f"[{MARK_RANGES}]")


def reference_tokens(text: str) -> list[str]:
    """Independent of minhash.tokens: after NFKC and lower-casing, every unspaced letter is a
    token, and so is a punctuation mark whose nearest letter or word (on either side) is
    one; any other mark separates; the rest are words, runs of non-space characters."""
    folded = unicodedata.normalize("NFKC", text).lower()
    pieces = re.findall(f"[{LETTER_RANGES}]|[{MARK_RANGES}]|[^\\s{MARK_RANGES}{LETTER_RANGES}]+", folded)
    solid = [i for i, piece in enumerate(pieces) if not PUNCTUATION.fullmatch(piece)]

    def beside_letter(i: int) -> bool:
        before = [j for j in solid if j < i][-1:]
        after = [j for j in solid if j > i][:1]
        return any(UNSPACED_LETTER.fullmatch(pieces[j]) for j in before + after)

    return [p for i, p in enumerate(pieces) if not PUNCTUATION.fullmatch(p) or beside_letter(i)]


def reference_jaccard(a: str, b: str, k: int = 5) -> float:
    def grams(text: str) -> set[tuple[str, ...]]:
        found = reference_tokens(text)
        return {tuple(found[i : i + k]) for i in range(max(1, len(found) - k + 1))}

    x, y = grams(a), grams(b)
    return len(x & y) / len(x | y)


def similarity(a: str, b: str) -> float:
    return jaccard(shingle_set(a, SHINGLING), shingle_set(b, SHINGLING))


@pytest.mark.parametrize("script", SCRIPTS[:-1])
def test_unspaced_text_is_shingled_by_character(script):
    """Every copy's shingle Jaccard is the Jaccard of 5-character shingles (words for digits
    and Latin), measured independently; before, a Japanese article was one token."""
    original = ARTICLES[script][0]
    for kind, copy in copies(script).items():
        assert similarity(original, copy) == pytest.approx(reference_jaccard(original, copy)), kind
    assert len(tokens(original)) > 150


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_same_edits_land_on_the_same_side_of_the_thresholds_in_every_script(script):
    """A fixed character or an added footer is a duplicate (>= 0.8) in every script; the
    last sentence cut or a sentence inserted is at least in one split (>= 0.5); two
    distinct articles on the same topic are below the report threshold (0.3)."""
    original, other = ARTICLES[script][:2]
    found = {kind: similarity(original, copy) for kind, copy in copies(script).items()}
    assert found["fix"] >= 0.8 and found["footer"] >= 0.8, found
    assert found["cut"] >= 0.5 and found["insert"] >= 0.5, found
    assert similarity(original, other) < 0.3


# Below U+2E80 (where Han and Kana start): Thai, Lao, Myanmar, Hangul Jamo and Khmer.
UNSPACED_BELOW_2E80 = [
    (0x0E00, 0x0EFF),
    (0x1000, 0x109F),
    (0x1100, 0x11FF),
    (0x1780, 0x17FF),
    (0x19E0, 0x19FF),
]
SPACED = st.characters(blacklist_categories=("Cs",), max_codepoint=0x2E7F).filter(
    lambda c: not any(low <= ord(c) <= high for low, high in UNSPACED_BELOW_2E80)
)


@given(st.text(alphabet=SPACED) | st.text(alphabet="ab é.\u2019—", max_size=40))
def test_text_without_unspaced_scripts_keeps_its_word_tokens(text):
    """Bit-identical shingles for every space-delimited script: the old tokens exactly."""
    assert tokens(text) == re.findall(rb"[0-9a-z\x80-\xff]+", text.lower().encode("utf-8"))


MIXED = st.text(
    alphabet=st.sampled_from("中文日本語のカナ한국어ไทย ａＡ1１_.,，。「」〜・\u3000\n\u0301é𠀀𝒜😀ß"),
    min_size=1,
    max_size=80,
)


@given(MIXED)
def test_token_hashes_from_code_points_equal_those_of_the_tokens(text):
    """The numpy path (code points) gives the hashes of the regex path's tokens, in order."""
    text = "中" + text  # always the mixed path
    assert mixed_token_hashes(text).tolist() == token_hashes(tokens(text)).tolist()
    flat, _ = shingle_hashes(["plain words here", text, "more words"], SHINGLING)
    alone = [shingle_hashes([t], SHINGLING)[0] for t in ("plain words here", text, "more words")]
    assert flat.tolist() == np.concatenate(alone).tolist()


@given(st.text(alphabet=st.sampled_from("中ＡＢａ１　\xa0…①ﾆｭｰｽﾞ\u0301℃ e.A"), max_size=40))
def test_folding_full_width_first_gives_what_nfkc_gives(text):
    assert folded(text) == fold_punctuation(unicodedata.normalize("NFKC", text).lower())


@pytest.mark.parametrize(
    ("text", "unspaced"),
    [("café 😀 naïve", False), ("emoji 😀 then 𠀀", True), ("ruble ₽ and ー", True), ("Ελληνικά", False)],
)
def test_unspaced_scripts_are_found_past_emoji_and_beyond_the_basic_plane(text, unspaced):
    assert has_unspaced(text) is unspaced


def test_a_latin_word_inside_a_chinese_sentence_is_one_token():
    assert [t.decode() for t in tokens("使用ＡＩ技术，OpenAI发布GPT-4。他说")] == [
        "使",
        "用",
        "ai",
        "技",
        "术",
        ",",
        "openai",
        "发",
        "布",
        "gpt",
        "4",
        "。",
        "他",
        "说",
    ]  # fmt: skip  ("-" is between two words, "。" beside a letter)


ENGLISH = (
    "The government said on Monday that it would publish new rules for artificial intelligence "
    "next year, after a consultation with companies, universities and the public. The minister "
    "told reporters that the rules would protect personal data without slowing research."
)


@pytest.mark.parametrize("name", ["北京", "東京の", "서울", "กรุงเทพ"])
def test_a_few_unspaced_letters_change_only_the_shingles_beside_them(name):
    """An English article quoting a name in Chinese, Japanese, Korean or Thai keeps its
    word tokens, punctuation as separators, and its word shingles: before, one such name
    made every comma and period a token, and an edited copy fell from 0.99 to 0.3."""
    quoted = ENGLISH.replace("the public.", f"the public ({name}).")
    plain = [t.decode() for t in tokens(ENGLISH)]
    mixed = [t.decode() for t in tokens(quoted)]
    assert [t for t in mixed if not UNSPACED_LETTER.fullmatch(t) and t not in "()."] == plain
    shared = len(set(shingle_set(ENGLISH, SHINGLING)) & set(shingle_set(quoted, SHINGLING)))
    assert shared >= len(shingle_set(ENGLISH, SHINGLING)) - SHINGLING.words - 1


def test_the_shingle_size_follows_the_kind_of_most_tokens():
    """Words per shingle in a text mostly of words (with a name in Chinese), characters
    per shingle in a Chinese text with a few Latin words: one edited word removes about
    `words` shingles of the first, one edited character about `chars` of the second."""
    wide = Shingling(words=2, chars=7)
    english = ENGLISH.replace("the public.", "the public (北京).")
    chinese = ARTICLES["Han"][0] + " OpenAI GPT"
    assert len(shingle_set(english, wide)) == len(tokens(english)) - 1
    assert len(shingle_set(chinese, wide)) == len(set(map(tuple, windows(tokens(chinese), 7))))


def windows(found: list[bytes], k: int) -> list[list[bytes]]:
    return [found[i : i + k] for i in range(len(found) - k + 1)]


def test_punctuation_variants_and_width_leave_the_tokens_alone():
    assert tokens("他说「很好」，ＡＩ〜") == tokens("他说“很好”,AI~")


@pytest.mark.parametrize(
    ("text", "script"),
    [(ARTICLES[s][0], s) for s in SCRIPTS]
    + [
        ("Правительство опубликовало новые правила.", "Cyrillic"),
        ("Le gouvernement a publié de nouvelles règles.", "Latin"),
        ("2024 — 100 %", "none"),
        ("", "none"),
    ],
)
def test_script_of_names_the_script_most_letters_are_in(text, script):
    assert script_of(text) == script


@pytest.mark.parametrize(
    ("copy", "original"),
    [
        ("ＡＩ技术，２０２４年。", "AI技术,2024年。"),  # full-width letters, digits, comma
        ("人工智能　发展规划", "人工智能发展规划"),  # ideographic space
        ("人工 智能 发展", "人工智能发展"),  # spaces between Han characters
        ("使用 AI 技术", "使用AI技术"),  # spaces around a Latin word
        ("他说「很好」。", "他说“很好”。"),  # corner brackets vs curly quotes
        ("東京〜大阪・名古屋", "東京~大阪·名古屋"),  # wave dash, katakana middle dot
        ("ﾆｭｰｽ", "ニュース"),  # half-width katakana
    ],
)
def test_the_content_key_folds_cjk_width_spaces_and_punctuation(copy, original):
    assert content_key(copy) == content_key(original)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("人工智能发展规划", "人工智慧發展規劃"),  # Simplified vs Traditional: distinct texts
        ("아버지가 방에 들어가신다", "아버지가방에 들어가신다"),  # Korean is written with spaces
        ("open ai 技术", "openai 技术"),  # spaces between Latin words still count
    ],
)
def test_the_content_key_keeps_what_changes_the_text(a, b):
    assert content_key(a) != content_key(b)


def test_build_counts_near_duplicates_per_script(tmp_path):
    """Per script: two articles, a fixed-character copy, a footer copy and a two-word text
    are compared; the two copies are removed as near-duplicates of the article; the two-word
    text has a single shingle and is counted as too few to judge; a full-width variant of
    the article (ideographic spaces too) is removed before, as an exact duplicate."""
    shorts = {
        "Han": "短讯",
        "Japanese": "ニュース",
        "Hangul": "속보",
        "Thai": "ข่าว",
        "Latin": "Breaking news",
    }
    records = []
    for script in SCRIPTS:
        original, other = ARTICLES[script][:2]
        made = copies(script)
        texts = {
            "a": original,
            "b": other,
            "fix": made["fix"],
            "footer": made["footer"],
            "short": shorts[script],
            "wide": full_width(original),
        }
        records += [{"id": f"{script}-{name}", "title": name, "text": t} for name, t in texts.items()]
    raw = write_files(tmp_path / "raw", {"all.jsonl": jsonl(*records)})
    release = build(make_config(tmp_path, raw), workers=1)
    manifest = release.manifest
    scripts = manifest["near_duplicates"]["scripts"]
    assert list(scripts) == sorted(SCRIPTS)
    for script in SCRIPTS:
        assert scripts[script] == {"compared": 5, "near_duplicates": 2, "too_few_shingles": 1}, script
    names = [r["id"] for r in records]  # ids in the release are hashed: name records by line
    audit = (release.path / "audit/duplicates.jsonl").read_text(encoding="utf-8").splitlines()
    removed = {names[d["raw_line"] - 1]: d["kind"] for d in map(json.loads, audit)}
    for script in SCRIPTS:
        mine = {name.split("-")[1]: kind for name, kind in removed.items() if name.startswith(f"{script}-")}
        assert sorted(mine.values()) == ["exact", "near", "near"], script  # one story, four versions
        assert set(mine) <= {"a", "fix", "footer", "wide"}, script
    datasheet = (release.path / "DATASHEET.md").read_text(encoding="utf-8")
    assert "| Japanese | 5 | 2 | 1 |" in datasheet
    assert "<td>Hangul</td>" in (release.path / "report.html").read_text(encoding="utf-8")
