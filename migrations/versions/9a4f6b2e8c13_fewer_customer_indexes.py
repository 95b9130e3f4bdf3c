"""fewer indexes on customer and churn: cheaper writes per row (the churn scan)

Every non-HOT UPDATE of a customer row (the churn scan sets status on hundreds of
thousands) inserts an entry into every index of the table. Dropped, because another index
answers the same queries or none is selective enough to be used:

- ix_customer_manager_id, ix_customer_branch_id: covered by (manager_id, id) and
  (branch_id, id) (migration b7e1c2d3f405), which serve the data scope and its id order;
- ix_customer_manager_status, ix_customer_branch_status, ix_customer_status: status has
  three values; a status filter runs along the scope or primary-key index. With status in
  no index, a status change can be a HOT update (no index entry at all) where the page
  has room;
- ix_customer_region, ix_customer_industry, ix_customer_level: dictionary values (a few
  to a dozen each), never selective: list filters on them read the id or scope index;
- ix_churn_status: covered by (manager_id, status) and (customer_id, status) for every
  scoped churn query; the open records have their own partial unique index.

Revision ID: 9a4f6b2e8c13
Revises: 3e8f0a6c2d71
Create Date: 2026-11-25 14:45:00

"""

from alembic import op

revision = "9a4f6b2e8c13"
down_revision = "3e8f0a6c2d71"
branch_labels = None
depends_on = None

# (table, index name, columns) as created by the initial schema
DROPPED = [
    ("customer", "ix_customer_manager_id", ["manager_id"]),
    ("customer", "ix_customer_branch_id", ["branch_id"]),
    ("customer", "ix_customer_manager_status", ["manager_id", "status"]),
    ("customer", "ix_customer_branch_status", ["branch_id", "status"]),
    ("customer", "ix_customer_status", ["status"]),
    ("customer", "ix_customer_region", ["region"]),
    ("customer", "ix_customer_industry", ["industry"]),
    ("customer", "ix_customer_level", ["level"]),
    ("churn", "ix_churn_status", ["status"]),
]


def upgrade():
    for table in ("customer", "churn"):
        with op.batch_alter_table(table) as batch_op:
            for _, name, _ in (d for d in DROPPED if d[0] == table):
                batch_op.drop_index(name)


def downgrade():
    for table in ("customer", "churn"):
        with op.batch_alter_table(table) as batch_op:
            for _, name, columns in (d for d in DROPPED if d[0] == table):
                batch_op.create_index(name, columns)
