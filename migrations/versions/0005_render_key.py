"""Render cache: render_jobs.render_key (audio + images + config + engine version), per user.

Revision ID: 0005_render_key
Revises: 0004_render_chunks
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_render_key"
down_revision = "0004_render_chunks"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("render_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("render_key", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_render_jobs_user_id_render_key", ["user_id", "render_key"], unique=False)


def downgrade():
    with op.batch_alter_table("render_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_render_jobs_user_id_render_key")
        batch_op.drop_column("render_key")
