"""The PDF of an invoicing document (A4), drawn from its DocumentView.

Pure Python (fpdf2, no Flask): `render_pdf(document_view(invoice, client))`
returns the bytes of the PDF. Text is drawn in DejaVu Sans, vendored under
app/static/fonts/ with its licence, so that « € », accented letters and the
narrow no-break spaces of French numbers (U+202F, U+00A0) print as they are;
only the glyphs used are embedded.

Layout: seller top-left, buyer top-right (in the window of a DL envelope),
title, number and dates, the lines table (its headings repeated on every
page), charges, deposits deducted, VAT breakdown beside the totals, payment
conditions and notes, the mandatory mentions in small print at the bottom,
and on every page the seller's identity and « Page n/N ». A draft carries a
red « BROUILLON – document sans valeur » banner and a watermark on every page.
"""
from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from app.invoicing.presentation import DocumentView

FONTS_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
FONT = "DejaVu"

ACCENT = (31, 56, 100)
ACCENT_LIGHT = (232, 237, 245)
ZEBRA = (247, 248, 250)
TEXT = (33, 37, 41)
MUTED = (96, 102, 110)
RULE = (200, 205, 212)
DRAFT_RED = (190, 30, 45)
WATERMARK_TEXT = "BROUILLON"

PAGE_WIDTH = 210
MARGIN = 15
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
BOTTOM_MARGIN = 24
BUYER_X = 110
BUYER_WIDTH = PAGE_WIDTH - MARGIN - BUYER_X
LONG_NOTES = 50  # mm: longer notes leave the column beside the totals


