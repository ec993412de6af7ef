"""Routing analysis: Istio analyzer cases on Services, DestinationRules, VirtualServices and namespaces,
and Kiali's checks on routes and subsets."""

import json
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from mesh.analysis.findings import Finding, finding
from mesh.analysis.model import Inventory, Resource, namespace_of, ref

PROTOCOL_PREFIXES = ("http", "http2", "https", "grpc", "grpc-web", "tcp", "tls", "mongo", "mysql", "redis", "udp")
"""Port-name prefixes from which Istio infers a protocol."""
CLUSTER_DOMAIN = "cluster.local"


def fqdn(host: str, namespace: str) -> str:
    """A host as Istio resolves it from ``namespace``."""
    if "." not in host:
        return f"{host}.{namespace}.svc.{CLUSTER_DOMAIN}"
    parts = host.split(".")
    if len(parts) == 2:
        return f"{host}.svc.{CLUSTER_DOMAIN}"
    if len(parts) > 3 and parts[2] == "svc":  # whatever the cluster's domain: compared as cluster.local
        return ".".join(parts[:3]) + f".{CLUSTER_DOMAIN}"
    return host


def services_by_host(inventory: Inventory) -> dict[str, Resource]:
    """Services by their cluster-wide host name."""
    return {
        f"{r.inputs['metadata']['name']}.{namespace_of(r) or 'default'}.svc.{CLUSTER_DOMAIN}": r
        for r in inventory.find("Service")
    }


