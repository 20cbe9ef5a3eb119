"""The stores a benchmark owns for one run: a throwaway PostgreSQL database and a Redis db.

`BENCH_PG_ADMIN_URL` names the PostgreSQL server (a superuser; trust auth by default) and
`BENCH_REDIS_URL` the Redis database, which the benchmark flushes: never one that tests or another
benchmark use at the same time.
"""

from __future__ import annotations

import os
import uuid

from bench.common import say

PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def redis_url(default_db: int) -> str:
    return os.environ.get("BENCH_REDIS_URL", f"redis://127.0.0.1:6379/{default_db}")


def fresh_redis(url: str):
    """A client of the Redis database at `url`, flushed."""
    from redis import Redis

    redis = Redis.from_url(url)
    redis.flushdb()
    return redis


class ThrowawayDatabase:
    """A PostgreSQL database of this run only (`<prefix>_<pid>_<random>`), migrated to head."""

    def __init__(self, prefix: str):
        self.name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.url = PG_ADMIN.rsplit("/", 1)[0] + f"/{self.name}"  # for psycopg
        self.created = False

    @property
    def app_url(self) -> str:
        """The URL the app's SQLAlchemy engine takes."""
        return self.url.replace("postgresql://", "postgresql+psycopg://")

    def create(self) -> None:
        import psycopg

        from orderflow.db.migrate import upgrade

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self.created = True
        upgrade(self.url)

    def connect(self):
        """A psycopg connection in autocommit mode (use it in a `with`)."""
        import psycopg

        return psycopg.connect(self.url, autocommit=True)

    def execute(self, sql: str) -> None:
        with self.connect() as conn:
            conn.execute(sql)

    def drop(self) -> None:
        import psycopg

        if not self.created:
            return
        try:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self.created = False
        except Exception as exc:  # noqa: BLE001 - cleanup goes on
            say(f"could not drop database {self.name}: {exc}")
