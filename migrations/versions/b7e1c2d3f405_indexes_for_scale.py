"""indexes for a million customers: scope + default sort, and 2-character name search

- (manager_id, id) and (branch_id, id) on customer: the "own" and "branch" scopes read
  their newest rows straight from the index, no sort (both databases);
- PostgreSQL only: crm_bigrams(text) and a GIN index over the bigrams of customer.name.
  pg_trgm cannot serve LIKE '%华东%' (a 2-character pattern has no trigram, its GIN index
  degrades to a full index scan); every Chinese name search of 2+ characters can be
  answered by the bigrams, the LIKE then rechecks (app/views/listing.py).

Revision ID: b7e1c2d3f405
Revises: 1632fe6238b4
Create Date: 2026-11-25 14:00:00

"""

from alembic import op

revision = "b7e1c2d3f405"
down_revision = "1632fe6238b4"
branch_labels = None
depends_on = None

BIGRAMS = """
CREATE OR REPLACE FUNCTION crm_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(lower(t), i, 2)), '{}'::text[])
    FROM generate_series(1, char_length(t) - 1) AS i
$$
"""

# (table, index name, columns)
COMPOSITE = [
    ("customer", "ix_customer_manager_id_id", ["manager_id", "id"]),
    ("customer", "ix_customer_branch_id_id", ["branch_id", "id"]),
]


def upgrade():
    for table, name, columns in COMPOSITE:
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_index(name, columns)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(BIGRAMS)
        op.execute("CREATE INDEX ix_customer_name_bigrams ON customer USING gin (crm_bigrams(name))")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_customer_name_bigrams")
        op.execute("DROP FUNCTION IF EXISTS crm_bigrams(text)")
    for table, name, _ in reversed(COMPOSITE):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_index(name)