class _DocumentPDF(FPDF):
    def __init__(self, view: DocumentView):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.view = view
        self.add_font(FONT, "", str(FONTS_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONTS_DIR / "DejaVuSans-Bold.ttf"))
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=BOTTOM_MARGIN)
        self.set_title(view.pdf_title)
        self.set_subject(view.heading)
        self.set_author(view.seller_name)
        self.set_creator("Passerelle")
        self.set_lang("fr-FR")
        self.set_draw_color(*RULE)
        self.set_text_color(*TEXT)

    # --- drawn on every page -------------------------------------------------

    def header(self):
        if self.page_no() > 1:
            self.set_xy(MARGIN, 9)
            self.set_font(FONT, "", 8)
            self.set_text_color(*MUTED)
            self.cell(CONTENT_WIDTH / 2, 5, f"{self.view.heading}")
            self.cell(CONTENT_WIDTH / 2, 5, self.view.buyer_name, align="R")
            self.set_text_color(*TEXT)
            self.line(MARGIN, 15, PAGE_WIDTH - MARGIN, 15)
            self.set_xy(MARGIN, 19)
        else:
            self.set_xy(MARGIN, MARGIN)

    def footer(self):
        if self.view.is_draft:
            # Drawn last, translucent, so that table fills do not hide it.
            with self.local_context(text_color=DRAFT_RED, fill_opacity=0.13):
                self.set_font(FONT, "B", 60)
                with self.rotation(angle=45, x=PAGE_WIDTH / 2, y=148.5):
                    self.set_xy(0, 148.5 - 12)
                    self.cell(PAGE_WIDTH, 24, WATERMARK_TEXT, align="C")
        self.set_y(-BOTTOM_MARGIN + 6)
        self.line(MARGIN, self.get_y(), PAGE_WIDTH - MARGIN, self.get_y())
        self.set_xy(MARGIN, self.get_y() + 1.5)
        self.set_font(FONT, "", 6.5)
        self.set_text_color(*MUTED)
        self.multi_cell(CONTENT_WIDTH - 28, 3.2, self.view.seller_identity, align="L")
        self.set_xy(PAGE_WIDTH - MARGIN - 28, -BOTTOM_MARGIN + 7.5)
        self.set_font(FONT, "", 7.5)
        self.cell(28, 4, f"{self.view.labels.page} {self.page_no()}/{{nb}}", align="R")
        self.set_text_color(*TEXT)

    # --- blocks ----------------------------------------------------------------

    def draft_banner(self):
        self.set_fill_color(*DRAFT_RED)
        self.set_text_color(255, 255, 255)
        self.set_font(FONT, "B", 10)
        self.cell(CONTENT_WIDTH, 7, self.view.draft_banner, align="C", fill=True,
                  new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*TEXT)
        self.ln(3)

    def parties(self):
        view = self.view
        top = self.get_y()
        # Seller, top-left.
        self.set_font(FONT, "B", 12)
        self.multi_cell(88, 5.5, view.seller_name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, "", 8.5)
        self.set_text_color(*MUTED)
        for line in view.seller_lines:
            self.multi_cell(88, 4, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*TEXT)
        seller_bottom = self.get_y()

        # Buyer, top-right, in a framed box.
        box_top = top + 12
        padding = 4
        self.set_xy(BUYER_X + padding, box_top + padding)
        self.set_font(FONT, "B", 7)
        self.set_text_color(*MUTED)
        self.cell(BUYER_WIDTH - 2 * padding, 4, view.labels.buyer.upper(),
                  new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.set_text_color(*TEXT)
        self.set_font(FONT, "B", 10.5)
        self.multi_cell(BUYER_WIDTH - 2 * padding, 5, view.buyer_name,
                        new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.set_font(FONT, "", 9)
        for line in view.buyer_lines:
            self.multi_cell(BUYER_WIDTH - 2 * padding, 4.4, line,
                            new_x=XPos.LEFT, new_y=YPos.NEXT)
        box_bottom = self.get_y() + padding
        self.rect(BUYER_X, box_top, BUYER_WIDTH, box_bottom - box_top, round_corners=True,
                  corner_radius=1.5)
        self.set_xy(MARGIN, max(seller_bottom, box_bottom) + 7)

    def title_block(self):
        view = self.view
        self.set_font(FONT, "B", 20)
        self.set_text_color(*ACCENT)
        self.cell(0, 9, view.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, "B", 11)
        if view.is_draft:
            self.set_text_color(*DRAFT_RED)
            self.cell(0, 6, view.number_label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        else:
            self.set_text_color(*TEXT)
            self.cell(0, 6, f"N° {view.number}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*TEXT)
        self.ln(2)

        # Number and dates in a light band.
        top = self.get_y()
        self.set_fill_color(*ACCENT_LIGHT)
        self.rect(MARGIN, top, CONTENT_WIDTH, 12, style="F")
        width = CONTENT_WIDTH / max(len(view.meta), 1)
        for index, (label, value) in enumerate(view.meta):
            x = MARGIN + index * width + 3
            self.set_xy(x, top + 1.5)
            self.set_font(FONT, "", 7)
            self.set_text_color(*MUTED)
            self.cell(width - 4, 4, label)
            self.set_xy(x, top + 5.8)
            self.set_font(FONT, "B", 9)
            self.set_text_color(*TEXT)
            self.cell(width - 4, 5, value)
        self.set_xy(MARGIN, top + 12 + 3)

        if view.correction_reference:
            self.set_font(FONT, "B", 9.5)
            self.multi_cell(CONTENT_WIDTH, 5, view.correction_reference,
                            new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(1)
        self.ln(2)

    def _table(self, headings, rows, col_widths, aligns, width=None, font_size=8.5):
        self.set_font(FONT, "", font_size)
        self.set_draw_color(*RULE)
        self.set_fill_color(*ZEBRA)
        headings_style = FontFace(family=FONT, emphasis="BOLD", color=(255, 255, 255),
                                  fill_color=ACCENT)
        with self.table(col_widths=col_widths, width=width or sum(col_widths), align="LEFT",
                        text_align=aligns, borders_layout="HORIZONTAL_LINES",
                        cell_fill_color=ZEBRA, cell_fill_mode="EVEN_ROWS",
                        headings_style=headings_style, line_height=4.2,
                        padding=(1.1, 1.6), repeat_headings=1, v_align="TOP") as table:
            heading = table.row()
            for text in headings:
                heading.cell(text)
            for values in rows:
                row = table.row()
                for text in values:
                    row.cell(text)
        self.set_x(MARGIN)

    def section_title(self, text, needed=14):
        if self.will_page_break(needed):
            self.add_page()
        self.ln(2)
        self._heading(text, CONTENT_WIDTH)

    def lines_table(self):
        labels = self.view.labels
        self._table(
            (labels.designation, labels.quantity, labels.unit_price_ht, labels.discount,
             labels.vat_rate, labels.total_ht),
            [(row.label, row.quantity, row.unit_price_ht, row.discount, row.vat_rate,
              row.total_ht) for row in self.view.lines],
            col_widths=(78, 16, 25, 16, 16, 29),
            aligns=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"))

    def charges_table(self):
        view = self.view
        if not view.charges:
            return
        labels = view.labels
        self.section_title(labels.charges)
        self._table(
            (labels.charge_kind, labels.charge_label, labels.charge_basis, labels.vat_rate,
             labels.amount_ht),
            [(row.kind, row.label, row.basis, row.vat_rate, row.total_ht)
             for row in view.charges],
            col_widths=(20, 62, 53, 16, 29),
            aligns=("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT"))

    def deposits_table(self):
        view = self.view
        if not view.deposits:
            return
        labels = view.labels
        self.section_title(labels.deposits)
        self._table((labels.deposit_number, labels.deposit_date, labels.deposit_amount),
                    [(row.number, row.date, row.total_ttc) for row in view.deposits],
                    col_widths=(50, 30, 35), aligns=("LEFT", "LEFT", "RIGHT"))

    def _left_column_height(self, width):
        """Height of the VAT breakdown, payment conditions and notes (estimate)."""
        view = self.view
        height = 0.0
        if view.show_vat and view.vat_breakdown:
            height += 6 + (len(view.vat_breakdown) + 1) * 6.8 + 3
        self.set_font(FONT, "", 8.5)
        for text in (view.payment_terms, view.notes):
            if text:
                height += 8 + self.multi_cell(width, 4.2, text, dry_run=True, output="HEIGHT")
        return height

    def totals_block(self):
        """Totals on the right; on the left the VAT breakdown, the payment
        conditions and the notes."""
        view = self.view
        labels = view.labels
        row_height = 6.2
        left_width = 92
        right_width = 82
        totals_height = sum(row_height + (1 if row.strong else 0) for row in view.totals)
        self.ln(4)
        if self.will_page_break(max(totals_height, min(self._left_column_height(left_width),
                                                      80))):
            self.add_page()
        top = self.get_y()

        # Right: the totals.
        x = PAGE_WIDTH - MARGIN - right_width
        y = top
        for row in view.totals:
            self.set_xy(x, y)
            if row.strong:
                self.set_fill_color(*ACCENT)
                self.set_text_color(255, 255, 255)
                self.set_font(FONT, "B", 10)
                self.cell(right_width - 34, row_height + 1, f"  {row.label}", fill=True)
                self.cell(34, row_height + 1, f"{row.amount}  ", align="R", fill=True)
                y += row_height + 1
                self.set_text_color(*TEXT)
            else:
                self.set_font(FONT, "", 9)
                self.cell(right_width - 34, row_height, f"  {row.label}", border="B")
                self.set_font(FONT, "B", 9)
                self.cell(34, row_height, f"{row.amount}  ", align="R", border="B")
                y += row_height
        totals_page, totals_bottom = self.page, y

        # Left: VAT breakdown, payment conditions, notes.
        self.set_xy(MARGIN, top)
        if view.show_vat and view.vat_breakdown:
            self._heading(labels.vat_breakdown, left_width)
            self._table((labels.vat_rate_long, labels.vat_base, labels.vat_amount),
                        [(row.rate, row.base_ht, row.vat) for row in view.vat_breakdown],
                        col_widths=(22, 35, 35), aligns=("LEFT", "RIGHT", "RIGHT"))
            self.ln(3)
        self.set_font(FONT, "", 8.5)
        long_notes = bool(view.notes) and self.multi_cell(
            left_width, 4.2, view.notes, dry_run=True, output="HEIGHT") > LONG_NOTES
        for title, text in ((labels.payment_terms, view.payment_terms),
                            (labels.notes, "" if long_notes else view.notes)):
            if not text:
                continue
            if self.will_page_break(12):
                self.add_page()
            self._heading(title, left_width)
            self.set_font(FONT, "", 8.5)
            self.multi_cell(left_width, 4.2, text, align="L", new_x=XPos.LMARGIN,
                            new_y=YPos.NEXT)
            self.ln(2)
        bottom = max(self.get_y(), totals_bottom) if self.page == totals_page else self.get_y()
        self.set_xy(MARGIN, bottom + 2)
        if long_notes:
            # Too long for the column beside the totals: full width, below.
            self.section_title(labels.notes, needed=16)
            self.set_font(FONT, "", 8.5)
            self.multi_cell(CONTENT_WIDTH, 4.2, view.notes, align="L", new_x=XPos.LMARGIN,
                            new_y=YPos.NEXT)

    def _heading(self, text, width):
        self.set_font(FONT, "B", 9.5)
        self.set_text_color(*ACCENT)
        self.cell(width, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*TEXT)

    def mentions(self):
        view = self.view
        if not view.mentions:
            return
        self.set_font(FONT, "", 7)
        text = "\n".join(view.mentions)
        height = self.multi_cell(CONTENT_WIDTH, 3.3, text, align="L", dry_run=True,
                                 output="HEIGHT") + 5.5
        self.ln(4)
        if not self.will_page_break(height):
            # Small print at the foot of the last page.
            self.set_y(self.page_break_trigger - height)
        self.line(MARGIN, self.get_y(), MARGIN + 40, self.get_y())
        self.ln(1.5)
        self.set_font(FONT, "B", 7)
        self.set_text_color(*MUTED)
        self.cell(0, 3.5, view.labels.mentions, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, "", 7)
        self.multi_cell(CONTENT_WIDTH, 3.3, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*TEXT)


def render_pdf(view: DocumentView) -> bytes:
    """The A4 PDF of a document, as bytes (starts with %PDF)."""
    pdf = _DocumentPDF(view)
    pdf.add_page()
    if view.is_draft:
        pdf.draft_banner()
    pdf.parties()
    pdf.title_block()
    pdf.lines_table()
    pdf.charges_table()
    pdf.deposits_table()
    pdf.totals_block()
    pdf.mentions()
    return bytes(pdf.output())
