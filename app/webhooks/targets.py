"""Webhook targets: only public addresses, unless a setting allows a network.

The name is resolved once per delivery and the connection goes to the address that was
checked (the ``Host`` header and TLS SNI keep the name), so a name that resolves to a
public address when checked and to a private one when connecting gets nowhere.
"""

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class UnsafeTarget(ValueError):
    pass


@dataclass(frozen=True)
class Target:
    url: str  # with the checked address in place of the name
    host_header: str
    sni_hostname: str | None


def check_url(url: str) -> SplitResult:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeTarget("the URL must be http or https")
    if not parts.hostname:
        raise UnsafeTarget("the URL has no host")
    if parts.username or parts.password:
        raise UnsafeTarget("the URL must not hold credentials")
    return parts


_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
# IPv4-compatible (deprecated) and IPv4-translated (SIIT) addresses end with an IPv4
_EMBEDDING_IN_LOW_BITS = (
    *_NAT64,
    ipaddress.ip_network("::/96"),
    ipaddress.ip_network("::ffff:0:0:0/96"),
)


def is_allowed(address: IPAddress, allowed: Sequence[IPNetwork]) -> bool:
    if any(address in network for network in allowed):
        return True
    if isinstance(address, ipaddress.IPv6Address):
        if address.is_site_local:  # deprecated (RFC 3879), yet routed by some networks
            return False
        embedded = embedded_ipv4(address)
        if embedded:  # where the packets end up: each IPv4 address must be allowed too
            return all(is_allowed(v4, allowed) for v4 in embedded)
    return address.is_global and not address.is_multicast


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries: IPv4-mapped, 6to4, Teredo (server and
    client), NAT64, IPv4-compatible and IPv4-translated forms; empty for any other."""
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)
    if any(address in network for network in _EMBEDDING_IN_LOW_BITS):
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    return []


async def resolve(url: str, allowed: Sequence[IPNetwork]) -> Target:
    """The target to connect to, or UnsafeTarget when the name does not resolve or one
    of its addresses is private, loopback, link-local or otherwise not public."""
    parts = check_url(url)
    host = parts.hostname
    assert host is not None
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise UnsafeTarget(f"{host} does not resolve") from None
    addresses = [ipaddress.ip_address(info[4][0]) for info in found]
    refused = [str(a) for a in addresses if not is_allowed(a, allowed)]
    if not addresses or refused:
        raise UnsafeTarget(
            f"{host} resolves to an address that is not public ({', '.join(refused)}); "
            "JALON_WEBHOOK_ALLOWED_NETWORKS can allow it"
        )
    address = addresses[0]
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{literal}:{port}"
    pinned = parts._replace(netloc=netloc).geturl()
    default_port = port == (443 if parts.scheme == "https" else 80)
    host_header = host if default_port else f"{host}:{port}"
    sni = host if parts.scheme == "https" else None
    return Target(pinned, host_header, sni)
