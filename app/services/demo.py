"""`crm demo`: believable Chinese demo data (SPEC §4).

Branches (总部 → 大区 → 分公司) and one demo user per role, then a batch of customers with
contacts, activities, two years of orders over products in stock, campaigns with target
customers, opportunities in every status with plans, tickets in every status with their
rounds, and churn records in every status.

Rows go in with bulk Core inserts, so 2,000 customers take seconds. No ORM hook runs for
them: normalised names and phones, order amounts and business numbers are computed here,
numbers drawn from the same per-day counters as `sequence.next_number`.

Running it again is safe: branches, users, products, stock and campaigns are only created
when missing; customers and everything hanging off them are added as a new batch, seeded
by `seed` and the number of customers already present, with new unique names and numbers.
"""

import datetime as dt
import random
import secrets
from collections import defaultdict
from decimal import Decimal

from faker import Faker
from flask import current_app
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from sqlalchemy import bindparam, func, insert, select, update

from app.extensions import db
from app.models import (
    Activity,
    Branch,
    Campaign,
    Churn,
    ChurnMeasure,
    Contact,
    Counter,
    Customer,
    Opportunity,
    Order,
    OrderLine,
    Plan,
    Product,
    Service,
    ServiceRound,
    Stock,
    campaign_customer,
    normalise_name,
    normalise_phone,
)
from app.security import password_policy
from app.services.setup import ensure_hq

CHUNK = 1000  # rows per INSERT statement
DAYS = 730  # two years of history

# ---------------------------------------------------------------- organisation

# (code, name, parent code)
BRANCHES = [
    ("EAST", "华东区", "HQ"),
    ("NORTH", "华北区", "HQ"),
    ("SOUTH", "华南区", "HQ"),
    ("SH", "上海分公司", "EAST"),
    ("HZ", "杭州分公司", "EAST"),
    ("BJ", "北京分公司", "NORTH"),
    ("GZ", "广州分公司", "SOUTH"),
    ("SZ", "深圳分公司", "SOUTH"),
]

# (username, role, branch code, family name, given name)
DEMO_USERS = [
    ("demo_director", "SalesDirector", "HQ", "王", "建国"),
    ("demo_am1", "AccountManager", "SH", "李", "娜"),
    ("demo_am2", "AccountManager", "BJ", "张", "伟"),
    ("demo_am3", "AccountManager", "HZ", "赵", "敏"),
    ("demo_am4", "AccountManager", "GZ", "黄", "志强"),
    ("demo_am5", "AccountManager", "SZ", "周", "婷"),
    ("demo_agent", "ServiceAgent", "SH", "陈", "静"),
    ("demo_exec", "Executive", "HQ", "刘", "洋"),
]

# (city, region, area code, zip prefix, districts, serving branch, weight)
CITIES = [
    ("上海", "east", "021", "200", ("浦东新区", "徐汇区", "闵行区", "静安区", "嘉定区", "松江区"), "SH", 22),
    ("杭州", "east", "0571", "310", ("西湖区", "滨江区", "余杭区", "萧山区", "拱墅区"), "HZ", 12),
    ("南京", "east", "025", "210", ("鼓楼区", "江宁区", "建邺区", "玄武区"), "SH", 6),
    ("北京", "north", "010", "100", ("海淀区", "朝阳区", "丰台区", "大兴区", "顺义区", "昌平区"), "BJ", 20),
    ("天津", "north", "022", "300", ("滨海新区", "南开区", "河西区", "西青区"), "BJ", 5),
    ("沈阳", "northeast", "024", "110", ("和平区", "浑南区", "铁西区"), "BJ", 3),
    ("西安", "northwest", "029", "710", ("雁塔区", "未央区", "碑林区"), "BJ", 3),
    ("广州", "south", "020", "510", ("天河区", "黄埔区", "番禺区", "白云区", "越秀区"), "GZ", 13),
    ("深圳", "south", "0755", "518", ("南山区", "福田区", "宝安区", "龙岗区", "龙华区"), "SZ", 12),
    ("武汉", "central", "027", "430", ("江汉区", "洪山区", "武昌区", "东西湖区"), "GZ", 2),
    ("成都", "southwest", "028", "610", ("高新区", "武侯区", "锦江区", "双流区"), "SZ", 2),
]
STREETS = ("人民路", "中山路", "解放路", "建设大道", "科技园路", "工业大道", "长江路", "世纪大道", "滨江路", "创业路")

# ---------------------------------------------------------------- companies

