"""indexes for the director's cockpit, workbench and pipeline board at a million customers

Each one lets a page section read an index instead of the table (index-only where the
database allows it):

- service (type, created_on) WHERE status <> 'archived': cockpit "open and overdue tickets
  by type" (75% of the tickets are open: the partial index is the narrow copy to count);
- service (created_on, id) WHERE status = 'new': workbench "tickets waiting for
  assignment", oldest first, and their count;
- opportunity (status, expected_revenue DESC, id): pipeline board, count and sum per
  column and the 50 biggest cards of each column in index order;
- opportunity (status, closed_on, expected_revenue): cockpit "won and lost this year";
- customer (created_on): cockpit "new customers per month" (created_on never changes, so
  the index does not stop HOT updates of the churn scan).

Same partial form on SQLite. `if_not_exists`: the 1m bench database got them by hand
(CREATE INDEX CONCURRENTLY) while it was in use.

Revision ID: d4a7c9e1f2b6
Revises: 9a4f6b2e8c13
Create Date: 2026-11-25 15:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d4a7c9e1f2b6"
down_revision = "9a4f6b2e8c13"
branch_labels = None
depends_on = None

NOT_ARCHIVED = "status <> 'archived'"
NEW = "status = 'new'"

# (table, index name, columns, partial WHERE or None)
INDEXES = [
    ("service", "ix_service_open_type", ["type", "created_on"], NOT_ARCHIVED),
    ("service", "ix_service_new_created", ["created_on", "id"], NEW),
    ("opportunity", "ix_opportunity_status_revenue", ["status", sa.text("expected_revenue DESC"), "id"], None),
    ("opportunity", "ix_opportunity_status_closed", ["status", "closed_on", "expected_revenue"], None),
    ("customer", "ix_customer_created_on", ["created_on"], None),
]


def upgrade():
    for table, name, columns, where in INDEXES:
        partial = {} if where is None else {"postgresql_where": sa.text(where), "sqlite_where": sa.text(where)}
        op.create_index(name, table, columns, if_not_exists=True, **partial)


def downgrade():
    for table, name, _, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table, if_exists=True)
