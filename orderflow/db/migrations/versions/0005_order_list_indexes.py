"""indexes for the admin's orders list: keyset pages, date and carrier filters, prefix search

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

Every list query starts with the shop, so each index does too:

* orders (shop_id, id): the newest orders, a page at a time, by keyset;
* orders (shop_id, shopify_created_at): the date filter;
* orders (shop_id, lower(name)), (shop_id, lower(email)); customers (shop_id, lower(first_name)),
  (shop_id, lower(last_name)): prefix search (`LIKE 'abc%'`). On PostgreSQL they use
  text_pattern_ops, which serves LIKE prefixes whatever the database's collation;
* orders (customer_id): from a matching customer to their orders;
* shipments (shop_id, carrier, order_id): the carrier filter and the shop's list of carriers.

Tracking numbers already have parcels (tracking_code). The expression indexes are not declared in
models.py (SQLAlchemy cannot say text_pattern_ops portably); this file is where they live.
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_LOWER = (
    ('ix_order_shop_lower_name', 'orders', 'name'),
    ('ix_order_shop_lower_email', 'orders', 'email'),
    ('ix_customer_shop_lower_first', 'customers', 'first_name'),
    ('ix_customer_shop_lower_last', 'customers', 'last_name'),
)
_PLAIN = (
    ('ix_order_shop_id', 'orders', ['shop_id', 'id']),
    ('ix_order_shop_placed', 'orders', ['shop_id', 'shopify_created_at']),
    ('ix_order_customer', 'orders', ['customer_id']),
    ('ix_shipment_shop_carrier', 'shipments', ['shop_id', 'carrier', 'order_id']),
)


def upgrade() -> None:
    ops = ' text_pattern_ops' if op.get_bind().dialect.name == 'postgresql' else ''
    for name, table, column in _LOWER:
        op.create_index(name, table, ['shop_id', sa.text(f'lower({column}){ops}')], unique=False)
    for name, table, columns in _PLAIN:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in _PLAIN + _LOWER:
        op.drop_index(name, table_name=table)
