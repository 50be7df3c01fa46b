"""allauth's pages in the portal's layout: labels, error summaries, no inline script or style."""

import re
from html.parser import HTMLParser

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django import forms
from django.template import Context, Template
from django.urls import reverse
from pytest_django.asserts import assertInHTML

from portal.models import User

from .conftest import give_totp

pytestmark = pytest.mark.django_db

MISMATCH = "You must type the same password each time."

# What the Content-Security-Policy (script-src 'self'; style-src 'self') would refuse.
INLINE_STYLE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


def sign_in(client, user, password):
    """Sign in and confirm the password again, as allauth asks before account changes."""
    client.force_login(user)
    response = client.post(reverse("account_reauthenticate"), {"password": password})
    assert (response.status_code, response["Location"]) == (302, "/")


def inline_code(html: str) -> list[str]:
    return INLINE_STYLE.findall(html) + INLINE_SCRIPT.findall(html) + EVENT_HANDLER.findall(html)


class _FormControls(HTMLParser):
    """Collects the ids of visible form controls and the ids that labels point to."""

    def __init__(self):
        super().__init__()
        self.control_ids: list[str] = []
        self.label_targets: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label" and attrs.get("for"):
            self.label_targets.add(attrs["for"])
        if tag in {"input", "select", "textarea"} and attrs.get("type") not in {"hidden", "submit"}:
            self.control_ids.append(attrs.get("id", "<no id>"))


def unlabelled_controls(html: str) -> list[str]:
    parser = _FormControls()
    parser.feed(html)
    return [control for control in parser.control_ids if control not in parser.label_targets]


def test_login_page_uses_the_portal_layout(client):
    response = client.get(reverse("account_login"))

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r"<title>\s*Sign In\s* · UNODC</title>", html)
    assert '<nav aria-label="Main">' in html
    assert '<select id="language-select" name="language" data-autosubmit>' in html
    assertInHTML('<a class="skip-link" href="#main">Skip to content</a>', html)
    assertInHTML('<label for="id_login">Email</label>', html)
    assertInHTML('<label for="id_password">Password</label>', html)
    assertInHTML('<label for="id_remember"><input type="checkbox" name="remember" id="id_remember"> Remember Me</label>', html)
    assertInHTML('<div class="field-help" id="id_password_helptext"><a href="/accounts/password/reset/">Forgot your password?</a></div>', html)
    assertInHTML('<div class="button-row"><button type="submit">Sign In</button></div>', html)
    assert "error-summary" not in html


def test_signup_with_mismatched_passwords_summarises_the_error_and_shows_it_beside_the_field(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "newcomer@ngo.test", "password1": "a-long-password-1", "password2": "another-password-2"},
    )

    assert response.status_code == 200
    assert User.objects.filter(email="newcomer@ngo.test").exists() is False
    html = response.content.decode()
    assertInHTML(
        f"""
        <div class="error-summary" tabindex="-1" data-error-summary>
          <div role="alert">
            <h2>Please correct the errors below</h2>
            <ul><li><a href="#id_password2">Password (again): {MISMATCH}</a></li></ul>
          </div>
        </div>
        """,
        html,
    )
    assertInHTML(
        '<input type="password" name="password2" placeholder="Password (again)" autocomplete="new-password"'
        ' required aria-invalid="true" aria-describedby="id_password2_error" id="id_password2">',
        html,
    )
    assertInHTML(f'<ul class="field-errors" id="id_password2_error"><li>{MISMATCH}</li></ul>', html)
    # The summary comes before the fields.
    assert html.index("error-summary") < html.index('id="id_email"')
    # The password help text stays linked to its field.
    assert 'aria-describedby="id_password1_helptext"' in html
    assert '<div class="field-help" id="id_password1_helptext"><ul><li>' in html


def test_login_with_a_wrong_password_shows_the_form_error_in_the_summary(client, outsider):
    response = client.post(reverse("account_login"), {"login": outsider.email, "password": "not-the-password"})

    assert response.status_code == 200
    assertInHTML(
        """
        <div class="error-summary" tabindex="-1" data-error-summary>
          <div role="alert">
            <h2>Please correct the errors below</h2>
            <ul><li>The email address and/or password you specified are not correct.</li></ul>
          </div>
        </div>
        """,
        response.content.decode(),
    )


ANONYMOUS_PAGES = [
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_reset_password_done",
    "account_email_verification_sent",
]
SIGNED_IN_PAGES = [
    "account_email",
    "account_change_password",
    "account_logout",
    "account_reauthenticate",
    "mfa_index",
    "mfa_activate_totp",
]
SIGNED_IN_WITH_TOTP_PAGES = [
    "mfa_index",
    "mfa_deactivate_totp",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
]


@pytest.mark.parametrize("url_name", ANONYMOUS_PAGES)
def test_public_allauth_page_has_no_inline_code_and_labels_every_field(client, url_name):
    response = client.get(reverse(url_name))

    assert response.status_code == 200
    html = response.content.decode()
    assert inline_code(html) == []
    assert unlabelled_controls(html) == []
    assert '<nav aria-label="Main">' in html


@pytest.mark.parametrize("url_name", SIGNED_IN_PAGES)
def test_account_page_has_no_inline_code_and_labels_every_field(client, outsider, password, url_name):
    sign_in(client, outsider, password)

    response = client.get(reverse(url_name))

    assert response.status_code == 200
    html = response.content.decode()
    assert inline_code(html) == []
    assert unlabelled_controls(html) == []


