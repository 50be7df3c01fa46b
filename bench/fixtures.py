"""What the benchmark needs inside a scale database, run as a subprocess of bench/run.py.

    python -m bench.fixtures prepare 100   # prints JSON: addresses, session cookies, drafts to submit
    python -m bench.fixtures cleanup       # removes what prepare and the submissions created
    python -m bench.fixtures export        # prints JSON: time and memory of exporting every organization

DJANGO_SETTINGS_MODULE=bench.settings and BENCH_DATABASE_URL select the database.
"""

import json
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

# Accounts made by prepare (and removed by cleanup): e-mail addresses on this domain.
BENCH_DOMAIN = "bench-run.test"
CSRF_SECRET = "benchcsrfsecret0123456789abcdefg"  # 32 characters: Django accepts the unmasked secret


def session_cookie(user) -> str:
    """A logged-in session for `user`, as the login view would store it."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[1]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def prepare(submissions: int) -> dict:
    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.db.models import Count

    from events.enums import SideEventStatus
    from events.models import SideEvent
    from organizations.enums import EcosocStatus, VerificationState
    from organizations.models import Organization, OrganizationMember
    from portal.models import User
    from sessions.enums import Channel
    from sessions.models import LIVE_STATUSES, Registration, Session

    cleanup()
    session = Session.objects.select_related("commission").order_by("-start_date").first()
    csu = Group.objects.get(name=settings.CSU_STAFF_GROUP).user_set.order_by("pk").first()
    # An organization with history and umbrella memberships, as people open them.
    organization = (
        Organization.objects.filter(verification_state=VerificationState.VERIFIED)
        .annotate(registrations_count=Count("registrations"))
        .order_by("-registrations_count", "pk")
        .first()
    )
    event = (
        SideEvent.objects.filter(session=session, status=SideEventStatus.ACCEPTED, slot__isnull=False)
        .annotate(speaker_count=Count("speakers"))
        .order_by("-speaker_count", "pk")
        .first()
    )
    # Organizations that may register directly and have not registered yet: one draft each, one focal point each.
    registered = Registration.objects.filter(session=session, status__in=LIVE_STATUSES).values("organization_id")
    candidates = list(
        Organization.objects.filter(verification_state=VerificationState.VERIFIED)
        .exclude(ecosoc_status=EcosocStatus.NONE)
        .exclude(pk__in=registered)
        .order_by("pk")[:submissions]
    )
    if len(candidates) < submissions:
        raise SystemExit(f"Only {len(candidates)} organizations can still register for {session}; asked for {submissions}.")
    drafts = []
    for number, candidate in enumerate(candidates):
        user = User.objects.create_user(email=f"submitter{number}@{BENCH_DOMAIN}", full_name=f"Bench Submitter {number}")
        OrganizationMember.objects.create(organization=candidate, user=user)
        draft = Registration.objects.create(session=session, organization=candidate, channel=Channel.DIRECT, created_by=user)
        drafts.append({"registration": draft.pk, "session": session_cookie(user)})
    return {
        "session": {"commission": session.commission.code, "number": session.number, "title": session.title,
                    "start_date": session.start_date.isoformat(), "end_date": session.end_date.isoformat()},
        "csu_session": session_cookie(csu),
        "csrf": CSRF_SECRET,
        "organization": organization.slug,
        "event": event.pk if event else None,
        "drafts": drafts,
        "counts": {
            "organizations": Organization.objects.count(),
            "sessions": Session.objects.count(),
            "registrations": Registration.objects.count(),
            "registrations_in_session": Registration.objects.filter(session=session).count(),
            "participants": Registration.participants.rel.related_model.objects.count(),
            "side_events": SideEvent.objects.count(),
            "programme": SideEvent.objects.filter(session=session, status=SideEventStatus.ACCEPTED, slot__isnull=False).count(),
        },
    }


def cleanup() -> dict:
    """Remove the benchmark's accounts, their organizations' new registrations, logs, notifications and files."""
    import shutil

    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType

    from portal.models import ActivityLog, LoginSession, Notification, User
    from sessions.models import Registration

    users = User.objects.filter(email__endswith=f"@{BENCH_DOMAIN}")
    registrations = Registration.objects.filter(created_by__in=users)
    registration_type = ContentType.objects.get_for_model(Registration)
    ids = [str(pk) for pk in registrations.values_list("pk", flat=True)]
    ActivityLog.objects.filter(content_type=registration_type, object_id__in=ids).delete()
    Notification.objects.filter(recipient__in=users).delete()
    removed = registrations.delete()[0]
    users.delete()
    LoginSession.objects.all().delete()
    shutil.rmtree(settings.PRIVATE_MEDIA_ROOT, ignore_errors=True)
    return {"removed": removed}


def export() -> dict:
    """Every organization as CSV and as XLSX, as CSU's export builds them: time, then memory growth."""
    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.http import QueryDict

    from organizations.exports import csv_chunks, organization_rows, write_xlsx
    from organizations.selectors import directory_filter

    csu = Group.objects.get(name=settings.CSU_STAFF_GROUP).user_set.order_by("pk").first()

    def organizations():
        return directory_filter(csu, QueryDict("")).qs

    def run_csv() -> int:
        size = 0
        for chunk in csv_chunks(organization_rows(organizations())):
            size += len(chunk.encode())
        return size

    def run_xlsx() -> int:
        file, _count = write_xlsx(organization_rows(organizations()), title="Organizations")
        with file:
            return file.seek(0, 2)

    count = organizations().count()
    results = {"organizations": count}
    for name, function in (("csv", run_csv), ("xlsx", run_xlsx)):
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        size = function()
        seconds = time.perf_counter() - started
        rss_growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
        # A second pass under tracemalloc: its bookkeeping slows the run, so it is not timed.
        tracemalloc.start()
        function()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        results[name] = {"seconds": seconds, "bytes": size, "peak_mb": peak / 2**20, "rss_growth_mb": rss_growth}
    return results


def main(argv: list[str]) -> None:
    import django

    django.setup()
    command = argv[1] if len(argv) > 1 else ""
    if command == "prepare":
        print(json.dumps(prepare(int(argv[2]) if len(argv) > 2 else 100)))
    elif command == "cleanup":
        print(json.dumps(cleanup()))
    elif command == "export":
        print(json.dumps(export()))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
