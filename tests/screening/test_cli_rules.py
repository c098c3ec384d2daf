"""`patrol rules explain` and `patrol rules test` through Click's runner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from patrol.cli import cli

from .conftest import RULES


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["rules", *args, "--rules", str(RULES)])
    return result.exit_code, result.output


def test_explain_prints_score_verdict_and_variant_paths() -> None:
    code, output = _run(
        "explain", "--title", "Guсci 高仿 女包", "--price", "300", "--category", "箱包"
    )
    assert code == 0, output
    assert output.splitlines()[0] == "score 2.8 / threshold 1: FLAG"
    assert "brand.homoglyph [gucci] title @0-5: 'Guсci'" in output
    assert "homoglyph: Cyrillic с→c → Gucci" in output
    assert "slang.replica-strong" in output and "price.below-floor" in output


def test_explain_json_is_a_verdict() -> None:
    code, output = _run("explain", "--title", "耐客 运动鞋", "--json")
    assert code == 0
    data = json.loads(output)
    assert data["flagged"] is True
    assert any(hit["variant_path"].startswith("pinyin: 耐客→naike→耐克") for hit in data["hits"])


def test_explain_rejects_a_bad_price() -> None:
    code, output = _run("explain", "--title", "x", "--price", "cheap")
    assert code == 2 and output.strip() == "Error: --price 'cheap' is not a number"


def test_test_runs_the_examples_as_json() -> None:
    code, output = _run("test", "--json")
    assert code == 0, output
    data = json.loads(output)
    assert {
        "total",
        "tp",
        "fp",
        "fn",
        "tn",
        "precision",
        "recall",
        "f1",
        "rules",
        "mistakes",
    } <= set(data)
    assert data["fp"] == 0 and data["mistakes"] == []
    assert data["rules"]["brand.homoglyph"]["tp"] >= 1


def test_test_on_a_corpus_prints_mistakes(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    lines = [
        {"id": "a", "title": "N1KE 跑鞋", "price": "99", "currency": "CNY", "expect": "flag"},
        {"id": "b", "title": "纯棉T恤 男", "price": "39", "currency": "CNY", "expect": "clear"},
        {
            "id": "c",
            "title": "Nike Air Max 90",
            "price": "899",
            "currency": "CNY",
            "category": "运动鞋",
            "expect": "flag",
            "note": "mislabelled on purpose",
        },
    ]
    corpus.write_text(
        "\n".join(json.dumps(line, ensure_ascii=False) for line in lines), encoding="utf-8"
    )
    code, output = _run("test", "--corpus", str(corpus), "--no-registry")
    assert code == 0, output
    assert output.startswith("total 3  tp 1  fp 0  fn 1  tn 1  precision 1.0000  recall 0.5000")
    assert "false negative" in output and "id c" in output and "brand.mention" in output

    code, output = _run("test", "--corpus", str(corpus), "--json", "--no-registry")
    data = json.loads(output)
    assert (data["tp"], data["fn"], data["tn"]) == (1, 1, 1)
    assert data["mistakes"][0]["id"] == "c"


def test_a_bad_corpus_line_is_named(tmp_path: Path) -> None:
    corpus = tmp_path / "bad.jsonl"
    corpus.write_text('{"title": "x", "expect": "flag"}\n{not json\n', encoding="utf-8")
    code, output = _run("test", "--corpus", str(corpus))
    assert code == 2
    assert f"{corpus}:2: not JSON" in output
