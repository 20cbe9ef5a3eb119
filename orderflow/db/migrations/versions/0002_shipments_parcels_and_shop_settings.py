"""shipments, parcels and shop settings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('shop_settings',
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id')
    )
    op.create_table('shipments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('fulfillment_order_id', sa.String(length=80), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('carrier', sa.String(length=64), nullable=True),
    sa.Column('service', sa.String(length=64), nullable=True),
    sa.Column('cost', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('selection', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('shopify_fulfillment_id', sa.String(length=80), nullable=True),
    sa.Column('fulfilled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('estimated_delivery', sa.Date(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.create_index('ix_shipment_shop_state', ['shop_id', 'state', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_order_id'), ['order_id'], unique=False)

    op.create_table('parcels',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shipment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('box', sa.String(length=120), nullable=True),
    sa.Column('length_in', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('width_in', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('height_in', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('weight_oz', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('contents', sa.JSON(), nullable=False),
    sa.Column('carrier_shipment_id', sa.String(length=64), nullable=True),
    sa.Column('rates', sa.JSON(), nullable=True),
    sa.Column('rate_id', sa.String(length=64), nullable=True),
    sa.Column('amount', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('insurance', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('tracking_code', sa.String(length=64), nullable=True),
    sa.Column('label_url', sa.Text(), nullable=True),
    sa.Column('label_format', sa.String(length=8), nullable=True),
    sa.Column('label_data', sa.LargeBinary(), nullable=True),
    sa.Column('buy_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('bought_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refund_status', sa.String(length=16), nullable=True),
    sa.Column('voided_labels', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('carrier_shipment_id')
    )
    with op.batch_alter_table('parcels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_parcels_shipment_id'), ['shipment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_parcels_shop_id'), ['shop_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_parcels_tracking_code'), ['tracking_code'],
                              unique=False)



def downgrade() -> None:
    with op.batch_alter_table('parcels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_parcels_tracking_code'))
        batch_op.drop_index(batch_op.f('ix_parcels_shop_id'))
        batch_op.drop_index(batch_op.f('ix_parcels_shipment_id'))

    op.drop_table('parcels')
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipments_order_id'))
        batch_op.drop_index('ix_shipment_shop_state')

    op.drop_table('shipments')
    op.drop_table('shop_settings')
