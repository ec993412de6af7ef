"""The grammars' boundaries and the messages users read when a value breaks one."""

from decimal import Decimal

import pytest

from istio_mesh import grammar as g


def test_a_dns_label_is_at_most_63_characters_and_the_message_says_what_is_allowed():
    assert g.dns_label("a" * 63) is None
    assert g.dns_label("a" * 64) == (
        f"{'a' * 64!r} is not a DNS label: 1 to 63 lower-case letters, digits and '-', "
        "starting and ending with a letter or digit"
    )
    assert g.dns_label("Shop", "a namespace") == (
        "'Shop' is not a namespace: 1 to 63 lower-case letters, digits and '-', "
        "starting and ending with a letter or digit"
    )


def test_a_service_name_starts_with_a_letter_and_is_at_most_63_characters():
    assert g.dns_1035_label("r" * 63) is None
    assert g.dns_1035_label("r" * 64) is not None
    assert g.dns_1035_label("2fa") == (
        "'2fa' is not a Service name: 1 to 63 lower-case letters, digits and '-', starting with a letter and "
        "ending with a letter or digit"
    )
    assert g.dns_1035_label("2fa", "a service").startswith("'2fa' is not a service: ")  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["http", "h2c", "grpc-web", "a" * 15, "8080a"])
def test_a_port_name_of_at_most_15_characters_with_a_letter_is_accepted(name):
    assert g.port_name(name) is None


@pytest.mark.parametrize("name", ["a" * 16, "http--x", "8080", "-http", "HTTP"])
def test_a_port_name_too_long_with_a_double_dash_without_a_letter_or_upper_case_is_refused(name):
    assert g.port_name(name) == (
        f"port name {name!r} must be 1 to 15 lower-case letters, digits and '-', with a letter, "
        "no '--', starting and ending with a letter or digit"
    )


@pytest.mark.parametrize(
    "ref",
    [
        "review",
        "acme/review:2.1.0",
        "ghcr.io/acme/review:2.1.0",
        "localhost/review",
        "registry:5000/review",
        "[::1]:5000/review",
        "Registry.Example/acme/review",
        "acme/review@sha256:" + "a" * 64,
    ],
)
def test_image_references_the_runtimes_parse_are_accepted(ref):
    assert g.image(ref) is None


@pytest.mark.parametrize("ref", ["Acme/review", "review:", "UPPER", "acme//review", "acme/review:2.1.0 "])
def test_image_references_the_runtimes_refuse_are_refused_with_an_example(ref):
    assert g.image(ref) == (
        f"{ref!r} is not an image reference: [registry[:port]/]path[:tag][@sha256:digest], "
        "the path lower-case (such as 'ghcr.io/acme/review:2.1.0')"
    )


def test_an_image_name_is_at_most_255_characters_before_the_tag():
    assert g.image("a" * 255 + ":1.0") is None
    assert g.image("a" * 256 + ":1.0") is not None


def test_a_host_is_at_most_253_characters_with_labels_of_at_most_63():
    label = "a" * 63
    longest = ".".join([label] * 3 + ["b" * 61])
    assert len(longest) == 253
    assert g.host(longest) is None
    assert g.host(longest + "b") is not None  # 254 characters, every label still at most 63
    assert g.host("*." + label + ".com") is None
    assert g.host("a" * 64 + ".com") == (
        f"{'a' * 64 + '.com'!r} is not a host name: lower-case DNS labels joined by '.', optionally starting with '*.'"
    )
    assert g.host("*.example.com") is None
    assert g.host("a.*.com") is not None


def test_a_duration_is_at_least_a_millisecond():
    assert g.duration("1ms") is None
    assert g.duration("0.001s") is None
    assert g.duration("0.9ms") == '\'0.9ms\' is not a duration of at least 1ms; allowed: such as "500ms", "2s", "1m30s"'
    assert g.duration("0s") is not None
    assert g.duration("5") is not None


def test_a_duration_adds_up_its_parts_in_each_unit():
    assert g.duration_seconds("1h2m3s4ms") == pytest.approx(3600 + 120 + 3 + 0.004)
    assert g.duration_seconds("1.5s") == 1.5
    assert g.seconds("1m30s") == 90.0
    assert g.seconds("2500ms") == 2.5
    assert g.seconds("90") is None


def test_quantities_are_read_with_their_binary_decimal_and_exponent_suffixes():
    assert g.quantity("250m") == Decimal("0.25")
    assert g.quantity("1.5") == Decimal("1.5")
    assert g.quantity("128Mi") == 128 * 2**20
    assert g.quantity("1Ki") == 1024
    assert g.quantity("2k") == 2000
    assert g.quantity("1e3") == 1000
    assert g.quantity("1E-3") == Decimal("0.001")
    assert g.quantity(".5Gi") == Decimal("0.5") * 2**30
    assert g.quantity("1Pi") == 2**50
    assert g.quantity("-1") is None
    assert g.quantity("1 Gi") is None
    assert g.quantity("") is None


def test_exa_and_exbi_quantities_are_suffixes_not_exponents():
    assert g.quantity("1Ei") == 2**60
    assert g.quantity("1E") == 10**18
    assert g.quantity("1E3") == 1000


def test_a_perl_style_look_ahead_is_refused_with_re2s_own_reason():
    assert g.regex("^/api/(v1|v2)/.*$") is None
    message = g.regex("(?=x)")
    assert message is not None
    assert message.startswith("'(?=x)' is not an RE2 expression (Envoy's syntax): ")
    assert "b'" not in message
    assert message != "'(?=x)' is not an RE2 expression (Envoy's syntax): "


def test_an_env_prefix_is_the_service_name_in_upper_case_with_underscores():
    assert g.env_prefix("review-api") == "REVIEW_API"


def test_env_var_header_and_chart_version_grammars_name_the_value_and_what_is_allowed():
    assert g.env_name("_A1") is None
    assert (
        g.env_name("1A") == "'1A' is not an env var name; allowed: letters, digits and '_', not starting with a digit"
    )
    assert g.header_name("x-user") is None
    assert g.header_name("X-User") == "'X-User' is not a lower-case HTTP header name"
    assert g.chart_version("1.30.5") is None
    assert g.chart_version("1.30.5-rc.1") is None
    assert g.chart_version("1.30") == "'1.30' is not a chart version; allowed: such as \"1.30.5\""


def test_a_bad_regex_is_reported_once_in_the_message_and_re2_writes_nothing_to_stderr(capfd):
    assert g.regex("(?=x)") == "'(?=x)' is not an RE2 expression (Envoy's syntax): invalid perl operator: (?="
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_an_image_path_of_several_components_without_registry_is_accepted():
    assert g.image("acme/team/review:1.0") is None
