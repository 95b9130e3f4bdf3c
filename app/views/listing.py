"""List pages that stay quick at a million rows.

FAB's stock list runs COUNT(*) over the whole filtered table, pages with a plain OFFSET,
loads each related row shown with its own query and searches "contains" with a
LIKE '%…%' no index can answer. `ListingInterface` replaces that query path for every
CrmModelView (same filters, same data scope, same template):

- count only what is needed: none when page 1 is not full, exactly up to COUNT_LIMIT,
  above it the planner's estimate on PostgreSQL ("约 1,000,000"; asked first, so a clearly
  large result is never counted) or "10,000+";
- deep pages: the OFFSET walks the primary key alone (an index-only scan), then the 20
  rows are fetched by id;
- related columns of the list (manager, branch, customer…) come in the same statement;
- "contains" on an indexed text column also asks the bigram GIN index (PostgreSQL,
  migration b7e1c2d3f405): pg_trgm cannot serve 2-character terms such as "华东".
"""

import json

from flask_appbuilder.models.sqla import filters as fab_filters
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext
from markupsafe import escape
from sqlalchemy import func, literal, select
from sqlalchemy.orm import joinedload

COUNT_LIMIT = 10_000
ESTIMATE_TRUSTED = 3  # an estimate above 3 × COUNT_LIMIT is shown without counting
DEEP_OFFSET = 2_000  # from here the offset runs over the primary key index only

# table → text columns with a bigram GIN index on PostgreSQL (see the migration)
BIGRAM_INDEXED = {"customer": {"name"}}


class ApproxCount(int):
    """A row count that may be a lower bound or an estimate; renders as such."""

    def __new__(cls, value, label):
        obj = super().__new__(cls, value)
        obj.label = label
        return obj

    def __str__(self):
        return self.label

    def __html__(self):
        return str(escape(self.label))


def bigram_match(column, value):
    """`column` contains `value`, answerable by the crm_bigrams() GIN index (PostgreSQL)."""
    return func.crm_bigrams(column).op("@>")(func.crm_bigrams(literal(value)))


class FilterContainsIndexed(fab_filters.FilterContains):
    """FAB's "contains", plus the bigram index condition where one exists."""

    def apply(self, query, value):
        query = super().apply(query, value)
        table = self.model.__table__.name
        column = self.column_name
        if (
            len((value or "").strip()) >= 2
            and column in BIGRAM_INDEXED.get(table, ())
            and query.session.get_bind().dialect.name == "postgresql"
        ):
            query = query.filter(bigram_match(getattr(self.model, column), value.strip()))
        return query


class ListingFilterConverter(fab_filters.SQLAFilterConverter):
    conversion_table = tuple(
        (name, [FilterContainsIndexed if f is fab_filters.FilterContains else f for f in flts])
        for name, flts in fab_filters.SQLAFilterConverter.conversion_table
    )


class ListingInterface(SQLAInterface):
    """SQLAInterface with a bounded count, index-only deep paging and eager related columns."""

    filter_converter_class = ListingFilterConverter

    def __init__(self, obj, session=None, eager=()):
        super().__init__(obj, session)
        self.eager = list(eager)  # many-to-one relations shown in the list

    def query(
        self,
        filters=None,
        order_column="",
        order_direction="",
        page=None,
        page_size=None,
        select_columns=None,
        outer_default_load=False,
    ):
        if select_columns:  # dotted/partial selects (not used by our screens): FAB's path
            return super().query(
                filters, order_column, order_direction, page, page_size, select_columns, outer_default_load
            )
        base = self.apply_filters(self.session.query(self.obj), filters)
        offset = (page or 0) * (page_size or 0)
        rows = self._rows(base, order_column, order_direction, offset, page_size)
        if not page_size or (offset == 0 and len(rows) < page_size):
            return len(rows), rows
        return self._count(base, offset + len(rows)), rows

    def _ordered(self, query, order_column, order_direction):
        pk = self.get_pk()
        if not order_column:
            return query.order_by(pk.desc())
        return self.apply_order_by(query, order_column, order_direction, add_pk=True)

    def _rows(self, base, order_column, order_direction, offset, page_size):
        pk = self.get_pk()
        if page_size and offset >= DEEP_OFFSET:
            # skip over the index only, then read the page's rows by primary key
            ids = self._ordered(base.with_entities(pk), order_column, order_direction)
            ids = ids.offset(offset).limit(page_size).subquery()
            query = self._ordered(
                self.session.query(self.obj).filter(pk.in_(select(ids.c[0]))), order_column, order_direction
            )
        else:
            query = self._ordered(base, order_column, order_direction)
            if page_size:
                query = query.offset(offset or None).limit(page_size)
        for name in self.eager:
            query = query.options(joinedload(getattr(self.obj, name)))
        return query.all()

    def _count(self, base, seen):
        """Exact up to COUNT_LIMIT; above it the planner's estimate (PostgreSQL) or a lower bound."""
        estimate = self._planner_estimate(base)
        if estimate is not None and estimate > ESTIMATE_TRUSTED * COUNT_LIMIT:
            return self._approx(estimate, seen)  # clearly large: counting would only cost time
        capped = base.with_entities(self.get_pk()).limit(COUNT_LIMIT + 1).subquery()
        exact = self.session.execute(select(func.count()).select_from(capped)).scalar()
        if exact <= COUNT_LIMIT:
            return exact
        if estimate:
            return self._approx(estimate, seen)
        return ApproxCount(max(seen, COUNT_LIMIT + 1), f"{COUNT_LIMIT:,}+")

    @staticmethod
    def _approx(estimate, seen):
        value = max(estimate, seen, COUNT_LIMIT + 1)
        return ApproxCount(value, gettext("about %(count)s", count=f"{value:,}"))

    def _planner_estimate(self, base):
        bind = self.session.get_bind()
        if bind.dialect.name != "postgresql":
            return None
        compiled = base.with_entities(self.get_pk()).statement.compile(dialect=bind.dialect)
        connection = self.session.connection()
        plan = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled.string}", compiled.params).scalar()
        if isinstance(plan, str):
            plan = json.loads(plan)
        return int(plan[0]["Plan"]["Plan Rows"])


def listing_interface(datamodel, list_columns):
    """The ListingInterface for a view's datamodel, eager-loading its many-to-one list columns."""
    eager = [c for c in list_columns or [] if datamodel.is_relation_many_to_one(c)]
    return ListingInterface(datamodel.obj, datamodel._session, eager=eager)
