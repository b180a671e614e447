"""Payment refunds (partial ones too), resent emails and provider statuses, deleted videos.

- ``payment_refunds``: one row per refund of (part of) a payment, with its reason and actor;
  ``payments.refunded_amount`` is what went back so far.
- ``email_deliveries.resend`` (0 for the first email; an operator's resend takes the next
  number, so (render_job_id, kind, resend) stays unique) and ``provider_status``.
- ``render_jobs.video_deleted_at``: when an operator deleted the stored video;
  ``render_jobs.last_link_expires_at``: when the newest download link issued stops working.

Revision ID: 0003_payment_refunds
Revises: 0002_admin_roles_audit
Create Date: 2026-12-05
"""
import uuid

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0003_payment_refunds'
down_revision = '0002_admin_roles_audit'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('payment_refunds',
    sa.Column('payment_id', sa.Uuid(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('stripe_refund_id', sa.String(length=255), nullable=True),
    sa.Column('status', sa.Enum('pending', 'succeeded', 'failed', name='refund_status',
                                native_enum=False, create_constraint=True, length=16),
              nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_payment_refunds_actor_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'],
                            name=op.f('fk_payment_refunds_payment_id_payments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_refunds')),
    sa.UniqueConstraint('stripe_refund_id', name=op.f('uq_payment_refunds_stripe_refund_id'))
    )
    with op.batch_alter_table('payment_refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_refunds_payment_id'), ['payment_id'], unique=False)

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refunded_amount', sa.Integer(), server_default='0', nullable=False))

    _backfill_refunds()

    with op.batch_alter_table('email_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resend', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('provider_status', sa.Integer(), nullable=True))
        batch_op.drop_constraint('uq_email_deliveries_render_job_id_kind', type_='unique')
        batch_op.create_unique_constraint('uq_email_deliveries_render_job_id_kind_resend',
                                          ['render_job_id', 'kind', 'resend'])

    with op.batch_alter_table('render_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('video_deleted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_link_expires_at', sa.DateTime(timezone=True), nullable=True))


def _backfill_refunds():
    """Payments refunded before this revision get their refund row and refunded amount, so the
    rows of every refunded payment add up to what went back."""
    payments = sa.table('payments', sa.column('id', sa.Uuid()), sa.column('amount', sa.Integer()),
                        sa.column('status', sa.String()), sa.column('refund_id', sa.String()),
                        sa.column('refunded_at', sa.DateTime(timezone=True)),
                        sa.column('updated_at', sa.DateTime(timezone=True)),
                        sa.column('refunded_amount', sa.Integer()))
    refunds = sa.table('payment_refunds', sa.column('id', sa.Uuid()),
                       sa.column('payment_id', sa.Uuid()), sa.column('amount', sa.Integer()),
                       sa.column('reason', sa.Text()), sa.column('stripe_refund_id', sa.String()),
                       sa.column('status', sa.String()),
                       sa.column('created_at', sa.DateTime(timezone=True)),
                       sa.column('updated_at', sa.DateTime(timezone=True)))
    bind = op.get_bind()
    rows = bind.execute(sa.select(payments.c.id, payments.c.amount, payments.c.refund_id,
                                  payments.c.refunded_at, payments.c.updated_at)
                        .where(payments.c.status == 'refunded')).all()
    for row in rows:
        at = row.refunded_at or row.updated_at
        bind.execute(refunds.insert().values(
            id=uuid.uuid4(), payment_id=row.id, amount=row.amount,
            reason='refunded before refunds were itemised', stripe_refund_id=row.refund_id,
            status='succeeded', created_at=at, updated_at=at))
    bind.execute(payments.update().where(payments.c.status == 'refunded')
                 .values(refunded_amount=payments.c.amount))


def downgrade():
    with op.batch_alter_table('render_jobs', schema=None) as batch_op:
        batch_op.drop_column('last_link_expires_at')
        batch_op.drop_column('video_deleted_at')

    op.execute("DELETE FROM email_deliveries WHERE resend > 0")
    with op.batch_alter_table('email_deliveries', schema=None) as batch_op:
        batch_op.drop_constraint('uq_email_deliveries_render_job_id_kind_resend', type_='unique')
        batch_op.create_unique_constraint('uq_email_deliveries_render_job_id_kind', ['render_job_id', 'kind'])
        batch_op.drop_column('provider_status')
        batch_op.drop_column('resend')

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('refunded_amount')

    with op.batch_alter_table('payment_refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_refunds_payment_id'))

    op.drop_table('payment_refunds')
