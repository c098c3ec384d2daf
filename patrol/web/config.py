"""The console's settings, read once into a typed :class:`WebConfig`.

As scrapy-playwright's ``Config.from_settings``, values come from one place
(:meth:`WebConfig.from_env`, ``PATROL_WEB_*`` variables, overridden by ``patrol web``
options) and combinations that cannot work are refused there, with one line naming the
setting, rather than deep inside a request.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from patrol import config
from patrol.errors import PatrolError

__all__ = ["WebConfig"]


@dataclass(frozen=True)
class WebConfig:
    database_url: str
    #: where patrols stored their evidence (bodies and screenshots, by content hash)
    evidence_dir: Path = field(default_factory=config.evidence_dir)
    #: a session ends this long after sign-in, whatever happens
    session_lifetime: timedelta = timedelta(hours=12)
    #: ... and after this long without a request
    session_idle: timedelta = timedelta(hours=1)
    #: wrong passwords allowed per login name (and ×4 per client address) in the window
    login_attempts: int = 5
    login_window: timedelta = timedelta(minutes=15)
    #: send cookies only over HTTPS (set it behind a TLS proxy)
    secure_cookies: bool = False
    #: the proxies whose X-Forwarded-For/-Proto headers are believed (uvicorn's
    #: ``forwarded_allow_ips``: addresses or networks, comma-separated, "*" for any);
    #: none by default, so a client cannot name its own address to the sign-in brake
    trusted_proxies: str = ""
    page_size: int = 50
    #: requests a server process works on at once, each with its own database connection.
    #: Pages are CPU-bound Python: more threads than this only queue on the GIL, and
    #: make every request in a burst late rather than most of them on time.
    threads: int = 4

    @classmethod
    def from_env(cls, **overrides: Any) -> WebConfig:
        env = os.environ
        values: dict[str, Any] = {"database_url": config.database_url()}
        if "PATROL_WEB_SESSION_HOURS" in env:
            values["session_lifetime"] = timedelta(hours=_number(env, "PATROL_WEB_SESSION_HOURS"))
        if "PATROL_WEB_IDLE_MINUTES" in env:
            values["session_idle"] = timedelta(minutes=_number(env, "PATROL_WEB_IDLE_MINUTES"))
        if "PATROL_WEB_LOGIN_ATTEMPTS" in env:
            values["login_attempts"] = int(_number(env, "PATROL_WEB_LOGIN_ATTEMPTS"))
        if "PATROL_WEB_SECURE_COOKIES" in env:
            values["secure_cookies"] = env["PATROL_WEB_SECURE_COOKIES"].lower() in (
                "1",
                "true",
                "yes",
            )
        if "PATROL_WEB_TRUSTED_PROXIES" in env:
            values["trusted_proxies"] = env["PATROL_WEB_TRUSTED_PROXIES"].strip()
        if "PATROL_WEB_THREADS" in env:
            values["threads"] = int(_number(env, "PATROL_WEB_THREADS"))
        web = cls(**values)
        return web.replace(**overrides) if overrides else web.validated()

    def replace(self, **changes: Any) -> WebConfig:
        return replace(self, **changes).validated()

    def validated(self) -> WebConfig:
        if self.session_lifetime <= timedelta(0) or self.session_idle <= timedelta(0):
            raise PatrolError("PATROL_WEB_SESSION_HOURS and PATROL_WEB_IDLE_MINUTES must be > 0")
        if self.session_idle > self.session_lifetime:
            raise PatrolError(
                "PATROL_WEB_IDLE_MINUTES is longer than PATROL_WEB_SESSION_HOURS: "
                "a session would outlive its own lifetime"
            )
        if self.login_attempts < 1:
            raise PatrolError("PATROL_WEB_LOGIN_ATTEMPTS must be at least 1")
        if not 1 <= self.threads <= 64:
            raise PatrolError("PATROL_WEB_THREADS must be between 1 and 64")
        if not 1 <= self.page_size <= 500:
            raise PatrolError("the console's page size must be between 1 and 500")
        return self


def _number(env: os._Environ[str], name: str) -> float:
    try:
        value = float(env[name])
    except ValueError:
        raise PatrolError(f"{name} must be a number, not {env[name]!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise PatrolError(f"{name} must be a number greater than zero, not {env[name]!r}")
    return value
