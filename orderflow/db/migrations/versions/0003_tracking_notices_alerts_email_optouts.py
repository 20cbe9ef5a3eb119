"""tracking, notices, alerts and email opt-outs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('email_optouts',
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id', 'email')
    )
    op.create_table('alerts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shipment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('shipment_id', 'kind', name='uq_alert_shipment_kind')
    )
    op.create_index('ix_alert_shop_open', 'alerts', ['shop_id', 'resolved_at', 'id'], unique=False)
    op.create_index(op.f('ix_alerts_order_id'), 'alerts', ['order_id'], unique=False)
    op.create_table('notices',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shipment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('recipient', sa.String(length=320), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('shipment_id', 'channel', 'kind', name='uq_notice_once')
    )
    op.create_index(op.f('ix_notices_shop_id'), 'notices', ['shop_id'], unique=False)
    op.add_column('parcels', sa.Column('tracker_id', sa.String(length=64), nullable=True))
    op.add_column('parcels', sa.Column('tracking_status', sa.String(length=24), nullable=True))
    op.add_column('parcels', sa.Column('tracking_events', sa.JSON(), nullable=True))
    op.add_column('parcels',
                  sa.Column('tracking_updated_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('parcels',
                  sa.Column('tracking_estimate', sa.DateTime(timezone=True), nullable=True))
    op.add_column('parcels',
                  sa.Column('tracking_checked_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('parcels',
                  sa.Column('tracking_moved_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('parcels', sa.Column('signed_by', sa.String(length=255), nullable=True))
    op.create_index(op.f('ix_parcels_tracker_id'), 'parcels', ['tracker_id'], unique=False)
    op.add_column('shipments', sa.Column('tracking_status', sa.String(length=24), nullable=True))
    op.add_column('shipments', sa.Column('tracking_token', sa.String(length=43), nullable=True))
    op.add_column('shipments', sa.Column('delivery_proof', sa.JSON(), nullable=True))
    op.create_index(op.f('ix_shipments_tracking_token'), 'shipments', ['tracking_token'],
                    unique=True)


def downgrade() -> None:
    op.drop_index(op.f('ix_shipments_tracking_token'), table_name='shipments')
    op.drop_column('shipments', 'delivery_proof')
    op.drop_column('shipments', 'tracking_token')
    op.drop_column('shipments', 'tracking_status')
    op.drop_index(op.f('ix_parcels_tracker_id'), table_name='parcels')
    op.drop_column('parcels', 'signed_by')
    op.drop_column('parcels', 'tracking_moved_at')
    op.drop_column('parcels', 'tracking_checked_at')
    op.drop_column('parcels', 'tracking_estimate')
    op.drop_column('parcels', 'tracking_updated_at')
    op.drop_column('parcels', 'tracking_events')
    op.drop_column('parcels', 'tracking_status')
    op.drop_column('parcels', 'tracker_id')
    op.drop_index(op.f('ix_notices_shop_id'), table_name='notices')
    op.drop_table('notices')
    op.drop_index(op.f('ix_alerts_order_id'), table_name='alerts')
    op.drop_index('ix_alert_shop_open', table_name='alerts')
    op.drop_table('alerts')
    op.drop_table('email_optouts')
