"""The review page in a real browser (issue 20): Debian's chromium driven by Selenium through
Debian's chromium-driver (`make browser` installs both; the test is skipped without them).

A scripted reviewer, keyboard only, opens a DOCX job, shows the flagged segments, corrects
one target around its bold tag chips, and in the other deletes a chip (the live tag check
says so) then inserts memory match 1 with Alt+1; both are approved with Ctrl+Enter. The
exported DOCX holds the corrections with the bold kept, the memory holds them as approved
units, and a second `dilmanc translate --tm` run takes them from the memory. Screenshots go
to a temp folder ($DILMANC_ARTIFACTS when set, for CI); the page must log no console errors.
It also times the page opening a 500-segment job."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import docx
import pytest
from doubles import DictEngine, use_for_every_model
from review_fixtures import GOOD, MEMORY_UNIT, make_service, write_docx

from dilmanc.memory import Memory, TMUnit
from dilmanc.review.jobs import JobStore
from dilmanc.review.make import translate_file
from dilmanc.review.web import review_app

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="needs Debian's chromium and chromium-driver (make browser, as root)",
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser(tmp_path):
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,900"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def artifacts() -> Path:
    folder = Path(os.environ.get("DILMANC_ARTIFACTS") or tempfile.mkdtemp(prefix="review-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _serve(app) -> tuple[str, callable]:
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)

    def stop():
        server.should_exit = True
        thread.join(10)
        sock.close()

    return f"http://127.0.0.1:{port}", stop


def _console_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def _correct(driver, prefix_old: str, prefix_new: str, tail_old: str, tail_new: str) -> None:
    """Keyboard only, in the focused target (caret at its end): replace the text after the
    closing tag chip and the text before the opening one; the chips stay."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    actions = ActionChains(driver)
    for _ in tail_old:
        actions.send_keys(Keys.BACKSPACE)
    actions.send_keys(tail_new).send_keys(Keys.HOME)
    actions.key_down(Keys.SHIFT)
    for _ in prefix_old:
        actions.send_keys(Keys.ARROW_RIGHT)
    actions.key_up(Keys.SHIFT).send_keys(prefix_new).perform()


def _approve(driver, index: int) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    ActionChains(driver).key_down(Keys.CONTROL).send_keys(Keys.ENTER).key_up(Keys.CONTROL).perform()
    status = f"#seg-{index} .status-text"
    WebDriverWait(driver, 10).until(
        lambda d: d.find_element("css selector", status).text == "approved"
    )


