"""One ``patrol_runs`` row for a distributed patrol, however many workers serve it.

:class:`SharedRunRecorder` is :class:`patrol.db.runs.PatrolRunRecorder` whose run id is
agreed in Redis: the first worker to claim it creates the row and publishes its id, the
others wait for the id and write their listings and snapshots against it. When a worker
stops it adds its stats to the patrol's totals; the row shows the totals so far while the
patrol runs, and the finaliser (the last worker out of a drained frontier) completes it
with the finish status and the totals of every worker.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

import redis
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from patrol.db.models import PatrolRun, utcnow
from patrol.db.runs import PatrolRunRecorder, run_status
from patrol.distributed.extension import DistributedPatrol
from patrol.errors import PatrolError
from spiders.marketplace import UNREACHABLE_REASON

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from patrol.db.engine import Database

__all__ = ["SharedRunRecorder"]

logger = logging.getLogger(__name__)


class SharedRunRecorder(PatrolRunRecorder):
    def __init__(self, crawler: Crawler, database: Database) -> None:
        super().__init__(crawler, database)
        self._patrol: DistributedPatrol | None = None

    @property
    def patrol(self) -> DistributedPatrol:
        # looked up on first use: extensions cannot see each other while being built
        if self._patrol is None:
            self._patrol = DistributedPatrol.of(self.crawler)
        return self._patrol

    def ensure_run(self) -> int:
        if self.run_id is not None:
            return self.run_id
        frontier = self.patrol.frontier
        if frontier.claim("run"):
            run_id = super().ensure_run()
            assert self.started_at is not None
            frontier.set_meta_once("started_at", self.started_at.isoformat())
            frontier.set_meta({"run_id": run_id})
            return run_id
        deadline = time.monotonic() + self.patrol.config.run_wait
        while (published := frontier.meta("run_id")) is None:
            if time.monotonic() > deadline:
                raise PatrolError(
                    f"patrol {self.patrol.patrol_id}: no run record after "
                    f"{self.patrol.config.run_wait:g}s (did the first worker die starting?)"
                )
            time.sleep(0.05)  # only while the worker starts
        self.run_id = int(published)
        started = frontier.meta("started_at")
        self.started_at = datetime.fromisoformat(started) if started else utcnow()
        logger.info("worker joins patrol run #%d", self.run_id)
        return self.run_id

    def engine_stopped(self) -> None:
        if self.run_id is None:
            return
        own = self.crawler.stats.get_stats() if self.crawler.stats else {}
        reason = self.reason or str(own.get("finish_reason") or "unknown")
        self.patrol.leave(reason)
        totals: dict[str, Any] = dict(own)
        if not self.patrol.redis_lost:
            try:
                totals.update(self.patrol.frontier.total_stats())
            except redis.RedisError as exc:
                logger.warning("patrol totals unavailable (%s): recording this worker's", exc)
        values: dict[str, Any] = {
            "pages": int(totals.get("response_received_count", 0)),
            "errors": int(totals.get("log_count/ERROR", 0))
            + int(totals.get("spider_exceptions/count", 0)),
            "listings": int(totals.get("patrol/listings", 0)),
            "stats": _json_safe(totals),
        }
        statement = update(PatrolRun).where(PatrolRun.id == self.run_id)
        if self.patrol.finaliser:
            if reason == "finished" and not totals.get("patrol/index_pages"):
                # as a patrol in one process ends (spiders.marketplace), judged on all workers
                logger.error("no worker of patrol %s read a result page", self.patrol.patrol_id)
                reason = UNREACHABLE_REASON
            values.update(
                finished_at=utcnow(), status=run_status(reason, totals), finish_reason=reason
            )
        else:  # totals so far; never over a row the finaliser completed
            statement = statement.where(PatrolRun.status == "running")
        try:
            with self.database.sessions.begin() as session:
                session.execute(statement.values(values))
        except SQLAlchemyError:
            logger.exception("could not record patrol run #%d", self.run_id)
        else:
            if self.patrol.finaliser:
                logger.info("patrol run #%d finished: %s", self.run_id, values["status"])
        finally:
            self.database.dispose()


def _json_safe(stats: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in stats.items()
        if isinstance(value, int | float | str | bool | datetime)
    }
