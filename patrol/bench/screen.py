"""`patrol bench screen`: listings/s of the screening engine against a naive fuzzy scan.

The baseline is what a first attempt looks like: for each listing, rapidfuzz's
``process.extractOne`` with ``fuzz.partial_ratio`` over every alias of every brand, on
the same text the engine reads (title and description). It is measured in the same run,
on a sample of the same listings (it is slow, so fewer of them) and reported per
listing. The engine is measured on the default rulebook and on generated rulebooks of
1,000 and 10,000 brands; the figures that matter are the ratio to the
baseline at 1,000 brands and how much the engine slows from 1,000 to 10,000 brands.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

import click

__all__ = ["bench_screen"]


_ROUNDS = 20


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def _measure(
    listings: list[Any], rulebook: Any, aliases: list[str], baseline_count: int
) -> tuple[float, float]:
    """Listings/s of the engine and of the baseline, measured in interleaved rounds.

    The machine may be busy with other work; alternating engine and baseline in short
    rounds exposes both to the same conditions, and the median round of each is
    reported, so a burst of load on one side does not decide the ratio.
    """
    from rapidfuzz import fuzz, process

    from patrol.screening import screen

    for listing in listings[:50]:  # warm the per-character caches
        screen(listing, rulebook)
    engine_rates: list[float] = []
    baseline_rates: list[float] = []
    sample = listings[:baseline_count]
    for round_ in range(_ROUNDS):
        chunk = listings[round_::_ROUNDS]
        started = time.perf_counter()
        for listing in chunk:
            screen(listing, rulebook)
        engine_rates.append(_rate(len(chunk), time.perf_counter() - started))
        baseline_chunk = sample[round_::_ROUNDS]
        if not baseline_chunk:
            continue
        started = time.perf_counter()
        for listing in baseline_chunk:
            text = f"{listing.title or ''} {listing.description or ''}"
            process.extractOne(text, aliases, scorer=fuzz.partial_ratio, score_cutoff=80)
        baseline_rates.append(_rate(len(baseline_chunk), time.perf_counter() - started))
    return statistics.median(engine_rates), statistics.median(baseline_rates)


@click.command(name="screen")
@click.option(
    "--brands",
    "brand_counts",
    type=click.IntRange(min=1, max=100_000),
    multiple=True,
    help="Generated rulebook size(s) to measure (default: 1000 and 10000).",
)
@click.option("--listings", "count", type=click.IntRange(min=100), default=3000, show_default=True)
@click.option(
    "--baseline-listings",
    type=click.IntRange(min=5),
    default=40,
    show_default=True,
    help="Listings the (slow) baseline screens per rulebook (at least 5).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def bench_screen(
    brand_counts: tuple[int, ...], count: int, baseline_listings: int, as_json: bool
) -> None:
    """Screening speed: engine vs a per-listing fuzzy scan over every alias."""
    from patrol.config import default_rules_dir
    from patrol.screening.loader import read_rulebook
    from patrol.screening.rulebook import build_rulebook
    from patrol.screening.synthetic import synthetic_listings, synthetic_rulebook

    sizes = sorted(set(brand_counts or (1000, 10000)))
    source = read_rulebook(default_rules_dir())
    default_rulebook = build_rulebook(source)
    default_names = [name for brand in default_rulebook.brands for name in brand.spec.all_names()]
    default_listings = synthetic_listings(default_names, count)
    engine_rate, baseline_rate = _measure(
        default_listings, default_rulebook, default_names, baseline_listings
    )
    runs: list[dict[str, Any]] = [
        {
            "rulebook": "default",
            "brands": len(default_rulebook.brands),
            "listings_per_s": round(engine_rate, 1),
            "baseline_listings_per_s": round(baseline_rate, 2),
        }
    ]
    for size in sizes:
        started = time.perf_counter()
        rulebook = synthetic_rulebook(source, size)
        compile_s = time.perf_counter() - started
        names = [name for brand in rulebook.brands for name in brand.spec.all_names()]
        listings = synthetic_listings(names, count)
        engine_rate, baseline_rate = _measure(listings, rulebook, names, baseline_listings)
        runs.append(
            {
                "rulebook": "generated",
                "brands": size,
                "compile_s": round(compile_s, 2),
                "listings_per_s": round(engine_rate, 1),
                "baseline_listings_per_s": round(baseline_rate, 2),
            }
        )
    for run in runs:
        run["ratio"] = round(run["listings_per_s"] / run["baseline_listings_per_s"], 1)
    generated = [run for run in runs if run["rulebook"] == "generated"]
    headline = next(
        (run for run in generated if run["brands"] == 1000), generated[0] if generated else runs[0]
    )
    largest = generated[-1] if generated else headline
    result = {
        "listings_per_s": headline["listings_per_s"],
        "baseline_listings_per_s": headline["baseline_listings_per_s"],
        "ratio": headline["ratio"],
        "brands": headline["brands"],
        "slowdown": round(headline["listings_per_s"] / largest["listings_per_s"], 2),
        "slowdown_brands": [headline["brands"], largest["brands"]],
        "listings": count,
        "baseline_listings": baseline_listings,
        "runs": runs,
    }
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(
        f"screening {count} listings per rulebook (baseline: {baseline_listings}, per-listing rate)"
    )
    for run in runs:
        name = "default rulebook" if run["rulebook"] == "default" else "generated rulebook"
        compile_note = f", compiled in {run['compile_s']} s" if "compile_s" in run else ""
        click.echo(
            f"  {name:18} {run['brands']:>6} brands: "
            f"engine {run['listings_per_s']:>9,.1f} listings/s, "
            f"baseline {run['baseline_listings_per_s']:>8,.2f} listings/s, "
            f"ratio {run['ratio']:,.1f}x{compile_note}"
        )
    click.echo(
        f"engine at {headline['brands']} brands: {result['ratio']:,.1f}x the baseline; "
        f"{largest['brands']} brands cost {result['slowdown']:.2f}x "
        f"the time of {headline['brands']}"
    )
