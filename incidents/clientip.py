"""The client's address as login throttling sees it, through trusted proxies only.

Behind a TLS proxy every request arrives from the proxy's address. The proxy appends the
address it saw to ``X-Forwarded-For``; reading that list from the right and skipping the
trusted proxies gives the first address no trusted party vouches for: the client. A header
sent by anyone else, or sent to a site that trusts no proxy, is ignored, so a client cannot
choose the address it is throttled under.
"""

import ipaddress

from django.conf import settings


def _networks():
    return [ipaddress.ip_network(entry, strict=False) for entry in settings.TRUSTED_PROXIES]


def _address(text):
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def client_ip(request):
    remote = request.META.get("REMOTE_ADDR", "")
    networks = _networks()

    def trusted(address):
        return address is not None and any(address in network for network in networks)

    if not networks or not trusted(_address(remote)):
        return remote
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            # a hop a trusted proxy did not write (garbage from the client): stop here
            break
        if not trusted(address):
            return str(address)
    return remote
