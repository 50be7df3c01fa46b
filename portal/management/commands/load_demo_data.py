"""Load the demo data (see portal.demo); safe to run on every start."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.demo import demo_banner, load_demo_data


class Command(BaseCommand):
    help = (
        "Load demo commissions, sessions, umbrella bodies, organizations and one account per role. "
        "Idempotent: running it again changes nothing. Prints the demo accounts."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load the demo even though the portal is configured for production (HTTPS_ONLY).",
        )

    def handle(self, *args, **options):
        # The demo accounts share a published password, and one of them may use the Django admin.
        if settings.HTTPS_ONLY and not options["force"]:
            raise CommandError(
                "This portal is configured for production (HTTPS_ONLY), where demo accounts with a "
                "published password do not belong. Use --force to load them anyway."
            )
        loaded = load_demo_data()
        self.stdout.write(demo_banner(loaded))
