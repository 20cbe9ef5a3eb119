"""Pure functions between EasyPost's JSON (plain dicts) and our types: the adapter's public face.

Whatever value arrives, a `*_from_easypost` function returns our types or raises
`CarrierResponseError` naming the part it cannot use (how values are read: `fields`). One module
per concept: `addresses`, `shipments` (and their rates, and parcels), `labels`, `trackers`,
`error_answers`; import them from here.
"""

from .addresses import address_from_easypost, address_to_easypost
from .error_answers import error_from_easypost
from .labels import label_from_easypost
from .shipments import (
    CarrierShipment,
    parcel_to_easypost,
    rate_errors_from_easypost,
    rate_from_easypost,
    rates_from_easypost,
    shipment_from_easypost,
)
from .trackers import tracker_from_easypost

__all__ = [
    "CarrierShipment",
    "address_from_easypost",
    "address_to_easypost",
    "error_from_easypost",
    "label_from_easypost",
    "parcel_to_easypost",
    "rate_errors_from_easypost",
    "rate_from_easypost",
    "rates_from_easypost",
    "shipment_from_easypost",
    "tracker_from_easypost",
]
