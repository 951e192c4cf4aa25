#!/usr/bin/python3
"""Checks the deployment files of deploy/ without a container engine or a Kubernetes cluster.

Run it with /usr/bin/python3 from anywhere: it needs the standard library, python3-yaml, and the nginx and
pgbouncer binaries that scripts/install-deps.sh installs. It parses every YAML and JSON file of deploy/,
checks the Kubernetes manifests, the compose file, the Dockerfile, the Grafana dashboard and the Prometheus
configuration against each other and against the source tree (configuration keys, metric and label names,
the shared libraries of the built binary), runs `nginx -t` on the compose nginx.conf and has pgBouncer
parse both pgbouncer.ini files. It prints one line per check and exits non-zero if any failed.
"""

import ipaddress
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import traceback

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
NGINX = "/usr/sbin/nginx"
PGBOUNCER = "/usr/sbin/pgbouncer"

# What the deploy files promise (and the brief they were written to): kept here so a change is deliberate.
COMPOSE_SERVICES = {"postgres", "pgbouncer", "redis", "migrate", "api", "worker", "nginx", "prometheus", "grafana"}
HPA_CPU, HPA_MEMORY = 70, 80
API_MIN_GRACE_S = 40
# Packages of the Debian base image that the runtime stage need not install.
BASE_PACKAGES = {"libc6", "libstdc++6", "libgcc-s1"}
# Labels Prometheus adds to every scraped series, and the histogram bucket label.
PROMETHEUS_LABELS = {"instance", "job", "le", "__name__"}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = []

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print(f"ok    {what}")
        else:
            self.failed.append(what)
            print(f"FAIL  {what}" + (f": {detail}" if detail else ""))
        return ok

    def note(self, text):
        print(f"note  {text}")


C = Checks()


def rel(path):
    return str(pathlib.Path(path).relative_to(ROOT))


# ---------------------------------------------------------------------------------------------------------
# Facts from the source tree


def config_env_names():
    """KEEL_* variables that are configuration keys: the environment column of docs/config.md, which a unit
    test keeps equal to src/core/config_schema.cpp."""
    text = (ROOT / "docs" / "config.md").read_text()
    return set(re.findall(r"^\| `[a-z_]+\.[a-z0-9_]+` \| .*? \| `(KEEL_[A-Z0-9_]+)` \|", text, re.M))


def config_default(key):
    text = (ROOT / "docs" / "config.md").read_text()
    match = re.search(r"^\| `" + re.escape(key) + r"` \| `([^`]*)` \|", text, re.M)
    return match.group(1) if match else None


def source_files():
    for path in sorted((ROOT / "src").rglob("*")):
        if path.suffix in (".cpp", ".hpp") and not path.name.endswith("_test.cpp"):
            yield path


def exported_metrics():
    names = set()
    for path in source_files():
        names.update(re.findall(r'"(keel_[a-z0-9_]+)"', path.read_text()))
    return names


def call_bodies(text, opening):
    for match in re.finditer(opening, text):
        i, depth = match.end(), 1
        while i < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        yield text[match.end():i]


def exported_labels():
    """Label names of Keel's metrics: the {"name", value} pairs of prometheus-cpp's Add(...) calls and of the
    hand-built families in src/core/metrics.cpp."""
    labels = set()
    for path in source_files():
        text = path.read_text()
        if "prometheus" not in text:
            continue
        for body in call_bodies(text, r"\.Add\("):
            labels.update(re.findall(r'\{\s*"([a-z_]+)"\s*,', body))
        for match in re.finditer(r"\.label\s*=\s*\{(.*?)\};", text, re.S):
            labels.update(re.findall(r'\{\s*"([a-z_]+)"\s*,', match.group(1)))
    return labels


# ---------------------------------------------------------------------------------------------------------
# Parsing


