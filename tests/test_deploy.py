"""The shipped nginx and compose files pass on the client's address in a way a client
cannot forge (the files themselves are not run here: no Docker engine on this machine)."""

from __future__ import annotations

import ipaddress
import re

import yaml

from tests.serverproc import ROOT

DEPLOY = ROOT / "deploy"


def nginx_directives() -> list[list[str]]:
    text = re.sub(r"#.*", "", (DEPLOY / "nginx.conf").read_text())
    return [statement.split() for statement in re.split(r"[;{}]", text) if statement.strip()]


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_nginx_sets_x_forwarded_for_to_the_client_it_sees() -> None:
    """Appending ($proxy_add_x_forwarded_for) would keep whatever the client sent first."""
    assert "$proxy_add_x_forwarded_for" not in (DEPLOY / "nginx.conf").read_text()
    forwarded = [d for d in nginx_directives() if d[:2] == ["proxy_set_header", "X-Forwarded-For"]]
    assert forwarded == [["proxy_set_header", "X-Forwarded-For", "$remote_addr"]]


def test_the_app_trusts_forwarded_headers_from_nginx_only() -> None:
    """With FORWARDED_ALLOW_IPS="*" any client could name a new address per request and
    so never meet the per-address login limit."""
    services = compose()["services"]
    nginx_addresses = {
        ipaddress.ip_address(network["ipv4_address"])
        for network in services["nginx"]["networks"].values()
    }
    apps = [s for s in services.values() if "FORWARDED_ALLOW_IPS" in s.get("environment", {})]
    assert len(apps) == 2  # app1 and app2
    for service in apps:
        trusted = str(service["environment"]["FORWARDED_ALLOW_IPS"])
        assert "*" not in trusted
        assert {ipaddress.ip_address(ip.strip()) for ip in trusted.split(",")} == nginx_addresses


def test_nginx_has_a_fixed_address_inside_a_fixed_subnet() -> None:
    """A fixed address is only fixed if the network's subnet is: compose would otherwise
    pick one, and a restart could hand nginx's old address to another container."""
    spec = compose()
    for name, network in spec["services"]["nginx"]["networks"].items():
        config = spec["networks"][name]["ipam"]["config"]
        address = ipaddress.ip_address(network["ipv4_address"])
        assert any(address in ipaddress.ip_network(entry["subnet"]) for entry in config)
        # the range compose hands out to the other containers leaves nginx's address alone
        assert all(address not in ipaddress.ip_network(entry["ip_range"]) for entry in config)
