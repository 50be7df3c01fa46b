"""What every journey test does on every page it visits, besides its own assertions.

A `Journey` walks people (each in their own browser context, signed in as themselves) through
the portal. At each `journey.check(page)`:

- axe-core (node_modules/axe-core, installed by `npm ci`) runs on the page; serious and critical
  violations are collected;
- the same address is loaded again in French and in Spanish, with the same person's session and
  the `django_language` cookie, and every piece of interface text still equal to an English
  message of the catalogues (ours and allauth's) is collected;
- optionally a screenshot is written to var/screenshots/<name>.png (1280x800).

`journey.finish()` fails with everything collected, so one run lists every problem at once.
"""

import ast
import re
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import allauth
import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from tests.browser import ConsoleErrors
from tests.fixtures_services import skip_unless_required

ROOT = Path(__file__).resolve().parent.parent
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "var" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}
OTHER_LANGUAGES = ("fr", "es")
FAILING_IMPACTS = ("serious", "critical")
CATALOGUES = (ROOT / "locale", Path(allauth.__file__).parent / "locale")


# --- E-mails ---------------------------------------------------------------------------------


def wait_for_outbox(length: int, timeout: float = 5.0) -> list:
    """The e-mails sent so far, once there are `length` of them (the live server sends them in its thread)."""
    deadline = time.monotonic() + timeout
    while len(mail.outbox) < length and time.monotonic() < deadline:
        time.sleep(0.05)
    return list(mail.outbox)


def sent(since: int = 0) -> list[tuple[str, list[str]]]:
    """(subject, recipients) of each e-mail sent since the `since`-th, in order."""
    return [(message.subject, list(message.to)) for message in mail.outbox[since:]]


def links_in(message, live_server) -> list[str]:
    """The portal's addresses in an e-mail's plain-text body, in order."""
    return re.findall(re.escape(live_server.url) + r"/[^\s<>\"]*", message.body)


# --- The catalogues --------------------------------------------------------------------------


def _po_string(line: str) -> str:
    return ast.literal_eval(line[line.index('"') :])


def read_po(path: Path) -> list[dict]:
    """The entries of a .po file: msgid, msgid_plural, msgstr (a list) and whether fuzzy. Obsolete ones are left out."""
    entries, entry, key = [], None, None

    def close():
        if entry is not None and entry.get("msgid"):
            entries.append(entry)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            close()
            entry, key = {"msgid": "", "msgid_plural": "", "msgstr": [], "fuzzy": "fuzzy" in line}, None
        elif line.startswith("#") or not line:
            continue
        elif line.startswith("msgctxt"):
            if entry is None or entry.get("msgid"):
                close()
                entry = {"msgid": "", "msgid_plural": "", "msgstr": [], "fuzzy": False}
            key = "msgctxt"
        elif line.startswith("msgid_plural"):
            entry["msgid_plural"], key = _po_string(line), "msgid_plural"
        elif line.startswith("msgid"):
            if entry is None or entry.get("msgid") or entry["msgstr"]:
                close()
                entry = {"msgid": "", "msgid_plural": "", "msgstr": [], "fuzzy": False}
            entry["msgid"], key = _po_string(line), "msgid"
        elif line.startswith("msgstr"):
            entry["msgstr"].append(_po_string(line))
            key = "msgstr"
        elif line.startswith('"') and entry is not None and key:
            if key == "msgstr":
                entry["msgstr"][-1] += _po_string(line)
            elif key != "msgctxt":
                entry[key] += _po_string(line)
    close()
    return entries


def _normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]|\{\w*\}")


@dataclass
class EnglishMessages:
    """The English messages of the catalogues that a page in `language` must not show."""

    exact: set = field(default_factory=set)
    patterns: list = field(default_factory=list)

    def add(self, english: str):
        text = _normalize(re.sub(r"<[^>]+>", " ", english))
        if not re.search(r"[A-Za-z]{2}", PLACEHOLDER.sub("", text)):
            return
        if not PLACEHOLDER.search(text):
            self.exact.add(text)
            return
        # A message with placeholders matches whatever fills them, if enough words are its own.
        literal_words = re.findall(r"[A-Za-z]{3,}", PLACEHOLDER.sub(" ", text))
        if len(literal_words) < 2:
            return
        pieces = PLACEHOLDER.split(text)
        # re.split with one group returns text, name, text, name, ...; names are at odd indexes.
        regex = "".join(".+?" if index % 2 else re.escape(piece) for index, piece in enumerate(pieces))
        self.patterns.append((text, re.compile(regex.replace(r"\ ", " "))))

    def found_in(self, texts) -> list[str]:
        found = []
        for text in texts:
            if text in self.exact:
                found.append(text)
            elif len(text) > 8:
                for _message, pattern in self.patterns:
                    if pattern.fullmatch(text):
                        found.append(text)
                        break
        return sorted(set(found))


