"""The inbox in a real browser: headless Chromium (JavaScript off) driven by selenium.

``review-panel inbox`` serves the CLI's checkpoints with both sign-in modes on; reviews are
made against the loopback model and GitHub (see ``inbox_env.py``). Every interaction that
answers a draft uses the keyboard, and the browser runs without JavaScript, so these tests
also show the pages work as plain HTML forms. The run saves screenshots of the inbox and of
a draft into ``docs/`` (the README shows them).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from tests.conftest import ROOT
from tests.integration.inbox_env import HOSTILE_DIFF, IMG, INBOX_TOKEN, LINK, SCRIPT, World, world

pytestmark = pytest.mark.server

DOCS = ROOT / "docs"
TALL = (1280, 2200)


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from world(tmp_path_factory.mktemp("inbox-browser"))


@pytest.fixture
def browser(chromium: Any) -> Any:
    """The shared browser, signed out: no cookie of an earlier test survives."""
    chromium.delete_all_cookies()
    chromium.set_window_size(1280, 900)
    return chromium


def sign_in_with_link(browser: Any, w: World) -> None:
    browser.get(w.inbox.sign_in_link)
    assert browser.current_url == f"{w.inbox.url}/inbox"


def press_enter(browser: Any, element: Any) -> None:
    """Focus ``element`` and press Enter, by keyboard; return once the next page has loaded.

    The key goes to whatever has focus (not to the element, which the navigation destroys),
    and the wait is for the old page's document to go stale: the submit's answer arrived.
    """
    element.send_keys(Keys.SHIFT)  # a harmless key: it moves the focus there
    old = browser.find_element(By.TAG_NAME, "html")
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    WebDriverWait(browser, 30).until(expected_conditions.staleness_of(old))


def assert_every_control_is_labelled(browser: Any) -> None:
    """Each field a person fills is named for a screen reader and reachable with Tab."""
    controls = browser.find_elements(
        By.CSS_SELECTOR, "main textarea, main input:not([type=hidden]), main button"
    )
    assert controls
    for control in controls:
        assert control.get_attribute("tabindex") in (None, "0"), control.get_attribute("name")
        if control.tag_name == "button":
            assert control.text.strip()
            continue
        own = control.get_attribute("id")
        labelled = (own and browser.find_elements(By.CSS_SELECTOR, f'label[for="{own}"]')) or (
            control.find_elements(By.XPATH, "ancestor::label")
        )
        assert labelled, control.get_attribute("name")


def text(browser: Any) -> str:
    return str(browser.find_element(By.TAG_NAME, "body").text)


def test_sign_in_with_the_printed_link_lists_paused_reviews_newest_first(
    browser: Any, w: World
) -> None:
    older, _ = w.pull()
    local = w.local("n_plus_one.diff")
    newer, number = w.pull()
    browser.get(f"{w.inbox.url}/inbox")
    assert browser.current_url.startswith(f"{w.inbox.url}/inbox/login")
    sign_in_with_link(browser, w)
    rows = browser.find_elements(By.CSS_SELECTOR, "table.list tbody tr")
    links = [r.find_element(By.TAG_NAME, "a").get_attribute("href") for r in rows]
    ids = [link.rsplit("/", 1)[-1] for link in links]
    assert ids.index(newer) < ids.index(local) < ids.index(older)
    first = rows[ids.index(newer)].text
    assert f"octo/app#{number}" in first
    assert hashlib.sha1(f"octo/app#{number}".encode()).hexdigest()[:12] in first  # head SHA
    assert "REQUEST_CHANGES" in first and "high" in first
    DOCS.mkdir(exist_ok=True)
    browser.save_screenshot(str(DOCS / "inbox.png"))


def test_sign_in_with_the_token_typed_into_the_form(browser: Any, w: World) -> None:
    browser.get(f"{w.inbox.url}/inbox/login")
    field = browser.find_element(By.ID, "token")
    field.send_keys(INBOX_TOKEN)
    press_enter(browser, field)
    assert browser.current_url == f"{w.inbox.url}/inbox"
    assert "Paused reviews" in text(browser)


def test_edit_one_comment_drop_one_and_approve_by_keyboard_posts_exactly_one_review(
    browser: Any, w: World
) -> None:
    thread_id, number = w.pull()
    draft = w.inbox.state(thread_id)["draft"]
    inline = [c for c in draft["comments"] if c["anchor"]]
    assert len(inline) >= 2, draft["comments"]
    edited, dropped = inline[0], inline[1]
    sign_in_with_link(browser, w)
    browser.get(f"{w.inbox.url}/inbox/{thread_id}")
    page = text(browser)
    assert draft["summary"] in page
    assert edited["path"] in page and edited["title"] in page
    browser.set_window_size(*TALL)
    browser.save_screenshot(str(DOCS / "draft.png"))
    assert_every_control_is_labelled(browser)

    browser.find_element(
        By.CSS_SELECTOR, f'input[name="action.{edited["id"]}"][value="edit"]'
    ).send_keys(Keys.SPACE)
    box = browser.find_element(By.ID, f"body-{edited['id']}")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys("Use a bound parameter here, please.")
    browser.find_element(
        By.CSS_SELECTOR, f'input[name="action.{dropped["id"]}"][value="drop"]'
    ).send_keys(Keys.SPACE)
    press_enter(browser, browser.find_element(By.CSS_SELECTOR, 'button[value="approve"]'))

    assert browser.current_url == f"{w.inbox.url}/inbox/{thread_id}"
    (review,) = w.github.reviews("octo", "app", number)
    bodies = [c["body"] for c in review["comments"]]
    assert "Use a bound parameter here, please." in bodies
    assert not any(dropped["title"] in b for b in [*bodies, review["body"]])
    link = browser.find_element(By.PARTIAL_LINK_TEXT, "pullrequestreview-")
    assert link.get_attribute("href") == review["html_url"]


def test_without_sign_in_the_browser_lands_on_sign_in_and_sees_no_draft_text(
    browser: Any, w: World
) -> None:
    thread_id, _ = w.pull()
    draft = w.inbox.state(thread_id)["draft"]
    browser.get(f"{w.inbox.url}/inbox/{thread_id}")
    assert browser.current_url.startswith(f"{w.inbox.url}/inbox/login?next=")
    source = browser.page_source
    assert draft["summary"] not in source
    assert all(c["title"] not in source for c in draft["comments"])


def sign_in_with_github(browser: Any, w: World, login: str) -> None:
    w.github.sign_in_browser(login)
    browser.get(f"{w.inbox.url}/inbox")
    press_enter(browser, browser.find_element(By.LINK_TEXT, "Sign in with GitHub"))
    assert browser.current_url == f"{w.inbox.url}/inbox", text(browser)
    assert f"@{login}" in text(browser)


def test_github_sign_in_shows_drafts_of_repositories_the_user_may_write(
    browser: Any, w: World
) -> None:
    thread_id, number = w.pull()
    local = w.local("naming.diff")
    w.github.set_permission("octo", "app", "alice", "write")
    sign_in_with_github(browser, w, "alice")
    listed = [
        a.get_attribute("href").rsplit("/", 1)[-1]
        for a in browser.find_elements(By.CSS_SELECTOR, "table.list a")
    ]
    assert thread_id in listed
    assert local not in listed  # a local diff is for token mode only
    browser.get(f"{w.inbox.url}/inbox/{thread_id}")
    assert f"octo/app#{number}" in text(browser)


def test_a_signed_in_user_without_write_access_gets_403(browser: Any, w: World) -> None:
    thread_id, _ = w.pull()
    draft = w.inbox.state(thread_id)["draft"]
    w.github.set_permission("octo", "app", "bob", "read")
    sign_in_with_github(browser, w, "bob")
    assert thread_id not in browser.page_source
    browser.get(f"{w.inbox.url}/inbox/{thread_id}")
    assert "Not allowed" in browser.title
    assert "write permission" in text(browser)
    assert draft["summary"] not in browser.page_source


class _Attacker(BaseHTTPRequestHandler):
    """Another site's page (another port of the same host, so SameSite lets the cookie through)
    with a form that posts an approval to the inbox without the CSRF token."""

    target = ""

    def do_GET(self) -> None:
        body = (
            f'<form method="post" action="{self.target}"><input type="hidden" name="action" '
            'value="approve"><button id="go">Win a prize</button></form>'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_a_form_posted_without_its_csrf_token_gets_403(browser: Any, w: World) -> None:
    thread_id, number = w.pull()
    sign_in_with_link(browser, w)
    _Attacker.target = f"{w.inbox.url}/inbox/{thread_id}/decision"
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Attacker)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        browser.get(f"http://127.0.0.1:{server.server_address[1]}/")
        press_enter(browser, browser.find_element(By.ID, "go"))
        assert "CSRF token is missing" in text(browser)
    finally:
        server.shutdown()
        server.server_close()
    assert w.inbox.state(thread_id)["status"] == "awaiting approval"
    assert w.github.reviews("octo", "app", number) == []


def test_a_hostile_finding_renders_as_inert_text(browser: Any, w: World) -> None:
    thread_id, _ = w.pull(HOSTILE_DIFF, repo="hostile")
    sign_in_with_link(browser, w)
    browser.get(f"{w.inbox.url}/inbox/{thread_id}")
    page = text(browser)
    assert SCRIPT in page  # the title, shown character for character
    assert LINK in page and IMG in page  # the rationale
    main = browser.find_element(By.TAG_NAME, "main")
    assert main.find_elements(By.TAG_NAME, "script") == []
    assert main.find_elements(By.TAG_NAME, "img") == []
    assert main.find_elements(By.CSS_SELECTOR, 'a[href^="javascript"]') == []
    assert "pwned" not in browser.title
