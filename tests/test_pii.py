"""Personal information: found where it is, not where it is not, and redacted on request."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from dataset_builder.config import load_config
from dataset_builder.pipeline import build
from dataset_builder.stages.pii import find_pii, redact, summary
from tests.conftest import REPO, article_text, run_build


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Contact the editor at editor@chinawatch.cn.", [("email", "editor@chinawatch.cn")]),
        ("mail a.b+c@sub.example.co.uk, not @handle or x@y", [("email", "a.b+c@sub.example.co.uk")]),
        (
            "Call +1 202-555-0143 or (202) 555-0143.",
            [("phone", "+1 202-555-0143"), ("phone", "(202) 555-0143")],
        ),
        ("Tel: +86 10 6499 5000", [("phone", "+86 10 6499 5000")]),
        ("server 192.168.1.20 and 10.0.0.256", [("ip", "192.168.1.20")]),
        ("IPv6 2001:db8::1 at 08:23:00, cafe:beef", [("ip", "2001:db8::1")]),
        ("(ip:10.1.2.3)", [("ip", "10.1.2.3")]),
    ],
)
def test_personal_information_is_found(text, expected):
    assert [(f.kind, text[f.start : f.end]) for f in find_pii(text, "US")] == expected


@pytest.mark.parametrize(
    "text",
    [
        "Updated: 2024-10-29 08:23",
        "ISBN 978-3-16-148410-0",
        "version 1.2.3.4.5 of the library",
        "$14.5 billion USD to $100 billion, 1,234,567 people",
        "Registration Number: 130349, License 0108263",
        "from 2017 to 2021, AI+5 by 2035",
    ],
)
def test_numbers_that_are_not_personal_information(text):
    assert find_pii(text, "US") == []


def test_redaction_replaces_each_finding():
    text = "Write to a@b.org or call +1 202-555-0143 from 8.8.8.8."
    findings = find_pii(text, "US")
    assert redact(text, findings) == "Write to <EMAIL> or call <PHONE> from <IP>."
    assert summary(findings) == "email=1;phone=1;ip=1"


def test_seed_corpus_holds_one_email_address(tmp_path):
    release = build(load_config(REPO / "dataset.toml", overrides={"out": str(tmp_path)}))
    assert release.manifest["pii"] == {
        "found": {"email": 1, "phone": 0, "ip": 0},
        "records": {"email": 1, "phone": 0, "ip": 0},
        "redacted": False,
    }
    lineage = {r["raw_path"][:3]: r for r in pq.read_table(release.path / "lineage.parquet").to_pylist()}
    assert lineage["001"]["pii"] == "email=1" and lineage["001"]["redacted"] is False
    assert "e-mail addresses: 1 in 1 record(s)" in (release.path / "DATASHEET.md").read_text()


def test_redact_option_changes_the_published_text(tmp_path):
    release = run_build(
        tmp_path,
        {"a.txt": article_text(1) + " Reach us at desk@example.org or +44 20 7946 0958."},
        pii={"redact": True, "phone_region": "GB"},
    )
    (row,) = [r for f in (release.path / "data").iterdir() for r in pq.read_table(f).to_pylist()]
    assert row["text"].endswith("Reach us at <EMAIL> or <PHONE>.")
    (line,) = pq.read_table(release.path / "lineage.parquet").to_pylist()
    assert (line["pii"], line["redacted"]) == ("email=1;phone=1", True)
