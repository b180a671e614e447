"""Render chunks: the frame ranges of a chunked render attempt, each rendered by its own RQ job.

Revision ID: 0004_render_chunks
Revises: 0003_payment_refunds
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0004_render_chunks'
down_revision = '0003_payment_refunds'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('render_chunks',
    sa.Column('render_job_id', sa.Uuid(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('frame_start', sa.Integer(), nullable=False),
    sa.Column('frame_end', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'rendering', 'done', name='render_chunk_status',
                                native_enum=False, create_constraint=True, length=16),
              nullable=False),
    sa.Column('rq_job_id', sa.String(length=160), nullable=False),
    sa.Column('enqueues', sa.Integer(), nullable=False),
    sa.Column('frames_done', sa.Integer(), nullable=False),
    sa.Column('segment_key', sa.String(length=512), nullable=True),
    sa.Column('encoder', sa.String(length=16), nullable=True),
    sa.Column('wall_seconds', sa.Float(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['render_job_id'], ['render_jobs.id'],
                            name=op.f('fk_render_chunks_render_job_id_render_jobs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_render_chunks')),
    sa.UniqueConstraint('render_job_id', 'attempt', 'position', name='uq_render_chunks_job_attempt_position')
    )
    with op.batch_alter_table('render_chunks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_render_chunks_render_job_id'), ['render_job_id'], unique=False)


def downgrade():
    with op.batch_alter_table('render_chunks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_render_chunks_render_job_id'))
    op.drop_table('render_chunks')
