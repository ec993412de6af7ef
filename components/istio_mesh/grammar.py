"""The grammars the API server, Envoy and Istio apply to values, as predicates: pure, no Pulumi.

Each check matches the whole value (``fullmatch``: no trailing newline slips
through) and returns a problem message or None. ``LIMITS`` lists every rule with
what it allows, for the reference docs.
"""

import re
from decimal import Decimal, InvalidOperation

import re2

DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
"""RFC 1123 label, as Kubernetes checks namespace and most object names (at most 63)."""
DNS_1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
"""RFC 1035 label, as Kubernetes checks Service names (a letter first, at most 63)."""
PORT_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
"""IANA service name (at most 15, a letter somewhere, no '--'), as Kubernetes checks port names."""
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
"""A C identifier: portable to every shell and runtime."""
DURATION = re.compile(r"([0-9]+(\.[0-9]+)?(ms|s|m|h))+")
"""A duration as Istio's CRDs take it (CEL ``duration()``)."""
GATEWAY_DURATION = re.compile(r"([0-9]{1,5}(h|m|s|ms)){1,4}")
"""A duration as Gateway API's CRDs take it (GEP-2257): whole numbers, at most four parts."""
HEADER_NAME = re.compile(r"[a-z0-9!#$%&'*+.^_`|~-]+")
"""An HTTP header name as Envoy matches it: a lower-case token."""
CHART_VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?")
"""A semantic chart version."""
_HOST_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
HOST = re.compile(rf"(\*\.)?{_HOST_LABEL}(\.{_HOST_LABEL})*")
"""A DNS name, optionally with a leading ``*.`` wildcard."""

# The OCI distribution reference grammar (distribution/reference), ASCII only.
_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
IMAGE = re.compile(rf"(?P<name>{_NAME})(?::{_TAG})?(?:@{_DIGEST})?", re.ASCII)
"""An image reference: ``[registry[:port]/]path[:tag][@digest]``."""
IMAGE_NAME_MAX = 255
"""The longest repository name the distribution grammar allows."""

