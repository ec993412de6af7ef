"""What a validated stack config is: its services, their calls, and the environment's settings."""

from dataclasses import dataclass

from istio_mesh.args import ExternalHostArgs, IstioControlPlaneArgs, MeshServiceArgs
from istio_mesh.validation import ArgsError

DEFAULT_NAMESPACE = "apps"
"""Namespace of services that name none, as Pulumi.yaml declares it: one namespace
for the app, apart from Kubernetes' own and the control plane's."""


class ConfigError(ArgsError):
    """A stack config with problems; the message lists each with its key path."""


@dataclass(frozen=True)
class Call:
    """A declared call from one service to another."""

    service: str
    """The callee's name."""
    methods: tuple[str, ...] = ()
    """HTTP methods allowed; empty means all."""
    paths: tuple[str, ...] = ()
    """Paths allowed; empty means all."""


@dataclass(frozen=True)
class ServiceConfig:
    """One microservice of the environment."""

    name: str
    """Service name: its DNS label, Service and component name."""
    namespace: str
    """Namespace it runs in."""
    calls: tuple[Call, ...]
    """Services it calls: the single source of its env, authorization and egress."""
    entry: bool
    """Reached from outside through the ingress gateway."""
    egress: tuple[str, ...]
    """External hosts it calls, each declared in ``external_hosts``."""
    args: MeshServiceArgs
    """The rest, as MeshServiceArgs with its namespace; the plan adds the keys
    derived from the graph (env, callers, egress, exposure)."""


@dataclass(frozen=True)
class StackConfig:
    """One environment, validated."""

    istio: IstioControlPlaneArgs
    """The control plane's arguments. Default: {} (every control plane default)."""
    namespace: str
    """Namespace of services that name none. Default: ``DEFAULT_NAMESPACE``."""
    services: tuple[ServiceConfig, ...]
    """The services, in config order."""
    default_deny: bool = True
    """An allow-nothing policy per app namespace, so only declared calls pass.
    Default: true."""
    namespace_mtls_mode: str | None = None
    """A PeerAuthentication per app namespace over the mesh-wide mode. Default:
    unset (the mesh-wide mode applies)."""
    limit_egress: bool = True
    """A Sidecar per service that limits its proxy to the services it calls.
    Default: true: less proxy memory, and a call nobody declared fails loudly."""
    external_hosts: tuple[ExternalHostArgs, ...] = ()
    """Hosts outside the mesh (ExternalHostArgs), each a ServiceEntry in the
    default namespace. Default: none."""
    allow_default_namespace: bool = False
    """Let services run in the cluster's ``default`` namespace. Default: false: the
    stack would label, police and, on destroy, delete a namespace it does not own."""
    namespace_revisions: dict[str, str] | None = None
    """Revision tag (or revision) whose istiod injects each app namespace, by
    namespace. Default: none, so namespaces follow `istio.revision`; required for
    every app namespace with `istio.revisions`. Moving a namespace (or its tag)
    restarts its pods."""
    notes: tuple[str, ...] = ()
    """What the program should tell the user (Pulumi's log) about how it read the config."""

    @property
    def declared_calls(self) -> set[tuple[str, str]]:
        """Every (caller, callee) pair of the dependency graph."""
        return {(s.name, c.service) for s in self.services for c in s.calls}

    def service(self, name: str) -> ServiceConfig:
        """The service of that name."""
        return next(s for s in self.services if s.name == name)
