"""A network address's host and port, checked before a job tries to reach them.

``http://`` (no host), ``:99999`` (no such port) and ``999.1.1.1`` (no such IPv4 address) are
typing slips that would otherwise fail in every run of the job, after its setup.
"""

import ipaddress
from urllib.parse import SplitResult


def host_and_port_ok(parts: SplitResult, port_required: bool) -> bool:
    """``parts`` names a host, and a port from 1 to 65535 (or none, where one is optional);
    a host of digits and dots is a valid IPv4 address."""
    try:
        port = parts.port
    except ValueError:
        return False
    host = parts.hostname or ""
    if not host or (port is None and port_required) or port == 0:
        return False
    if host.replace(".", "").isdigit():
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return False
    return True
