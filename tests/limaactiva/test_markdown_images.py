"""A proposal's Markdown never makes a reader's browser fetch a third party's image (#12 §4):
such an image becomes a link (ckanext/openlima/markdown.py), and the page carries the
portal's CSP, which would refuse it anyway (ckanext/openlima/csp.py)."""
from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.usefixtures("with_plugins", "clean_db")]


def test_a_tracking_pixel_in_a_proposal_is_a_link_and_the_page_has_a_csp(app, make_proposal, space):
    proposal = make_proposal(space, body="Vean ![foto](https://rastreo.example/p.gif?lector=1)")
    response = app.get(f"/participa/propuesta/{proposal['id']}")
    html = response.get_data(as_text=True)
    assert "Vean" in html
    assert not re.search(r"<img[^>]+rastreo\.example", html)
    assert 'href="https://rastreo.example/p.gif?lector=1"' in html
    policy = {name: sources for name, *sources in
              (d.split() for d in response.headers["Content-Security-Policy"].split("; "))}
    assert set(policy["img-src"]) <= {"'self'", "http://test.ckan.net", "data:"}
    assert any(s.startswith("'nonce-") for s in policy["script-src"])
    assert "'unsafe-inline'" not in policy["script-src"]
