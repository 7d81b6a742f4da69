"""Make the README's pictures of the Korean edition (run by hand after the Korean text changes):

    .venv/bin/python docs/img/screenshots.py

- ko-notebook.png: dc01-power-ko, run as a learner has it, in JupyterLab with its menus in
  Korean (the language pack), at the first figure;
- ko-feedback.png: the feedback `academy grade` gives a Korean submission that solved the
  first exercise and made a named mistake in the second.

Debian's Chromium through Playwright, as tests/test_hub_e2e.py uses it; nothing is downloaded.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tests")]

from hub_browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from submissions import copy_course, solutions, submit  # noqa: E402

AID = "dc01-power-ko"
BIN = Path(sys.executable).parent


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def notebook_shot(browser, work: Path, out: Path) -> None:
    """JupyterLab in Korean on an executed copy of the release."""
    folder = work / "lab"
    shutil.copytree(ROOT / "release" / AID, folder)
    subprocess.run([BIN / "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace",
                    "--allow-errors", f"{AID}.ipynb"], cwd=folder, check=True, capture_output=True)
    settings = work / "settings" / "@jupyterlab" / "translation-extension"
    settings.mkdir(parents=True)
    (settings / "plugin.jupyterlab-settings").write_text(json.dumps({"locale": "ko_KR"}))
    news = work / "settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    port = _port()
    lab = subprocess.Popen([BIN / "jupyter", "lab", "--no-browser", f"--port={port}",
                            "--ServerApp.token=", "--ServerApp.password=", "--allow-root",
                            f"--LabApp.user_settings_dir={work / 'settings'}",
                            f"--LabApp.workspaces_dir={work / 'workspaces'}"],
                           cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(120_000)
        for _ in range(60):
            try:
                page.goto(f"http://127.0.0.1:{port}/lab/tree/{AID}.ipynb")
                break
            except Exception:
                time.sleep(1)
        page.wait_for_selector(".jp-Notebook .jp-OutputArea-output img")
        page.wait_for_timeout(3000)
        page.locator(".jp-Notebook .jp-OutputArea-output img").first.scroll_into_view_if_needed()
        page.wait_for_timeout(1000)
        page.screenshot(path=str(out))
    finally:
        lab.terminate()
        lab.wait(timeout=30)


def feedback_shot(browser, work: Path, out: Path) -> None:
    (work / "course").mkdir()
    course = copy_course(ROOT, work / "course", gradebook=True)
    right = solutions(course, AID)
    # exercise 1 solved, exercise 2 with a named mistake (hours instead of minutes)
    hours = right["q2-ups-runtime"].replace("return 60.0 * delivered_wh / load_w",
                                            "return delivered_wh / load_w")
    submit(course, AID, "learner", {"q1-pue": right["q1-pue"], "q2-ups-runtime": hours})
    subprocess.run([BIN / "academy", "grade", AID, "--workers", "1"], cwd=course,
                   env=os.environ | {"ACADEMY_VARIANTS": "1"}, capture_output=True)
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    html = course / "feedback" / "learner" / AID / f"{AID}.html"
    page.goto(html.as_uri())
    hint = page.locator(".output_error", has_text="힌트").first  # the first failed test's message
    hint.scroll_into_view_if_needed()
    page.mouse.wheel(0, 250)
    page.wait_for_timeout(500)
    page.screenshot(path=str(out))


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="academy-shots-") as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        notebook_shot(browser, Path(tmp), ROOT / "docs" / "img" / "ko-notebook.png")
        feedback_shot(browser, Path(tmp), ROOT / "docs" / "img" / "ko-feedback.png")
        browser.close()
    print("wrote docs/img/ko-notebook.png and docs/img/ko-feedback.png")


if __name__ == "__main__":
    main()
