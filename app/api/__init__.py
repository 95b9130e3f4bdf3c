"""REST API under /api/v1/ (SPEC §4): model resources, workflow endpoints, reports,
spreadsheets. Each domain module lists its API classes in `APIS`."""

from importlib import import_module

# modules holding workflow / spreadsheet endpoints next to the model resources
DOMAIN_MODULES = ("app.api.sales", "app.api.service", "app.api.churn", "app.api.spreadsheets")


def register_apis(appbuilder):
    from app.api.reports import ReportApi
    from app.api.resources import RESOURCES

    for api in RESOURCES:
        appbuilder.add_api(api)
    for name in DOMAIN_MODULES:
        for api in import_module(name).APIS:
            appbuilder.add_api(api)
    appbuilder.add_api(ReportApi)
