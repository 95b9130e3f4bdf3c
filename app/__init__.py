"""Application factory: config → extensions → security → views. Nothing runs at import."""

import logging

from flask import Flask
from flask_appbuilder import AppBuilder

from app.extensions import csrf, db, migrate

log = logging.getLogger(__name__)


def create_app(config=None):
    app = Flask(__name__, instance_path=None)
    app.config.from_object("config")
    if config:
        app.config.update(config)
    from app.security import password_policy

    app.config["FAB_PASSWORD_COMPLEXITY_VALIDATOR"] = password_policy

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.config["BASE_DIR"] / "migrations"))
    csrf.init_app(app)

    with app.app_context():
        from app.views.index import CrmIndexView

        appbuilder = AppBuilder(indexview=CrmIndexView, base_template="crm/base.html")
        appbuilder.init_app(app, db.session)
        from app.api import register_apis
        from app.views import register_views

        register_views(appbuilder)
        register_apis(appbuilder)

    from app import cli, web
    from app.views import users

    web.init_app(app)
    users.init_app(app)
    cli.init_app(app)
    return app
