"""The five importable resources (SPEC §3), by API resource name."""

from app.spreadsheets.importers.base import Importer, Result
from app.spreadsheets.importers.customer import ContactImporter, CustomerImporter
from app.spreadsheets.importers.order import OrderImporter
from app.spreadsheets.importers.product import ProductImporter, StockImporter

IMPORTERS = {
    cls.resource: cls for cls in (CustomerImporter, ContactImporter, ProductImporter, StockImporter, OrderImporter)
}

# model → importer, so an export of that list uses the import layout (round trip)
BY_MODEL = {cls.model: cls for cls in IMPORTERS.values()}

__all__ = ["BY_MODEL", "IMPORTERS", "Importer", "Result"]
