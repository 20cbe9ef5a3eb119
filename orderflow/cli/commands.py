"""`flask --app orderflow ...` commands: db upgrade, worker, clock, sandbox-shopify, demo."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ..services import services

db_cli = AppGroup("db", help="Database schema.")


@db_cli.command("upgrade")
def db_upgrade():
    """Apply every migration (the Procfile's release step)."""
    from ..db.migrate import upgrade
    upgrade(services().settings.DATABASE_URL)
    click.echo("database is at the latest migration")


@click.command("worker")
@click.argument("queues", nargs=-1)
def worker(queues):
    """An RQ worker for our queues, inside the app (run as many as you need).

    It runs jobs in its own process rather than forking one per job: the jobs are short and
    I/O-bound, and a forked child would open new database and HTTP connections and forget
    Shopify's throttle state for every job.
    """
    from rq import Queue, SimpleWorker

    from ..queue.calls import QUEUES
    svc = services()
    if not svc.settings.REDIS_URL:
        raise click.ClickException("REDIS_URL is not set: the embedded mode runs jobs in-process")
    names = queues or QUEUES
    connection = svc.queue.redis
    SimpleWorker([Queue(n, connection=connection) for n in names], connection=connection).work(
        with_scheduler=True)


@click.command("clock")
def clock():
    """The outbox dispatcher, its sweeper and the reconciler's schedule."""
    from ..queue.clock import Clock
    Clock(current_app._get_current_object()).run()


@click.command("sandbox-shopify")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8081, type=int)
def sandbox_shopify(host, port):
    """Run the sandbox Shopify on its own, signing webhooks with this app's secret."""
    from ..sandbox.shopify import serve_forever
    svc = services()
    click.echo(f"sandbox Shopify on http://{host}:{port}; webhooks go to {svc.webhook_uri}")
    serve_forever(svc.settings.SHOPIFY_API_KEY, svc.settings.SHOPIFY_API_SECRET,
                  svc.webhook_uri, host, port)


def demo_command(factory) -> click.Command:
    """The demo builds its own app with `factory` (create_app, handed in by app.py)."""
    @click.command("demo")
    @click.option("--port", default=5000, type=int)
    @click.option("--sandbox-port", default=8081, type=int)
    @click.option("--carrier-port", default=8082, type=int)
    @click.option("--exit", "exit_after", is_flag=True, help="Stop after printing the table.")
    def demo(port, sandbox_port, carrier_port, exit_after):
        """Install into a sandbox shop, place varied orders, ship them, print them, keep serving."""
        from .demo import run_demo
        run_demo(factory, port, sandbox_port, carrier_port, keep_serving=not exit_after)
    return demo


def register(app: Flask, factory) -> None:
    app.cli.add_command(db_cli)
    for command in (worker, clock, sandbox_shopify, demo_command(factory)):
        app.cli.add_command(command)
