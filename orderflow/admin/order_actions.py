"""What a merchant does on an order's page: each a POST that redirects back with a message.

The checks and the jobs are `orderflow.actions.shipping`, the same the JSON API uses.
"""

from __future__ import annotations

from flask import Response, g, render_template, request

from ..actions import shipping as actions
from ..services import services
from . import bp
from .auth import FLASHES, redirect_to

_BACK = "admin.orders_show"

FLASHES.update({
    "order_released": ("", (
        "Hold released. The order is being rated now: choose a rate below and buy its label once "
        "the rates are in (reload the page in a few seconds)."
    )),
    "order_released_unpaid": ("", (
        "Hold released, although Shopify does not show the order as paid. It is being rated now, "
        "and no label is bought until you buy one here. If Shopify sends a change to the order "
        "before then, it is checked again and goes back on hold while the payment is still open."
    )),
    "order_rerating": ("", (
        "Rating the order again: the carriers' current rates appear here in a few seconds. Reload "
        "the page to see them."
    )),
    "order_buying": ("", (
        "Buying the label: it appears here in a few seconds, then goes to Shopify with its "
        "tracking number. Reload the page to see it."
    )),
    "order_voiding": ("", (
        "Voiding the label: the carrier refunds it and its Shopify fulfilment is cancelled. The "
        "order is then ready to ship again, unless Shopify's next update of it puts it back on "
        "hold (a payment still open, for example)."
    )),
    "order_shipping_cancelled": ("", (
        "Shipping cancelled: the order is on hold and nothing will be bought for it. Release the "
        "hold to ship it after all."
    )),
    "order_not_held": ("error", (
        "This order is not on hold, so there is no hold to release."
    )),
    "order_held_in_shopify": ("error", (
        "This order is held in Shopify. Release the hold on the order's page in Shopify: we check "
        "the order again as soon as Shopify tells us."
    )),
    "order_not_ready": ("error", (
        "Only an order that is ready to ship can be rated again. Release its hold, or void its "
        "label, first."
    )),
    "order_label_bought": ("error", (
        "This order has a bought label: void the label first, then try again."
    )),
    "order_not_rated": ("error", (
        "These rates can no longer be bought: the shipment was bought, voided or rated again "
        "since the page was loaded. Here is the order as it is now."
    )),
    "order_not_offered": ("error", (
        "That rate was not offered for every parcel of this shipment. Choose one of the rates "
        "listed, or rate the order again."
    )),
    "order_no_rate_chosen": ("error", (
        "Choose one of the rates before buying."
    )),
    "order_already_voided": ("error", (
        "This label is already voided."
    )),
    "order_nothing_bought": ("error", (
        "No label was bought for this shipment, so there is nothing to void."
    )),
    "order_already_shipped": ("error", (
        "This order has already shipped, so its shipping cannot be cancelled. Void its label "
        "first if the parcel has not left."
    )),
    "order_nothing_to_cancel": ("error", (
        "This order is cancelled or has nothing to ship: there is no shipping to cancel."
    )),
    "order_label_voided": ("error", (
        "This label was voided: it can no longer be printed."
    )),
    "order_no_label": ("error", (
        "No label has been bought for this parcel yet."
    )),
    "order_queue_down": ("error", (
        "The job queue is unavailable right now, so the work did not start. Reload this page in a "
        "minute and try again."
    )),
})


def _done(order_id: int, run, flash: str):
    """Run the action and go back to the order with its message, or with why it was refused."""
    try:
        outcome = run()
    except actions.Refused as exc:
        if exc.code == "not_found":
            return render_template("admin/orders_missing.html"), 404
        return redirect_to(_BACK, flash=f"order_{exc.code}", order_id=order_id)
    return redirect_to(_BACK, flash=flash(outcome) if callable(flash) else flash, order_id=order_id)


@bp.post("/orders/<int:order_id>/release")
def orders_release(order_id: int):
    return _done(order_id, lambda: actions.release_hold(services(), g.shop.id, order_id),
                 lambda reason: "order_released_unpaid" if actions.is_unpaid_hold(reason)
                 else "order_released")


@bp.post("/orders/<int:order_id>/rerate")
def orders_rerate(order_id: int):
    return _done(order_id, lambda: actions.rerate(services(), g.shop.id, order_id),
                 "order_rerating")


@bp.post("/orders/<int:order_id>/cancel-shipping")
def orders_cancel_shipping(order_id: int):
    return _done(order_id, lambda: actions.cancel_shipping(services(), g.shop.id, order_id),
                 "order_shipping_cancelled")


@bp.post("/orders/<int:order_id>/shipments/<int:shipment_id>/buy")
def orders_buy(order_id: int, shipment_id: int):
    service = request.form.get("service")
    if not service:
        return redirect_to(_BACK, flash="order_no_rate_chosen", order_id=order_id)
    return _done(order_id,
                 lambda: actions.buy(services(), g.shop.id, shipment_id, service, order_id),
                 "order_buying")


@bp.post("/orders/<int:order_id>/shipments/<int:shipment_id>/void")
def orders_void(order_id: int, shipment_id: int):
    return _done(order_id, lambda: actions.void(services(), g.shop.id, shipment_id, order_id),
                 "order_voiding")


@bp.get("/orders/<int:order_id>/labels/<int:parcel_id>")
def orders_label(order_id: int, parcel_id: int):
    """The label to view in a tab, or (`download=1`) to save and print again."""
    try:
        found = actions.label(services(), g.shop.id, parcel_id, order_id)
    except actions.Refused as exc:
        if exc.code == "not_found":
            return render_template("admin/orders_missing.html"), 404
        return redirect_to(_BACK, flash=f"order_{exc.code}", order_id=order_id)
    disposition = "attachment" if request.args.get("download") else "inline"
    return Response(found.data, mimetype=found.mimetype,
                    headers={"Content-Disposition": f'{disposition}; filename="{found.filename}"'})