BRAND_CHARS = "华瑞鑫盛泰恒达宏远新创博伟嘉金天海中汇信德光明永正安隆兴丰云智睿诚卓志腾耀晟骏昊景润康宇通利源峰"
INDUSTRY_WORDS = {
    "manufacturing": ("机械制造", "精密机械", "电气设备", "汽车零部件", "五金制品", "模具"),
    "it": ("信息技术", "软件", "网络科技", "数据科技", "智能科技", "电子"),
    "finance": ("投资管理", "融资租赁", "资产管理", "保险代理"),
    "retail": ("商贸", "百货", "连锁超市", "电子商务"),
    "construction": ("建设工程", "建筑装饰", "路桥工程", "幕墙工程"),
    "logistics": ("物流", "供应链管理", "国际货运代理", "仓储服务"),
    "healthcare": ("医疗器械", "医药", "生物科技", "健康管理"),
    "education": ("教育科技", "职业培训", "文化传播"),
    "energy": ("新能源", "电力工程", "光伏科技", "燃气"),
    "food": ("食品", "餐饮管理", "农业发展", "饮料"),
}
LEGAL_FORMS = ("有限公司",) * 6 + ("股份有限公司",) * 2 + ("集团有限公司",)
BANKS = ("中国工商银行", "中国建设银行", "中国银行", "中国农业银行", "招商银行", "交通银行", "浦发银行")
LEVELS = (("strategic", 3), ("partner", 10), ("key", 15), ("developing", 25), ("normal", 47))
ORDERS_PER_LEVEL = {"strategic": (10, 16), "partner": (6, 10), "key": (4, 8), "developing": (2, 5), "normal": (0, 4)}
SOURCES = ("opportunity", "referral", "web", "exhibition", "import")
POSITIONS = ("总经理", "副总经理", "采购经理", "财务总监", "技术总监", "行政主管", "项目经理", "采购专员")

# ---------------------------------------------------------------- products

# (name, model, unit, price)
PRODUCTS = [
    ("可编程控制器", "PLC-S7200", "台", 4800),
    ("变频器", "VFD-7.5KW", "台", 3200),
    ("伺服电机", "SM-750W", "台", 2100),
    ("工业触摸屏", "HMI-10", "台", 2600),
    ("温度传感器", "PT100-A", "个", 180),
    ("压力变送器", "PTX-16", "个", 950),
    ("光电开关", "E3Z-D61", "个", 120),
    ("工业交换机", "IES-8G", "台", 1800),
    ("机架式服务器", "R740-2U", "台", 36000),
    ("企业级固态硬盘", "SSD-1.92T", "块", 2300),
    ("ERP软件许可", "ERP-STD", "套", 58000),
    ("CRM软件许可", "CRM-PRO", "用户", 1200),
    ("云服务器年费", "ECS-4C8G", "年", 5200),
    ("技术服务", "TS-DAY", "人天", 1500),
    ("安装调试服务", "INST-01", "次", 3000),
    ("激光打印机", "LP-M404", "台", 2300),
    ("多功能一体机", "MFP-M428", "台", 3900),
    ("碳粉盒", "TN-76A", "个", 460),
    ("不锈钢阀门", "DN50-PN16", "个", 380),
    ("液压泵", "HP-25", "台", 6800),
    ("UPS不间断电源", "UPS-3KVA", "台", 4500),
    ("监控摄像头", "IPC-4MP", "个", 560),
    ("门禁控制器", "AC-2D", "台", 1300),
    ("办公椅", "OC-200", "把", 680),
]
WAREHOUSES = ("上海仓", "北京仓", "广州仓")

# ---------------------------------------------------------------- texts

ACTIVITY_TITLES = {
    "visit": ("上门拜访，了解年度采购计划", "拜访客户技术部门", "回访产品使用情况"),
    "phone": ("电话沟通交货时间", "电话确认订单细节", "电话回访满意度"),
    "meeting": ("项目启动会", "季度业务对接会", "技术方案评审会"),
    "email": ("发送产品资料和报价", "邮件确认合同条款", "发送新品介绍"),
    "dinner": ("商务宴请，增进合作关系", "年终答谢宴"),
    "wechat": ("微信沟通付款进度", "微信发送发货单"),
}
# (month offset from the start of the two years, name, channel, budget)
CAMPAIGNS = [
    (1, "{year}年春季新品发布会", "exhibition", 120000),
    (3, "{year}年工业自动化展会", "exhibition", 260000),
    (6, "{year}年数字化转型研讨会", "seminar", 80000),
    (9, "{year}年秋季老客户回馈", "mail", 30000),
    (13, "{year}年线上直播推广", "online", 60000),
    (15, "{year}年华南区渠道大会", "seminar", 150000),
    (19, "{year}年智能制造峰会", "exhibition", 300000),
    (22, "{year}年年末电话营销", "phone", 25000),
]
OPPORTUNITY_TITLES = ("{p}采购项目", "{p}升级改造", "年度{p}框架协议", "{p}扩容需求", "新厂区{p}配套")
PLAN_TODOS = ("电话沟通了解需求", "上门拜访并演示产品", "提交技术方案", "提交报价单", "商务谈判", "安排样品试用")
PLAN_RESULTS = ("客户有明确意向", "客户需内部讨论", "已提交，等待反馈", "价格需进一步沟通", "客户认可方案")
LOST_REASONS = ("客户预算不足", "选择了竞争对手", "项目取消", "价格未达成一致", "需求变更")
SERVICE_TITLES = {
    "consult": ("咨询产品价格", "咨询保修政策", "咨询安装要求", "咨询发票开具"),
    "complaint": ("发货延迟", "产品故障", "安装人员态度问题", "配件缺失"),
    "suggestion": ("建议增加夜间服务热线", "建议优化包装", "建议提供操作培训"),
}
DEALS = ("已电话解释并发送书面说明", "已安排工程师上门处理", "已补发配件", "已协调物流加急", "已提供培训资料")
GOOD_RESULTS = ("问题已解决，客户满意", "客户认可处理结果", "处理及时，表示感谢")
BAD_RESULTS = ("问题未彻底解决", "客户对处理时间不满意")
CHURN_MEASURES = ("经理上门拜访，了解停购原因", "提供季度采购优惠", "安排技术回访", "邀请参加新品发布会")
CHURN_REASONS = ("price", "quality", "service", "competitor", "closed", "other")


