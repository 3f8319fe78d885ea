"""Who a client is, for the per-client limits: its IP address, or, behind a reverse proxy
named in `[web] trusted_proxies`, the address that proxy saw.

X-Forwarded-For is a list any client can start: a proxy appends the address it got the
request from, so only the entries added by proxies we trust are worth anything. The
client is the right-most entry not itself a trusted proxy; a request from a peer that is
not a trusted proxy is that peer, whatever its header says.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str], field: str) -> tuple[Network, ...]:
    """Addresses or networks ("10.0.0.1", "10.0.0.0/8", "::1"); ValueError naming `field`."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(
                f"{field}: {entry!r} is not an IP address or network like 10.0.0.0/8"
            ) from None
    return tuple(networks)


class Clients:
    """Tells the client of a request from its peer address and X-Forwarded-For."""

    def __init__(self, trusted_proxies: Iterable[Network] = ()) -> None:
        self.trusted = tuple(trusted_proxies)

    def is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted)

    def client(self, peer: str | None, forwarded_for: str | None) -> str:
        """The client's address: `peer`, unless `peer` is a trusted proxy that forwarded
        the request, then the last address in X-Forwarded-For no trusted proxy added."""
        peer = peer or "unknown"
        if not forwarded_for or not self.trusted or not self.is_trusted(peer):
            return peer
        hops = [hop.strip() for hop in forwarded_for.split(",")][-32:]
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                # Garbage where an address should be: whoever wrote it is beyond what
                # the proxies vouch for, so the last proxy's word is all there is.
                return peer
            if not self.is_trusted(address):
                return address
        return hops[0] if hops and _address(hops[0]) else peer


def _address(hop: str) -> str | None:
    """An address as proxies write it ("203.0.113.7", "[2001:db8::1]:443", "1.2.3.4:80")."""
    text = hop.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None
