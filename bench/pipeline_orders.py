"""bench/pipeline.py's orders: a deterministic mix, and the rate policies of the policy pass."""

from __future__ import annotations

# The extra pass: a 2-day delivery promise (cheapest rate that arrives within 2 days).
POLICY = {"mode": "cheapest_on_time", "max_days": 2}
# The policy the issue suggests; on these orders it is also evaluated offline (see cost_figures).
EXAMPLE_POLICY = {"mode": "cheapest", "preferred": ["UPS"], "preference_margin": "0.10"}

# Destinations across the US (first ZIP digit 0..9), so zones 1..8 from the Portland warehouse.
DESTINATIONS = [
    ("Ada", "Lovelace", "77 Massachusetts Ave", "Cambridge", "Massachusetts", "MA", "02139"),
    ("Grace", "Hopper", "350 Fifth Ave", "New York", "New York", "NY", "10118"),
    ("Alan", "Turing", "1600 Pennsylvania Ave NW", "Washington", "District of Columbia", "DC",
     "20500"),
    ("Edsger", "Dijkstra", "225 Baker St NW", "Atlanta", "Georgia", "GA", "30313"),
    ("Barbara", "Liskov", "233 S Wacker Dr", "Chicago", "Illinois", "IL", "60606"),
    ("Donald", "Knuth", "1 Arrowhead Dr", "Kansas City", "Missouri", "MO", "64129"),
    ("Frances", "Allen", "2101 Main St", "Dallas", "Texas", "TX", "75201"),
    ("Dennis", "Ritchie", "1437 Bannock St", "Denver", "Colorado", "CO", "80202"),
    ("Margaret", "Hamilton", "1 Apple Park Way", "Cupertino", "California", "CA", "95014"),
    ("Ken", "Thompson", "400 Broad St", "Seattle", "Washington", "WA", "98109"),
]
SKUS = ("TEE-CLASSIC-M", "TOTE-CANVAS", "MUG-CERAMIC", "HOODIE-WOOL-L")


def order_spec(k: int) -> dict:
    """A deterministic mix: 1-3 line items, destinations in every zone, now and then a big order."""
    first, last, street, city, province, code, zip_code = DESTINATIONS[k % len(DESTINATIONS)]
    if k % 25 == 24:  # a big order: more than one box
        lines = [{"sku": "TEE-CLASSIC-M", "quantity": 30},
                 {"sku": "HOODIE-WOOL-L", "quantity": 20}]
    else:
        count = 1 + (k * 7) % 3
        lines = [{"sku": SKUS[(k + i) % len(SKUS)], "quantity": 1 + (k + i) % 2}
                 for i in range(count)]
    email = f"buyer{k}@example.com"
    address = {"first_name": first, "last_name": last, "address1": f"{street}", "city": city,
               "province": province, "province_code": code, "zip": zip_code,
               "country": "United States", "country_code": "US", "phone": "+15555550100"}
    return {"line_items": lines, "email": email, "financial_status": "paid",
            "customer": {"first_name": first, "last_name": last, "email": email},
            "shipping_address": address, "deliver": True}