@cache
def english_left_over(language: str) -> EnglishMessages:
    """English messages whose `language` translation differs from them, or is missing or fuzzy."""
    messages = EnglishMessages()
    for base in CATALOGUES:
        path = base / language / "LC_MESSAGES" / "django.po"
        if not path.exists():
            continue
        for entry in read_po(path):
            translations = [text for text in entry["msgstr"] if text]
            for english in filter(None, (entry["msgid"], entry["msgid_plural"])):
                translated_same = not entry["fuzzy"] and english in translations
                if not translated_same:
                    messages.add(english)
    return messages


# The interface text of a page: text nodes, whole texts of small elements, and the words of
# attributes people hear or see. Text in another language (lang="..."), e.g. the language menu's
# own names, and text marked translate="no" are left out.
INTERFACE_TEXT = """() => {
  const pageLanguage = (document.documentElement.lang || "").split("-")[0];
  const skipped = (element) => {
    if (!element || element.closest("script, style, noscript, [translate='no']")) return true;
    const marked = element.closest("[lang]");
    return marked !== null && marked.lang.split("-")[0] !== pageLanguage;
  };
  const clean = (text) => (text || "").replace(/\\s+/g, " ").trim();
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!skipped(node.parentElement)) texts.push(clean(node.nodeValue));
  }
  const whole = "p, li, label, legend, h1, h2, h3, h4, h5, h6, button, a, th, td, summary, dt, dd, option, caption, figcaption, span, small, strong, em";
  for (const element of document.body.querySelectorAll(whole)) {
    if (!skipped(element)) texts.push(clean(element.textContent));
  }
  const attributes = ["aria-label", "placeholder", "title", "alt", "data-confirm"];
  for (const element of document.querySelectorAll("[aria-label], [placeholder], [title], img[alt], [data-confirm]")) {
    if (skipped(element)) continue;
    for (const name of attributes) if (element.hasAttribute(name)) texts.push(clean(element.getAttribute(name)));
  }
  for (const element of document.querySelectorAll("input[type=submit], input[type=button]")) {
    if (!skipped(element)) texts.push(clean(element.value));
  }
  for (const part of document.title.split(" · ")) texts.push(clean(part));
  return texts.filter((text) => text.length > 0);
}"""


# --- Signing in ------------------------------------------------------------------------------


def session_cookie(user, live_server) -> dict:
    """A session cookie of `user` for the live server, as if they had signed in."""
    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


def give_totp_once(user):
    """Staff pages need TOTP set up; give it to CSU officers and coordinators who lack it."""
    from allauth.mfa.models import Authenticator

    from tests.conftest import give_totp

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        give_totp(user)


# --- The journey -----------------------------------------------------------------------------


def require_axe():
    if not AXE_SCRIPT.exists():
        skip_unless_required(f"axe-core is not installed at {AXE_SCRIPT}: run `npm ci`")


@dataclass
class Problem:
    page: str
    detail: str

    def __str__(self):
        return f"{self.page}: {self.detail}"


