"""A Content Security Policy on every HTML page of the portal (#12 §4, ckanext/openlima/csp.py).

Bound to the route, so every spelling of a path gets it; Lima Honesta keeps its own
stricter policy; only the resource's own pages may load the resource from elsewhere; a
nonce is new on every request. Markdown never makes a browser fetch a third party's image
(ckanext/openlima/markdown.py): Lima Activa's proposals are checked in tests/limaactiva.
"""
from __future__ import annotations

import copy
import re

import pytest
from ckan.tests import factories, helpers

from ckanext.openlima.markdown import without_remote_images

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")

OWN = {"'self'", "http://test.ckan.net"}  # the page's origin and ckan.site_url's (test.ini)
# every directive a page has, and the sources it may name
STRICT = {"default-src": OWN, "img-src": OWN | {"data:"}, "media-src": OWN | {"data:"},
          "connect-src": OWN, "frame-src": OWN, "object-src": {"'none'"},
          "base-uri": {"'self'"}, "form-action": OWN, "frame-ancestors": {"'self'"}}


def _directives(policy: str) -> dict[str, set[str]]:
    return {name: set(sources) for name, *sources in (d.split() for d in policy.split("; "))}


def _policy(response) -> str:
    policy = response.headers.get("Content-Security-Policy") or ""
    assert policy, f"no CSP on {response.request.path}"
    return policy


def _nonce(policy: str) -> str:
    scripts = _directives(policy)["script-src"]
    nonces = [source for source in scripts if source.startswith("'nonce-")]
    assert len(nonces) == 1 and scripts - set(nonces) <= OWN, policy  # no 'unsafe-inline'
    return nonces[0][len("'nonce-"):-1]


@pytest.mark.parametrize("path, status", [
    ("/", 200), ("//", 200), ("/en/", 200), ("/dataset/", 200), ("/en//dataset/", 200),
    ("/DATASET/", 404), ("/dataset/no-existe", 404), ("/dataset/%00", 400),
    ("/participa/", 200), ("/servicios/", 200), ("/compromisos/no-existe", 404), ("/organization/", 200),
    ("/user/login", 200), ("/api/3/action/no_such_action", 400),
])
def test_every_html_page_has_the_strict_policy(app, path, status):
    response = app.get(path, status=status, follow_redirects=True)
    if response.mimetype != "text/html":
        assert path.startswith("/api/")  # JSON answers are not documents a browser renders
        return
    policy = _policy(response)
    _nonce(policy)
    directives = _directives(policy)
    for name, allowed in STRICT.items():
        assert directives[name] and directives[name] <= allowed, (path, name, policy)
    assert "unsafe-eval" not in policy and "*" not in policy


def test_the_nonce_is_new_on_every_request_and_only_in_the_pages_own_scripts(app):
    first, second = (_nonce(_policy(app.get("/dataset/"))) for _ in range(2))
    assert first != second and len(first) >= 20


def test_lima_honesta_keeps_its_own_stricter_policy(app):
    for path in ("/denuncias/nueva", "/en//denuncias/nueva"):
        policy = _policy(app.get(path, follow_redirects=True))
        assert policy.startswith("default-src 'none'") and "nonce-" not in policy


def test_only_a_resource_page_may_load_the_resource_from_where_it_is_published(app, valid_dataset):
    sysadmin = {"user": factories.Sysadmin()["name"], "ignore_auth": False}
    dataset = helpers.call_action("package_create", context=sysadmin, **copy.deepcopy(valid_dataset))
    resource = dataset["resources"][0]
    policy = _directives(_policy(app.get(f"/dataset/{dataset['name']}/resource/{resource['id']}")))
    assert {"https:", "http:"} <= policy["img-src"] and {"https:", "http:"} <= policy["object-src"]
    assert policy["frame-ancestors"] == {"'self'"}  # the page itself is not for framing
    page = _directives(_policy(app.get(f"/dataset/{dataset['name']}")))
    assert page["img-src"] <= OWN | {"data:"}


def test_markdown_turns_a_third_party_image_into_a_link(app, valid_dataset):
    data = copy.deepcopy(valid_dataset)
    data["notes"] = ("Mapa: ![mapa](https://rastreo.example/pixel.png) y "
                     "![logo](/base/images/ckan-logo.png)")
    sysadmin = {"user": factories.Sysadmin()["name"], "ignore_auth": False}
    dataset = helpers.call_action("package_create", context=sysadmin, **data)
    html = app.get(f"/dataset/{dataset['name']}").get_data(as_text=True)
    assert '<img alt="logo" src="/base/images/ckan-logo.png">' in html
    assert not re.search(r"<img[^>]+rastreo\.example", html)
    assert re.search(r'<a href="https://rastreo.example/pixel.png"[^>]*rel="nofollow noopener '
                     r'noreferrer">Imagen externa: mapa</a>', html)


@pytest.mark.ckan_config("ckan.site_url", "https://portal.example")
@pytest.mark.parametrize("html, kept", [
    ('<img src="https://evil.example/a.png">', False),
    ("<img src=//evil.example/a.png>", False),
    ('<IMG SRC="HTTP://evil.example/a.png" alt="x">', False),
    ('<img src="https://portal.example/uploads/a.png">', True),
    ('<img src="/uploads/a.png">', True),
    ('<img src="data:image/png;base64,AAAA">', True),
])
def test_only_the_portals_own_images_stay(html, kept):
    with_own_host = without_remote_images(html)
    assert (with_own_host == html) is kept, with_own_host
    if not kept:
        assert "<img" not in with_own_host.lower() and "evil.example" in with_own_host


def test_an_image_without_a_followable_address_is_dropped():
    assert without_remote_images('<img src="ftp://x.example/a.png">') == ""


def test_an_office_logo_on_another_site_shows_the_placeholder(app):
    factories.Organization(name="gerencia-con-logo", image_url="https://logos.example/gerencia.png")
    for path in ("/organization/", "/organization/gerencia-con-logo"):
        html = app.get(path).get_data(as_text=True)
        assert "logos.example" not in html and "placeholder-organization.png" in html, path
