"""Requests to addresses that users give the platform (resource links, harvest sources):
never into the municipality's private networks, loopback or a cloud metadata service,
unless an operator allows it.

One rule for the link checker (``quality/linkcheck.py``) and the harvester
(``harvest/``): an address is refused when its host resolves to a private, loopback,
link-local or reserved address, unless private addresses are allowed altogether or the
host name is on an allow-list. Redirects are followed one hop at a time and every new
address is checked again, so a public address cannot redirect into a private one; an
allow-listed name allows only itself.
"""
from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlparse

import requests

__all__ = ["Fetched", "FetchRefused", "private_host", "refusal", "fetch"]

MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)


def private_host(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return False
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if address.is_private or address.is_loopback or address.is_link_local or address.is_reserved:
            return True
    return False


def refusal(url: str, *, allow_private: bool, allowed_hosts) -> str | None:
    """Why ``url`` must not be requested (a Spanish sentence), or None."""
    parsed = urlparse(url or "")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return "Dirección no válida (se espera http:// o https://)."
    if allow_private:
        return None
    allowed = {host.lower() for host in allowed_hosts or ()}
    if parsed.hostname.lower() not in allowed and private_host(parsed.hostname):
        return "Dirección de red privada: no se verifica."
    return None


class FetchRefused(Exception):
    """The request was not made, or its answer is unusable; ``reason`` says why (Spanish)."""

    def __init__(self, reason: str, url: str, status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.url = url
        self.status = status


@dataclass
class Fetched:
    url: str            # after redirects
    status: int
    content_type: str   # without parameters
    body: bytes


def fetch(url: str, *, allow_private: bool, allowed_hosts, timeout: float, max_bytes: int,
          headers: dict | None = None) -> Fetched:
    """GET ``url`` under the rule above, reading at most ``max_bytes``.

    :raises FetchRefused: refused address, too many redirects, an HTTP error status, a
        timeout, a connection failure or a body larger than ``max_bytes``
    """
    deadline = time.monotonic() + timeout * 3  # the whole answer, however slowly it drips
    for _hop in range(MAX_REDIRECTS + 1):
        reason = refusal(url, allow_private=allow_private, allowed_hosts=allowed_hosts)
        if reason:
            raise FetchRefused(reason, url)
        try:
            response = requests.get(url, timeout=timeout, allow_redirects=False, stream=True,
                                    headers=headers or {})
        except requests.Timeout:
            raise FetchRefused(f"El servidor no respondió en {timeout:g} segundos.", url) from None
        except requests.RequestException as error:
            raise FetchRefused(f"No se pudo conectar ({type(error).__name__}).", url) from None
        with response:
            location = response.headers.get("Location")
            if response.status_code in REDIRECTS and location:
                url = urljoin(url, location)
                continue
            if response.status_code >= 400:
                raise FetchRefused(f"El servidor respondió {response.status_code}.", url,
                                   response.status_code)
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchRefused(_too_big(max_bytes), url, response.status_code)
            body = bytearray()
            try:
                for chunk in response.iter_content(chunk_size=512 * 1024):
                    body += chunk
                    if len(body) > max_bytes:
                        raise FetchRefused(_too_big(max_bytes), url, response.status_code)
                    if time.monotonic() > deadline:
                        raise FetchRefused(f"El servidor no terminó de responder en "
                                           f"{timeout * 3:g} segundos.", url)
            except requests.RequestException as error:
                raise FetchRefused(f"La descarga se interrumpió ({type(error).__name__}).", url) from None
            content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            return Fetched(url, response.status_code, content_type, bytes(body))
    raise FetchRefused("Demasiadas redirecciones.", url)


def _too_big(max_bytes: int) -> str:
    return f"La respuesta supera el máximo de {max_bytes // (1024 * 1024) or 1} MB."
