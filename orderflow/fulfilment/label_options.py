"""What a label is bought with, by the order's value: a signature on delivery above the shop's
`signature_above`, insurance above its `insure_above` (each parcel for its share of the order).

Pure: the standard library only, like the rest of fulfilment/.
"""

from __future__ import annotations

from decimal import Decimal

LABEL_SIZE = "4x6"


def label_options(label_format: str, order_total: Decimal,
                  signature_above: Decimal | None) -> dict[str, str]:
    """The carrier's options for every parcel of the order."""
    options = {"label_format": label_format, "label_size": LABEL_SIZE}
    if signature_above is not None and order_total > signature_above:
        options["delivery_confirmation"] = "SIGNATURE"
    return options


def parcel_insurance(order_total: Decimal, insure_above: Decimal | None,
                     parcels: int) -> Decimal | None:
    """The value each of the order's `parcels` is insured for, to the cent; None: not insured."""
    if insure_above is None or parcels < 1 or not order_total > insure_above:
        return None
    return (order_total / parcels).quantize(Decimal("0.01"))
