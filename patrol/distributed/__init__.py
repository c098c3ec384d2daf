"""Distributed patrols: many workers, one frontier in Redis, one PostgreSQL database.

When ``PATROL_REDIS_URL`` is set, :class:`~patrol.distributed.addon.DistributedPatrolAddon`
switches a patrol to scrapy-redis's scheduler and dupefilter, extended with leases so a
killed worker loses nothing (:mod:`~patrol.distributed.scheduler`,
:mod:`~patrol.distributed.frontier`), one seeding worker, a drained-frontier end, one run
record and one gone-marking per patrol (:mod:`~patrol.distributed.extension`,
:mod:`~patrol.distributed.recorder`, :mod:`~patrol.distributed.store`).
``patrol crawl SITE --workers N`` and ``patrol worker SITE`` start workers
(:mod:`~patrol.distributed.launch`).
"""

from patrol.distributed.addon import DistributedPatrolAddon

__all__ = ["DistributedPatrolAddon"]