def make_demo(customers=2000, seed=42):
    """Load one batch of demo data. Returns {"users": [(username, role, password)],
    "customers": added, "total_customers": n}; password is None for users that existed."""
    hq = ensure_hq()
    branches = _ensure_branches(hq)
    users = _ensure_users(branches)
    _ensure_products_and_stock()
    db.session.commit()
    batch = Batch(seed, branches, users)
    batch.run(customers)
    db.session.commit()
    return {
        "users": [(name, role, password) for name, role, password in users.created],
        "customers": len(batch.customers),
        "total_customers": db.session.execute(select(func.count(Customer.id))).scalar_one(),
    }


# ---------------------------------------------------------------- master data (get or create)


def _ensure_branches(hq):
    """code → Branch; existing branches (by code or name) are kept as they are."""
    found = {b.code: b for b in db.session.execute(select(Branch)).scalars()}
    by_name = {b.name: b for b in found.values()}
    found["HQ"] = hq
    for code, name, parent in BRANCHES:
        branch = found.get(code) or by_name.get(name)
        if branch is None:
            branch = Branch(code=code, name=name, parent_id=found[parent].id)
            db.session.add(branch)
            db.session.flush()
        found[code] = branch
    return found


class DemoUsers:
    """The demo users by username; `created` lists (username, role, password) of this run,
    with password None for users that existed already."""

    def __init__(self):
        self.by_name = {}
        self.created = []

    def branch_code(self, username, branches):
        branch_id = self.by_name[username].branch_id
        return next((code for code, b in branches.items() if b.id == branch_id), "HQ")

    @property
    def managers(self):
        return [u for name, u in self.by_name.items() if name.startswith("demo_am")]


def _ensure_users(branches):
    sm = current_app.appbuilder.sm
    users = DemoUsers()
    for username, role, code, last_name, first_name in DEMO_USERS:
        user = sm.find_user(username=username)
        if user is not None:
            users.created.append((username, role, None))
        else:
            password = strong_password(username)
            user = sm.add_user(username, first_name, last_name, f"{username}@example.com", sm.find_role(role), password)
            if not user:
                raise RuntimeError(f"could not create demo user {username}")
            user.branch_id = branches[code].id
            user.phone = f"138{secrets.randbelow(10**8):08d}"
            users.created.append((username, role, password))
        users.by_name[username] = user
    db.session.flush()
    return users


def strong_password(username):
    """A random password that passes the password policy."""
    while True:
        password = secrets.token_urlsafe(12)
        try:
            password_policy(password, username)
        except PasswordComplexityValidationError:
            continue
        return password


def _ensure_products_and_stock():
    existing = set(db.session.execute(select(Product.name, Product.model)).all())
    rng = random.Random("demo-products")
    for name, model, unit, price in PRODUCTS:
        if (name, model) in existing:
            continue
        product = Product(
            name=name, model=model, unit=unit, price=price, batch=f"B{rng.randint(2023, 2026)}{rng.randint(1, 12):02d}"
        )
        db.session.add(product)
        db.session.flush()
        for warehouse in rng.sample(WAREHOUSES, rng.randint(1, 3)):
            location = f"{rng.choice('ABC')}-{rng.randint(1, 12):02d}-{rng.randint(1, 5):02d}"
            db.session.add(
                Stock(product_id=product.id, warehouse=warehouse, location=location, quantity=rng.randint(0, 500))
            )


# ---------------------------------------------------------------- one batch of business data


