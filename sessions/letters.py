"""The visa support letter: a one-page PDF confirming a participant's registration for a session.

The letter is in English, the language consulates expect, whatever the language of the
page it is downloaded from. It prints names in any Latin, Cyrillic or Greek script with
the bundled DejaVu Sans font (sessions/fonts/, with its licence).
"""

import datetime as dt
import logging
from pathlib import Path

from django.utils import formats, timezone, translation
from fpdf import FPDF

from .enums import ParticipantRole
from .models import Participant

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FAMILY = "DejaVu"
LETTERHEAD = "United Nations Office on Drugs and Crime – Civil Society Unit"
SIGNATURE = "Civil Society Unit, UNODC"
DATE_FORMAT = "j F Y"

# Subsetting the font logs every glyph it keeps at INFO level: noise in the portal's logs.
logging.getLogger("fontTools").setLevel(logging.WARNING)


def _english_date(value: dt.date) -> str:
    with translation.override("en"):
        return formats.date_format(value, DATE_FORMAT)


def _organization_name(organization) -> str:
    if organization.name_en and organization.name_en != organization.name:
        return f"{organization.name} ({organization.name_en})"
    return organization.name


def visa_letter_lines(participant: Participant, *, today: dt.date | None = None) -> list[str]:
    """The letter's text, one item per line or paragraph, in the order printed."""
    registration = participant.registration
    session = registration.session
    today = today or timezone.localdate()
    with translation.override("en"):
        nationality = participant.nationality.name
    capacity = (
        "as the head of the delegation of"
        if participant.role == ParticipantRole.HEAD
        else "as a representative of"
    )
    return [
        LETTERHEAD,
        _english_date(today),
        "Subject: Visa support letter",
        "To whom it may concern",
        (
            f"This is to confirm that {participant.passport_name}, national of {nationality}, "
            f"passport/ID no. {participant.passport_number}, is registered {capacity} "
            f"{_organization_name(registration.organization)} at the {session.title}, {session.venue}, "
            f"from {_english_date(session.start_date)} to {_english_date(session.end_date)}."
        ),
        (
            "This letter is issued at the participant's request to support their visa application. "
            "It does not commit the United Nations Office on Drugs and Crime to cover any costs of travel, "
            "accommodation or stay, which remain the responsibility of the participant or of the organization "
            "they represent."
        ),
        SIGNATURE,
    ]


def visa_support_letter(participant: Participant, *, today: dt.date | None = None) -> bytes:
    """The letter as a one-page A4 PDF."""
    letterhead, date, subject, salutation, confirmation, disclaimer, signature = visa_letter_lines(participant, today=today)

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(left=25, top=25, right=25)
    pdf.set_auto_page_break(auto=True, margin=25)
    pdf.add_font(FONT_FAMILY, "", FONT_DIR / "DejaVuSans.ttf")
    pdf.add_font(FONT_FAMILY, "B", FONT_DIR / "DejaVuSans-Bold.ttf")
    # The document's metadata carries nothing personal: the file may be forwarded.
    pdf.set_title("Visa support letter")
    pdf.set_author(SIGNATURE)
    pdf.set_creator("UNODC NGO engagement portal")
    pdf.add_page()

    width = pdf.epw
    pdf.set_font(FONT_FAMILY, "B", 12)
    pdf.multi_cell(width, 7, letterhead, new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(0, 0, 0)
    pdf.line(pdf.l_margin, pdf.get_y() + 2, pdf.l_margin + width, pdf.get_y() + 2)
    pdf.ln(12)

    pdf.set_font(FONT_FAMILY, "", 11)
    pdf.cell(width, 6, date, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font(FONT_FAMILY, "B", 11)
    pdf.multi_cell(width, 6, subject, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(FONT_FAMILY, "", 11)
    pdf.multi_cell(width, 6, salutation, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for paragraph in (confirmation, disclaimer):
        pdf.multi_cell(width, 6, paragraph, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
    pdf.ln(14)
    pdf.multi_cell(width, 6, signature, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
