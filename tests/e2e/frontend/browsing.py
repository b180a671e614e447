"""A person's browser on the web app: one context per session, what it requested, what went wrong
in it (console errors, uncaught exceptions, CSP violations), screenshots and page checks."""

from __future__ import annotations

import base64
import itertools
import json
import mimetypes
from pathlib import Path

from playwright.sync_api import Browser, Page, Request

PASSWORD = "violet-harbour-lantern-42"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 360, "height": 780}
A11Y_SCRIPT = (Path(__file__).with_name("page_checks.js")).read_text()
_emails = itertools.count(1)

# Recorded before any page script runs: every CSP violation the page meets.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


class BrowserSession:
    def __init__(self, browser: Browser, base_url: str, artifacts: Path):
        self.base_url = base_url
        self.artifacts = artifacts
        self.context = browser.new_context(viewport=DESKTOP, accept_downloads=True, base_url=base_url)
        self.context.add_init_script(RECORD_VIOLATIONS)
        self.requests: list[Request] = []
        self.problems: list[str] = []
        self.context.on("request", lambda request: self.requests.append(request))
        self.page: Page = self.context.new_page()
        self.page.on("pageerror", lambda exc: self.problems.append(f"uncaught: {exc}"))
        self.page.on("console", self._console)

    def _console(self, message) -> None:
        # the browser logs every non-2xx fetch as an error; those are API answers the page shows
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.problems.append(f"console: {message.text}")

    def close(self) -> None:
        self.context.close()

    # -- what a person does ----------------------------------------------------------------
    def goto(self, path: str) -> Page:
        self.page.goto(path)
        if not path.startswith("/admin"):  # the web app's pages (the console has no page module)
            self.ready()
        return self.page

    def ready(self) -> None:
        """Wait until the page's module has bound its forms (a click before that is lost)."""
        self.page.locator("html[data-ready]").wait_for(state="attached")

    def sign_up(self, email: str | None = None, password: str = PASSWORD) -> str:
        email = email or f"person{next(_emails)}@example.com"
        page = self.goto("/signup")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Create account").click()
        page.wait_for_url("**/create")
        page.wait_for_selector(".template-card")
        return email

    def drop_file(self, selector: str, path: Path) -> None:
        """Drag a file from the desktop onto ``selector`` (dragenter, dragover, drop)."""
        payload = {"name": path.name, "type": mimetypes.guess_type(path.name)[0] or "",
                   "data": base64.b64encode(path.read_bytes()).decode()}
        transfer = self.page.evaluate_handle("""(file) => {
            const bytes = Uint8Array.from(atob(file.data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], file.name, { type: file.type }));
            return transfer;
        }""", payload)
        for event in ("dragenter", "dragover", "drop"):
            self.page.dispatch_event(selector, event, {"dataTransfer": transfer})

    def api_requests(self, path_part: str, method: str | None = None) -> list[Request]:
        return [r for r in self.requests if path_part in r.url and (method is None or r.method == method)]

    # -- what is checked on every main screen -------------------------------------------------
    def check_page(self) -> dict:
        """Labels, button names, contrast (WCAG AA) and CSP violations of the current page."""
        report = self.page.evaluate(A11Y_SCRIPT)
        report["csp"] = self.page.evaluate("window.__cspViolations || []")
        return report

    def snap(self, name: str, *, check: bool = True, phone_width: int | None = None) -> None:
        """Screenshots at desktop and phone width (artifacts), and the page checks at both;
        ``phone_width``: another phone than the narrowest one (e.g. 390)."""
        phone = {**PHONE, "width": phone_width} if phone_width else PHONE
        for label, size in (("desktop", DESKTOP), ("phone", phone)):
            self.page.set_viewport_size(size)
            self.page.wait_for_timeout(150)  # let layout settle after the resize
            self.page.screenshot(path=str(self.artifacts / f"{name}-{label}.png"), full_page=True)
            if check:
                report = self.check_page()
                problems = {k: v for k, v in report.items() if v}
                assert not problems, f"{name} at {label} width: {json.dumps(problems, indent=1)[:3000]}"
        self.page.set_viewport_size(DESKTOP)
        assert not self.problems, self.problems
