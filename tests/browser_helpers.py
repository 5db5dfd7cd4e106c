"""Assertions for browser tests: the accessibility scan (axe-core) of the page on screen.

The French public-sector accessibility standard (RGAA) follows WCAG 2.1 AA, so the scan runs
the WCAG 2.0/2.1 A and AA rules. axe-core itself comes from the `axe-playwright-python`
wheel, which vendors `axe.min.js`: no network, and the version moves with the lock.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
MAX_TARGETS_SHOWN = 3


@cache
def axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def inject_axe(page: Any) -> None:
    # Not `page.add_script_tag`: it inserts an inline <script>, which our own
    # Content-Security-Policy (`script-src 'self'`) rightly blocks. Evaluating the source
    # through the DevTools protocol is not subject to the page's CSP, and keeps the CSP
    # switched on for the rest of the test instead of using `bypass_csp`.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source() + "\n;undefined")


def axe_violations(page: Any, *, tags: list[str] | None = None) -> list[dict]:
    inject_axe(page)
    result = page.evaluate(
        """async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})""",
        tags or WCAG_TAGS,
    )
    return result["violations"]


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        targets = [
            " ".join(str(part) for part in node["target"])
            if isinstance(node["target"], list)
            else str(node["target"])
            for node in violation["nodes"]
        ]
        shown = ", ".join(targets[:MAX_TARGETS_SHOWN])
        more = len(targets) - MAX_TARGETS_SHOWN
        if more > 0:
            shown += f" (+{more} more)"
        lines.append(
            f"- {violation['id']} [{violation.get('impact') or 'n/a'}]: {violation['help']}"
            f" — {len(targets)} element(s): {shown}"
        )
    return "\n".join(lines)


def assert_no_axe_violations(page: Any, *, tags: list[str] | None = None) -> None:
    """Fail with one readable line per violated rule if axe finds any WCAG A/AA problem."""
    violations = axe_violations(page, tags=tags)
    assert not violations, (
        f"{len(violations)} accessibility rule(s) violated on {page.url}:\n"
        + format_violations(violations)
    )