def test_a_reviewer_corrects_and_approves_two_segments_by_keyboard(
    browser, artifacts, monkeypatch, cli, tmp_path
):
    import requests
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    engine = use_for_every_model(monkeypatch, DictEngine(dict(GOOD)))
    with Memory.open(tmp_path / "tm.db") as memory:
        memory.add_units([TMUnit(*MEMORY_UNIT, "az", "en")])
    service = make_service(tmp_path / "tm.db", engine)
    store = JobStore(tmp_path / "jobs")
    source = write_docx(tmp_path / "r.az.docx")
    job = translate_file(store, service, source, "en", owner=None)
    base, stop = _serve(review_app(store, service))
    try:
        browser.get(f"{base}/review/jobs/{job.id}")
        browser.save_screenshot(str(artifacts / "review-opened.png"))
        Select(browser.find_element("id", "filter")).select_by_value("flagged")
        shown = [r.get_attribute("id") for r in browser.find_elements("css selector", "tbody tr")]
        shown = [i for i in shown if browser.find_element("id", i).is_displayed()]
        assert shown == ["seg-0", "seg-2"]  # the flagged segments, first and only
        assert "QE: Bad" in browser.find_element("id", "qe-0").text  # readable without colour
        browser.find_element("tag name", "body").click()
        ActionChains(browser).key_down(Keys.ALT).send_keys("n").key_up(Keys.ALT).perform()
        assert browser.switch_to.active_element.get_attribute("id") == "tgt-0"
        _correct(browser, "<en> Dünən şəhərdə ", "Yesterday a ", " körpü açıldı.", " bridge.")
        _approve(browser, 0)
        # Ctrl+Enter moved to the next shown segment, the other flagged one
        assert browser.switch_to.active_element.get_attribute("id") == "tgt-2"
        tags = browser.find_element("id", "tags-2")
        assert tags.text.startswith("✔ Tags: 2 of 2")
        # Backspace over " çıxış etdi." and the closing chip: the check names the lost tag
        ActionChains(browser).send_keys(Keys.BACKSPACE * 13).perform()
        assert "✖ Tags: missing </g1>" in tags.text
        assert "80%" in browser.find_element("id", "match-2-1").text
        ActionChains(browser).key_down(Keys.ALT).send_keys("1").key_up(Keys.ALT).perform()
        assert tags.text.startswith("✔ Tags: 2 of 2")
        assert browser.switch_to.active_element.get_attribute("id") == "tgt-2"
        _approve(browser, 2)
        browser.save_screenshot(str(artifacts / "review-approved.png"))
        href = browser.find_element("id", "export-document").get_attribute("href")
        exported = requests.get(href, timeout=30)
        assert exported.status_code == 200
        assert _console_errors(browser) == []
    finally:
        stop()
        service.close()
    out = tmp_path / "exported.docx"
    out.write_bytes(exported.content)
    paragraphs = docx.Document(out).paragraphs
    assert paragraphs[0].text == "Yesterday a yeni bridge."
    assert [r.text for r in paragraphs[0].runs if r.bold] == ["yeni"]
    assert paragraphs[2].text == "The minister spoke in Baku."
    assert [r.text for r in paragraphs[2].runs if r.bold] == ["Baku"]
    with Memory.open(tmp_path / "tm.db") as memory:
        match = memory.lookup("Nazir <g1>Bakıda</g1> çıxış etdi.", "az", "en")[0]
    assert (match.kind, match.unit.origin, match.target) == ("exact", "review", MEMORY_UNIT[1])
    engine.calls.clear()
    args = ["translate", source, "--to", "en", "-m", "double", "--tm", tmp_path / "tm.db"]
    assert cli([*args, "-o", tmp_path / "again", "--no-cache", "-q"]).code == 0
    sent = [text for _, batch in engine.calls for text in batch]
    assert not any("Dünən" in text or "Nazir" in text for text in sent), sent
    again = docx.Document(tmp_path / "again" / "r.en.docx").paragraphs
    assert again[0].text == "Yesterday a yeni bridge."


def test_the_page_opens_a_500_segment_job_quickly(browser, artifacts, monkeypatch, tmp_path):
    engine = use_for_every_model(monkeypatch, DictEngine(dict(GOOD)))
    service = make_service(tmp_path / "tm.db", engine)
    store = JobStore(tmp_path / "jobs")
    source = write_docx(tmp_path / "big.az.docx", extra=496)
    job = translate_file(store, service, source, "en", owner=None)
    assert len(job.segments) == 500
    base, stop = _serve(review_app(store, service))
    try:
        url = f"{base}/review/jobs/{job.id}"
        browser.get(url)  # warm: the first load pays for the browser's own start-up
        timings = []
        for _ in range(3):
            browser.get(url)
            timings.append(
                browser.execute_script(
                    "var t = performance.getEntriesByType('navigation')[0];"
                    "return t.loadEventEnd - t.startTime;"
                )
            )
        browser.save_screenshot(str(artifacts / "review-500.png"))
        assert len(browser.find_elements("css selector", "tbody tr")) == 500
        assert _console_errors(browser) == []
    finally:
        stop()
        service.close()
    best = min(timings)
    print(f"\n500-segment job page load (ms, 3 runs): {[round(t) for t in timings]}")
    assert best < 1000, timings
