"""Three formats from one order: render_outputs, one row per stored format of a job.

Revision ID: 0006_render_outputs
Revises: 0005_render_key
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_render_outputs"
down_revision = "0005_render_key"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "render_outputs",
        sa.Column("render_job_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("size", sa.String(length=16), nullable=False),
        sa.Column("output_key", sa.String(length=512), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("duration", sa.Float(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["render_job_id"], ["render_jobs.id"],
                                name=op.f("fk_render_outputs_render_job_id_render_jobs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_render_outputs")),
        sa.UniqueConstraint("render_job_id", "size", name="uq_render_outputs_job_size"),
    )
    with op.batch_alter_table("render_outputs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_render_outputs_render_job_id"), ["render_job_id"], unique=False)


def downgrade():
    with op.batch_alter_table("render_outputs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_render_outputs_render_job_id"))
    op.drop_table("render_outputs")
