"""An accessibility check of a page as a browser renders it: axe-core (vendored in
tests/vendor/) run inside headless chromium against WCAG 2.0-2.2 A and AA, on a copy of
the page with the engine added (the page itself is not changed). Debian's chromium runs
scripts from file:// pages; `--dump-dom` prints the DOM once the check has written its
result into it."""

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
    var out = document.createElement("pre");
    out.id = "axe-result";
    out.textContent = JSON.stringify(result.violations.map(function (v) {
      return {id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.map(function (n) {
                return n.target.join(" ") + ": " + n.failureSummary; })};
    }));
    document.body.appendChild(out);
  });
</script>
"""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def axe_violations(page: Path, width: int = 1280) -> list[dict]:
    """The WCAG A and AA violations axe finds on `page` at `width` px."""
    html = page.read_text(encoding="utf-8")
    checked = page.with_name(f".axe-{page.name}")
    script = RUN % (AXE.resolve().as_uri(), json.dumps(TAGS))
    checked.write_text(html.replace("</body>", script + "</body>", 1), encoding="utf-8")
    try:
        done = subprocess.run(
            [
                chromium() or "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--allow-file-access-from-files",
                f"--window-size={width},2000",
                "--virtual-time-budget=30000",
                "--dump-dom",
                checked.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        checked.unlink(missing_ok=True)
    found = re.search(r'<pre id="axe-result">(.*?)</pre>', done.stdout, re.S)
    assert found, f"axe did not run on {page}: {done.stderr[-1000:]}"
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
