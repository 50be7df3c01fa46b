"""The interface in French and Spanish: pages follow the language cookie, catalogues are complete."""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ["fr", "es"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\{\s*\w+\s*\}\}")


def read_po(path: Path) -> list[dict]:
    """The entries of a .po file: msgid, msgid_plural, msgstr (a list) and flags.

    Enough of the format for our catalogues; polib is not a dependency.
    """
    entries: list[dict] = []
    entry: dict = {"flags": set(), "msgstr": []}
    field = None

    def finish():
        if "msgid" in entry:
            entries.append(entry)

    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            finish()
            entry, field = {"flags": set(), "msgstr": []}, None
        elif line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            text = ast.literal_eval(line)
            if field == "msgstr":
                entry["msgstr"][-1] += text
            else:
                entry[field] += text
        else:
            keyword, _, value = line.partition(" ")
            if keyword.startswith("msgstr"):
                field = "msgstr"
                entry["msgstr"].append(ast.literal_eval(value))
            else:
                field = keyword
                entry[field] = ast.literal_eval(value)
    finish()
    return [e for e in entries if e["msgid"]]  # the header has an empty msgid


@pytest.mark.parametrize(
    ("language", "heading"),
    [("fr", "Sessions à venir"), ("es", "Próximos períodos de sesiones"), ("en", "Upcoming sessions")],
)
@pytest.mark.django_db
def test_home_page_follows_the_language_cookie(client, language, heading):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert f'<h2 id="upcoming-heading">{heading}</h2>' in html


@pytest.mark.parametrize(
    ("language", "summary_heading"),
    [("fr", "Veuillez corriger les erreurs ci-dessous"), ("es", "Corrija los errores que se indican a continuación")],
)
@pytest.mark.django_db
def test_error_summary_is_translated(client, language, summary_heading):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = client.post(
        reverse("account_signup"),
        {"email": "newcomer@ngo.test", "password1": "a-long-password-1", "password2": "another-password-2"},
    )

    assert response.status_code == 200
    assert f"<h2>{summary_heading}</h2>" in response.content.decode()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    entries = read_po(LOCALE_DIR / language / "LC_MESSAGES" / "django.po")

    assert len(entries) > 100
    assert [e["msgid"] for e in entries if not all(e["msgstr"])] == []
    assert [e["msgid"] for e in entries if "fuzzy" in e["flags"]] == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_every_placeholder(language):
    entries = read_po(LOCALE_DIR / language / "LC_MESSAGES" / "django.po")

    def source_of(entry, form: int) -> str:
        # A singular may leave the count implicit ("the refused row"); every other form must carry it.
        return entry["msgid"] if form == 0 or "msgid_plural" not in entry else entry["msgid_plural"]

    broken = [
        e["msgid"]
        for e in entries
        for form, msgstr in enumerate(e["msgstr"])
        if form != 0 or "msgid_plural" not in e or PLACEHOLDER.findall(msgstr)
        if sorted(set(PLACEHOLDER.findall(source_of(e, form)))) != sorted(set(PLACEHOLDER.findall(msgstr)))
    ]
    assert broken == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_committed_mo_file_matches_the_po_file(language):
    """The .mo files are committed (a fresh machine may lack gettext): they must be compiled from the current .po."""
    directory = LOCALE_DIR / language / "LC_MESSAGES"
    with (directory / "django.mo").open("rb") as mo_file:
        catalogue = gettext.GNUTranslations(mo_file)
    entries = [e for e in read_po(directory / "django.po") if "msgid_plural" not in e and "msgctxt" not in e]

    stale = [e["msgid"] for e in entries if catalogue.gettext(e["msgid"]) != e["msgstr"][0]]
    assert stale == []


def test_every_seeded_thematic_area_is_listed_for_translation():
    import importlib

    from organizations.enums import THEMATIC_AREA_NAMES

    seed = importlib.import_module("organizations.migrations.0004_thematic_areas_and_search_indexes")
    assert list(THEMATIC_AREA_NAMES) == seed.THEMATIC_AREAS


@pytest.mark.django_db
def test_thematic_areas_show_in_the_visitors_language(thematic_areas):
    from django.utils import translation

    with translation.override("fr"):
        assert str(thematic_areas["drug-policy"]) == "Politique en matière de drogues"
    with translation.override("es"):
        assert str(thematic_areas["harm-reduction"]) == "Reducción de daños"
