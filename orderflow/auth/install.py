"""Installing the app: token exchange for the embedded app, the code grant for the rest."""

from __future__ import annotations

from ..db.models import Shop
from ..queue.calls import call
from ..queue.enqueue import enqueue
from ..store.shops import install


def complete_install(svc, domain: str, tokens) -> Shop:
    """Store the tokens, commit, then start the shop's first work (subscriptions, recent orders)."""
    with svc.db.session() as s, s.begin():
        shop, fresh = install(s, domain, tokens, svc.box)
    if fresh:
        enqueue(svc, [call("after_install", shop.id, job_id=f"install-{shop.id}")],
                f"install of {domain}: first sync waits for the clock")
    return shop


def shop_for_session(svc, domain: str, id_token) -> Shop:
    """The installed shop behind a verified session token; exchanges the token on first sight."""
    with svc.db.session() as s:
        shop = s.query(Shop).filter_by(domain=domain).first()
        if shop is not None and shop.installed:
            return shop
    return complete_install(svc, domain, svc.tokens.exchange_session_token(id_token))
