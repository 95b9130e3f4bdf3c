"""REST API under /api/v1/ (SPEC §4)."""


def register_apis(appbuilder):
    from app.api.resources import RESOURCES

    for api in RESOURCES:
        appbuilder.add_api(api)
    from app.api.reports import ReportApi

    appbuilder.add_api(ReportApi)
