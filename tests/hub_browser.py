"""Playwright helpers for the hub's end-to-end test: Debian's Chromium (never a downloaded
browser), one browser context per person, and the few screens of JupyterHub, Notebook 7 and
nbgrader the course loop goes through. Selectors are nbgrader 0.9's own element ids."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

from submissions import solutions

CHROMIUM = "/usr/bin/chromium"
# What works here as root, in a container without a GPU or a network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SLOW = 120_000  # ms: a server spawn, a kernel run (Validate) on a loaded 2-core machine


def ensure_chromium() -> str | None:
    """Debian's Chromium, installed with apt when missing (as root); None if impossible."""
    if not Path(CHROMIUM).exists() and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], env=env,
                       capture_output=True)
    return CHROMIUM if Path(CHROMIUM).exists() else None


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                      headless=True)


class Person:
    """Someone in their own browser context (own cookies), logged in to the hub."""

    def __init__(self, browser, hub_url: str, name: str, password: str, shots: Path):
        self.hub, self.name, self.password, self.shots = hub_url, name, password, shots
        self.context = browser.new_context(viewport={"width": 1280, "height": 800})
        self.context.set_default_timeout(SLOW)
        self.page = self.context.new_page()

    def login(self, next_path: str | None = None) -> None:
        url = f"{self.hub}/hub/login" + (f"?next={next_path}" if next_path else "")
        self.page.goto(url)
        self.page.fill("#username_input", self.name)
        self.page.fill("#password_input", self.password)
        self.page.click("#login_submit")

    def shot(self, name: str, page=None) -> Path:
        path = self.shots / f"{name}.png"
        (page or self.page).screenshot(path=str(path))
        return path

    def status(self, path: str) -> int:
        """HTTP status of a GET with this person's cookies, after redirects (the hub sends a
        request for a stopped server to /hub/user/..., which then decides)."""
        return self.context.request.get(f"{self.hub}{path}", fail_on_status_code=False).status

    def close(self) -> None:
        self.context.close()


class Instructor(Person):
    def open_formgrader(self, course: str) -> None:
        self.login(f"/services/{course}/formgrader/manage_assignments")
        self.page.wait_for_url(f"**/services/{course}/formgrader/manage_assignments")

    def act(self, assignment: str, column: str) -> str:
        """Click a formgrader action (release, collect, release-feedback) for ``assignment``
        and return the text of the result dialog, which is then closed."""
        # the row whose name cell is exactly ``assignment`` (not its edition q01-qubits-ko)
        name = self.page.locator("td", has_text=re.compile(rf"^\s*{re.escape(assignment)}\s*$"))
        row = self.page.locator("tr", has=name)
        row.locator(f"td.{column} a").click()
        modal = self.page.locator(".modal.in .modal-dialog")  # Bootstrap 3: "in" once shown
        modal.get_by_text("Log Output").wait_for()
        self.page.wait_for_timeout(300)  # the fade-in, for the screenshot
        return modal.inner_text()

    def close_dialog(self) -> None:
        self.page.locator(".modal-dialog").get_by_role("button", name="OK").click()
        self.page.locator(".modal-dialog").wait_for(state="hidden")


class Student(Person):
    def open_assignments(self) -> None:
        """Log in (the hub spawns the server) and open nbgrader's Assignments tab."""
        self.login()
        self.page.wait_for_url(f"**/user/{self.name}/tree**")
        self.page.get_by_text("Nbgrader", exact=True).click()
        self.page.get_by_text("Assignment List").click()
        self.page.get_by_role("tab", name="Assignments").wait_for()

    def released(self):
        return self.page.locator("#released_assignments_list")

    def fetched(self):
        return self.page.locator("#fetched_assignments_list")

    def submitted(self):
        return self.page.locator("#submitted_assignments_list")

    def fetch(self, assignment: str) -> None:
        self.released().locator(".list_item", has_text=assignment).get_by_role(
            "button", name="Fetch").click()
        self.fetched().locator(".list_item", has_text=assignment).first.wait_for()

    def open_notebook(self, assignment: str):
        """Open the fetched notebook from the list; it opens in a new tab."""
        self.fetched().locator("a.assignment-notebooks-link", has_text=assignment).click()
        with self.context.expect_page() as info:
            self.fetched().locator(".nested_list_item a", has_text=assignment).click()
        notebook = info.value
        notebook.wait_for_load_state()
        return notebook

    @staticmethod
    def answer(notebook, starts_with: str, code: str) -> None:
        """Replace the code of the answer cell that contains ``starts_with``, then save."""
        cell = notebook.locator(".jp-CodeCell", has_text=starts_with).first
        cell.locator(".cm-content").click()
        notebook.keyboard.press("Control+A")
        notebook.keyboard.insert_text(code)  # like a paste: no auto-indent or auto-brackets
        with notebook.expect_response(lambda r: "/api/contents/" in r.url
                                      and r.request.method == "PUT") as saved:
            notebook.keyboard.press("Control+S")
        assert saved.value.ok, saved.value.status

    @staticmethod
    def validate(notebook) -> str:
        """Click nbgrader's Validate in the notebook toolbar; return the dialog's text."""
        notebook.get_by_role("button", name="Validate").click()
        dialog = notebook.locator(".jp-Dialog")
        results = dialog.get_by_text("Validation Results")
        changed = dialog.get_by_text("File Changed")
        results.or_(changed).first.wait_for()
        if changed.is_visible():
            # Validate saves first; if that save races the one just made, JupyterLab asks
            # whether to overwrite the file on disk with the open notebook: it is the same.
            dialog.get_by_role("button", name="Overwrite").click()
            results.wait_for()
        return dialog.inner_text()

    def submit(self, assignment: str) -> None:
        self.fetched().locator(".list_item", has_text=assignment).get_by_role(
            "button", name="Submit").first.click()
        self.submitted().locator(".list_item", has_text=assignment).first.wait_for()

    def fetch_feedback(self, assignment: str) -> None:
        """Fetch the released feedback and follow "(view feedback)" to its folder."""
        item = self.submitted().locator(".list_item", has_text=assignment).first
        item.get_by_role("button", name="Fetch Feedback").click()
        self.submitted().get_by_text("(view feedback)").first.click()
        self.page.locator(".jp-DirListing-item", has_text=f"{assignment}.html").wait_for()

    def open_file(self, path: str):
        """A file of one's home in a new tab, as "Open in New Browser Tab" does."""
        page = self.context.new_page()
        page.goto(f"{self.hub}/user/{self.name}/files/{quote(path)}")
        return page


def correct_notebook(course: Path, aid: str) -> str:
    """The release notebook (with its nbgrader metadata) with every answer cell replaced by
    the source's solution: a fully correct submission."""
    answers = solutions(course, aid)
    nb = json.loads((course / "release" / aid / f"{aid}.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell["source"] = answers[gid]
    return json.dumps(nb)


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