def load_all():
    """Every YAML document under deploy/ and every JSON file under deploy/grafana, parsed."""
    yamls, jsons = {}, {}
    for path in sorted(DEPLOY.rglob("*")):
        if path.suffix in (".yml", ".yaml"):
            try:
                yamls[path] = [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
                C.check(bool(yamls[path]), f"{rel(path)} parses ({len(yamls[path])} YAML document(s))")
            except yaml.YAMLError as error:
                C.check(False, f"{rel(path)} parses as YAML", str(error))
    for path in sorted((DEPLOY / "grafana").rglob("*.json")):
        try:
            jsons[path] = json.loads(path.read_text())
            C.check(True, f"{rel(path)} parses as JSON")
        except json.JSONDecodeError as error:
            C.check(False, f"{rel(path)} parses as JSON", str(error))
    return yamls, jsons


def ini_settings(text):
    """key -> value of a pgbouncer.ini's [pgbouncer] section (comments and other sections skipped)."""
    settings, section = {}, None
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in ";#":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        if section == "pgbouncer" and "=" in line:
            key, value = line.split("=", 1)
            settings[key.strip()] = value.strip()
    return settings


def nginx_directives(text):
    """name -> set of argument strings, over every statement of an nginx configuration (directives, and block
    openers such as `upstream keel`), multi-line ones included."""
    code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    directives = {}
    for statement in re.split(r"[;{}]", code):
        words = statement.split(None, 1)
        if words:
            directives.setdefault(words[0], set()).add(re.sub(r"\s+", " ", words[1]).strip() if len(words) > 1 else "")
    return directives


def dockerfile_stages(text):
    """[(stage name, [(instruction, argument text)])] with continuation lines joined and comments dropped."""
    lines, current = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        if current.strip():
            lines.append(current.strip())
        current = ""
    stages = []
    for line in lines:
        instruction, _, argument = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            match = re.search(r"\bAS\s+(\S+)", argument, re.I)
            stages.append((match.group(1) if match else f"stage{len(stages)}", []))
        elif stages:
            stages[-1][1].append((instruction, argument))
    return stages


def dockerfile_env():
    """KEEL_* variables the runtime image sets with ENV."""
    text = (DEPLOY / "Dockerfile").read_text()
    return dict(re.findall(r"^ENV\s+(KEEL_[A-Z0-9_]+)=(\S+)", text, re.M))


def apt_packages(run_argument):
    packages = []
    for match in re.finditer(r"apt-get install ((?:-\S+\s+)*)(.*?)(?:&&|$)", run_argument):
        packages += [p for p in match.group(2).split() if not p.startswith("-")]
    return packages


def install_deps_groups():
    """The package groups of scripts/install-deps.sh: comment heading -> packages."""
    text = (ROOT / "scripts" / "install-deps.sh").read_text()
    body = re.search(r"packages=\((.*?)\n\)", text, re.S).group(1)
    groups, name = {}, None
    for line in body.splitlines():
        line = line.strip()
        if line.startswith("#"):
            name = line.lstrip("# ").split(" ")[0]
            groups[name] = []
        elif line and name:
            groups[name] += line.split()
    return groups


# ---------------------------------------------------------------------------------------------------------
# Kubernetes


def k8s_objects(yamls):
    objects = []
    for path, docs in yamls.items():
        if K8S in path.parents:
            objects += [(path, doc) for doc in docs]
    return objects


def pod_containers(spec):
    return [("container", c) for c in spec.get("containers", [])] + [
        ("initContainer", c) for c in spec.get("initContainers", [])]


def probe_path(container, probe):
    return (container.get(probe) or {}).get("httpGet", {}).get("path")


def prestop_sleep(container):
    command = (container.get("lifecycle") or {}).get("preStop", {}).get("exec", {}).get("command", [])
    return int(command[1]) if len(command) == 2 and command[0] == "sleep" else 0


def check_k8s(yamls, env_names):
    objects = k8s_objects(yamls)
    by_kind = {}
    for path, obj in objects:
        by_kind.setdefault(obj.get("kind"), []).append((path, obj))
    C.check(bool(objects), f"deploy/k8s holds {len(objects)} objects: " +
            ", ".join(f"{len(v)} {k}" for k, v in sorted(by_kind.items())))

    outside = [f"{obj['kind']} {obj['metadata'].get('name')}" for _, obj in objects
               if obj.get("kind") not in ("Namespace", "Kustomization") and obj["metadata"].get("namespace") != "keel"]
    C.check(not outside, "every namespaced k8s object is in namespace keel", str(outside))

    deployments = {obj["metadata"]["name"]: obj for _, obj in by_kind.get("Deployment", [])}
    configmaps = {obj["metadata"]["name"]: obj for _, obj in by_kind.get("ConfigMap", [])}
    example_secret = yaml.safe_load((K8S / "secret.example.yaml").read_text())
    secret_keys = {example_secret["metadata"]["name"]: set(example_secret.get("stringData", {}))}

    for name, deployment in deployments.items():
        spec = deployment["spec"]
        pod = spec["template"]["spec"]
        pod_labels = spec["template"]["metadata"]["labels"]
        C.check(all(pod_labels.get(k) == v for k, v in spec["selector"]["matchLabels"].items()),
                f"Deployment {name}: its selector matches its pod labels")
        runs_keel = any("keel-pgbouncer" not in c["image"] and "/keel:" in c["image"]
                        for _, c in pod_containers(pod))
        for role, container in pod_containers(pod):
            resources = container.get("resources", {})
            C.check(all(resources.get(kind, {}).get(r) for kind in ("requests", "limits") for r in ("cpu", "memory")),
                    f"Deployment {name} {role} {container['name']}: cpu and memory requests and limits")
            security = container.get("securityContext", {})
            C.check(security.get("allowPrivilegeEscalation") is False and security.get("readOnlyRootFilesystem")
                    and security.get("capabilities", {}).get("drop") == ["ALL"],
                    f"Deployment {name} {role} {container['name']}: no privilege escalation, read-only root, "
                    f"no capabilities")
            check_container_env(name, container, configmaps, secret_keys, env_names)
        C.check(pod.get("securityContext", {}).get("runAsNonRoot") is True,
                f"Deployment {name}: runAsNonRoot")
        if runs_keel:
            # Service links would inject KEEL_API_SERVICE_HOST and the like, which Keel refuses at start.
            C.check(pod.get("enableServiceLinks") is False,
                    f"Deployment {name}: enableServiceLinks false (Keel refuses unknown KEEL_* variables)")

    api = deployments.get("keel-api")
    if C.check(api is not None, "Deployment keel-api exists"):
        pod = api["spec"]["template"]["spec"]
        container = pod["containers"][0]
        grace = pod.get("terminationGracePeriodSeconds", 30)
        drain_s = int(config_default("server.drain_timeout_ms")) / 1000
        C.check(probe_path(container, "livenessProbe") == "/health", "keel-api livenessProbe is GET /health")
        C.check(probe_path(container, "readinessProbe") == "/ready", "keel-api readinessProbe is GET /ready")
        C.check(probe_path(container, "startupProbe") is not None, "keel-api has a startupProbe")
        C.check(grace > API_MIN_GRACE_S, f"keel-api terminationGracePeriodSeconds {grace} > {API_MIN_GRACE_S}")
        C.check(prestop_sleep(container) > 0 and prestop_sleep(container) + drain_s < grace,
                f"keel-api preStop sleep {prestop_sleep(container)} s + drain {drain_s:.0f} s < grace {grace} s")
        C.check(any(c["args"] == ["migrate"] for c in pod.get("initContainers", [])),
                "keel-api runs `keel migrate` in an initContainer")
        annotations = api["spec"]["template"]["metadata"].get("annotations", {})
        C.check(annotations.get("prometheus.io/scrape") == "true" and annotations.get("prometheus.io/path") ==
                "/metrics", "keel-api pods carry prometheus.io scrape annotations")
    worker = deployments.get("keel-worker")
    if C.check(worker is not None, "Deployment keel-worker exists"):
        pod = worker["spec"]["template"]["spec"]
        grace = pod.get("terminationGracePeriodSeconds", 30)
        jobs_drain_s = int(config_default("jobs.drain_timeout_ms")) / 1000
        C.check(grace > jobs_drain_s, f"keel-worker terminationGracePeriodSeconds {grace} > jobs.drain_timeout "
                f"{jobs_drain_s:.0f} s")
        container = pod["containers"][0]
        C.check(container["args"] == ["worker"], "keel-worker runs `keel worker`")
        env = {v["name"]: v.get("value") for v in container.get("env", [])}
        ops_port = env.get("KEEL_JOBS_OPS_PORT")
        ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
        if C.check(ops_port is not None and ops_port.isdigit() and int(ops_port) > 0,
                   f"keel-worker sets KEEL_JOBS_OPS_PORT ({ops_port})"):
            port = int(ops_port)
            C.check(port in ports.values(), f"keel-worker declares its ops port {port} as a containerPort",
                    str(ports))

            def probe_port(probe):
                value = (container.get(probe) or {}).get("httpGet", {}).get("port")
                return ports.get(value) if isinstance(value, str) else value

            for probe, path in (("startupProbe", "/health"), ("livenessProbe", "/health"), ("readinessProbe", "/ready")):
                C.check(probe_path(container, probe) == path and probe_port(probe) == port,
                        f"keel-worker {probe} is GET {path} on the ops port {port}",
                        f"{probe_path(container, probe)} on {probe_port(probe)}")
            annotations = worker["spec"]["template"]["metadata"].get("annotations", {})
            C.check(annotations.get("prometheus.io/scrape") == "true" and annotations.get("prometheus.io/port") ==
                    str(port) and annotations.get("prometheus.io/path") == "/metrics",
                    f"keel-worker pods carry prometheus.io scrape annotations for /metrics on the ops port {port}",
                    str(annotations))
            # server.host defaults to loopback: the kubelet and Prometheus reach the port only if the image's
            # KEEL_SERVER_HOST=0.0.0.0 stands.
            hosts = [v["name"] for v in container.get("env", []) if v["name"] == "KEEL_SERVER_HOST"] + [
                name for ref in container.get("envFrom", []) for name in
                configmaps.get(ref.get("configMapRef", {}).get("name"), {}).get("data", {})
                if name == "KEEL_SERVER_HOST"]
            C.check(not hosts and dockerfile_env().get("KEEL_SERVER_HOST") == "0.0.0.0",
                    "keel-worker's ops port listens on every interface (the image's KEEL_SERVER_HOST=0.0.0.0, "
                    "not overridden)", str(hosts))

    for path, hpa in by_kind.get("HorizontalPodAutoscaler", []):
        name = hpa["metadata"]["name"]
        target = hpa["spec"]["scaleTargetRef"]
        C.check(hpa["apiVersion"] == "autoscaling/v2", f"HPA {name} is autoscaling/v2")
        C.check(target["kind"] == "Deployment" and target["name"] in deployments,
                f"HPA {name} targets an existing Deployment ({target['name']})")
        utilization = {m["resource"]["name"]: m["resource"]["target"].get("averageUtilization")
                       for m in hpa["spec"]["metrics"] if m["type"] == "Resource"}
        C.check(utilization == {"cpu": HPA_CPU, "memory": HPA_MEMORY},
                f"HPA {name}: cpu {HPA_CPU}% and memory {HPA_MEMORY}% utilization", str(utilization))
        C.check(1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"], f"HPA {name}: min <= max")
        if target["name"] in deployments:
            replicas = deployments[target["name"]]["spec"].get("replicas", 1)
            C.check(hpa["spec"]["minReplicas"] <= replicas <= hpa["spec"]["maxReplicas"],
                    f"HPA {name}: the Deployment's replicas ({replicas}) lie within min and max")
        external = [m["external"]["metric"]["name"] for m in hpa["spec"]["metrics"] if m["type"] == "External"]
        for metric in external:
            C.check(metric in exported_metrics(), f"HPA {name}: external metric {metric} is one Keel exports")
    hpa_targets = {hpa["spec"]["scaleTargetRef"]["name"]: hpa for _, hpa in by_kind.get("HorizontalPodAutoscaler", [])}
    C.check({"keel-api", "keel-worker"} <= set(hpa_targets), "both keel-api and keel-worker have an HPA")
    C.check(hpa_targets.get("keel-api", {}).get("spec", {}).get("minReplicas") == 3 and
            hpa_targets["keel-api"]["spec"]["maxReplicas"] == 20, "HPA keel-api scales from 3 to 20 pods")

    for path, pdb in by_kind.get("PodDisruptionBudget", []):
        name = pdb["metadata"]["name"]
        selector = pdb["spec"]["selector"]["matchLabels"]
        matched = [d for d, obj in deployments.items()
                   if all(obj["spec"]["template"]["metadata"]["labels"].get(k) == v for k, v in selector.items())]
        C.check(len(matched) == 1, f"PDB {name} selects the pods of exactly one Deployment ({', '.join(matched)})")
        C.check(("minAvailable" in pdb["spec"]) != ("maxUnavailable" in pdb["spec"]),
                f"PDB {name} sets one of minAvailable / maxUnavailable")
    pdb_names = {pdb["metadata"]["name"] for _, pdb in by_kind.get("PodDisruptionBudget", [])}
    C.check({"keel-api", "keel-worker"} <= pdb_names, "keel-api and keel-worker have a PodDisruptionBudget")

    services = {}
    for path, service in by_kind.get("Service", []):
        name = service["metadata"]["name"]
        services[name] = service
        selector = service["spec"]["selector"]
        matched = [d for d, obj in deployments.items()
                   if all(obj["spec"]["template"]["metadata"]["labels"].get(k) == v for k, v in selector.items())]
        C.check(len(matched) == 1, f"Service {name} selects the pods of exactly one Deployment")
        if matched:
            port_names = {p.get("name") for c in deployments[matched[0]]["spec"]["template"]["spec"]["containers"]
                          for p in c.get("ports", [])}
            for port in service["spec"]["ports"]:
                C.check(port["targetPort"] in port_names or isinstance(port["targetPort"], int),
                        f"Service {name} port {port['name']}: targetPort {port['targetPort']} is a container port")

    for path, ingress in by_kind.get("Ingress", []):
        name = ingress["metadata"]["name"]
        for rule in ingress["spec"]["rules"]:
            for p in rule["http"]["paths"]:
                backend = p["backend"]["service"]
                service = services.get(backend["name"])
                port_names = {x["name"] for x in service["spec"]["ports"]} if service else set()
                C.check(backend["port"].get("name") in port_names,
                        f"Ingress {name} path {p['path']} routes to Service {backend['name']} port "
                        f"{backend['port'].get('name')}")
        paths = {p["path"] for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]}
        C.check("/metrics" not in paths and "/" not in paths, f"Ingress {name} does not expose /metrics")
        retry = ingress["metadata"]["annotations"].get("nginx.ingress.kubernetes.io/proxy-next-upstream")
        C.check({retry} == cluster_nginx_template()["proxy_next_upstream"],
                f"Ingress {name} retries on what deploy/cluster/nginx.conf.in does ({retry})")
        annotations = ingress["metadata"]["annotations"]
        rps = int(annotations.get("nginx.ingress.kubernetes.io/limit-rps", 0))
        burst = rps * int(annotations.get("nginx.ingress.kubernetes.io/limit-burst-multiplier", 5))
        C.check((rps, burst) == cluster_rate_limit(),
                f"Ingress {name} limits {rps} r/s per address, burst {burst} (keel cluster's defaults)")

    for name, configmap in configmaps.items():
        keys = {key for key in configmap.get("data", {}) if key.startswith("KEEL_")}
        if keys:
            C.check(keys <= env_names, f"ConfigMap {name}: its {len(keys)} KEEL_* keys are configuration keys",
                    str(sorted(keys - env_names)))

    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    present = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    C.check(listed == present, "kustomization.yaml lists every manifest but secret.example.yaml",
            f"missing {sorted(present - listed)}, unknown {sorted(listed - present)}")
    C.check("secret.example.yaml" not in listed, "the example Secret is not applied by kustomization.yaml")
    values = example_secret.get("stringData", {})
    C.check(all("replace" in v.lower() for v in values.values()) and len(values.get("KEEL_AUTH_JWT_SECRET", "")) < 32,
            "secret.example.yaml holds placeholders only (its JWT secret under 32 bytes, which Keel refuses)")
    return configmaps


def check_container_env(deployment, container, configmaps, secret_keys, env_names):
    """Every KEEL_* variable is a configuration key; every $(VAR) is defined before use; every ConfigMap and
    Secret reference exists. One line per container."""
    defined, problems, keel_vars, references, secrets = set(), [], [], 0, 0
    for source in container.get("envFrom", []):
        ref = source.get("configMapRef", {}).get("name")
        if ref:
            if ref not in configmaps:
                problems.append(f"ConfigMap {ref} does not exist")
            defined |= set(configmaps.get(ref, {}).get("data", {}))
    for var in container.get("env", []):
        name = var["name"]
        if name.startswith("KEEL_"):
            keel_vars.append(name)
            if name not in env_names:
                problems.append(f"{name} is not a configuration key")
        for ref in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", var.get("value", "")):
            references += 1
            if ref not in defined:
                problems.append(f"{name} uses $({ref}) before it is defined")
        secret = var.get("valueFrom", {}).get("secretKeyRef")
        if secret:
            secrets += 1
            if secret["key"] not in secret_keys.get(secret["name"], set()):
                problems.append(f"Secret {secret['name']} has no key {secret['key']}")
        defined.add(name)
    C.check(not problems, f"Deployment {deployment} {container['name']}: environment consistent ({len(keel_vars)} "
            f"KEEL_* keys, {references} $(VAR) references, {secrets} Secret keys)", "; ".join(problems))


# ---------------------------------------------------------------------------------------------------------
# Compose


def check_compose(yamls, env_names):
    compose = yamls.get(DEPLOY / "docker-compose.yml", [None])[0]
    if not C.check(isinstance(compose, dict), "deploy/docker-compose.yml holds a compose file"):
        return
    services = compose["services"]
    C.check(COMPOSE_SERVICES <= set(services), "compose services " + ", ".join(sorted(COMPOSE_SERVICES)) + " exist",
            f"missing {sorted(COMPOSE_SERVICES - set(services))}")
    for name, service in services.items():
        depends = service.get("depends_on", {})
        for dependency in depends:
            C.check(dependency in services, f"compose {name} depends on an existing service ({dependency})")
        keel_vars = [key for key in service.get("environment", {}) or {} if key.startswith("KEEL_")]
        if keel_vars:
            C.check(set(keel_vars) <= env_names, f"compose {name}: its {len(keel_vars)} KEEL_* variables are "
                    f"configuration keys", str(sorted(set(keel_vars) - env_names)))
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                C.check((DEPLOY / source).exists(), f"compose {name} mounts {source}, which exists")
            else:
                C.check(source in (compose.get("volumes") or {}), f"compose {name}: volume {source} is declared")
        for network in service.get("networks", []):
            C.check(network in compose.get("networks", {}), f"compose {name}: network {network} is declared")

    api, worker, migrate = services.get("api", {}), services.get("worker", {}), services.get("migrate", {})
    for name, service in (("api", api), ("worker", worker)):
        C.check(service.get("depends_on", {}).get("migrate", {}).get("condition") == "service_completed_successfully",
                f"compose {name} starts after migrate completed successfully")
        C.check("@pgbouncer:6432/" in service.get("environment", {}).get("KEEL_DATABASE_URL", ""),
                f"compose {name} reaches PostgreSQL through pgBouncer")
        C.check("@postgres:5432/" in service.get("environment", {}).get("KEEL_DATABASE_DIRECT_URL", ""),
                f"compose {name} has a direct URL to PostgreSQL")
    C.check("@postgres:5432/" in migrate.get("environment", {}).get("KEEL_DATABASE_URL", ""),
            "compose migrate connects straight to PostgreSQL (its lock needs a session)")
    C.check(migrate.get("command") == ["migrate"] and worker.get("command") == ["worker"] and
            api.get("command") == ["serve"], "compose runs keel migrate / serve / worker")
    replicas = api.get("deploy", {}).get("replicas")
    C.check(replicas == 3 and worker.get("deploy", {}).get("replicas") == 2, "compose: 3 API replicas, 2 workers")
    C.check(api.get("environment", {}).get("KEEL_RATELIMIT_LOCAL_SHARE") == str(replicas),
            "compose KEEL_RATELIMIT_LOCAL_SHARE equals the API replicas")
    C.check(api.get("environment", {}).get("KEEL_JOBS_WORKERS") == "false" and
            api.get("environment", {}).get("KEEL_JOBS_SCHEDULER") == "false",
            "compose API replicas run no job workers and no scheduler")
    C.check(migrate.get("healthcheck", {}).get("disable") is True,
            "compose migrate: the image's HTTP healthcheck is disabled (no HTTP port)")
    C.check("/health" in " ".join(api.get("healthcheck", {}).get("test", [])), "compose api healthcheck probes /health")
    worker_env = worker.get("environment", {})
    ops_port = worker_env.get("KEEL_JOBS_OPS_PORT")
    worker_ops_port = None
    if C.check(isinstance(ops_port, str) and ops_port.isdigit() and int(ops_port) > 0,
               f"compose worker sets KEEL_JOBS_OPS_PORT ({ops_port})"):
        worker_ops_port = int(ops_port)
        test = " ".join(worker.get("healthcheck", {}).get("test", []))
        C.check(f"http://127.0.0.1:{worker_ops_port}/health" in test and "curl" in test and
                not worker.get("healthcheck", {}).get("disable"),
                f"compose worker healthcheck probes /health on the ops port {worker_ops_port}", test)
        C.check("ports" not in worker, "compose worker publishes no port to the host")
        C.check("KEEL_SERVER_HOST" not in worker_env and dockerfile_env().get("KEEL_SERVER_HOST") == "0.0.0.0",
                "compose worker's ops port listens on every interface (the image's KEEL_SERVER_HOST=0.0.0.0)")

    nginx_address = services.get("nginx", {}).get("networks", {}).get("keel", {}).get("ipv4_address")
    ipam = compose["networks"]["keel"]["ipam"]["config"][0]
    trusted = api.get("environment", {}).get("KEEL_SERVER_TRUSTED_PROXIES")
    C.check(nginx_address is not None and trusted == nginx_address,
            f"compose: Keel trusts X-Forwarded-For from nginx's fixed address ({nginx_address})")
    if nginx_address:
        address = ipaddress.ip_address(nginx_address)
        subnet, dynamic = ipaddress.ip_network(ipam["subnet"]), ipaddress.ip_network(ipam["ip_range"])
        C.check(address in subnet and address not in dynamic,
                "compose: nginx's address is in the subnet, outside the range given to other containers")

    text = (DEPLOY / "docker-compose.yml").read_text()
    secret_values = re.findall(r"^\s*[A-Z_]*(?:PASSWORD|SECRET)[A-Z_]*:\s*(\S+)", text, re.M)
    C.check(all(v.startswith("${") for v in secret_values),
            "compose takes every password and secret from deploy/.env (${...}), none written in", str(secret_values))
    C.check(".env" in (DEPLOY / ".gitignore").read_text().split(), "deploy/.gitignore keeps deploy/.env out of git")
    env_example = dict(line.split("=", 1) for line in (DEPLOY / ".env.example").read_text().splitlines()
                       if line and not line.startswith("#"))
    needed = set(re.findall(r"\$\{([A-Z_]+):\?", text))
    C.check(needed <= set(env_example),
            f"deploy/.env.example names every required variable ({', '.join(sorted(needed))})")
    C.check(len(env_example.get("KEEL_AUTH_JWT_SECRET", "x" * 32)) < 32,
            "deploy/.env.example's JWT secret is a placeholder Keel refuses (under 32 bytes)")

    prometheus = yamls.get(DEPLOY / "prometheus.yml", [{}])[0]
    jobs = {job["job_name"]: job for job in prometheus.get("scrape_configs", [])}
    sd = (jobs.get("keel-api", {}).get("dns_sd_configs") or [{}])[0]
    C.check(sd.get("names") == ["api"] and sd.get("type") == "A" and sd.get("port") == 8080,
            "prometheus.yml scrapes every api replica (dns_sd_configs type A, api:8080)")
    C.check(api.get("environment", {}).get("KEEL_SERVER_PORT") == str(sd.get("port")),
            "prometheus.yml's port is the api service's KEEL_SERVER_PORT")
    worker_job = jobs.get("keel-worker", {})
    sd = (worker_job.get("dns_sd_configs") or [{}])[0]
    C.check(sd.get("names") == ["worker"] and sd.get("type") == "A" and sd.get("port") == worker_ops_port and
            worker_job.get("metrics_path", "/metrics") == "/metrics",
            f"prometheus.yml scrapes every worker on its ops port (dns_sd_configs type A, worker:{worker_ops_port})",
            str(worker_job))
    C.check("./prometheus.yml:/etc/prometheus/prometheus.yml:ro" in services.get("prometheus", {}).get("volumes", []),
            "compose mounts deploy/prometheus.yml into Prometheus")


# ---------------------------------------------------------------------------------------------------------
# Dockerfile


def check_dockerfile(env_names):
    text = (DEPLOY / "Dockerfile").read_text()
    stages = dict(dockerfile_stages(text))
    C.check({"build", "pgbouncer", "keel"} <= set(stages), "Dockerfile has build, pgbouncer and keel stages")
    C.check(list(stages)[-1] == "keel", "Dockerfile's default (last) stage is keel")
    C.check(all(re.match(r"\$\{DEBIAN_IMAGE\}|debian:12", arg) for arg in
                re.findall(r"^FROM\s+(\S+)", text, re.M)), "Dockerfile: every stage is Debian 12")
    C.check("ARG DEBIAN_IMAGE=debian:12-slim" in text, "Dockerfile: the base is debian:12-slim")

    build = stages.get("build", [])
    build_packages = set(p for i, a in build if i == "RUN" for p in apt_packages(a))
    groups = install_deps_groups()
    wanted = (set(groups.get("build", [])) - {"ccache"}) | set(groups.get("libraries", []))
    C.check(wanted <= build_packages, "build stage installs the build and libraries groups of scripts/install-deps.sh",
            f"missing {sorted(wanted - build_packages)}")
    C.check({"libgtest-dev", "libgmock-dev"} <= build_packages,
            "build stage installs GoogleTest (CMakeLists.txt finds it at configure time)")
    runs = " ".join(a for i, a in build if i == "RUN")
    C.check("cmake --preset release" in runs and "cmake --build --preset release --target keel" in runs,
            "build stage configures the release preset and builds the keel target")
    for instruction, argument in build:
        if instruction == "COPY" and not argument.startswith("--from"):
            for source in argument.split()[:-1]:
                C.check((ROOT / source).exists(), f"build stage copies {source}, which exists")

    runtime = stages.get("keel", [])
    runtime_packages = [p for i, a in runtime if i == "RUN" for p in apt_packages(a)]
    version_file = pathlib.Path("/etc/debian_version")
    debian = version_file.read_text().strip() if version_file.exists() else ""
    if debian.startswith("12"):
        # The -dev packages installed here depend on these, so each must be an installed Debian 12 package.
        missing = [p for p in runtime_packages if subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True).stdout != "install ok installed"]
        C.check(not missing,
                f"runtime packages are Debian 12 packages installed on this machine: {' '.join(runtime_packages)}",
                f"not installed: {missing}")
    else:
        C.note(f"not Debian 12 ({debian or 'unknown'}): runtime package names not checked against dpkg")
    binary = ROOT / "build" / "release" / "keel"
    if binary.exists() and shutil.which("readelf") and debian.startswith("12"):
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]",
                            subprocess.run(["readelf", "-d", str(binary)], capture_output=True, text=True).stdout)
        # dpkg knows a library by the path its package installed it at: /lib/<multiarch>/ or /usr/lib/<multiarch>/.
        multiarch = sysconfig.get_config_var("MULTIARCH") or "x86_64-linux-gnu"
        owners = {}
        for library in needed:
            owner = ""
            for directory in (f"/lib/{multiarch}", f"/usr/lib/{multiarch}"):
                path = f"{directory}/{library}"
                for candidate in (path, os.path.realpath(path)):
                    if not owner and os.path.exists(candidate):
                        owner = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True).stdout
            owners[library] = owner.split(":")[0] if owner else "(no package found)"
        uncovered = {lib: pkg for lib, pkg in owners.items() if pkg not in set(runtime_packages) | BASE_PACKAGES}
        if needed:
            C.check(not uncovered, f"runtime stage provides every library build/release/keel needs ({len(needed)} "
                    f"NEEDED entries)", str(uncovered))
        else:  # being relinked right now, or not an ELF file
            C.note("readelf found no NEEDED entries in build/release/keel: its libraries were not checked")
    else:
        C.note("build/release/keel not built (or readelf missing): its NEEDED libraries were not checked")

    instructions = {i: a for i, a in runtime}
    C.check(instructions.get("ENTRYPOINT") == '["keel"]' and instructions.get("CMD") == '["serve"]',
            'keel stage: ENTRYPOINT ["keel"], CMD ["serve"]')
    C.check(instructions.get("WORKDIR") == "/var/lib/keel" and instructions.get("EXPOSE") == "8080",
            "keel stage: WORKDIR /var/lib/keel, EXPOSE 8080")
    C.check(re.fullmatch(r"\d+:\d+", instructions.get("USER", "")) is not None and
            instructions["USER"].split(":")[0] == "10001",
            "keel stage: numeric non-root USER 10001 (the k8s runAsUser)")
    C.check("/health" in instructions.get("HEALTHCHECK", ""), "keel stage: HEALTHCHECK probes /health")
    for name in re.findall(r"^ENV\s+(KEEL_[A-Z0-9_]+)=", text, re.M):
        C.check(name in env_names, f"Dockerfile ENV {name} is a configuration key")
    pgbouncer = dict(stages.get("pgbouncer", []))
    C.check(pgbouncer.get("USER") == "10002:10002", "pgbouncer stage: numeric non-root USER 10002 (the k8s runAsUser)")
    C.check(pgbouncer.get("STOPSIGNAL") == "SIGINT", "pgbouncer stage: STOPSIGNAL SIGINT (pgBouncer's safe shutdown)")
    dockerignore = (ROOT / ".dockerignore").read_text().split()
    C.check({".git", "build/", "var/"} <= set(dockerignore), ".dockerignore leaves out .git, build/ and var/")