class Journey:
    """People in their own browser contexts; every page they reach is checked by `check`."""

    def __init__(self, chromium, live_server):
        require_axe()
        self.chromium = chromium
        self.live_server = live_server
        self.contexts = []
        self.visited = []  # (address, person) of every checked page, in order
        self.inaccessible: list[Problem] = []
        self.english: list[Problem] = []
        self.console: list[Problem] = []
        self._translated = None

    # People.

    def _context(self, **options):
        context = self.chromium.new_context(locale="en-GB", viewport=VIEWPORT, **options)
        # Generous: two cores are shared with other work, and a first page compiles its templates.
        context.set_default_timeout(20_000)
        context.set_default_navigation_timeout(30_000)
        self.contexts.append(context)
        return context

    def person(self, user=None):
        """A new browser, signed in as `user` (None: someone not signed in); returns its page."""
        context = self._context(accept_downloads=True)
        if user is not None:
            if user.groups.exists() or user.coordinator_links.exists():
                give_totp_once(user)
            context.add_cookies([session_cookie(user, self.live_server)])
        page = context.new_page()
        page.console_errors = ConsoleErrors().watch(page)
        return page

    def url(self, path: str) -> str:
        return self.live_server.url + path

    # The checks.

    def check(self, page, screenshot: str | None = None, *, name: str | None = None):
        """Run axe on the page as it is now, check its French and Spanish versions, maybe save a screenshot."""
        page.wait_for_load_state("load")
        label = name or page.url.removeprefix(self.live_server.url)
        self.visited.append(label)
        for violation in run_axe(page):
            self.inaccessible.append(Problem(label, violation))
        for text in page.console_errors:
            self.console.append(Problem(label, text))
        page.console_errors.clear()
        if screenshot:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.evaluate("window.scrollTo(0, 0)")  # the top of the page, as a reader first sees it; focus stays
            page.screenshot(path=str(SCREENSHOTS / f"{screenshot}.png"))
        self.check_languages(page, label)

    def check_languages(self, page, label):
        if self._translated is None:
            self._translated = self._context().new_page()
        other = self._translated
        cookies = [c for c in page.context.cookies() if c["name"] != settings.LANGUAGE_COOKIE_NAME]
        for language in OTHER_LANGUAGES:
            other.context.clear_cookies()
            other.context.add_cookies(
                cookies + [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": self.live_server.url}]
            )
            # Without the fragment: going to the same address with a fragment would not load it again.
            response = other.goto(page.url.split("#", 1)[0])
            lang = other.evaluate("document.documentElement.lang")
            if lang != language:
                self.english.append(Problem(label, f"asked for {language}, the page says lang={lang!r}"))
                continue
            if response is not None and response.status >= 400:
                self.english.append(Problem(label, f"{language}: answered {response.status}"))
            left = english_left_over(language).found_in(other.evaluate(INTERFACE_TEXT))
            if left:
                self.english.append(Problem(label, f"{language}: English left: {left}"))

    def finish(self):
        """Fail with every problem the checks collected."""
        problems = []
        if self.inaccessible:
            problems.append("serious or critical accessibility violations (axe-core):")
            problems += [f"  {problem}" for problem in self.inaccessible]
        if self.english:
            problems.append("English left in the French or Spanish interface:")
            problems += [f"  {problem}" for problem in self.english]
        if self.console:
            problems.append("errors in the browser console:")
            problems += [f"  {problem}" for problem in self.console]
        assert not problems, "\n".join(problems)

    def close(self):
        for context in self.contexts:
            context.close()


@cache
def _axe_source() -> str:
    return AXE_SCRIPT.read_text(encoding="utf-8")


def run_axe(page) -> list[str]:
    """Serious and critical violations on the page, as "rule (impact): target: help" lines.

    The script is evaluated through the DevTools protocol, which the page's Content Security
    Policy (script-src 'self') does not govern, so the portal's real CSP stays on.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    results = page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " targets: v.nodes.map(n => n.target.join(' '))})); }"
    )
    return [
        f"{violation['id']} ({violation['impact']}): {', '.join(violation['targets'][:5])}: {violation['help']}"
        for violation in results
        if violation["impact"] in FAILING_IMPACTS
    ]


@pytest.fixture
def journey(chromium, live_server, transactional_db, settings):
    """A journey on the live server; closes its browsers at the end (the test calls `finish`).

    Links in e-mails and feeds are written with PORTAL_BASE_URL: here, the live server's address.
    """
    settings.PORTAL_BASE_URL = live_server.url
    walk = Journey(chromium, live_server)
    try:
        yield walk
    finally:
        walk.close()


# --- The keyboard ----------------------------------------------------------------------------


def tab_to(page, target, *, limit: int = 120):
    """Press Tab until `target` (a locator) has the focus, as a keyboard user moves through a page.

    Fails if the focus never reaches it: the field cannot be reached with the keyboard.
    """
    for _ in range(limit):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{limit} presses of Tab never reached {target}")


def _date_field_order(context) -> str:
    """The order in which this browser's date fields take month and day ("mdy" or "dmy"; "ymd" otherwise).

    The browser decides it (not the page), so it is learned once per context on a blank page:
    day and month segments move on by themselves after two digits, the year (up to six) does not.
    """
    order = getattr(context, "_date_field_order", None)
    if order is None:
        probe = context.new_page()
        try:
            probe.set_content("<input type='date' aria-label='probe'>")
            probe.get_by_label("probe").focus()
            probe.keyboard.type("01022003")
            order = {"2003-01-02": "mdy", "2003-02-01": "dmy"}.get(probe.get_by_label("probe").input_value(), "ymd")
        finally:
            probe.close()
        context._date_field_order = order
    return order


def type_date(page, field, day):
    """Move to a date field with Tab and type the date in the browser's order of segments."""
    tab_to(page, field)
    values = {"d": f"{day.day:02d}", "m": f"{day.month:02d}", "y": f"{day.year:04d}"}
    for segment in _date_field_order(page.context):
        page.keyboard.type(values[segment])
        if segment == "y" and not _date_field_order(page.context).endswith("y"):
            page.keyboard.press("Tab")  # the year segment takes up to six digits: move on by hand
