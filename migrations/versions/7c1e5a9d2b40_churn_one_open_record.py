"""churn: at most one open (warning/deferred) record per customer

The churn scan inserts with ON CONFLICT DO NOTHING against this partial unique index, so
two scans running at once cannot create duplicate warnings.

Revision ID: 7c1e5a9d2b40
Revises: 1632fe6238b4
Create Date: 2026-11-25 13:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "7c1e5a9d2b40"
down_revision = "1632fe6238b4"
branch_labels = None
depends_on = None

OPEN = sa.text("status IN ('warning', 'deferred')")


def upgrade():
    with op.batch_alter_table("churn", schema=None) as batch_op:
        batch_op.create_index(
            "uq_churn_open_customer",
            ["customer_id"],
            unique=True,
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        )


def downgrade():
    with op.batch_alter_table("churn", schema=None) as batch_op:
        batch_op.drop_index("uq_churn_open_customer")
