"""The embedded default writes each e-mail as one readable .eml file."""

import email

from django.core.mail import EmailMultiAlternatives
from django.test import override_settings

LINK = "http://127.0.0.1:8000/accounts/confirm-email/OA:1xV8rb:6ILdfNAQUJSvPh933cPievmkTlkmXkL1hAdQPj_eElA/"


def test_each_email_is_one_eml_file_with_the_link_on_one_line(tmp_path):
    mailers = {"default": {"BACKEND": "portal.mail.MailFolderBackend", "OPTIONS": {"file_path": str(tmp_path)}}}
    with override_settings(MAILERS=mailers):
        for subject in ["Confirmez votre adresse électronique", "Second"]:
            message = EmailMultiAlternatives(subject, f"Pour confirmer, allez à {LINK}\n", "portal@example.test", ["a@example.test"])
            message.attach_alternative(f'<p><a href="{LINK}">Confirmer</a></p>', "text/html")
            assert message.send() == 1

    files = sorted(tmp_path.glob("*.eml"))
    assert len(files) == 2
    raw = files[0].read_text(encoding="utf-8")
    assert f"Pour confirmer, allez à {LINK}" in raw
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "Confirmez votre adresse électronique"
    assert [part.get_content_type() for part in parsed.walk()] == ["multipart/alternative", "text/plain", "text/html"]