# ---------------------------------------------------------------------------------------------------------
# Grafana


def check_grafana(yamls, jsons):
    datasource = yamls.get(DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml", [{}])[0]
    uids = {d.get("uid") for d in datasource.get("datasources", [])}
    provider = yamls.get(DEPLOY / "grafana" / "provisioning" / "dashboards" / "keel.yml", [{}])[0]
    provider_path = provider.get("providers", [{}])[0].get("options", {}).get("path")
    compose = yamls.get(DEPLOY / "docker-compose.yml", [{}])[0]
    C.check(f"./grafana/dashboards:{provider_path}:ro" in compose["services"]["grafana"]["volumes"],
            f"the dashboard provider's path ({provider_path}) is where compose mounts deploy/grafana/dashboards")
    metrics, labels = exported_metrics(), exported_labels() | PROMETHEUS_LABELS
    dashboard = jsons.get(DEPLOY / "grafana" / "dashboards" / "keel.json")
    if not C.check(dashboard is not None, "deploy/grafana/dashboards/keel.json exists"):
        return
    panels = dashboard.get("panels", [])
    ids = [p["id"] for p in panels]
    C.check(len(ids) == len(set(ids)), f"dashboard panel ids are unique ({len(panels)} panels)")
    C.check(dashboard.get("uid") and dashboard.get("title") and isinstance(dashboard.get("schemaVersion"), int),
            "dashboard has uid, title and schemaVersion")
    exprs, incomplete = [], []
    for panel in panels:
        if panel["type"] == "row":
            continue
        if not (panel.get("datasource", {}).get("uid") in uids and "gridPos" in panel and panel.get("targets") and
                all(t.get("datasource", {}).get("uid") in uids for t in panel["targets"])):
            incomplete.append(panel["title"])
        exprs += [(panel["title"], t["expr"]) for t in panel.get("targets", [])]
    C.check(not incomplete, f"every dashboard panel has a position, queries and the provisioned data source "
            f"(uid {', '.join(sorted(u for u in uids if u))})", str(incomplete))
    used_metrics, used_labels, unknown = set(), set(), []
    for title, expr in exprs:
        for token in re.findall(r"\bkeel_[a-z0-9_]+", expr):
            base = next((token[:-len(s)] for s in HISTOGRAM_SUFFIXES
                         if token.endswith(s) and token[:-len(s)] in metrics), token)
            used_metrics.add(base)
            if base not in metrics:
                unknown.append((title, token))
        for group in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr):
            used_labels.update(x.strip() for x in group.split(",") if x.strip())
        for selector in re.findall(r"\{([^}]*)\}", expr):
            used_labels.update(re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", selector))
    C.check(not unknown, f"dashboard queries name only metrics Keel exports ({len(used_metrics)} of "
            f"{len(metrics)}: {', '.join(sorted(used_metrics))})", str(unknown))
    C.check(used_labels <= labels,
            f"dashboard queries use only labels Keel's metrics carry ({', '.join(sorted(used_labels))})",
            f"unknown {sorted(used_labels - labels)}")
    wanted = {"keel_http_requests_total", "keel_http_request_duration_seconds", "keel_model_cache_hits_total",
              "keel_model_cache_misses_total", "keel_jobs_queue_depth", "keel_db_pool_connections",
              "keel_db_pool_max_connections", "keel_db_pool_waiters", "keel_kv_unavailable_total",
              "keel_ratelimit_rejections_total"}
    C.check(wanted <= used_metrics,
            "dashboard covers requests, latency, errors, cache, queue, DB pool, KV, rate limits",
            f"missing {sorted(wanted - used_metrics)}")
    C.check(any("histogram_quantile(0.99" in e and "keel_http_request_duration_seconds_bucket" in e for _, e in exprs),
            "dashboard has p99 latency from the request-duration histogram")


# ---------------------------------------------------------------------------------------------------------
# nginx and pgBouncer, checked by the real programs


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_postgres(argv):
    if os.geteuid() == 0:
        return ["/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] + argv
    return argv


def cluster_nginx_template():
    """deploy/cluster/nginx.conf.in with its line placeholders filled the way src/cluster/servers.cpp does
    (one upstream server line, with the options it gives each instance)."""
    servers = (ROOT / "src" / "cluster" / "servers.cpp").read_text()
    options = re.search(r'"\s*server 127\.0\.0\.1:\{\} ([^;"]*);', servers)
    text = (DEPLOY / "cluster" / "nginx.conf.in").read_text()
    text = text.replace("@API_SERVERS@", f"server 127.0.0.1:1 {options.group(1) if options else ''};")
    return nginx_directives(text.replace("@USER_LINE@", ""))


def cluster_rate_limit():
    """`keel cluster up`'s default nginx limit_req rate and burst (src/cluster/cluster.hpp)."""
    text = (ROOT / "src" / "cluster" / "cluster.hpp").read_text()
    return int(re.search(r"int rate = (\d+);", text).group(1)), int(re.search(r"int burst = (\d+);", text).group(1))


def check_nginx():
    source = DEPLOY / "compose" / "nginx.conf"
    text = source.read_text()
    compose_directives = nginx_directives(text)
    template = cluster_nginx_template()
    shared = ("least_conn", "keepalive", "keepalive_timeout", "keepalive_requests", "zone", "proxy_next_upstream",
              "proxy_next_upstream_tries", "proxy_next_upstream_timeout", "proxy_http_version", "proxy_set_header",
              "proxy_connect_timeout", "proxy_read_timeout", "proxy_send_timeout", "proxy_cache_methods",
              "proxy_cache_bypass", "proxy_no_cache", "proxy_cache_use_stale", "limit_req_status",
              "client_max_body_size", "gzip_types", "map", "log_format", "worker_shutdown_timeout")
    differ = {name: (compose_directives.get(name), template.get(name)) for name in shared
              if compose_directives.get(name) != template.get(name)}
    C.check(not differ, f"compose nginx.conf sets {len(shared)} directives as deploy/cluster/nginx.conf.in does "
            f"({', '.join(shared)})", str(differ))
    C.check("proxy_cache_lock" not in compose_directives and "proxy_cache_lock" not in template,
            "no proxy_cache_lock: it would serialize concurrent uncacheable GETs of one URL")
    C.check(not any("http_503" in v for v in compose_directives.get("proxy_next_upstream", set())),
            "compose nginx.conf does not retry on 503")
    rate, burst = cluster_rate_limit()
    C.check(compose_directives.get("limit_req") == {f"zone=api burst={burst} nodelay", "zone=predict burst=5 nodelay"}
            and any(f"rate={rate}r/s" in v for v in compose_directives.get("limit_req_zone", set())),
            f"compose nginx.conf limits {rate} r/s per address, burst {burst} (keel cluster's defaults)")
    C.check(any("zone=predict:10m rate=3r/s" in v for v in compose_directives.get("limit_req_zone", set())) and
            any("zone=predict:10m rate=@PREDICT_RATE@r/s" in v for v in template.get("limit_req_zone", set())),
            "compose and cluster nginx limit POST /api/v1/predict to seed 004's 3 r/s per address, burst 5")
    upstream_servers = compose_directives.get("server", set()) - {""}  # "" is the server { } block
    template_options = {v.split(None, 1)[1] for v in template.get("server", set()) - {""}}
    C.check(upstream_servers and all(v.split(None, 1)[0] == "api:8080" and v.split(None, 1)[1:] ==
                                     list(template_options) for v in upstream_servers),
            f"compose nginx.conf's upstream is the api service (every replica), with keel cluster's server "
            f"options ({', '.join(template_options)})", str(upstream_servers))

    if not os.access(NGINX, os.X_OK):
        C.check(False, f"{NGINX} exists (scripts/install-deps.sh installs nginx-light)")
        return
    with tempfile.TemporaryDirectory(prefix="keel-nginx-check-") as tmp:
        os.chmod(tmp, 0o755)
        # Every absolute path into the temp dir, the upstream's host to loopback: nginx -t then touches nothing
        # outside it (the startup error log too, through -e).
        checked = re.sub(r"(?<=\s)/(?:var|run|dev|etc)/[^\s;]*",
                         lambda m: f"{tmp}/root{m.group(0)}", text)
        checked = re.sub(r"(\bserver\s+)[A-Za-z][A-Za-z0-9.-]*(:\d+)", r"\g<1>127.0.0.1\g<2>", checked)
        # nginx -t binds the listen addresses: a free loopback port, not port 80 (privileged, maybe taken).
        checked = re.sub(r"^(\s*listen\s+)[^;]*;", lambda m: f"{m.group(1)}127.0.0.1:{free_port()};", checked,
                         flags=re.M)
        user = "user nobody nogroup;" if os.geteuid() == 0 else ""
        checked = re.sub(r"^user\s+[^;]*;", user, checked, flags=re.M)
        for directory in ("var/run", "dev", "var/cache/nginx"):
            os.makedirs(f"{tmp}/root/{directory}", exist_ok=True)
        for directory, _, _ in os.walk(tmp):
            os.chmod(directory, 0o755)
        conf = pathlib.Path(tmp) / "nginx.conf"
        conf.write_text(checked)
        result = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", tmp + "/", "-e", f"{tmp}/startup-error.log"],
                                capture_output=True, text=True, timeout=60)
        output = (result.stdout + result.stderr).strip()
        C.check(result.returncode == 0 and "test is successful" in output,
                "nginx -t accepts deploy/compose/nginx.conf (hosts and listen -> loopback, paths -> a temp dir)",
                output)


def pgbouncer_parses(name, text):
    """pgBouncer loads `text`: run against a pidfile naming PID 1 (always alive), a valid configuration stops
    at "pidfile exists"; an invalid one at "cannot load config file"."""
    if not os.access(PGBOUNCER, os.X_OK):
        return C.check(False, f"{PGBOUNCER} exists (scripts/install-deps.sh installs pgbouncer)")
    with tempfile.TemporaryDirectory(prefix="keel-pgbouncer-check-") as tmp:
        os.chmod(tmp, 0o755)
        pidfile, auth = pathlib.Path(tmp) / "pgbouncer.pid", pathlib.Path(tmp) / "userlist.txt"
        pidfile.write_text("1\n")
        auth.write_text('"keel" "placeholder"\n')
        # The paths into the temp dir, the pidfile always (after the section header, whatever the file says).
        replacements = {"auth_file": f"auth_file = {auth}", "pidfile": None, "logfile": None,
                        "listen_addr": "listen_addr = 127.0.0.1"}
        lines = []
        for line in text.splitlines():
            key = line.split("=", 1)[0].strip() if "=" in line and not line.lstrip().startswith(";") else None
            if key in replacements:
                if replacements[key]:
                    lines.append(replacements[key])
                continue
            lines.append(line)
            if line.strip() == "[pgbouncer]":
                lines.append(f"pidfile = {pidfile}")
        ini = pathlib.Path(tmp) / "pgbouncer.ini"
        ini.write_text("\n".join(lines) + "\n")
        for path in (pidfile, auth, ini):
            os.chmod(path, 0o644)
        try:
            result = subprocess.run(as_postgres([PGBOUNCER, str(ini)]), capture_output=True, text=True, timeout=30)
            output = (result.stdout + result.stderr).strip()
        except subprocess.TimeoutExpired as timeout:  # it started for real: the pidfile was not honoured
            output = f"pgbouncer still running after {timeout.timeout} s (killed)"
        errors = [line for line in output.splitlines() if " ERROR " in line or "FATAL cannot load" in line]
        return C.check("pidfile exists, another instance running?" in output and not errors,
                       f"pgBouncer 1.18 parses {name} (stops at the pidfile check, no errors)", output)


def check_pgbouncer(configmaps):
    template = ini_settings((DEPLOY / "cluster" / "pgbouncer.ini.in").read_text())
    shared = ("pool_mode", "default_pool_size", "min_pool_size", "reserve_pool_size", "reserve_pool_timeout",
              "max_client_conn", "auth_type", "server_reset_query", "ignore_startup_parameters")
    files = [("deploy/compose/pgbouncer.ini", (DEPLOY / "compose" / "pgbouncer.ini").read_text())]
    k8s_ini = configmaps.get("pgbouncer-config", {}).get("data", {}).get("pgbouncer.ini")
    if C.check(k8s_ini is not None, "deploy/k8s ConfigMap pgbouncer-config holds a pgbouncer.ini"):
        files.append(("the pgbouncer.ini of deploy/k8s/pgbouncer-deployment.yaml", k8s_ini))
    for name, text in files:
        settings = ini_settings(text)
        differ = {k: (settings.get(k), template.get(k)) for k in shared if settings.get(k) != template.get(k)}
        C.check(not differ, f"{name}: {', '.join(shared)} as in deploy/cluster/pgbouncer.ini.in", str(differ))
        C.check(settings.get("pool_mode") == "transaction" and settings.get("default_pool_size") == "25" and
                settings.get("min_pool_size") == "10" and settings.get("reserve_pool_size") == "5",
                f"{name}: transaction pooling, pools 25 / min 10 / reserve 5")
        C.check(settings.get("listen_port") == "6432", f"{name}: listens on 6432 (the port in the Keel URLs)")
        pgbouncer_parses(name, text)


# ---------------------------------------------------------------------------------------------------------


def check_with_the_tools():
    """The files as the tools a Debian 12 user has read them: docker-compose 1.29 (scripts/install-deps.sh
    installs it), Compose v2 and kubectl's kustomize where this machine has them."""
    tools = [("kubectl", ["kubectl", "kustomize", str(K8S)], "kubectl kustomize deploy/k8s")]
    # The base file alone, and with each Redis topology's override on top.
    for override in [None, "docker-compose.redis-cluster.yml", "docker-compose.redis-sentinel.yml"]:
        files = ["-f", str(DEPLOY / "docker-compose.yml")] + (["-f", str(DEPLOY / override)] if override else [])
        args = ["--env-file", str(DEPLOY / ".env.example"), *files, "config", "-q"]
        named = "docker-compose.yml" + (f" + {override}" if override else "")
        tools += [("docker-compose", ["docker-compose", *args], f"docker-compose 1.29 (Debian 12) on {named}"),
                  ("docker", ["docker", "compose", *args], f"docker compose (v2) on {named}")]
    for binary, argv, what in tools:
        if shutil.which(binary) is None:
            C.note(f"{binary} is not installed here: {what} not run")
            continue
        if binary == "docker" and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode:
            C.note(f"docker has no compose plugin here: {what} not run")
            continue
        run = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=120)
        C.check(run.returncode == 0, f"{what} accepts the files", (run.stderr or run.stdout)[-2000:])


