"""Generate an N-document benchmark corpus from real sentences, reproducibly from a seed.

    python bench/make_corpus.py --docs 100000 --out /tmp/corpus-100k

Sentences are drawn from a pool of ~32,000 real sentences, and about a quarter of each drawn
sentence's words are swapped for other words of the same language: without that, a million
documents would share whole sentences so often that chance overlaps, not the labelled
copies, would dominate near-duplicate detection.

Writes OUT/raw/part-NNNNN.jsonl (title, text, url), OUT/dataset.toml and OUT/truth.jsonl,
which says for every record whether it is an original, an exact copy, a near copy (new
headline, a sentence rewritten, a paragraph dropped, a footer, rewrapped lines) or an
updated version (the story extended by half) of an earlier record. Documents are about
3 KB of real sentences from the seeds and ../shared/corpora/, mostly English and Spanish,
with small shares of German, Russian, Indonesian and Portuguese.
"""

from __future__ import annotations

import argparse
import json
import random
import textwrap
from collections import deque
from pathlib import Path

from realtext import sentences_by_language

LANGUAGE_SHARES = {"en": 0.48, "es": 0.48, "de": 0.01, "ru": 0.01, "id": 0.01, "pt": 0.01}
FOOTERS = [
    "Share this article on Facebook and Twitter.",
    "© 2024 The Daily Ledger. All rights reserved.",
    "Sign up for our newsletter to get the latest stories.",
    "Comparte esta noticia en tus redes sociales.",
    "Related stories: more coverage from our correspondents.",
]


SWAPPED_WORDS = 0.25


class Generator:
    def __init__(self, seed: int, shares: dict[str, float]) -> None:
        self.rng = random.Random(seed)
        pools = sentences_by_language()
        self.languages = [lang for lang in shares if lang in pools]
        self.weights = [shares[lang] for lang in self.languages]
        self.pools = {lang: pools[lang] for lang in self.languages}
        self.words = {lang: [w for s in self.pools[lang] for w in s.split()] for lang in self.languages}

    def sentences(self, language: str, chars: int) -> list[str]:
        pool, words, out, size = self.pools[language], self.words[language], [], 0
        while size < chars:
            sentence = self.rng.choice(pool).split()
            for _ in range(round(len(sentence) * SWAPPED_WORDS)):
                sentence[self.rng.randrange(len(sentence))] = self.rng.choice(words)
            out.append(" ".join(sentence))
            size += len(out[-1]) + 1
        return out

    def article(self) -> dict[str, str]:
        language = self.rng.choices(self.languages, self.weights)[0]
        body = self.sentences(language, int(self.rng.lognormvariate(8.0, 0.35)))  # median ~3 KB
        title = " ".join(self.rng.choice(self.pools[language]).split()[:8]).rstrip(".,;:")
        return {"title": title, "text": self.paragraphs(body), "language": language}

    def paragraphs(self, sentences: list[str]) -> str:
        out, i = [], 0
        while i < len(sentences):
            n = self.rng.randint(2, 4)
            out.append(" ".join(sentences[i : i + n]))
            i += n
        return "\n\n".join(out)

    def near_copy(self, original: dict[str, str]) -> dict[str, str]:
        """What the web does to a story; typically Jaccard 0.8-0.95 with the original."""
        paras = original["text"].split("\n\n")
        if len(paras) > 4 and self.rng.random() < 0.5:
            del paras[self.rng.choice([0, len(paras) - 1])]
        words = paras[-1].split()
        for _ in range(self.rng.randint(0, 3)):  # typo fixes
            k = self.rng.randrange(len(words))
            words[k] = words[k][::-1]
        paras[-1] = " ".join(words)
        text = "\n\n".join(paras)
        if self.rng.random() < 0.5:
            text = "\n".join(textwrap.wrap(text, self.rng.randint(60, 90)))
        if self.rng.random() < 0.7:
            text += "\n\n" + self.rng.choice(FOOTERS)
        return {**original, "title": "UPDATE: " + original["title"], "text": text}

    def updated_version(self, original: dict[str, str]) -> dict[str, str]:
        """The story extended by about half: similar enough to group, not a duplicate."""
        extra = self.sentences(original["language"], len(original["text"]) // 2)
        return {**original, "text": original["text"] + "\n\n" + self.paragraphs(extra)}


def generate(
    docs: int, out: Path, seed: int, shard_docs: int, exact: float, near: float, update: float
) -> None:
    generator = Generator(seed, LANGUAGE_SHARES)
    rng = generator.rng
    raw = out / "raw"
    raw.mkdir(parents=True, exist_ok=False)
    recent: deque[tuple[str, dict[str, str]]] = deque(maxlen=5000)  # originals that copies draw from
    shard = None
    with (out / "truth.jsonl").open("w", encoding="utf-8") as truth:
        for n in range(docs):
            if n % shard_docs == 0:
                if shard:
                    shard.close()
                name = f"part-{n // shard_docs:05d}.jsonl"
                shard = (raw / name).open("w", encoding="utf-8")
            where = f"{name}:{n % shard_docs + 1}"
            roll = rng.random()
            if recent and roll < exact + near + update:
                of, original = rng.choice(recent)
                if roll < exact:
                    kind, doc = "exact", original
                elif roll < exact + near:
                    kind, doc = "near", generator.near_copy(original)
                else:
                    kind, doc = "update", generator.updated_version(original)
            else:
                kind, of, doc = "original", None, generator.article()
                recent.append((where, doc))
            shard.write(
                json.dumps(
                    {"title": doc["title"], "text": doc["text"], "url": f"https://news.example/{n}"},
                    ensure_ascii=False,
                )
                + "\n"
            )
            truth.write(
                json.dumps({"record": where, "kind": kind, "of": of, "language": doc["language"]}) + "\n"
            )
    if shard:
        shard.close()
    (out / "dataset.toml").write_text(
        f'name = "bench-{docs}"\nversion = "1.0.0"\n'
        f'pretty_name = "Benchmark corpus ({docs} documents, seed {seed})"\nlicense = "unknown"\n',
        encoding="utf-8",
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shard-docs", type=int, default=10_000)
    parser.add_argument("--exact", type=float, default=0.03, help="share of exact copies")
    parser.add_argument("--near", type=float, default=0.04, help="share of near copies")
    parser.add_argument("--update", type=float, default=0.03, help="share of updated versions")
    args = parser.parse_args()
    generate(args.docs, args.out, args.seed, args.shard_docs, args.exact, args.near, args.update)
    print(f"{args.docs} documents in {args.out}/raw, labels in {args.out}/truth.jsonl")


if __name__ == "__main__":
    main()
