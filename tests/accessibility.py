"""Checks of a page as a browser renders it: an accessibility check, axe-core (vendored in
tests/vendor/) run inside headless chromium against WCAG 2.0-2.2 A and AA, on a copy of
the page with the engine added (the page itself is not changed), and its layout (whether
it fits a phone, how large its charts' text is drawn). Debian's chromium runs scripts
from file:// pages; `--dump-dom` prints the DOM once the check has written its result
into it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
RUN = """
<script src="%s"></script>
<script>
axe.run(document, {runOnly: {type: "tag", values: %s}, resultTypes: ["violations"]})
  .then(function (result) {
    psw_report("axe-result", JSON.stringify(result.violations.map(function (v) {
      return {id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.map(function (n) {
                return n.target.join(" ") + ": " + n.failureSummary; })};
    })));
  });
</script>
"""


LAYOUT = """
<script>
window.addEventListener("load", function () {
  var sizes = [];
  document.querySelectorAll("figure svg").forEach(function (svg) {
    var scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    svg.querySelectorAll("text").forEach(function (text) {
      if (text.textContent.trim()) {
        sizes.push(parseFloat(getComputedStyle(text).fontSize) * scale);
      }
    });
  });
  psw_report("layout-result", JSON.stringify({
    page_width: document.documentElement.scrollWidth,
    window_width: window.innerWidth,
    smallest_chart_text: sizes.length ? Math.min.apply(null, sizes) : null
  }));
});
</script>
"""


# A check's result, to the frame the page is shown in (see _run), named by the page's
# place among the pages checked together.
REPORT = """
<script>
function psw_report(id, text) {
  window.parent.postMessage({id: id + "-%d", text: text}, "*");
}
</script>
"""
# Headless chromium's window is 500 px wide at the least, so a page is checked in a frame
# exactly `width` px wide, as wide as a phone's screen: the page's media queries, layout
# and scripts see that width; the frame relays what the check found into its own DOM.
FRAME = """<!doctype html><html lang="en"><head><title>check</title></head>
<body style="margin:0">%s<script>
window.addEventListener("message", function (event) {
  var out = document.createElement("pre");
  out.id = event.data.id;
  out.textContent = event.data.text;
  document.body.appendChild(out);
});
</script></body></html>
"""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


AXE_RUN = RUN % (AXE.resolve().as_uri(), json.dumps(TAGS))


def axe_violations(page: Path, width: int = 1280) -> list[dict]:
    """The WCAG A and AA violations axe finds on `page` at `width` px."""
    return _run([page], width, AXE_RUN, ["axe-result"])[0]["axe-result"]


def layout(page: Path, width: int) -> dict:
    """How `page` lays out in a window `width` px wide: the page's own width (wider than
    the window: the whole page scrolls sideways) and the smallest chart text as drawn on
    screen, in px (a chart narrower than its SVG is scaled down, text and all)."""
    return _run([page], width, LAYOUT, ["layout-result"])[0]["layout-result"]


def checked(pages: list[Path], width: int) -> list[tuple[list[dict], dict]]:
    """Each page's axe violations and layout at `width` px, from one browser: the pages
    side by side in frames of that width (a browser's start costs more than a check)."""
    found = _run(pages, width, AXE_RUN + LAYOUT, ["axe-result", "layout-result"])
    return [(f["axe-result"], f["layout-result"]) for f in found]


def _run(pages: list[Path], width: int, script: str, results: list[str]) -> list[dict]:
    """For each page, the JSON `script` writes into <pre id=`result`> for each of
    `results`, run on a copy of the page."""
    copies = []
    for number, page in enumerate(pages):
        html = page.read_text(encoding="utf-8")
        copy = page.with_name(f".checked-{number}-{page.name}")
        copy.write_text(
            html.replace("</body>", REPORT % number + script + "</body>", 1), encoding="utf-8"
        )
        copies.append(copy)
    frames = "".join(
        f'<iframe src="{copy.as_uri()}" title="page {number}" '
        f'style="width:{width}px;height:2000px;border:0"></iframe>'
        for number, copy in enumerate(copies)
    )
    frame = pages[0].with_name(f".frame-{pages[0].name}")
    frame.write_text(FRAME % frames, encoding="utf-8")
    try:
        done = subprocess.run(
            [
                chromium() or "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--allow-file-access-from-files",
                f"--window-size={max(width, 500) + 40},2100",
                "--virtual-time-budget=30000",
                "--dump-dom",
                frame.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        for copy in copies:
            copy.unlink(missing_ok=True)
        frame.unlink(missing_ok=True)
    return [
        {result: _result(done, f"{result}-{number}", page) for result in results}
        for number, page in enumerate(pages)
    ]


def _result(done: subprocess.CompletedProcess, name: str, page: Path):
    found = re.search(rf'<pre id="{name}">(.*?)</pre>', done.stdout, re.S)
    assert found, f"the check did not run on {page}: {done.stderr[-1000:]}"
    text = found.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")
    return json.loads(text.replace("&amp;", "&"))


def contrast(colour: str, against: str = "#ffffff") -> float:
    """WCAG's contrast ratio of two sRGB colours given as #rgb or #rrggbb."""

    def luminance(hex_colour: str) -> float:
        digits = hex_colour.lstrip("#")
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(colour), luminance(against)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def chart_colours(page: str) -> set[str]:
    """The fill and stroke colours of every chart's marks and legend symbols in `page`
    (not grid lines or text, which axe checks)."""
    import xml.etree.ElementTree as ET

    found = set()
    for svg in re.findall(r"<svg\b.*?</svg>", page, flags=re.S):
        for group in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}g"):
            kind = group.get("class", "")
            if "role-mark" in kind or "role-legend-symbol" in kind:
                for shape in group.iter():
                    for attribute in ("fill", "stroke"):
                        value = shape.get(attribute)
                        if value and value.startswith("#"):
                            found.add(value.lower())
    return found
