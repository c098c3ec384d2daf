"""`patrol rules`: the rulebook: lint, explain, test and replay detection rules.

``lint`` lists every problem of a rulebook (file:line: rule-id: message) and exits 2 if
there is one; ``explain`` screens one listing given on the command line and shows every
hit with its variant path; ``test`` runs the rulebook's labelled examples, or any
labelled corpus, and prints precision, recall and each mistake with its explanation. A
corpus line that is not a labelled listing is skipped with its file:line and counted, so
one bad line of a 10,000-line ground truth does not cost the other 9,999; a corpus with
no usable line at all is a usage error.
Registry knowledge (trademarks, patents, authorised sellers, repeat offenders) comes from
the configured database when it holds any; ``--no-registry`` screens without it.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from patrol.errors import PatrolError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from patrol.registry.records import RegistrySnapshot
    from patrol.screening.evaluation import Evaluation, LabelledListing
    from patrol.screening.rulebook import Rulebook
    from patrol.screening.verdict import Verdict

__all__ = ["group"]

_RULES_OPTION = click.option(
    "--rules",
    "rules_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Rulebook folder or file (default: PATROL_RULES, else rules/).",
)
_REGISTRY_OPTION = click.option(
    "--no-registry", is_flag=True, help="Do not read registries from the database."
)


@click.group(name="rules")
def group() -> None:
    """The rulebook: lint, explain, test and replay detection rules."""


def database_registry() -> RegistrySnapshot | None:
    """The registry in the configured database, or None if there is none (or it is empty)."""
    try:
        from patrol.db import open_database, registry_snapshot
    except ImportError:
        return None
    try:
        database = open_database()
    except PatrolError:
        return None
    try:
        with database.sessions() as session:
            snapshot = registry_snapshot(session)
    except Exception:  # an unreadable database means no registry, not a failed test
        return None
    finally:
        database.dispose()
    if snapshot.trademarks or snapshot.patents or snapshot.authorised_sellers:
        return snapshot
    return None if not snapshot.repeat_offenders else snapshot


def _load(rules_path: Path | None, no_registry: bool) -> Rulebook:
    from patrol.screening import load_rulebook

    registry = None if no_registry else database_registry()
    return load_rulebook(rules_path, registry)


@group.command(name="lint")
@_RULES_OPTION
def lint_command(rules_path: Path | None) -> None:
    """Check a rulebook; every problem names file, line and rule id (exit 2 if any)."""
    from patrol.config import default_rules_dir
    from patrol.screening.evaluation import example_files, read_corpus
    from patrol.screening.loader import read_rulebook
    from patrol.screening.rulebook import build_rulebook

    root = rules_path or default_rules_dir()
    source = read_rulebook(root)
    problems = [str(problem) for problem in source.problems]
    if not problems:
        rulebook = build_rulebook(source)
        known = set(rulebook.rules)
        covered: set[str] = set()
        for path in example_files(rulebook):
            bad_lines: list[str] = []
            try:
                for item in read_corpus(path, bad_lines):
                    if item.rule is not None and item.rule not in known:
                        problems.append(
                            f"{item.source}: {item.rule}: example names an unknown rule"
                        )
                    elif item.rule is not None:
                        covered.add(item.rule)
            except PatrolError as exc:
                problems.append(str(exc.message))
            problems.extend(bad_lines)
        for rule in source.rules:
            if rule.id not in covered:
                click.echo(f"warning: {rule.origin}: {rule.id}: no labelled examples")
    for problem in problems:
        click.echo(problem)
    if problems:
        raise PatrolError(f"{root}: {len(problems)} problem{'s' if len(problems) > 1 else ''}")
    click.echo(
        f"ok: {root}: {len(source.files)} files, {len(source.brands)} brands, "
        f"{len(source.rules)} rules, threshold {source.threshold:g}"
    )


def _decimal(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        price = Decimal(value)
    except InvalidOperation:
        raise PatrolError(f"--price {value!r} is not a number") from None
    if not price.is_finite():
        raise PatrolError(f"--price {value!r} is not a number")
    return price


def explain_verdict(verdict: Verdict) -> list[str]:
    """The verdict as lines a person reads: score, decision, one line per hit."""
    decision = "FLAG" if verdict.flagged else "clear"
    lines = [f"score {verdict.score:g} / threshold {verdict.threshold:g}: {decision}"]
    for hit in sorted(verdict.hits, key=lambda h: -h.weight):
        brand = f" [{hit.brand_id}]" if hit.brand_id else ""
        span = f" @{hit.span[0]}-{hit.span[1]}" if hit.span else ""
        lines.append(f"  {hit.weight:+.2f} {hit.rule_id}{brand} {hit.field}{span}: {hit.text!r}")
        lines.append(f"        {hit.variant_path}")
        if hit.explanation:
            lines.append(f"        {hit.explanation}")
        if hit.registry is not None:
            ref = hit.registry
            parts = [ref.kind, ref.office, ref.number or "(no number)", ref.text]
            if ref.nice_classes:
                parts.append(f"classes {', '.join(ref.nice_classes)}")
            parts.append(ref.status)
            lines.append("        registry: " + " ".join(p for p in parts if p))
    return lines


@group.command(name="explain")
@click.option("--title", required=True, help="The listing title.")
@click.option("--price", default=None, help="Price, e.g. 199.00.")
@click.option("--currency", default="CNY", show_default=True, help="ISO 4217 currency.")
@click.option("--category", default=None, help="Category as the marketplace shows it.")
@click.option("--shop", default=None, help="Shop id.")
@click.option("--shop-name", default=None, help="Shop name.")
@click.option("--brand", default=None, help="Seller-declared brand.")
@click.option("--description", default=None, help="Listing description.")
@click.option("--patent", "patents", multiple=True, help="A printed patent number (repeatable).")
@click.option("--official", is_flag=True, help="The marketplace shows an official-store badge.")
@click.option("--marketplace", default="cli", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
@_RULES_OPTION
@_REGISTRY_OPTION
def explain_command(
    title: str,
    price: str | None,
    currency: str,
    category: str | None,
    shop: str | None,
    shop_name: str | None,
    brand: str | None,
    description: str | None,
    patents: tuple[str, ...],
    official: bool,
    marketplace: str,
    as_json: bool,
    rules_path: Path | None,
    no_registry: bool,
) -> None:
    """Screen one listing and show the score, the verdict and every hit."""
    from patrol.items import Listing
    from patrol.screening import screen

    listing = Listing(
        marketplace=marketplace,
        listing_id="cli",
        url="",
        title=title,
        price=_decimal(price),
        currency=currency.upper() if currency else None,
        brand=brand,
        category=category,
        description=description,
        shop_id=shop,
        shop_name=shop_name,
        shop_official=True if official else None,
        patent_numbers=list(patents),
    )
    rulebook = _load(rules_path, no_registry)
    verdict = screen(listing, rulebook)
    if as_json:
        click.echo(json.dumps(verdict.to_dict(), ensure_ascii=False))
        return
    for line in explain_verdict(verdict):
        click.echo(line)


def _lines(count: int) -> str:
    return f"{count} line{'' if count == 1 else 's'}"


def _print_report(evaluation: Evaluation, max_mistakes: int) -> None:
    data = evaluation.as_dict()
    click.echo(
        f"total {data['total']}  tp {data['tp']}  fp {data['fp']}  fn {data['fn']}  "
        f"tn {data['tn']}  precision {data['precision']:.4f}  recall {data['recall']:.4f}  "
        f"f1 {data['f1']:.4f}"
    )
    if data["skipped"]:
        click.echo(f"skipped {_lines(data['skipped'])} that are not labelled listings (see above)")
    click.echo("\nper rule (fired on flag-labelled = tp, on clear-labelled = fp):")
    for rule_id, counts in data["rules"].items():
        click.echo(
            f"  {rule_id:34} tp {counts['tp']:6}  fp {counts['fp']:6}  "
            f"precision {counts['precision']:.3f}"
        )
    click.echo("\nper kind (from the ground truth's note):")
    for kind, counts in data["kinds"].items():
        right = counts["tp"] + counts["tn"]
        click.echo(f"  {kind:34} {right:6} / {counts['total']:<6} right")
    mistakes: list[dict[str, Any]] = data["mistakes"]
    if mistakes:
        click.echo(f"\nmistakes ({len(mistakes)}; first {min(max_mistakes, len(mistakes))}):")
    for mistake in mistakes[:max_mistakes]:
        click.echo(
            f"- {mistake['why']}: {mistake['source']} id {mistake['id']} score {mistake['score']:g}"
            f" {mistake['title']!r} price {mistake['price']} category {mistake['category']!r}"
        )
        if mistake.get("note"):
            click.echo(f"    note: {mistake['note']}")
        for hit in mistake["hits"]:
            click.echo(
                f"    {hit['weight']:+.2f} {hit['rule_id']} {hit['text']!r}: {hit['variant_path']}"
            )


@group.command(name="test")
@click.option(
    "--corpus",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="A labelled corpus (JSON Lines); default: the rulebook's own examples.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--max-mistakes", default=50, show_default=True, type=click.IntRange(min=0))
@_RULES_OPTION
@_REGISTRY_OPTION
def test_command(
    corpus: Path | None,
    as_json: bool,
    max_mistakes: int,
    rules_path: Path | None,
    no_registry: bool,
) -> None:
    """Run labelled listings through the rulebook: precision, recall, F1 and mistakes."""
    from itertools import chain

    from patrol.config import default_rules_dir
    from patrol.screening.evaluation import evaluate, example_files, read_corpus
    from patrol.screening.loader import read_rulebook
    from patrol.screening.rulebook import build_rulebook

    source = read_rulebook(rules_path or default_rules_dir())
    registry = None if no_registry else database_registry()
    rulebook = build_rulebook(source, registry)
    skipped: list[str] = []
    if corpus is not None:
        items: Iterable[LabelledListing] = read_corpus(corpus, skipped)
    else:
        files = example_files(rulebook)
        if not files:
            raise PatrolError(f"{rulebook.root}: no *.examples.jsonl beside the rule files")
        items = chain.from_iterable(read_corpus(path, skipped) for path in files)
    evaluation = evaluate(items, rulebook, lambda inline: build_rulebook(source, inline))
    evaluation.skipped = skipped
    for problem in skipped:
        click.echo(f"skipped: {problem}", err=True)
    if corpus is not None and not evaluation.overall.total:
        lines = f" ({_lines(len(skipped))} skipped, see above)" if skipped else ""
        raise PatrolError(f"{corpus}: no labelled listing to evaluate{lines}")
    if as_json:
        click.echo(json.dumps(evaluation.as_dict(), ensure_ascii=False, default=str))
    else:
        _print_report(evaluation, max_mistakes)
