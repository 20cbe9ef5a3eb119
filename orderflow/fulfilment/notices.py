"""Which notices a shipment's tracking status calls for: Shopify fulfilment events, customer
emails, merchant alerts. Pure: what exists already and where it is recorded is store/'s part.

Nobody is told anything about a shipment whose fulfilment is not live in Shopify. Shopify hears
each status it has an event for, and a delay; the customer gets the emails the shop sends for
the status (and "shipped" when the fulfilment was just created); a delivery problem raises an
alert for the merchant.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from . import tracking as tk


@dataclass(frozen=True)
class Wanted:
    channel: str  # "shopify" or "email"
    kind: str  # a Shopify FulfillmentEventStatus, or an email kind
    recipient: str | None = None


def notices_for(status: str | None, events: Iterable[dict], *, live: bool, email: str | None,
                email_kinds: Callable[[], Collection[str]], shipped: bool = False) -> list[Wanted]:
    """The notices the status calls for. `live`: the fulfilment is in Shopify; `email`: the
    customer's address; `email_kinds`: the customer emails the shop sends, asked only when an
    email can be due (reading the shop's settings costs a query)."""
    if not live:
        return []
    events = list(events)
    wanted = []
    event = tk.shopify_event(status) if status else None
    if event:
        wanted.append(Wanted("shopify", event))
    if tk.delayed(status, events):
        wanted.append(Wanted("shopify", "DELAYED"))
    if email:
        kinds = email_kinds()
        for kind in (["shipped"] if shipped else []) + [tk.customer_email_kind(status or "")]:
            if kind and kind in kinds:
                wanted.append(Wanted("email", kind, email))
    return wanted


def alert_for(status: str | None) -> str | None:
    """The kind of merchant alert the status raises (a delivery problem), or None."""
    return tk.alert_kind(status) if status else None
