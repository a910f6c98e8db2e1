"""The report's accessibility statement (`accessibility.html`), in the shape the UK's
public sector accessibility regulations ask for (how accessible the site is, what is not,
how it was tested, how to report a problem), and the contact every page links."""

from __future__ import annotations

from markupsafe import Markup

from psw.site import blocks as b
from psw.site.blocks import Links

PAGE = "accessibility.html"
NOTE = "This statement applies to the national report: its pages and its downloads."


def contact_link(contact: str | None) -> str:
    """The contact as a link (an email address or a web address), or what to do without."""
    if not contact:
        return "No contact has been set for this copy of the report (PSW_CONTACT)."
    href = contact if contact.startswith(("https://", "http://")) else f"mailto:{contact}"
    return str(Markup("<a href='{}'>{}</a>").format(href, contact))


def accessibility_page(stamp: str, links: Links, footer: Links, contact: str | None) -> str:
    reach = contact_link(contact)
    sections = [
        b.section(
            "How accessible the report is",
            "<p>The pages are meant to be read by everyone: at any zoom up to 400%, with "
            "a keyboard alone, with a screen reader, and on a phone. Every chart has a "
            "text description and is followed by a table of its figures; every table has "
            "a caption and column headers, and one that is wider than the screen scrolls "
            "inside its own box, which the keyboard can reach. The pages use no script, "
            "fetch nothing from elsewhere, and use the NHS's colours and type.</p>",
        ),
        b.section(
            "What is not fully accessible",
            "<ul><li>A chart's marks are told apart by colour and position; the table "
            "below each chart gives the same figures.</li><li>Long category names in a "
            "chart are cut short; the table below has them whole.</li><li>The Excel "
            "workbook has one sheet per table with a header row, and no other "
            "structure.</li></ul>",
        ),
        b.section(
            "How the report was tested",
            "<p>Every release of the platform checks the report's pages in a browser "
            "(Chromium) with axe-core against WCAG 2.2 levels A and AA, on a desktop "
            "screen (1,280 pixels wide) and a phone's (390 pixels), and checks that no "
            "page scrolls sideways on a phone and no chart's text is drawn smaller than "
            "11 pixels. The pages meet WCAG 2.2 AA in those checks; automated checks "
            "find about half of all problems, so tell us of any you meet.</p>",
        ),
        b.section(
            "Reporting a problem, or asking for another format",
            str(Markup("<p id='contact'>Contact: {}</p>").format(Markup(reach))),
            "<p>If you are not happy with how we respond, contact the Equality Advisory "
            "and Support Service (EASS).</p>",
        ),
    ]
    return b.report_page("Accessibility statement", stamp, NOTE, sections, links, footer)