QUANTITY = re.compile(
    r"(?P<number>[0-9]+(\.[0-9]*)?|\.[0-9]+)(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][-+]?[0-9]+)?"
)
"""A Kubernetes quantity, non-negative."""
_SUFFIX = {
    "": Decimal(1),
    "m": Decimal("0.001"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


def quantity(value: str) -> Decimal | None:
    """The value of a Kubernetes quantity, or None when it is not one."""
    m = QUANTITY.fullmatch(value)
    if not m:
        return None
    suffix = m.group("suffix") or ""
    try:
        number = Decimal(m.group("number"))
        if suffix in _SUFFIX:  # "E" and "Ei" are exa and exbi, not exponents
            return number * _SUFFIX[suffix]
        return number * Decimal(10) ** int(suffix[1:])
    except (InvalidOperation, OverflowError):  # pragma: no cover - the pattern admits only numbers
        return None


def dns_label(value: str, what: str = "a DNS label") -> str | None:
    """RFC 1123 label."""
    if DNS_LABEL.fullmatch(value) and len(value) <= 63:
        return None
    return f"{value!r} is not {what}: 1 to 63 lower-case letters, digits and '-', starting and ending with a letter or digit"


def dns_1035_label(value: str, what: str = "a Service name") -> str | None:
    """RFC 1035 label."""
    if DNS_1035_LABEL.fullmatch(value) and len(value) <= 63:
        return None
    return (
        f"{value!r} is not {what}: 1 to 63 lower-case letters, digits and '-', starting with a letter and "
        "ending with a letter or digit"
    )


def port_name(value: str) -> str | None:
    """IANA service name, as Kubernetes checks container and Service port names."""
    if PORT_NAME.fullmatch(value) and len(value) <= 15 and "--" not in value and re.search("[a-z]", value):
        return None
    return (
        f"port name {value!r} must be 1 to 15 lower-case letters, digits and '-', with a letter, "
        "no '--', starting and ending with a letter or digit"
    )


def image(value: str) -> str | None:
    """OCI distribution reference, as the kubelet and registries parse it."""
    m = IMAGE.fullmatch(value)
    if m and len(m.group("name")) <= IMAGE_NAME_MAX:
        first, slash, _ = m.group("name").partition("/")
        # As the runtimes parse it: the first part is a registry only when it looks
        # like one; otherwise it is part of the (lower-case) repository path.
        registry = "." in first or ":" in first or first == "localhost" or first.startswith("[")
        if not slash or registry or re.fullmatch(_PATH_COMPONENT, first):
            return None
    return (
        f"{value!r} is not an image reference: [registry[:port]/]path[:tag][@sha256:digest], "
        "the path lower-case (such as 'ghcr.io/acme/review:2.1.0')"
    )


def host(value: str) -> str | None:
    """A DNS name, optionally ``*.``-prefixed, at most 253 with labels of at most 63."""
    labels = value.removeprefix("*.").split(".")
    if HOST.fullmatch(value) and len(value) <= 253 and all(len(label) <= 63 for label in labels):
        return None
    return f"{value!r} is not a host name: lower-case DNS labels joined by '.', optionally starting with '*.'"


def duration(value: str) -> str | None:
    """A duration of at least 1ms, as Istio's CRDs require."""
    if DURATION.fullmatch(value) and duration_seconds(value) >= 0.001:
        return None
    return f'{value!r} is not a duration of at least 1ms; allowed: such as "500ms", "2s", "1m30s"'


def gateway_duration(value: str) -> str | None:
    """A duration an HTTPRoute's ``timeouts`` take (GEP-2257), of at least 1ms."""
    if GATEWAY_DURATION.fullmatch(value) and duration_seconds(value) >= 0.001:
        return None
    return (
        f"{value!r} is not a Gateway API duration of at least 1ms (HTTPRoute timeouts); allowed: up to four "
        'whole numbers of at most 5 digits, each with ms, s, m or h, such as "500ms", "1m30s"'
    )


RETRY_CONDITIONS = (
    *("5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "retriable-4xx"),
    *("refused-stream", "retriable-status-codes", "retriable-headers", "envoy-ratelimited"),
    *("http3-post-connect-failure", "cancelled", "deadline-exceeded", "internal", "resource-exhausted"),
    "unavailable",
)
"""The retry conditions Istio's validation accepts (Envoy's `x-envoy-retry-on` and `-grpc-on`)."""
STATUS_CODES = frozenset(
    {
        *(*range(100, 104), *range(200, 209), 226, *range(300, 306), 307, 308),
        *(*range(400, 419), *range(421, 427), 428, 429, 431, 451, *range(500, 509), 510, 511),
    }
)
"""The status codes Go's ``http.StatusText`` names: those Istio reads as codes in ``retryOn``."""


def retry_on(value: str) -> str | None:
    """Retry conditions as Istio accepts them: its conditions and status codes, separated by ','."""
    wrong = [c for c in value.split(",") if c not in RETRY_CONDITIONS and not (c.isdigit() and int(c) in STATUS_CODES)]
    if not wrong:
        return None
    return (
        f"{', '.join(map(repr, wrong))}: not a retry condition Istio accepts; allowed: {', '.join(RETRY_CONDITIONS)}, "
        "or an HTTP status code, separated by ','"
    )


def duration_seconds(value: str) -> float:
    """Seconds of a duration that ``DURATION`` matches."""
    units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    return sum(float(n) * units[u] for n, _, u in re.findall(r"([0-9]+(\.[0-9]+)?)(ms|s|m|h)", value))


def regex(value: str) -> str | None:
    """An RE2 expression, as Envoy compiles it."""
    try:
        re2.compile(value, _RE2_OPTIONS)
    except re2.error as err:
        reason = err.args[0].decode() if err.args and isinstance(err.args[0], bytes) else str(err)
        return f"{value!r} is not an RE2 expression (Envoy's syntax): {reason}"
    return None


def env_prefix(service: str) -> str:
    """Prefix of the env vars that tell a caller where ``service`` is: ``review`` → ``REVIEW``."""
    return service.upper().replace("-", "_")


def seconds(value: str) -> float | None:
    """A duration in seconds; None when the value is not one."""
    return duration_seconds(value) if DURATION.fullmatch(value) else None


def env_name(value: str) -> str | None:
    """A C identifier."""
    if ENV_NAME.fullmatch(value):
        return None
    return f"{value!r} is not an env var name; allowed: letters, digits and '_', not starting with a digit"


def header_name(value: str) -> str | None:
    """A lower-case HTTP header name."""
    if HEADER_NAME.fullmatch(value):
        return None
    return f"{value!r} is not a lower-case HTTP header name"


def chart_version(value: str) -> str | None:
    """A semantic version such as 1.30.5."""
    if CHART_VERSION.fullmatch(value):
        return None
    return f'{value!r} is not a chart version; allowed: such as "1.30.5"'


LIMITS: dict[str, str] = {
    "names (namespaces, versions, routes, ServiceAccounts)": "RFC 1123 labels: 1 to 63 of `a-z`, `0-9`, `-`, "
    "starting and ending with a letter or digit",
    "service names": "RFC 1035 labels (Services need them): as above, but starting with a letter",
    "port names (`<protocol>[-<name>]`)": "IANA service names: at most 15 characters, a letter, no `--`",
    "images": "the OCI reference grammar: `[registry[:port]/]path[:tag][@digest]`, the path lower-case ASCII, "
    "at most 255 characters before the tag",
    "quantities": "Kubernetes quantities (`250m`, `1.5`, `128Mi`, `1e3`); a request at most its limit, "
    "defaults included",
    "durations": "`<number><ms|s|m|h>` repeated (`1m30s`), at least 1ms; HTTPRoute timeouts and per-try "
    "timeouts (`traffic_api: gateway-api`): at most four whole numbers of at most 5 digits (`1m30s`, not `1.5s`)",
    "`retry_on`": "Istio's retry conditions (`connect-failure`, `5xx`, `gateway-error`, `retriable-4xx`, … as "
    "Envoy names them) and HTTP status codes, separated by `,`",
    "`retry_on` with `traffic_api: gateway-api`": "on the experimental channel: `connect-failure`, "
    "`refused-stream`, `unavailable` and `cancelled` (all four: Istio always retries on them), "
    "`retriable-status-codes`, `retriable-4xx` (code 409) and status codes 400 to 599 (`retry.codes`); a per-try "
    "timeout at most the route's timeout. On the standard channel and for gRPC: no `retries` (the mesh's "
    "`istio.default_retries` applies)",
    "regular expressions (`regex`, `cookie_regex`)": "RE2 syntax, as Envoy compiles them: no look-around "
    "or back-references",
    "hosts": "lower-case DNS names, optionally `*.`-prefixed, at most 253 characters",
    "env var names": "C identifiers",
    "header names": "lower-case HTTP tokens",
    "every text value": "matched whole: a trailing newline or space is refused",
    "numbers": "ports 1 to 65535; `replicas` 0 to 1000; `autoscaling.max_replicas` 1 to 1000 and at least the "
    "replicas; `cpu_utilization` 1 to 100; weights 0 to 100, adding up to 100; percents 0 to 100; "
    "`retries.attempts` 0 to 10; `abort_status` 200 to 599; `run_as_user` 1 to 2^31-1; connection pool "
    "limits 1 to 2^31-1; `istiod.replicas`, `autoscale_max` and gateway `replicas` 1 to 100; `timeout_seconds` "
    "30 to 3600",
    "`revision`": "a DNS label of at most 46 characters (Helm release names: `istiod-<revision>`)",
    "`calls[].methods`": "upper-case HTTP methods (Istio compares them case-sensitively)",
    "writable paths": "absolute, not `/`, without `..`, each its own volume name",
}
"""Every grammar enforced, for the README's config reference."""

LABEL_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
"""The name part of a label key, and a label value (at most 63)."""
