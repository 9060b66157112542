"""
The person at the browser, scripted over HTTP: follows Gatehouse's redirects to the mock Google,
types an email and allows, approves Gatehouse's consent page (skipped when consent is
remembered), then loads the SDK's loopback URL. Pass ``browser.open`` as the manager's
``open_browser``: like a real browser it returns at once and the flow goes on in a thread.
"""

import http.cookiejar
import threading
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from typing import Callable, Dict, List, NamedTuple, Optional, Tuple


class LoopbackVisit(NamedTuple):
    redirect: str  # where Gatehouse sent the browser: the loopback URL with code, state and iss
    status: int  # the loopback page's answer
    text: str


class _FormReader(HTMLParser):
    """The first form of a page: its action and hidden fields."""

    def __init__(self) -> None:
        super().__init__()
        self.action: Optional[str] = None
        self.fields: Dict[str, str] = {}
        self._in_form = False
        self._done = False

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and not self._done and self.action is None:
            self.action, self._in_form = a.get("action", ""), True
        elif tag == "input" and self._in_form and a.get("type") == "hidden":
            self.fields[a.get("name", "")] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._in_form:
            self._in_form, self._done = False, True


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None


class _Page(NamedTuple):
    status: int
    location: Optional[str]
    text: str


class ScriptedBrowser:
    def __init__(self, app_url: str, email: str, *, tamper: Optional[Callable[[str], str]] = None, decision: str = "approve") -> None:
        self.app_url = app_url
        self.email = email
        self.tamper = tamper
        self.decision = decision
        self.opened: List[str] = []
        self._done = threading.Event()
        self._result: Optional[LoopbackVisit] = None
        self._error: Optional[BaseException] = None
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirects())

    def open(self, url: str) -> bool:
        self.opened.append(url)
        threading.Thread(target=self._drive, args=(url,), daemon=True).start()
        return True

    def visit(self, timeout: float = 60.0) -> LoopbackVisit:
        """The loopback page the flow ended on (raises what went wrong on the way)."""
        if not self._done.wait(timeout):
            raise TimeoutError("the scripted browser did not reach the loopback page")
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def _drive(self, authorize_url: str) -> None:
        try:
            redirect = self.sign_in_and_consent(authorize_url)
            target = self.tamper(redirect) if self.tamper else redirect
            status, text = load(target)
            self._result = LoopbackVisit(redirect, status, text)
        except BaseException as err:  # noqa: BLE001 (handed to visit())
            self._error = err
        finally:
            self._done.set()

    def sign_in_and_consent(self, authorize_url: str) -> str:
        """Every hop until Gatehouse redirects to the loopback address; returns that URL."""
        url = authorize_url
        for _ in range(20):
            page = self._get(url)
            if page.location is not None:
                url = self._past_login_page(page.location)
            elif page.status == 200:
                url = self._submit(url, page.text)
            else:
                raise AssertionError(f"GET {url} answered {page.status}: {page.text[:500]}")
            if _origin(url) != _origin(self.app_url):
                return url  # left Gatehouse: the app's redirect URI
        raise AssertionError("too many redirects")

    def answer_device(self, verification_uri: str, user_code: str) -> str:
        """
        The person at /device (RFC 8628 §3.3) on another device: signs in at the mock Google when
        sent there, types ``user_code``, answers the consent page with ``decision``; returns the
        page Gatehouse ends on.
        """
        url = verification_uri
        for _ in range(20):
            page = self._get(url)
            if page.location is not None:
                url = self._past_login_page(page.location)
            elif page.status == 200 and urllib.parse.urlsplit(url).path == "/device":
                entry = _form_of(url, page.text)
                consent = self._post(entry.action or "", {**entry.fields, "user_code": user_code})
                if consent.status != 200:
                    raise AssertionError(f"POST {entry.action} answered {consent.status}: {consent.text[:500]}")
                form = _form_of(entry.action or url, consent.text)
                done = self._post(form.action or "", {**form.fields, "decision": self.decision})
                if done.status != 200:
                    raise AssertionError(f"POST {form.action} answered {done.status}: {done.text[:500]}")
                return done.text
            elif page.status == 200:
                url = self._submit(url, page.text)
            else:
                raise AssertionError(f"GET {url} answered {page.status}: {page.text[:500]}")
        raise AssertionError("too many redirects")

    def page(self, url: str) -> Tuple[int, Optional[str]]:
        """GET with this browser's cookies, no redirects followed: (status, Location)."""
        answer = self._get(url)
        return answer.status, answer.location

    def _past_login_page(self, url: str) -> str:
        if urllib.parse.urlsplit(url).path != "/login":
            return url
        # The login page's only link starts the Google sign-in with the same return_to.
        return_to = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["return_to"][0]
        return f"{self.app_url}/auth/google/start?" + urllib.parse.urlencode({"return_to": return_to})

    def _submit(self, page_url: str, html: str) -> str:
        form = _FormReader()
        form.feed(html)
        if form.action is None:
            raise AssertionError(f"no form on {page_url}: {html[:500]}")
        action = urllib.parse.urljoin(page_url, form.action)
        if "/_dev/google/" in action:
            fields = {**form.fields, "email": self.email, "decision": "allow"}
        else:
            fields = {**form.fields, "decision": self.decision}
        answer = self._post(action, fields)
        if answer.location is None:
            raise AssertionError(f"POST {action} answered {answer.status}: {answer.text[:500]}")
        return answer.location

    def _get(self, url: str) -> _Page:
        return self._request(urllib.request.Request(url))

    def _post(self, url: str, fields: Dict[str, str]) -> _Page:
        return self._request(urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), method="POST"))

    def _request(self, req: urllib.request.Request) -> _Page:
        try:
            res = self._opener.open(req, timeout=30)
            status, headers, body = res.status, res.headers, res.read()
        except urllib.error.HTTPError as err:
            status, headers, body = err.code, err.headers, err.read()
        location = headers.get("Location")
        return _Page(status, urllib.parse.urljoin(req.full_url, location) if location else None, body.decode("utf-8", errors="replace"))


def _form_of(page_url: str, html: str) -> _FormReader:
    """The page's first form, its action made absolute."""
    form = _FormReader()
    form.feed(html)
    if form.action is None:
        raise AssertionError(f"no form on {page_url}: {html[:500]}")
    form.action = urllib.parse.urljoin(page_url, form.action)
    return form


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def load(url: str) -> Tuple[int, str]:
    """A plain GET (no cookies): what the browser does with the loopback redirect."""
    try:
        with urllib.request.urlopen(url, timeout=90) as res:
            return res.status, res.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", errors="replace")


def with_param(url: str, name: str, value: str) -> str:
    """``url`` with one query parameter replaced (an attacker's or a stale callback)."""
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    query[name] = value
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))