def main():
    print(f"checking {rel(DEPLOY)}/ in {ROOT}")
    env_names = config_env_names()
    C.check(len(env_names) > 50, f"docs/config.md lists {len(env_names)} configuration variables")
    C.check(len(exported_metrics()) > 20, f"src/ exports {len(exported_metrics())} keel_* metrics")
    yamls, jsons = load_all()
    configmaps = {}

    def k8s():
        configmaps.update(check_k8s(yamls, env_names))

    sections = [("Kubernetes", k8s), ("compose", lambda: check_compose(yamls, env_names)),
                ("Dockerfile", lambda: check_dockerfile(env_names)), ("Grafana", lambda: check_grafana(yamls, jsons)),
                ("nginx", check_nginx), ("pgBouncer", lambda: check_pgbouncer(configmaps)),
                ("tools", check_with_the_tools)]
    for name, section in sections:
        # A file too broken for a section's lookups fails that section, not the whole run.
        try:
            section()
        except Exception as error:  # noqa: BLE001 - reported as a failed check
            C.check(False, f"the {name} checks ran to the end",
                    f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=-2)}")
    print()
    if C.failed:
        print("failed checks:")
        for what in C.failed:
            print(f"  {what}")
    print(f"{C.passed} passed, {len(C.failed)} failed")
    return 1 if C.failed else 0


if __name__ == "__main__":
    sys.exit(main())
