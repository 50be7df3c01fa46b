"""CSU's import and export of the directory. Staff pages (MFA); for anyone else they do not exist."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from portal.middleware import staff_page
from portal.services import log_activity

from ..enums import OrganizationKind
from ..exports import COLUMNS, csv_chunks, organization_rows, write_xlsx
from ..imports import (
    REQUIRED_COLUMNS,
    ConfirmImportForm,
    ImportOutdated,
    ImportTable,
    ImportUploadForm,
    Outcome,
    PreviewExpired,
    PreviewNotFound,
    apply_import,
    discard_preview,
    load_preview,
    plan_import,
    store_preview,
)
from ..selectors import directory_filter

PERMISSION = "organizations.import_export"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREVIEW_ROWS_PER_PAGE = 200
PREVIEW_VIEWS = ("all", "refused", "looks_like")


def csu_page(view):
    """A staff page for CSU only: the MFA middleware guards it, and anyone else gets a 404."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not request.user.has_perm(PERMISSION):
            raise Http404
        return view(request, *args, **kwargs)

    return staff_page(login_required(guarded))


@csu_page
@require_GET
def export_directory(request, file_format):
    """The directory as filtered by the query string, as CSV or XLSX. Logs the export."""
    if file_format not in ("csv", "xlsx"):
        raise Http404
    organizations = directory_filter(request.user, request.GET).qs
    file_name = f"organizations-{timezone.localdate():%Y-%m-%d}.{file_format}"
    filters = request.GET.urlencode()

    if file_format == "xlsx":
        # A workbook is a ZIP archive that cannot be sent before it is complete: it is written
        # to a temporary file (row by row, so memory stays flat), then streamed from there.
        file, rows = write_xlsx(organization_rows(organizations), title=_("Organizations"))
        log_activity("organizations.directory.exported", actor=request.user, new={"format": "xlsx", "filters": filters, "rows": rows})
        response = FileResponse(file, as_attachment=True, filename=file_name, content_type=XLSX_CONTENT_TYPE)
    else:
        # Counted before streaming, as the log entry is written before the first byte; a COUNT
        # is one cheap query, while counting during the stream would log only complete downloads.
        rows = organizations.count()
        log_activity("organizations.directory.exported", actor=request.user, new={"format": "csv", "filters": filters, "rows": rows})
        response = StreamingHttpResponse(
            csv_chunks(organization_rows(organizations)), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = content_disposition_header(True, file_name)
    # Contacts and CSU's notes: never kept by a shared cache.
    patch_cache_control(response, private=True, no_store=True)
    return response


@csu_page
def import_upload(request):
    """Upload a CSV or XLSX file; a valid one is planned row by row and its preview shown."""
    form = ImportUploadForm(request.POST, request.FILES) if request.method == "POST" else ImportUploadForm()
    if request.method == "POST" and form.is_valid():
        plans = plan_import(form.table.rows)
        preview = store_preview(user=request.user, table=form.table, plans=plans)
        return redirect("organizations:import_preview", token=preview.token)
    context = {
        "form": form,
        "export_url": reverse("organizations:export", kwargs={"file_format": "csv"}),
        "optional_columns": [column for column in COLUMNS if column not in REQUIRED_COLUMNS],
        "kinds": ", ".join(OrganizationKind.values),
    }
    return render(request, "organizations/import_upload.html", context)


@csu_page
def import_preview(request, token):
    """What importing the uploaded file would do, row by row; confirming writes it, all or nothing."""
    try:
        preview = load_preview(token, user=request.user)
    except PreviewNotFound:
        raise Http404 from None
    except PreviewExpired:
        messages.warning(
            request,
            _("This import preview has expired (a preview is kept for one hour) or was already imported. Upload the file again."),
        )
        return redirect("organizations:import")

    refused = preview.count(Outcome.REFUSE)
    form = ConfirmImportForm(request.POST if request.method == "POST" else None, refused=refused)
    differences, status = [], 200
    writes = preview.count(Outcome.CREATE) + preview.count(Outcome.UPDATE)
    if request.method == "POST" and writes and form.is_valid():
        try:
            result = apply_import(preview, by=request.user)
        except ImportOutdated as outdated:
            table = ImportTable(file_name=preview.file_name, columns=preview.columns, rows=preview.rows)
            preview = store_preview(user=request.user, table=table, plans=plan_import(table.rows), token=token)
            differences, status = outdated.differences, 409
            form = ConfirmImportForm(refused=preview.count(Outcome.REFUSE))
        except IntegrityError:
            # Another change raced this one (two new organizations wanting one address).
            messages.error(request, _("Nothing was imported: the directory changed meanwhile. Confirm again."))
            return redirect("organizations:import_preview", token=token)
        else:
            discard_preview(token)
            messages.success(
                request,
                _("Imported “%(file)s”. Organizations created: %(created)s; updated: %(updated)s. Refused rows skipped: %(skipped)s.")
                % {"file": preview.file_name, "created": result.created, "updated": result.updated, "skipped": result.skipped},
            )
            return redirect("organizations:list")

    show = request.GET.get("show", "all")
    if show not in PREVIEW_VIEWS:
        show = "all"
    plans = preview.plans
    if show == "refused":
        plans = [plan for plan in plans if plan.outcome == Outcome.REFUSE]
    elif show == "looks_like":
        plans = [plan for plan in plans if plan.looks_like]
    context = {
        "preview": preview,
        "form": form,
        "page": Paginator(plans, PREVIEW_ROWS_PER_PAGE).get_page(request.GET.get("page")),
        "show": show,
        "differences": differences,
        "counts": {outcome: preview.count(outcome) for outcome in Outcome.values},
        "writes": preview.count(Outcome.CREATE) + preview.count(Outcome.UPDATE),  # after a re-plan
        "looks_like": sum(1 for plan in preview.plans if plan.looks_like),
        "names_not_compared": sum(1 for plan in preview.plans if not plan.names_compared),
    }
    return render(request, "organizations/import_preview.html", context, status=status)
