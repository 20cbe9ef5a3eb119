"""Which carrier account a shop's labels and trackers go through: its own EasyPost key when the
merchant set one in Settings, else the app's (`EASYPOST_API_KEY`)."""

from __future__ import annotations

import functools

from .integrations.easypost.client import EasyPostCarrier
from .models import ShopSettings


def carrier_for(svc, shop_id: int) -> EasyPostCarrier:
    with svc.db.session() as s:
        row = s.get(ShopSettings, shop_id)
        account = (row.data or {}).get("carrier_account") if row else None
    encrypted = account.get("api_key") if isinstance(account, dict) else None
    if not encrypted:
        return svc.carrier
    conf = svc.settings
    return _client(svc.box.decrypt(encrypted), conf.EASYPOST_API_BASE, conf.EASYPOST_TIMEOUT)


@functools.lru_cache(maxsize=256)
def _client(api_key: str, api_base: str, timeout: float) -> EasyPostCarrier:
    """One client per key and process: it keeps its connections."""
    return EasyPostCarrier(api_key, api_base, timeout)
