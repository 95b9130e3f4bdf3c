"""Catalog upkeep: add translations, extract, and report what is missing.

    python translations/i18n.py add "Assign" "指派" ["Another" "另一个" …]
    python translations/i18n.py update      # extract app + FAB strings, merge into zh/en
    python translations/i18n.py missing     # msgids without a zh translation (exit 1 if any)

`add` takes a lock, so several people (or scripts) can add at the same time. The en
catalog gets msgstr = msgid. Compile with `make translations` afterwards.
"""

import fcntl
import sys
from contextlib import contextmanager
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CATALOGS = {lang: HERE / lang / "LC_MESSAGES" / "messages.po" for lang in ("zh", "en")}


@contextmanager
def locked():
    with open(HERE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def read_catalog(lang):
    path = CATALOGS[lang]
    if not path.exists():
        return Catalog(locale=lang)
    with open(path, "rb") as fh:
        return read_po(fh, locale=lang)


def _write(lang, catalog):
    path = CATALOGS[lang]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        write_po(fh, catalog, width=120, sort_output=True, ignore_obsolete=True)


def add(pairs):
    with locked():
        zh, en = read_catalog("zh"), read_catalog("en")
        for msgid, text in pairs:
            for cat, string in ((zh, text), (en, msgid)):
                if cat.get(msgid) is None:
                    cat.add(msgid, string)
                cat[msgid].string = string
                cat[msgid].flags.discard("fuzzy")
        _write("zh", zh)
        _write("en", en)


# `_l` is our alias of lazy_gettext; FAB also uses lazy_formatter_gettext (user/role help texts);
# N_ (in DEFAULT_KEYWORDS) marks labels kept in maps and translated where shown (status names).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_formatter_gettext": None}
FAB_METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
# FAB code a user never meets: the CLI and the project/addon skeletons it generates.
FAB_SKIP = ("cli.py", "babel/", "app_templates/")


def _fab_dir():
    import flask_appbuilder

    return Path(flask_appbuilder.__file__).resolve().parent


def collect(catalog, dirname, method_map, keep=lambda path: True):
    for path, lineno, message, comments, context in extract_from_dir(
        str(dirname), method_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
    ):
        if keep(path):
            catalog.add(message, locations=[(path, lineno)], auto_comments=comments, context=context)


def extract():
    """The template catalog: our strings (babel.cfg) and FAB's user-facing ones. FAB's strings are
    part of our catalog because FAB's own zh catalog is incomplete."""
    template = Catalog(project="crm", fuzzy=False)
    with open(ROOT / "babel.cfg") as fh:
        method_map, _options = parse_mapping_cfg(fh, str(ROOT / "babel.cfg"))
    collect(template, ROOT, method_map)
    collect(template, _fab_dir(), FAB_METHODS, keep=lambda path: not path.startswith(FAB_SKIP))
    return template


def update():
    """Extract into messages.pot and merge into both catalogs (msgids gone from the code are dropped)."""
    template = extract()
    with open(HERE / "messages.pot", "wb") as fh:
        write_po(fh, template, width=120, sort_output=True, no_location=True)
    with locked():
        for lang in CATALOGS:
            catalog = read_catalog(lang)
            catalog.update(template, no_fuzzy_matching=True)
            if lang == "en":
                for message in catalog:
                    if message.id and not message.string:
                        message.string = message.id
            _write(lang, catalog)


def missing():
    zh = read_catalog("zh")
    return [m.id for m in zh if m.id and (not m.string or "fuzzy" in m.flags)]


def main(argv):
    if not argv or argv[0] not in ("add", "update", "missing"):
        print(__doc__)
        return 2
    if argv[0] == "add":
        rest = argv[1:]
        if len(rest) % 2:
            print("add takes pairs: ENGLISH CHINESE …")
            return 2
        add(list(zip(rest[::2], rest[1::2], strict=True)))
        return 0
    if argv[0] == "update":
        update()
        return 0
    gaps = missing()
    for msgid in gaps:
        print(msgid)
    print(f"{len(gaps)} missing", file=sys.stderr)
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