@pytest.mark.parametrize("url_name", SIGNED_IN_WITH_TOTP_PAGES)
def test_mfa_page_has_no_inline_code_and_labels_every_field(client, outsider, password, url_name):
    give_totp(outsider)
    RecoveryCodes.activate(outsider)
    sign_in(client, outsider, password)

    response = client.get(reverse(url_name))

    assert response.status_code == 200
    html = response.content.decode()
    assert inline_code(html) == []
    assert unlabelled_controls(html) == []


def test_mfa_code_page_at_login_has_no_inline_code_and_a_labelled_code_field(client, outsider, password):
    give_totp(outsider)
    response = client.post(reverse("account_login"), {"login": outsider.email, "password": password})
    assert (response.status_code, response["Location"]) == (302, reverse("mfa_authenticate"))

    response = client.get(reverse("mfa_authenticate"))

    assert response.status_code == 200
    html = response.content.decode()
    assert inline_code(html) == []
    assert unlabelled_controls(html) == []
    assertInHTML('<label for="id_code">Code</label>', html)


def test_totp_activation_shows_the_qr_code_described_and_the_secret_copyable(client, outsider, password):
    sign_in(client, outsider, password)

    response = client.get(reverse("mfa_activate_totp"))

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<img src="data:image/svg\+xml;base64,[^"]+" class="qr-code" alt="QR code to scan with your authenticator app">', html)
    secret = client.session["mfa.totp.secret"]
    assertInHTML(
        f'<input type="text" value="{secret}" id="authenticator_secret" readonly autocomplete="off"'
        ' aria-describedby="authenticator_secret_helptext">',
        html,
    )


def test_email_page_lists_addresses_in_a_fieldset_and_confirms_removal(client, outsider, password):
    sign_in(client, outsider, password)

    response = client.get(reverse("account_email"))

    html = response.content.decode()
    assert "<legend>The following email addresses are associated with your account:</legend>" in html
    assertInHTML(
        '<button type="submit" name="action_remove" class="danger"'
        ' data-confirm="Do you really want to remove the selected email address?">Remove</button>',
        html,
    )


def test_email_page_with_an_invalid_address_shows_one_summary(client, outsider, password):
    sign_in(client, outsider, password)

    response = client.post(reverse("account_email"), {"action_add": "", "email": "not-an-address"})

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("data-error-summary") == 1
    assertInHTML('<li><a href="#id_email">Email: Enter a valid email address.</a></li>', html)


def test_account_pages_mark_the_current_section_in_the_account_navigation(client, outsider, password):
    sign_in(client, outsider, password)

    html = client.get(reverse("account_change_password")).content.decode()

    assertInHTML(
        """
        <nav class="account-nav" aria-label="Account settings">
          <ul>
            <li><a href="/accounts/email/">E-mail addresses</a></li>
            <li><a href="/accounts/password/change/" aria-current="page">Password</a></li>
            <li><a href="/accounts/2fa/">Two-factor authentication</a></li>
          </ul>
        </nav>
        """,
        html,
    )


class _ExampleForm(forms.Form):
    name = forms.CharField(label="Organization name", help_text="As registered with ECOSOC.")
    website = forms.URLField(label="Website", required=False)
    format = forms.ChoiceField(label="Format", choices=[("in_person", "In person"), ("online", "Online")], widget=forms.RadioSelect)
    agree = forms.BooleanField(label="I agree")
    token = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self):
        raise forms.ValidationError("The registration is closed.")


def render_portal_form(form) -> str:
    return Template('{% include "portal/_form.html" with form=form %}').render(Context({"form": form}))


def test_portal_form_include_renders_an_unbound_form_with_labels_and_help(client):
    html = render_portal_form(_ExampleForm())

    assert "error-summary" not in html
    assert unlabelled_controls(html) == []
    assertInHTML(
        """
        <div class="form-field">
          <label for="id_name">Organization name</label>
          <input type="text" name="name" aria-describedby="id_name_helptext" required id="id_name">
          <div class="field-help" id="id_name_helptext">As registered with ECOSOC.</div>
        </div>
        """,
        html,
    )
    assertInHTML(
        '<label for="id_website">Website <span class="optional">(optional)</span></label>', html
    )
    assertInHTML('<legend>Format</legend>', html)
    assertInHTML('<input type="hidden" name="token" id="id_token">', html)


def test_portal_form_include_summarises_field_and_form_errors_and_links_to_the_fields(client):
    html = render_portal_form(_ExampleForm(data={"website": "not a url"}))

    assertInHTML(
        """
        <div class="error-summary" tabindex="-1" data-error-summary>
          <div role="alert">
            <h2>Please correct the errors below</h2>
            <ul>
              <li>The registration is closed.</li>
              <li><a href="#id_name">Organization name: This field is required.</a></li>
              <li><a href="#id_website">Website: Enter a valid URL.</a></li>
              <li><a href="#id_format">Format: This field is required.</a></li>
              <li><a href="#id_agree">I agree: This field is required.</a></li>
            </ul>
          </div>
        </div>
        """,
        html,
    )
    assertInHTML(
        '<input type="text" name="name" aria-describedby="id_name_helptext id_name_error"'
        ' aria-invalid="true" required id="id_name">',
        html,
    )
    assertInHTML('<ul class="field-errors" id="id_name_error"><li>This field is required.</li></ul>', html)
    assertInHTML('<ul class="field-errors" id="id_agree_error"><li>This field is required.</li></ul>', html)
    assert '<fieldset aria-describedby="id_format_error">' in html
