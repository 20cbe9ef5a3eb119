"""EasyPost adapter: `client` (transport), `mapping` (their JSON → our types), `statuses`
(their tracking vocabulary → ours and Shopify's), `errors` (what a caller handles differently).

Import `EasyPostCarrier` from `.client`; this package imports nothing heavy at import time.
"""
