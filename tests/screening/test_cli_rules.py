"""`patrol rules explain` and `patrol rules test` through Click's runner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

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


def _run_split(*args: str) -> Result:
    """As :func:`_run`, with standard output and standard error apart."""
    return CliRunner().invoke(cli, ["rules", *args, "--rules", str(RULES), "--no-registry"])


def test_bad_corpus_lines_are_skipped_named_and_counted(tmp_path: Path) -> None:
    corpus = tmp_path / "mixed.jsonl"
    corpus.write_bytes(
        b'{"id": "a", "title": "N1KE \xe8\xb7\x91\xe9\x9e\x8b", "price": "99", "expect": "flag"}\n'
        b"{not json\n"
        b'{"title": 5, "expect": "clear"}\n'
        b'{"title": "no label"}\n'
        b'{"title": "\xff\xfe latin-1", "expect": "clear"}\n'
        b'{"title": "x", "expect": "clear", "price": {"low": 1}}\n'
        b'{"title": "y", "expect": "clear", "registry": {"trademarks": [{"office": 1}]}}\n'
        b"\n"
        b'{"id": "b", "title": "\xe7\xba\xaf\xe6\xa3\x89T\xe6\x81\xa4", "expect": "clear"}\n'
    )
    result = _run_split("test", "--corpus", str(corpus))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"skipped: {corpus}:2: not JSON: Expecting property name enclosed in double quotes",
        f'skipped: {corpus}:3: "title" must be text, not a number',
        f'skipped: {corpus}:4: each line needs "expect": "flag" or "clear"',
        f"skipped: {corpus}:5: not UTF-8 text (save the corpus as UTF-8)",
        f"skipped: {corpus}:6: \"price\" must be a finite number, not {{'low': 1}}",
        f"skipped: {corpus}:7: bad inline registry {{'trademarks': [{{'office': 1}}]}}: "
        "office 1 must be text",
    ]
    assert result.stdout.startswith("total 2  tp 1  fp 0  fn 0  tn 1")
    assert "skipped 6 lines that are not labelled listings" in result.stdout

    result = _run_split("test", "--corpus", str(corpus), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["total"], data["tp"], data["tn"], data["skipped"]) == (2, 1, 1, 6)
    assert [line.split(": ", 1)[0] for line in data["skipped_lines"]] == [
        f"{corpus}:{n}" for n in range(2, 8)
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe bad\n", "{path}: not UTF-8 text (UTF-16? save it as UTF-8)"),
        (
            '{"title": "x", "expect": "flag"}\n'.encode("utf-16"),
            "{path}: not UTF-8 text (UTF-16? save it as UTF-8)",
        ),
        (
            '{"title": "\u8010\u514b", "expect": "flag"}\n'.encode("gbk") * 2,
            "{path}: not UTF-8 text: no line could be read (save it as UTF-8)",
        ),
        (
            b"{not json\n[1, 2]\n",
            "{path}: no labelled listing to evaluate (2 lines skipped, see above)",
        ),
        (b"\n\n", "{path}: no labelled listing to evaluate"),
    ],
    ids=["ff-fe", "utf-16", "gbk", "no-usable-line", "blank"],
)
def test_a_corpus_with_nothing_usable_is_a_usage_error(
    tmp_path: Path, content: bytes, message: str
) -> None:
    corpus = tmp_path / "bad.jsonl"
    corpus.write_bytes(content)
    for extra in ((), ("--json",)):
        result = _run_split("test", "--corpus", str(corpus), *extra)
        assert result.exit_code == 2, result.output
        assert result.stderr.splitlines()[-1] == "Error: " + message.format(path=corpus)
        assert "Traceback" not in result.output and result.stdout == ""


def test_lint_names_every_bad_example_line(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    examples = rules / "slang.examples.jsonl"
    good = examples.read_text(encoding="utf-8")
    examples.write_bytes(b"{broken\n" + good.encode("utf-8") + b'{"title": "x"}\n')
    last = len(good.splitlines()) + 2
    result = CliRunner().invoke(cli, ["rules", "lint", "--rules", str(rules)])
    assert result.exit_code == 2, result.output
    assert f"{examples}:1: not JSON" in result.output
    assert f'{examples}:{last}: each line needs "expect"' in result.output