def selects(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """Whether a label selector matches ``labels``."""
    return all(labels.get(k) == v for k, v in selector.items())


def pods_by_service(inventory: Inventory, services: Mapping[str, Resource]) -> dict[str, list[dict[str, str]]]:
    """Pod labels of the Deployments each Service (by host) selects."""
    # Indexed by (namespace, label, value), so that a large namespace stays linear.
    index: dict[tuple[str, str, str], list[dict[str, str]]] = defaultdict(list)
    for res in inventory.find("Deployment"):
        labels = res.inputs["spec"]["template"]["metadata"].get("labels", {})
        ns = namespace_of(res) or "default"
        for key, value in labels.items():
            index[(ns, key, value)].append(labels)
    out: dict[str, list[dict[str, str]]] = {}
    for host, svc in services.items():
        selector = svc.inputs["spec"].get("selector") or {}
        ns = namespace_of(svc) or "default"
        candidates = min((index.get((ns, k, v), []) for k, v in selector.items()), key=len, default=[])
        out[host] = [p for p in candidates if selects(selector, p)]
    return out


def routing_findings(inventory: Inventory) -> list[Finding]:
    """IST0101, IST0109, IST0112, IST0118, IST0123, IST0130, IST0173 and MESH0103."""
    services = services_by_host(inventory)
    findings, subsets = _subset_findings(inventory, services)
    mesh_hosts: dict[str, list[str]] = defaultdict(list)
    for vs in inventory.find("VirtualService"):
        ns = namespace_of(vs) or "default"
        spec = vs.inputs["spec"]
        if "mesh" in spec.get("gateways", ["mesh"]):
            if "*" in spec.get("hosts", []):
                findings.append(
                    finding(
                        "MESH0103",
                        ref(vs),
                        "spec.hosts",
                        "host '*' on a VirtualService bound to the mesh: Istio's validation rejects it",
                    )
                )
            for host in spec.get("hosts", []):
                if host != "*" and not host.startswith("*."):
                    mesh_hosts[fqdn(host, ns)].append(ref(vs))
        routes = spec.get("http", [])
        for i, route in enumerate(routes):
            rpath = f"spec.http[{i}]"
            if i > 0 and any(not r.get("match") for r in routes[:i]):
                findings.append(
                    finding("IST0130", ref(vs), rpath, "this route follows a catch-all route and never matches")
                )
            targets = [
                (f"{rpath}.route[{j}].destination", d["destination"]) for j, d in enumerate(route.get("route", []))
            ]
            if "mirror" in route:
                targets.append((f"{rpath}.mirror", route["mirror"]))
            for where, dest in targets:
                findings += _destination_findings(vs, where, dest, ns, services, subsets)
    for host, refs in mesh_hosts.items():
        if len(refs) > 1:
            for one in refs:
                others = ", ".join(r for r in refs if r != one)
                findings.append(finding("IST0109", one, "spec.hosts", f"host {host} is also routed by {others}"))
    findings += _port_findings(inventory) + _namespace_findings(inventory)
    findings += _match_findings(inventory) + _ingress_subset_findings(inventory)
    findings += _destination_rule_findings(inventory, services) + _route_destination_findings(inventory)
    return findings


def _match_key(match: Mapping[str, Any]) -> str:
    return json.dumps({k: v for k, v in match.items() if k != "name"}, sort_keys=True)


def _match_findings(inventory: Inventory) -> list[Finding]:
    """IST0130 for a route whose every match an earlier route already takes; IST0131 for one such match."""
    findings = []
    for vs in inventory.find("VirtualService"):
        seen: dict[str, int] = {}
        routes = vs.inputs["spec"].get("http", [])
        for i, route in enumerate(routes):
            matches = route.get("match") or []
            if not matches:
                break  # a catch-all: what follows is IST0130 already
            earlier = [seen.get(_match_key(m)) for m in matches]
            if all(e is not None for e in earlier):
                findings.append(
                    finding(
                        "IST0130",
                        ref(vs),
                        f"spec.http[{i}]",
                        f"this route never matches: route {earlier[0]} takes every request it matches",
                        "drop the route, or change its match",
                    )
                )
            else:
                for j, e in enumerate(earlier):
                    if e is not None:
                        findings.append(
                            finding(
                                "IST0131",
                                ref(vs),
                                f"spec.http[{i}].match[{j}]",
                                f"VirtualService rule {i} match {j} is not used (duplicate match in rule {e})",
                            )
                        )
            for m in matches:
                seen.setdefault(_match_key(m), i)
    return findings


def _destinations(spec: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(path, route) of every http, tcp and tls route."""
    return [(f"spec.{kind}[{i}]", r) for kind in ("http", "tcp", "tls") for i, r in enumerate(spec.get(kind) or [])]


def _ingress_subset_findings(inventory: Inventory) -> list[Finding]:
    """IST0140: a gateway's VirtualService routes to a host without subset, which a VirtualService
    for that host splits by subset: the split does not apply to the gateway's requests."""
    split: dict[str, list[str]] = defaultdict(list)
    services = inventory.find("VirtualService")
    for vs in services:
        ns = namespace_of(vs) or "default"
        hosts = {fqdn(h, ns) for h in vs.inputs["spec"].get("hosts", [])}
        for route in vs.inputs["spec"].get("http", []):
            for d in route.get("route", []):
                host = fqdn(d["destination"]["host"], ns)
                if d["destination"].get("subset") and host in hosts and ref(vs) not in split[host]:
                    split[host].append(ref(vs))
    findings = []
    for vs in services:
        spec = vs.inputs["spec"]
        if not [g for g in spec.get("gateways", []) if g != "mesh"]:
            continue
        ns = namespace_of(vs) or "default"
        for i, route in enumerate(spec.get("http", [])):
            for j, d in enumerate(route.get("route", [])):
                host = fqdn(d["destination"]["host"], ns)
                others = [o for o in split.get(host, []) if o != ref(vs)]
                if not d["destination"].get("subset") and others:
                    findings.append(
                        finding(
                            "IST0140",
                            ref(vs),
                            f"spec.http[{i}].route[{j}].destination",
                            f"Subset in virtual service {', '.join(others)} has no effect on ingress gateway "
                            f"{ref(vs)} requests",
                        )
                    )
    return findings


def _known_host(host: str, known: set[str]) -> bool:
    if host in known:
        return True
    if host.startswith("*"):
        return any(k.endswith(host[1:]) for k in known)
    return any(k.startswith("*") and host.endswith(k[1:]) for k in known)


def _destination_rule_findings(inventory: Inventory, services: Mapping[str, Resource]) -> list[Finding]:
    """IST0174 (host unknown), KIA0201 (two DestinationRules for one host and subset), KIA0209 (no labels)."""
    known = set(services)
    for se in inventory.find("ServiceEntry"):
        ns = namespace_of(se) or "default"
        known |= {fqdn(h, ns) for h in (se.inputs.get("spec") or {}).get("hosts", [])}
    findings = []
    by_host: dict[str, list[Resource]] = defaultdict(list)
    for dr in inventory.find("DestinationRule"):
        spec = dr.inputs.get("spec") or {}
        host = fqdn(str(spec.get("host", "")), namespace_of(dr) or "default")
        by_host[host].append(dr)
        if not _known_host(host, known):
            findings.append(
                finding(
                    "IST0174",
                    ref(dr),
                    "spec.host",
                    f"The host {host} defined in the DestinationRule does not match any services in the mesh",
                )
            )
        for i, subset in enumerate(spec.get("subsets") or []):
            if not subset.get("labels"):
                findings.append(
                    finding(
                        "KIA0209", ref(dr), f"spec.subsets[{i}].labels", f"subset {subset.get('name')!r} has no labels"
                    )
                )
    for host, rules in by_host.items():
        if len(rules) < 2:
            continue
        for dr in rules:
            mine = {s.get("name") for s in dr.inputs["spec"].get("subsets") or []}
            for other in rules:
                if other is dr:
                    continue
                theirs = {s.get("name") for s in other.inputs["spec"].get("subsets") or []}
                shared = sorted(mine & theirs) if mine and theirs else [] if mine or theirs else ["(whole host)"]
                if shared:
                    findings.append(
                        finding(
                            "KIA0201",
                            ref(dr),
                            "spec.subsets" if mine else "spec.host",
                            f"{ref(other)} is also a DestinationRule for {host} ({', '.join(map(str, shared))})",
                        )
                    )
    return findings


def _route_destination_findings(inventory: Inventory) -> list[Finding]:
    """KIA1104 (one destination, weight under 100) and KIA1105 (one host and subset twice in a route)."""
    findings = []
    for vs in inventory.find("VirtualService"):
        ns = namespace_of(vs) or "default"
        for path, route in _destinations(vs.inputs["spec"]):
            dests = route.get("route") or []
            if len(dests) == 1 and "weight" in dests[0] and dests[0]["weight"] < 100:
                findings.append(
                    finding(
                        "KIA1104",
                        ref(vs),
                        f"{path}.route[0].weight",
                        f"weight {dests[0]['weight']} on the only destination: it is taken as 100",
                    )
                )
            seen: dict[tuple[str, Any, Any], int] = {}
            for j, d in enumerate(dests):
                dest = d.get("destination") or {}
                key = (fqdn(str(dest.get("host", "")), ns), dest.get("subset"), json.dumps(dest.get("port")))
                if key in seen:
                    findings.append(
                        finding(
                            "KIA1105",
                            ref(vs),
                            f"{path}.route[{j}].destination",
                            f"{key[0]}{' subset ' + str(key[1]) if key[1] else ''} is already destination {seen[key]} "
                            "of this route",
                        )
                    )
                else:
                    seen[key] = j
    return findings


def _subset_findings(
    inventory: Inventory, services: Mapping[str, Resource]
) -> tuple[list[Finding], dict[str, set[str]]]:
    findings: list[Finding] = []
    subsets: dict[str, set[str]] = defaultdict(set)
    pods = pods_by_service(inventory, services)
    for dr in inventory.find("DestinationRule"):
        host = fqdn(dr.inputs["spec"]["host"], namespace_of(dr) or "default")
        for i, subset in enumerate(dr.inputs["spec"].get("subsets", [])):
            subsets[host].add(subset["name"])
            labels = subset.get("labels", {})
            if not any(selects(labels, p) for p in pods.get(host, [])):
                findings.append(
                    finding("IST0173", ref(dr), f"spec.subsets[{i}]", f"subset {subset['name']!r} selects no pod")
                )
    return findings, subsets


def _port_findings(inventory: Inventory) -> list[Finding]:
    findings = []
    for svc in inventory.find("Service"):
        for i, port in enumerate(svc.inputs["spec"].get("ports", [])):
            name = port.get("name", "")
            if not port.get("appProtocol") and not any(
                name == p or name.startswith(f"{p}-") for p in PROTOCOL_PREFIXES
            ):
                findings.append(
                    finding("IST0118", ref(svc), f"spec.ports[{i}].name", f"port name {name!r} gives Istio no protocol")
                )
    return findings


def _namespace_findings(inventory: Inventory) -> list[Finding]:
    findings = []
    for ns in inventory.find("Namespace"):
        labels = ns.inputs["metadata"].get("labels", {})
        if "istio-injection" in labels and "istio.io/rev" in labels:
            findings.append(
                finding("IST0123", ref(ns), "metadata.labels", "both istio-injection and istio.io/rev are set")
            )
    return findings


def _destination_findings(
    vs: Resource,
    where: str,
    dest: Mapping[str, Any],
    ns: str,
    services: Mapping[str, Resource],
    subsets: Mapping[str, set[str]],
) -> list[Finding]:
    host = fqdn(dest["host"], ns)
    svc = services.get(host)
    if svc is None:
        return [
            finding(
                "IST0101",
                ref(vs),
                f"{where}.host",
                f"host {host} is no Service of this stack",
                "route to a declared service",
            )
        ]
    out = []
    if "subset" in dest and dest["subset"] not in subsets.get(host, set()):
        out.append(
            finding(
                "IST0101",
                ref(vs),
                f"{where}.subset",
                f"subset {dest['subset']!r} of {host} is not defined",
                "declare the version, or route elsewhere",
            )
        )
    if len(svc.inputs["spec"].get("ports", [])) > 1 and "port" not in dest:
        out.append(finding("IST0112", ref(vs), where, f"{host} has several ports and no port is given"))
    return out
