"""allauth adapter: account e-mails go through the portal's outbox, in the person's language."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.utils import translation

from .models import User
from .services import queue_email, welcome_new_user


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        # LocaleMiddleware has activated the language the person chose or their browser asks for.
        if translation.get_language() in dict(settings.LANGUAGES):
            user.language = translation.get_language()
        return super().save_user(request, user, form, commit=commit)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        request = allauth_context.request
        recipient = User.objects.filter(email__iexact=email).first()
        language = recipient.language if recipient else translation.get_language()
        ctx = {"request": request, "email": email, "current_site": get_current_site(request), **context}
        with translation.override(language):
            message = self.render_mail(template_prefix, email, ctx)
        body_html = ""
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                body_html = content
        queue_email(
            to_email=email,
            recipient=recipient,
            kind=template_prefix,
            language=language,
            subject=message.subject,
            body_text=message.body,
            body_html=body_html,
        )

    def confirm_email(self, request, email_address):
        newly_verified = not email_address.verified
        confirmed = super().confirm_email(request, email_address)
        if confirmed and newly_verified:
            welcome_new_user(email_address.user)
        return confirmed
