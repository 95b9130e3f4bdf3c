"""Catalog upkeep: add translations, extract, and report what is missing.

    python translations/i18n.py add "Assign" "指派" ["Another" "另一个" …]
    python translations/i18n.py update      # extract app + FAB strings, merge into zh/en
    python translations/i18n.py missing     # msgids without a zh translation (exit 1 if any)

`add` takes a lock, so several people (or scripts) can add at the same time. The en
catalog gets msgstr = msgid. Compile with `make translations` afterwards.
"""

import fcntl
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CATALOGS = {lang: HERE / lang / "LC_MESSAGES" / "messages.po" for lang in ("zh", "en")}


@contextmanager
def locked():
    with open(HERE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _read(lang):
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
        zh, en = _read("zh"), _read("en")
        for msgid, text in pairs:
            for cat, string in ((zh, text), (en, msgid)):
                if cat.get(msgid) is None:
                    cat.add(msgid, string)
                cat[msgid].string = string
                cat[msgid].flags.discard("fuzzy")
        _write("zh", zh)
        _write("en", en)


def _fab_dir():
    import flask_appbuilder

    return Path(flask_appbuilder.__file__).resolve().parent


def update():
    """Extract our strings and FAB's into messages.pot; merge into both catalogs.
    FAB's strings are part of our catalog because FAB's own zh catalog is incomplete."""
    pot = HERE / "messages.pot"
    fab_cfg = HERE / ".fab-babel.cfg"
    fab_cfg.write_text("[python: **.py]\n[jinja2: **/templates/**.html]\n")
    fab_pot = HERE / ".fab.pot"
    subprocess.run(
        ["pybabel", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext",
         "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        ["pybabel", "extract", "-F", str(fab_cfg), "-k", "_l", "-k", "lazy_gettext", "-o", str(fab_pot),
         str(_fab_dir())], cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with open(pot, "rb") as fh:
        ours = read_po(fh)
    with open(fab_pot, "rb") as fh:
        fab = read_po(fh)
    for message in fab:
        if message.id and message.id not in ours and _fab_user_facing(message):
            ours.add(message.id, locations=[], flags=message.flags, context=message.context)
    with open(pot, "wb") as fh:
        write_po(fh, ours, width=120, sort_output=True, omit_header=False, no_location=True)
    fab_cfg.unlink()
    fab_pot.unlink()
    with locked():
        for lang in CATALOGS:
            catalog = _read(lang)
            catalog.update(ours, no_fuzzy_matching=True)
            if lang == "en":
                for message in catalog:
                    if message.id and not message.string:
                        message.string = message.id
            _write(lang, catalog)


def _fab_user_facing(message):
    """FAB strings a user can meet: skip the CLI and the addon/app skeleton generators."""
    skip = ("/cli.py", "/babel/", "/app_templates/", "/templates/appbuilder/general/widgets/__init__")
    return not all(any(s in path for s in skip) for path, _ in message.locations) or not message.locations


def missing():
    zh = _read("zh")
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
