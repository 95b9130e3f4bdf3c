"""`flask --app run crm …` commands (SPEC §4)."""

import click
from flask import current_app
from flask.cli import AppGroup

crm = AppGroup("crm", help="CRM administration.")


@crm.command("init")
def init_command():
    """Migrate to head, roles and rights, dictionaries, HQ branch, admin user."""
    from app.services.setup import init_all

    result = init_all(current_app.appbuilder)
    click.echo("数据库已迁移到最新版本 / database migrated to head")
    if result["roles"]:
        click.echo("已创建角色 / roles created: " + ", ".join(result["roles"]))
    if result["dictionary_items"]:
        click.echo(f"已创建数据字典条目 / dictionary items created: {result['dictionary_items']}")
    if result["admin_password"]:
        if result["generated"]:
            click.echo(f"管理员账号 / admin account: admin  密码 / password: {result['admin_password']}")
            click.echo("请妥善保存，该密码只显示一次 / keep it: it is shown only once")
        else:
            click.echo("管理员账号 / admin account: admin (password from CRM_ADMIN_PASSWORD)")


@crm.command("demo")
@click.option("--customers", default=2000, show_default=True, help="number of demo customers")
@click.option("--seed", default=42, show_default=True)
def demo_command(customers, seed):
    """Realistic Chinese demo data and one demo user per role."""
    from app.services.demo import make_demo

    result = make_demo(customers=customers, seed=seed)
    for username, role, password in result["users"]:
        shown = password or "已存在，密码未变 / exists, password unchanged"
        click.echo(f"演示用户 / demo user: {username:<13} {role:<15} {shown}")
    click.echo(f"新增客户 / customers added: {result['customers']}, 共 / total: {result['total_customers']}")


@crm.command("churn-scan")
@click.option("--months", type=int, default=None, help="threshold in months (default: CRM_CHURN_MONTHS)")
def churn_scan_command(months):
    """Create churn warnings for customers without an order for CRM_CHURN_MONTHS months."""
    from app.extensions import db
    from app.services.churn import churn_cutoff, scan

    created = scan(db.session, months=months)
    click.echo(f"流失预警扫描完成 / churn scan done (cutoff {churn_cutoff(months=months)}): {created}")


def init_app(app):
    app.cli.add_command(crm)
