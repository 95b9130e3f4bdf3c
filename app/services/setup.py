"""`crm init`: schema to head, permissions, roles, dictionaries, HQ, admin. Idempotent."""

import secrets

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Branch, Dictionary
from app.services.roles import ensure_roles, sync_permissions

# type → [(value, name)] — value is what records store, name what users read.
DICTIONARIES = {
    "customer_level": [
        ("strategic", "战略合作伙伴"),
        ("partner", "合作伙伴"),
        ("key", "大客户"),
        ("developing", "重点开发客户"),
        ("normal", "普通客户"),
    ],
    "region": [
        ("north", "华北"),
        ("east", "华东"),
        ("south", "华南"),
        ("central", "华中"),
        ("southwest", "西南"),
        ("northwest", "西北"),
        ("northeast", "东北"),
    ],
    "industry": [
        ("manufacturing", "制造业"),
        ("it", "信息技术"),
        ("finance", "金融"),
        ("retail", "零售"),
        ("construction", "建筑"),
        ("logistics", "物流"),
        ("healthcare", "医疗"),
        ("education", "教育"),
        ("energy", "能源"),
        ("food", "食品"),
    ],
    "service_type": [("consult", "咨询"), ("complaint", "投诉"), ("suggestion", "建议")],
    "opportunity_source": [
        ("phone", "电话营销"),
        ("web", "网站"),
        ("referral", "客户推荐"),
        ("exhibition", "展会"),
        ("campaign", "营销活动"),
        ("visit", "上门拜访"),
    ],
    "churn_reason": [
        ("price", "价格因素"),
        ("quality", "产品质量"),
        ("service", "服务不满意"),
        ("competitor", "转向竞争对手"),
        ("closed", "客户停业"),
        ("other", "其他"),
    ],
    "activity_type": [
        ("visit", "拜访"),
        ("phone", "电话"),
        ("meeting", "会议"),
        ("email", "邮件"),
        ("dinner", "宴请"),
        ("wechat", "微信"),
    ],
    "customer_source": [
        ("opportunity", "销售机会"),
        ("referral", "客户推荐"),
        ("web", "网站"),
        ("exhibition", "展会"),
        ("import", "数据导入"),
    ],
    "campaign_channel": [
        ("exhibition", "展会"),
        ("online", "线上推广"),
        ("seminar", "研讨会"),
        ("mail", "邮寄"),
        ("phone", "电话营销"),
    ],
}


def ensure_dictionaries():
    existing = set(db.session.execute(select(Dictionary.type, Dictionary.value)).all())
    added = 0
    for dict_type, items in DICTIONARIES.items():
        for sort, (value, name) in enumerate(items, start=1):
            if (dict_type, value) not in existing:
                db.session.add(Dictionary(type=dict_type, value=value, name=name, sort=sort, editable=False))
                added += 1
    db.session.commit()
    return added


def ensure_hq():
    hq = db.session.execute(select(Branch).where(Branch.code == "HQ")).scalar_one_or_none()
    if hq is None:
        hq = Branch(name="总部", code="HQ")
        db.session.add(hq)
        db.session.commit()
    return hq


def ensure_admin(appbuilder, hq):
    """Returns the generated password when it created the admin, else None."""
    sm = appbuilder.sm
    if sm.find_user(username="admin") is not None:
        return None, False
    password = current_app.config.get("ADMIN_PASSWORD")
    generated = not password
    if generated:
        password = secrets.token_urlsafe(12)
    user = sm.add_user("admin", "管理员", "系统", "admin@example.com", sm.find_role("Admin"), password)
    if not user:
        raise RuntimeError("could not create the admin user")
    user.branch_id = hq.id
    db.session.commit()
    return password, generated


def upgrade_schema():
    from flask_migrate import upgrade

    upgrade(directory=current_app.extensions["migrate"].directory, revision="heads")


def init_all(appbuilder):
    upgrade_schema()
    sync_permissions(appbuilder)
    created_roles = ensure_roles(appbuilder)
    added = ensure_dictionaries()
    hq = ensure_hq()
    password, generated = ensure_admin(appbuilder, hq)
    return {"roles": created_roles, "dictionary_items": added, "admin_password": password, "generated": generated}
