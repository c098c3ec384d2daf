"""Faults a fixture marketplace can inject: what real marketplaces do to crawlers at night.

A :class:`FaultConfig` gives the share of page/API requests that get each fault; a
:class:`FaultPlan` turns it into a seeded sequence of decisions, one per request, so a run
with the same requests in the same order meets the same faults. ``robots.txt``, static
files and images are never faulted.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import yaml

from patrol.errors import PatrolError
from patrol.textfiles import NotUtf8Error, read_utf8

__all__ = ["PRESETS", "FaultConfig", "FaultPlan", "load_faults"]


@dataclass(frozen=True, slots=True)
class FaultConfig:
    error_rate: float = 0.0  # share answered 500 or 503
    rate_limit: float = 0.0  # share answered 429 with Retry-After
    retry_after: int = 1  # seconds
    slow_rate: float = 0.0  # share delayed by slow_seconds
    slow_seconds: float = 2.0
    drop_rate: float = 0.0  # share whose connection is closed without an answer
    truncate_rate: float = 0.0  # share answered with half the body
    block_rate: float = 0.0  # share answered with the captcha page (HTTP 200)
    block_after: int | None = None  # every request after the Nth is blocked
    path_prefix: str = ""  # faults only for paths starting with this ("": every path)
    seed: int = 0

    def __post_init__(self) -> None:
        rates = (
            "error_rate",
            "rate_limit",
            "slow_rate",
            "drop_rate",
            "truncate_rate",
            "block_rate",
        )
        for name in rates:
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")
        exclusive = self.error_rate + self.rate_limit + self.drop_rate + self.truncate_rate
        if exclusive + self.block_rate > 1:
            raise ValueError(
                "error_rate, rate_limit, drop_rate, truncate_rate and block_rate "
                "add up to more than 1"
            )
        if self.retry_after < 0 or self.slow_seconds < 0:
            raise ValueError("retry_after and slow_seconds must be 0 or more")
        if self.block_after is not None and self.block_after < 0:
            raise ValueError("block_after must be 0 or more")
        if self.path_prefix and not self.path_prefix.startswith("/"):
            raise ValueError(f"path_prefix must start with '/', not {self.path_prefix!r}")

    def applies_to(self, path: str) -> bool:
        """Whether a request for ``path`` draws a fault decision at all."""
        return path.startswith(self.path_prefix)

    @property
    def active(self) -> bool:
        return self != FaultConfig(seed=self.seed, path_prefix=self.path_prefix)


PRESETS: dict[str, FaultConfig] = {
    "none": FaultConfig(),
    "errors": FaultConfig(error_rate=0.2),
    "ratelimit": FaultConfig(rate_limit=0.3, retry_after=1),
    "slow": FaultConfig(slow_rate=0.3, slow_seconds=1.5),
    "drop": FaultConfig(drop_rate=0.2),
    "truncate": FaultConfig(truncate_rate=0.3),
    "block": FaultConfig(block_rate=1.0),
    "blockafter": FaultConfig(block_after=20),
    "chaos": FaultConfig(
        error_rate=0.05,
        rate_limit=0.05,
        slow_rate=0.05,
        slow_seconds=0.5,
        drop_rate=0.03,
        truncate_rate=0.03,
    ),
}


def load_faults(spec: str | FaultConfig | None) -> FaultConfig:
    """A preset name, a YAML file path, a config, or ``None`` (no faults)."""
    if spec is None:
        return PRESETS["none"]
    if isinstance(spec, FaultConfig):
        return spec
    if spec in PRESETS:
        return PRESETS[spec]
    path = Path(spec)
    if not path.suffix and not path.exists():
        raise PatrolError(
            f"unknown faults preset {spec!r} (presets: {', '.join(PRESETS)}; or give a YAML file)"
        )
    try:
        text = read_utf8(path)
    except NotUtf8Error as exc:
        raise PatrolError(f"{path}:{exc.line}: cannot read faults file: {exc}") from None
    except OSError as exc:
        raise PatrolError(f"cannot read faults file {path}: {exc}") from None
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PatrolError(f"{where}: broken YAML in faults file: {problem}") from None
    except RecursionError:
        raise PatrolError(f"{path}: YAML in faults file nested too deeply to read") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PatrolError(f"{path}: a faults file must be a mapping of settings")
    known = {f.name: f for f in fields(FaultConfig)}
    for key in data:
        if key not in known:
            raise PatrolError(f"{path}: unknown fault setting {key!r} (known: {', '.join(known)})")
    try:
        values = {k: _coerce(k, v) for k, v in data.items()}
        return replace(FaultConfig(), **values)
    except (TypeError, ValueError) as exc:
        raise PatrolError(f"{path}: {exc}") from None


def _coerce(key: str, value: Any) -> Any:
    if key == "path_prefix":
        if not isinstance(value, str):
            raise ValueError(f"path_prefix must be a string, not {value!r}")
        return value
    if key == "block_after":
        return None if value is None else int(value)
    if key in ("retry_after", "seed"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{key} must be a number, not {value!r}")
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} must be a number, not {value!r}")
    return float(value)


_GOLDEN = 0.6180339887498949
_PLASTIC = 0.7548776662466927


class FaultPlan:
    """Seeded per-request fault decisions for one site.

    The k-th request's rolls are the k-th terms of two equidistributed (Weyl) sequences
    offset by the seed, so any run of requests meets close to the configured share of
    each fault, spread out rather than in clumps, and the same order meets the same faults.
    """

    def __init__(self, config: FaultConfig) -> None:
        self._lock = threading.Lock()
        self.reset(config)

    def reset(self, config: FaultConfig) -> None:
        with self._lock:
            self.config = config
            offsets = random.Random(config.seed)
            self._offset = offsets.random()
            self._slow_offset = offsets.random()
            self._count = 0
            self._errors = 0

    def decide(self) -> tuple[str | None, float]:
        """(fault, delay) for the next request: fault is None, "error500", "error503",
        "ratelimit", "drop", "truncate" or "block"; delay in seconds."""
        with self._lock:
            c = self.config
            self._count += 1
            if not c.active:
                return None, 0.0
            k = self._count
            slow_roll = (self._slow_offset + k * _PLASTIC) % 1.0
            delay = c.slow_seconds if slow_roll < c.slow_rate else 0.0
            if c.block_after is not None and k > c.block_after:
                return "block", delay
            roll = (self._offset + k * _GOLDEN) % 1.0
            for fault, share in (
                ("error", c.error_rate),
                ("ratelimit", c.rate_limit),
                ("drop", c.drop_rate),
                ("truncate", c.truncate_rate),
                ("block", c.block_rate),
            ):
                if roll < share:
                    if fault == "error":
                        self._errors += 1
                        fault = "error500" if self._errors % 2 else "error503"
                    return fault, delay
                roll -= share
            return None, delay