class Batch:
    """Customers and everything hanging off them, built as rows, inserted in bulk."""

    def __init__(self, seed, branches, users):
        # a later batch draws other names and numbers than the first one
        present = db.session.execute(select(func.count(Customer.id))).scalar_one()
        self.rng = random.Random(f"{seed}:{present}")
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed * 1_000_003 + present)
        self.branches = branches
        self.users = users
        self.now = dt.datetime.now().replace(microsecond=0)
        self.today = self.now.date()
        self.start = self.today - dt.timedelta(days=DAYS)
        self.taken_names = set(db.session.execute(select(Customer.name_norm)).scalars())
        self.customers = []  # row dicts, with "id" once inserted
        self.products = db.session.execute(select(Product.id, Product.price, Product.unit)).all()

    def run(self, count):
        if count <= 0:
            return
        self.make_customers(count)
        churn_plan = self.plan_churn()
        self.make_contacts()
        self.make_activities()
        last_orders = self.make_orders(churn_plan)
        self.make_churn(churn_plan, last_orders)
        campaigns = self.make_campaigns()
        self.make_opportunities(campaigns)
        self.make_services()

    # -- helpers ------------------------------------------------------------

    def day_between(self, first, last):
        first, last = max(first, self.start - dt.timedelta(days=365)), min(last, self.today)
        if last <= first:
            return last
        return first + dt.timedelta(days=self.rng.randint(0, (last - first).days))

    def moment(self, day):
        at = dt.datetime.combine(day, dt.time(self.rng.randint(8, 18), self.rng.randint(0, 59)))
        return min(at, self.now)

    def past(self, value):
        """`value` (date or datetime), or now when it would lie in the future."""
        return min(value, self.now if isinstance(value, dt.datetime) else self.today)

    def stamp(self, day, user_id):
        """created/changed on/by for a row entered on `day` by `user_id`."""
        at = self.moment(day)
        return {"created_on": at, "changed_on": at, "created_by_id": user_id, "changed_by_id": user_id}

    def company_name(self, city, industry):
        while True:
            brand = "".join(self.rng.sample(BRAND_CHARS, 2))
            name = f"{city}{brand}{self.rng.choice(INDUSTRY_WORDS[industry])}{self.rng.choice(LEGAL_FORMS)}"
            if normalise_name(name) not in self.taken_names:
                self.taken_names.add(normalise_name(name))
                return name

    def landline(self, area):
        return f"{area}-{self.rng.randint(5000_0000, 8999_9999)}"

    # -- customers ------------------------------------------------------------

    def make_customers(self, count):
        cities = [c for c in CITIES for _ in range(c[-1])]
        levels = [value for value, weight in LEVELS for _ in range(weight)]
        managers = {self.users.branch_code(u.username, self.branches): u for u in self.users.managers}
        rows = []
        for _ in range(count):
            city, region, area, zip_prefix, districts, branch_code, _w = self.rng.choice(cities)
            manager = managers.get(branch_code) or self.rng.choice(self.users.managers)
            industry = self.rng.choice(list(INDUSTRY_WORDS))
            name = self.company_name(city, industry)
            created = self.day_between(self.start - dt.timedelta(days=365), self.today - dt.timedelta(days=20))
            phone = self.landline(area)
            credit_code = (
                f"91{self.rng.randint(110000, 659999)}{self.fake.bothify('MA#?##??#').upper()}{self.rng.randint(0, 9)}"
            )
            rows.append(
                {
                    **self.stamp(created, manager.id),
                    "name": name,
                    "name_norm": normalise_name(name),
                    "region": region,
                    "industry": industry,
                    "level": self.rng.choice(levels),
                    "source": self.rng.choice(SOURCES),
                    "satisfaction": self.rng.choices((1, 2, 3, 4, 5), (2, 5, 30, 43, 20))[0],
                    "credit": self.rng.choices((1, 2, 3, 4, 5), (2, 6, 35, 40, 17))[0],
                    "manager_id": manager.id,
                    "branch_id": manager.branch_id,
                    "status": "normal",
                    "address": f"{city}市{self.rng.choice(districts)}{self.rng.choice(STREETS)}{self.rng.randint(1, 999)}号",
                    "zip": f"{zip_prefix}{self.rng.randint(0, 999):03d}",
                    "phone": phone,
                    "phone_norm": normalise_phone(phone),
                    "fax": self.landline(area),
                    "website": f"www.{self.fake.domain_word()}{self.rng.randint(1, 99)}.com.cn",
                    "licence_no": credit_code,
                    "legal_person": self.fake.name(),
                    "registered_capital": Decimal(self.rng.choice((50, 100, 200, 500, 1000, 2000, 5000, 10000))),
                    "turnover": Decimal(self.rng.randint(200, 500_000)) * 10_000,
                    "bank": f"{self.rng.choice(BANKS)}{city}分行",
                    "bank_account": "".join(str(self.rng.randint(0, 9)) for _ in range(19)),
                    "local_tax_no": credit_code,
                    "national_tax_no": credit_code,
                }
            )
        rows.sort(key=lambda r: r["created_on"])
        for row, no in zip(rows, reserve_numbers("KH", [r["created_on"].date() for r in rows]), strict=True):
            row["no"] = no
        ids = bulk_insert(Customer, rows, returning=True)
        for row, pk in zip(rows, ids, strict=True):
            row["id"] = pk
        self.customers = rows

    def plan_churn(self):
        """customer id → churn status for about one customer in ten (their orders stop early)."""
        old_enough = self.today - dt.timedelta(days=240)
        candidates = [c for c in self.customers if c["created_on"].date() < old_enough]
        if len(candidates) < 4:
            return {}
        chosen = self.rng.sample(candidates, max(4, len(self.customers) // 10))
        statuses = ["warning", "deferred", "lost", "recovered"]
        statuses += self.rng.choices(statuses, (35, 25, 25, 15), k=max(0, len(chosen) - 4))
        return {c["id"]: status for c, status in zip(chosen, statuses, strict=True)}

    def make_contacts(self):
        rows = []
        for c in self.customers:
            for i in range(self.rng.choices((1, 2, 3), (40, 40, 20))[0]):
                female = self.rng.random() < 0.45
                name = self.fake.name_female() if female else self.fake.name_male()
                rows.append(
                    {
                        **self.stamp(c["created_on"].date(), c["manager_id"]),
                        "customer_id": c["id"],
                        "name": name,
                        "gender": "女" if female else "男",
                        "position": POSITIONS[0] if i == 0 and self.rng.random() < 0.4 else self.rng.choice(POSITIONS),
                        "phone": f"{c['phone']}-{self.rng.randint(800, 899)}" if self.rng.random() < 0.5 else None,
                        "mobile": self.fake.phone_number(),
                        "email": f"{self.fake.user_name()}@{c['website'][4:]}",
                        "memo": None,
                        "is_primary": i == 0,
                    }
                )
        bulk_insert(Contact, rows)

    def make_activities(self):
        rows = []
        for c in self.customers:
            for _ in range(self.rng.randint(1, 6)):
                kind = self.rng.choice(list(ACTIVITY_TITLES))
                day = self.day_between(c["created_on"].date(), self.today)
                place = {"visit": c["address"], "meeting": "公司会议室", "dinner": f"{c['address'][:2]}市区酒店"}
                rows.append(
                    {
                        **self.stamp(day, c["manager_id"]),
                        "customer_id": c["id"],
                        "date": day,
                        "type": kind,
                        "place": place.get(kind),
                        "title": self.rng.choice(ACTIVITY_TITLES[kind]),
                        "description": self.fake.sentence(nb_words=12),
                        "user_id": c["manager_id"],
                    }
                )
        bulk_insert(Activity, rows)

    # -- orders ---------------------------------------------------------------

    def make_orders(self, churn_plan):
        """Orders over two years; churning customers stop ordering more than six months
        ago, recovered ones ordered again lately. Returns customer id → last order date
        before any recovery order."""
        orders, lines_of = [], []
        last_before = {}
        quiet_since = self.today - dt.timedelta(days=200)
        for c in self.customers:
            low, high = ORDERS_PER_LEVEL[c["level"]]
            first = max(c["created_on"].date(), self.start)
            last = quiet_since if c["id"] in churn_plan else self.today
            days = sorted(self.day_between(first, last) for _ in range(self.rng.randint(low, high)))
            if c["id"] in churn_plan and not days:
                days = [self.day_between(first, quiet_since - dt.timedelta(days=30))]
            last_before[c["id"]] = days[-1] if days else None
            if churn_plan.get(c["id"]) == "recovered":
                days.append(self.today - dt.timedelta(days=self.rng.randint(1, 40)))
            for day in days:
                orders.append((c, day))
        orders.sort(key=lambda o: o[1])
        numbers = reserve_numbers("DD", [day for _c, day in orders])
        rows = []
        for (c, day), no in zip(orders, numbers, strict=True):
            lines = self.order_lines()
            age = (self.today - day).days
            status = "paid" if age > 60 else self.rng.choice(("new", "shipped", "paid"))
            if self.rng.random() < 0.04:
                status = "cancelled"
            rows.append(
                {
                    **self.stamp(day, c["manager_id"]),
                    "customer_id": c["id"],
                    "no": no,
                    "date": day,
                    "address": c["address"],
                    "status": status,
                    "amount": sum(q * p for _pid, q, p, _u in lines),
                }
            )
            lines_of.append(lines)
        ids = bulk_insert(Order, rows, returning=True)
        line_rows = []
        for order_id, row, lines in zip(ids, rows, lines_of, strict=True):
            for product_id, quantity, price, unit in lines:
                line_rows.append(
                    {
                        **{k: row[k] for k in ("created_on", "changed_on", "created_by_id", "changed_by_id")},
                        "order_id": order_id,
                        "product_id": product_id,
                        "quantity": quantity,
                        "unit": unit,
                        "price": price,
                    }
                )
        bulk_insert(OrderLine, line_rows)
        return last_before

    def order_lines(self):
        lines = []
        for product_id, price, unit in self.rng.sample(self.products, min(len(self.products), self.rng.randint(1, 4))):
            discount = Decimal(self.rng.choice((85, 90, 95, 100, 100, 100))) / 100
            lines.append((product_id, self.rng.randint(1, 20), (price * discount).quantize(Decimal("0.01")), unit))
        return lines

    # -- churn ----------------------------------------------------------------

    def make_churn(self, churn_plan, last_orders):
        by_id = {c["id"]: c for c in self.customers}
        rows, measures_of = [], []
        for customer_id, status in churn_plan.items():
            c = by_id[customer_id]
            last = last_orders.get(customer_id)
            warned = (last or c["created_on"].date()) + dt.timedelta(days=183 + self.rng.randint(0, 10))
            warned = min(warned, self.today - dt.timedelta(days=45 if status == "recovered" else 5))
            measures = []
            if status in ("deferred", "lost", "recovered"):
                for i in range(self.rng.randint(1, 3) if status == "deferred" else self.rng.randint(0, 2)):
                    measures.append((self.past(warned + dt.timedelta(days=3 + 7 * i)), self.rng.choice(CHURN_MEASURES)))
            lost = status == "lost"
            rows.append(
                {
                    **self.stamp(warned, c["manager_id"]),
                    "customer_id": customer_id,
                    "manager_id": c["manager_id"],
                    "last_order_date": last,
                    "status": status,
                    "reason": self.rng.choice(CHURN_REASONS) if lost else None,
                    "lost_on": min(warned + dt.timedelta(days=30), self.today) if lost else None,
                }
            )
            measures_of.append((c, measures))
            c["status"] = {"warning": "warning", "deferred": "warning", "lost": "lost"}.get(status, "normal")
        ids = bulk_insert(Churn, rows, returning=True)
        measure_rows = [
            {
                **self.stamp(day, c["manager_id"]),
                "churn_id": churn_id,
                "date": self.moment(day),
                "measure": text,
                "user_id": c["manager_id"],
            }
            for churn_id, (c, measures) in zip(ids, measures_of, strict=True)
            for day, text in measures
        ]
        bulk_insert(ChurnMeasure, measure_rows)
        table = Customer.__table__
        for status in ("warning", "lost"):
            changed = [c["id"] for c in self.customers if c["status"] == status]
            for i in range(0, len(changed), CHUNK):
                db.session.execute(update(table).where(table.c.id.in_(changed[i : i + CHUNK])).values(status=status))

    # -- campaigns ------------------------------------------------------------

    def make_campaigns(self):
        """The campaigns of the two years (created once); each targets some of this batch."""
        director = self.users.by_name["demo_director"]
        existing = {c.name: c.id for c in db.session.execute(select(Campaign)).scalars()}
        campaigns = []
        for months, template, channel, budget in CAMPAIGNS:
            start = _add_months(self.start, months)
            name = template.format(year=start.year)
            if name not in existing:
                existing[name] = self.campaign(name, start, channel, budget, director)
            campaigns.append((existing[name], start))
        targets = []
        for campaign_id, _start in campaigns:
            chosen = self.rng.sample(self.customers, max(1, len(self.customers) // 20))
            targets += [{"campaign_id": campaign_id, "customer_id": c["id"]} for c in chosen]
        bulk_insert(campaign_customer, targets)
        table = Campaign.__table__
        for campaign_id, _start in campaigns:
            responses = self.rng.randint(len(self.customers) // 200, len(self.customers) // 50 + 1)
            db.session.execute(
                update(table).where(table.c.id == campaign_id).values(responses=table.c.responses + responses)
            )
        return campaigns

    def campaign(self, name, start, channel, budget, director):
        end = start + dt.timedelta(days=self.rng.choice((2, 3, 14, 30)))
        cost = budget * self.rng.randint(80, 110) // 100 if end < self.today else budget // 3
        row = {
            **self.stamp(start - dt.timedelta(days=30), director.id),
            "name": name,
            "channel": channel,
            "start_date": start,
            "end_date": end,
            "budget": Decimal(budget),
            "cost": Decimal(cost),
            "description": f"面向重点行业客户的{name.split('年', 1)[-1]}",
            "responses": 0,
        }
        return bulk_insert(Campaign, [row], returning=True)[0]

    # -- opportunities ----------------------------------------------------------

    def make_opportunities(self, campaigns):
        director = self.users.by_name["demo_director"]
        managers = self.users.managers
        count = max(8, len(self.customers) // 5)
        statuses = ["unassigned", "assigned", "won", "lost"]
        statuses += self.rng.choices(statuses, (20, 35, 25, 20), k=count - 4)
        customers_of = defaultdict(list)
        for c in self.customers:
            customers_of[c["manager_id"]].append(c)
        rows, plans_of = [], []
        for status in statuses:
            creator = director if self.rng.random() < 0.6 else self.rng.choice(managers)
            assignee = (
                None if status == "unassigned" else (creator if creator in managers else self.rng.choice(managers))
            )
            if status in ("unassigned", "assigned"):
                created = self.day_between(self.today - dt.timedelta(days=90), self.today - dt.timedelta(days=1))
            else:
                created = self.day_between(self.start, self.today - dt.timedelta(days=40))
            existing = None
            if status == "won" or self.rng.random() < 0.3:
                pool = customers_of.get((assignee or creator).id) or self.customers
                existing = self.rng.choice(pool)
            source = self.rng.choice(("phone", "web", "referral", "exhibition", "campaign", "visit"))
            if status == "won" and self.rng.random() < 0.5:  # campaigns should show a return (营销活动 ROI)
                source = "campaign"
            campaign_id = None
            if source == "campaign":
                started = [cid for cid, start in campaigns if start <= created] or [campaigns[0][0]]
                campaign_id = self.rng.choice(started)
            product = self.rng.choice(PRODUCTS)[0]
            assigned_on = (
                self.moment(self.past(created + dt.timedelta(days=self.rng.randint(0, 7)))) if assignee else None
            )
            closed = status in ("won", "lost")
            closed_on = self.moment(self.past(created + dt.timedelta(days=self.rng.randint(30, 120))))
            rows.append(
                {
                    **self.stamp(created, creator.id),
                    "source": source,
                    "customer_name": existing["name"]
                    if existing
                    else self.company_name(self.rng.choice(CITIES)[0], self.rng.choice(list(INDUSTRY_WORDS))),
                    "customer_id": existing["id"] if existing else None,
                    "title": self.rng.choice(OPPORTUNITY_TITLES).format(p=product),
                    "probability": 100 if status == "won" else self.rng.choice((10, 20, 30, 40, 50, 60, 70, 80)),
                    "expected_revenue": Decimal(self.rng.randint(2, 200) * 10_000),
                    "expected_close": created + dt.timedelta(days=self.rng.randint(30, 180)),
                    "contact": self.fake.name(),
                    "phone": self.fake.phone_number(),
                    "description": f"客户计划采购{product}，{self.fake.sentence(nb_words=8)}",
                    "campaign_id": campaign_id,
                    "assignee_id": assignee.id if assignee else None,
                    "assigned_on": assigned_on,
                    "branch_id": (assignee or creator).branch_id,
                    "status": status,
                    "closed_on": closed_on if closed else None,
                    "lost_reason": self.rng.choice(LOST_REASONS) if status == "lost" else None,
                }
            )
            plans_of.append(self.plans(status, created, assignee))
        ids = bulk_insert(Opportunity, rows, returning=True)
        bulk_insert(
            Plan, [{**plan, "opportunity_id": pk} for pk, plans in zip(ids, plans_of, strict=True) for plan in plans]
        )

    def plans(self, status, created, assignee):
        if assignee is None:
            return []
        rows = []
        todos = self.rng.sample(PLAN_TODOS, {"assigned": 3, "won": 4, "lost": 2}[status])
        for i, todo in enumerate(todos):
            day = created + dt.timedelta(days=7 * (i + 1))
            done = status != "assigned" or day < self.today - dt.timedelta(days=3)
            rows.append(
                {
                    **self.stamp(self.past(created + dt.timedelta(days=1)), assignee.id),
                    "date": day,
                    "todo": todo,
                    "result": self.rng.choice(PLAN_RESULTS) if done else None,
                    "done_on": self.moment(self.past(day)) if done else None,
                }
            )
        return rows

    # -- service tickets -------------------------------------------------------

    def make_services(self):
        agent = self.users.by_name["demo_agent"]
        count = max(8, len(self.customers) // 4)
        statuses = ["new", "assigned", "handled", "archived"]
        statuses += self.rng.choices(statuses, (15, 20, 20, 45), k=count - 4)
        rows, rounds_of = [], []
        for status in statuses:
            c = self.rng.choice(self.customers)
            creator_id = agent.id if self.rng.random() < 0.6 else c["manager_id"]
            newest = self.today - dt.timedelta(days=0 if status == "new" else 5)
            created = self.day_between(self.today - dt.timedelta(days=10 if status == "new" else 365), newest)
            kind = self.rng.choices(list(SERVICE_TITLES), (50, 25, 25))[0]
            row = {
                **self.stamp(created, creator_id),
                "type": kind,
                "title": self.rng.choice(SERVICE_TITLES[kind]),
                "customer_id": c["id"],
                "branch_id": c["branch_id"],
                "request": f"客户反映：{self.fake.sentence(nb_words=10)}",
                "status": status,
                "assignee_id": None,
                "assigned_on": None,
                "deal": None,
                "dealt_by_id": None,
                "dealt_on": None,
                "result": None,
                "satisfaction": None,
                "archived_on": None,
            }
            rounds = []
            if status != "new":
                assignee_id = agent.id if self.rng.random() < 0.7 else c["manager_id"]
                assigned_on = self.moment(self.past(created + dt.timedelta(days=self.rng.randint(0, 1))))
                row.update(assignee_id=assignee_id, assigned_on=assigned_on)
                rounds = self.service_rounds(status, assigned_on, assignee_id)
                if rounds:
                    last = rounds[-1]
                    row.update(deal=last["deal"], dealt_by_id=assignee_id, dealt_on=last["dealt_on"])
                if status == "archived":
                    row.update(
                        result=rounds[-1]["result"],
                        satisfaction=rounds[-1]["satisfaction"],
                        archived_on=rounds[-1]["feedback_on"],
                    )
            rows.append(row)
            rounds_of.append(rounds)
        ids = bulk_insert(Service, rows, returning=True)
        bulk_insert(
            ServiceRound, [{**r, "service_id": pk} for pk, rounds in zip(ids, rounds_of, strict=True) for r in rounds]
        )

    def service_rounds(self, status, assigned_on, assignee_id):
        """Handling rounds; every fifth ticket had a round the customer was unhappy with
        (sent back to `assigned`). handled ends with a round awaiting feedback, archived
        with a satisfied one."""
        outcomes = [False] if self.rng.random() < 0.2 else []
        outcomes += {"handled": [None], "archived": [True]}.get(status, [])
        rounds, at = [], assigned_on
        for satisfied in outcomes:
            dealt_on = self.past(at + dt.timedelta(hours=self.rng.randint(2, 48)))
            feedback_on = (
                None if satisfied is None else self.past(dealt_on + dt.timedelta(hours=self.rng.randint(4, 72)))
            )
            rounds.append(
                {
                    **self.stamp(dealt_on.date(), assignee_id),
                    "deal": self.rng.choice(DEALS),
                    "dealt_by_id": assignee_id,
                    "dealt_on": dealt_on,
                    "result": None
                    if satisfied is None
                    else self.rng.choice(GOOD_RESULTS if satisfied else BAD_RESULTS),
                    "satisfaction": None
                    if satisfied is None
                    else self.rng.choice((3, 4, 4, 5, 5) if satisfied else (1, 2)),
                    "feedback_on": feedback_on,
                }
            )
            at = feedback_on or dealt_on
        return rounds


# ---------------------------------------------------------------- bulk helpers


def bulk_insert(model_or_table, rows, returning=False):
    """INSERT rows in chunks; with `returning`, the new ids in the order of `rows`."""
    table = getattr(model_or_table, "__table__", model_or_table)
    stmt = insert(table)
    if returning:
        stmt = stmt.returning(table.c.id, sort_by_parameter_order=True)
    ids = []
    for i in range(0, len(rows), CHUNK):
        result = db.session.execute(stmt, rows[i : i + CHUNK])
        if returning:
            ids.extend(result.scalars().all())
    return ids


def reserve_numbers(prefix, days):
    """Business numbers (`KH` + yyyymmdd + sequence) for one row per entry of `days`, drawn
    from the per-day counters of `sequence.next_number` so later numbers never collide."""
    table = Counter.__table__
    key_col = table.c["key"]
    need = defaultdict(int)
    for day in days:
        need[f"{prefix}{day:%Y%m%d}"] += 1
    keys = sorted(need)
    present = set()
    for i in range(0, len(keys), CHUNK):
        present.update(db.session.execute(select(key_col).where(key_col.in_(keys[i : i + CHUNK]))).scalars())
    if present:
        db.session.execute(
            update(table).where(key_col == bindparam("k")).values(value=table.c.value + bindparam("n")),
            [{"k": key, "n": need[key]} for key in sorted(present)],
        )
    missing = [{"key": key, "value": need[key]} for key in keys if key not in present]
    if missing:
        db.session.execute(insert(table), missing)
    last = {}
    for i in range(0, len(keys), CHUNK):
        last.update(db.session.execute(select(key_col, table.c.value).where(key_col.in_(keys[i : i + CHUNK]))).all())
    following = {key: last[key] - need[key] + 1 for key in keys}
    numbers = []
    for day in days:
        key = f"{prefix}{day:%Y%m%d}"
        numbers.append(f"{key}{following[key]:06d}")
        following[key] += 1
    return numbers


def _add_months(day, months):
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)
