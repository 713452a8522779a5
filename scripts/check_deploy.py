"""Cross-checks of the deployment files that no schema catches.

Run by scripts/lint-deploy.sh with the directory of the rendered Kustomize
overlays (<overlay>.yaml each). Exits 1 listing every problem found.
"""

import json
import pathlib
import re
import subprocess
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
problems: list[str] = []


def problem(msg: str) -> None:
    problems.append(msg)


def rust_env_names() -> set[str]:
    """Every "PAINCHAIN_*" string literal in the Rust sources: the variables
    the binary can read (config, connectors, secrets)."""
    names: set[str] = set()
    for f in (ROOT / "crates").rglob("*.rs"):
        names.update(re.findall(r'"(PAINCHAIN_[A-Z0-9_]+)"', f.read_text()))
    # `secret_from_env` builds the *_FILE variants at run time.
    names.update(n + "_FILE" for n in list(names))
    return names


KNOWN_ENV = rust_env_names()


def check_env_name(where: str, name: str) -> None:
    if name.startswith("PAINCHAIN_") and name not in KNOWN_ENV:
        problem(f"{where}: {name} is read nowhere in crates/ (typo?)")


# ------------------------------------------------------------------ compose


def check_compose() -> None:
    path = ROOT / "docker-compose.yml"
    text = path.read_text()
    compose = yaml.safe_load(text)
    env_example = {}
    for n, line in enumerate((ROOT / ".env.example").read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not re.fullmatch(r"[A-Z_][A-Z0-9_]*", key):
            problem(f".env.example:{n}: not KEY=value: {line!r}")
            continue
        env_example[key] = value
        if re.search(r"PASSWORD|SECRET|TOKEN", key) and value:
            problem(f".env.example: {key} must be empty (secrets go in .env only)")

    uncommented = "\n".join(l.split(" #")[0] for l in text.splitlines() if not l.lstrip().startswith("#"))
    used = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", uncommented))
    for var in sorted(used - env_example.keys()):
        problem(f"docker-compose.yml: ${{{var}}} is not in .env.example")
    # COMPOSE_PROFILES is read by Compose itself.
    for var in sorted(env_example.keys() - used - {"COMPOSE_PROFILES"}):
        problem(f".env.example: {var} is used nowhere in docker-compose.yml")
    if env_example.get("COMPOSE_PROFILES") not in ("free", "multi-tenant"):
        problem(".env.example: COMPOSE_PROFILES must be free or multi-tenant")

    services = compose.get("services") or {}
    volumes = set((compose.get("volumes") or {}).keys())
    profiles_seen: set[str] = set()
    for name, svc in services.items():
        where = f"docker-compose.yml: service {name}"
        if not svc.get("image"):
            problem(f"{where}: no image")
        profiles = set(svc.get("profiles") or [])
        if not profiles or not profiles <= {"free", "multi-tenant"}:
            problem(f"{where}: profiles must be free and/or multi-tenant, got {sorted(profiles)}")
        profiles_seen |= profiles
        env = svc.get("environment") or {}
        if isinstance(env, list):
            env = dict(e.partition("=")[::2] for e in env)
        for key in env:
            check_env_name(where, key)
        deps = svc.get("depends_on") or []
        for dep in deps if isinstance(deps, list) else deps.keys():
            if dep not in services:
                problem(f"{where}: depends_on unknown service {dep}")
            elif not profiles & set(services[dep].get("profiles") or []):
                problem(f"{where}: depends_on {dep}, which is in none of its profiles")
        for v in svc.get("volumes") or []:
            source = v.split(":")[0] if isinstance(v, str) else v.get("source", "")
            if source and not source.startswith((".", "/", "$")) and source not in volumes:
                problem(f"{where}: volume {source} is not declared under volumes:")
        if "painchain" in str(svc.get("image")) and svc.get("read_only") is not True:
            problem(f"{where}: PainChain containers run with read_only: true")
    for p in ("free", "multi-tenant"):
        if p not in profiles_seen:
            problem(f"docker-compose.yml: no service in profile {p}")

    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT).returncode == 0
    if not ignored:
        problem(".gitignore: .env must be ignored (it holds the secrets)")


# ------------------------------------------------------------------ kubernetes


def load_all(path: pathlib.Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def check_kubernetes(rendered: pathlib.Path) -> None:
    overlays = sorted(rendered.glob("*.yaml"))
    if {p.stem for p in overlays} < {"free", "multi-tenant"}:
        problem(f"kubernetes: expected overlays free and multi-tenant, got {[p.stem for p in overlays]}")
    for path in overlays:
        docs = load_all(path)
        where = f"overlays/{path.stem}"
        workloads = [d for d in docs if d["kind"] == "Deployment"]
        if not workloads:
            problem(f"{where}: no Deployment")
        for d in workloads:
            w = f"{where}: Deployment {d['metadata']['name']}"
            pod = d["spec"]["template"]["spec"]
            if not (pod.get("securityContext") or {}).get("runAsNonRoot"):
                problem(f"{w}: runAsNonRoot must be true")
            for c in pod["containers"]:
                sc = c.get("securityContext") or {}
                if not sc.get("readOnlyRootFilesystem"):
                    problem(f"{w}: container {c['name']}: readOnlyRootFilesystem must be true")
                if sc.get("allowPrivilegeEscalation") is not False:
                    problem(f"{w}: container {c['name']}: allowPrivilegeEscalation must be false")
                if not (c.get("resources") or {}).get("limits", {}).get("memory"):
                    problem(f"{w}: container {c['name']}: no memory limit")
                for probe in ("livenessProbe", "readinessProbe"):
                    if probe not in c:
                        problem(f"{w}: container {c['name']}: no {probe}")
                for e in c.get("env") or []:
                    check_env_name(w, e["name"])
            if d["metadata"]["name"] == "painchain":
                c = pod["containers"][0]
                paths = (c["livenessProbe"]["httpGet"]["path"], c["readinessProbe"]["httpGet"]["path"])
                if paths != ("/health", "/ready"):
                    problem(f"{w}: probes must be liveness /health, readiness /ready, got {paths}")
        if not any(d["kind"] == "NetworkPolicy" for d in docs):
            problem(f"{where}: no NetworkPolicy")

    # The free tier is one SQLite writer; the multi-tenant tier has the rest.
    by_name = {p.stem: load_all(p) for p in overlays}
    free = by_name.get("free", [])
    for d in free:
        if d["kind"] == "Deployment" and d["metadata"]["name"] == "painchain":
            if d["spec"]["replicas"] != 1 or d["spec"].get("strategy", {}).get("type") != "Recreate":
                problem("overlays/free: SQLite needs replicas: 1 and strategy Recreate")
    mt = by_name.get("multi-tenant", [])
    kinds = {d["kind"] for d in mt}
    for k in ("PodDisruptionBudget", "ServiceAccount", "ClusterRole", "ClusterRoleBinding"):
        if k not in kinds:
            problem(f"overlays/multi-tenant: no {k}")

    # The standalone RBAC file and the overlay's copy must agree.
    def role(docs: list[dict]) -> dict | None:
        return next((d for d in docs if d["kind"] == "ClusterRole"), None)

    standalone = role(load_all(ROOT / "deploy/kubernetes/rbac.yaml"))
    copy = role(mt)
    if standalone is None or copy is None:
        problem("kubernetes: ClusterRole missing from rbac.yaml or the multi-tenant overlay")
    else:
        if standalone["rules"] != copy["rules"]:
            problem("deploy/kubernetes/rbac.yaml and overlays/multi-tenant/kubernetes-connector-rbac.yaml differ")
        granted = {r for rule in standalone["rules"] for r in rule["resources"]}
        verbs = {v for rule in standalone["rules"] for v in rule["verbs"]}
        if not verbs <= {"get", "list", "watch"}:
            problem(f"rbac.yaml: read-only means get/list/watch, got {sorted(verbs)}")
        wanted = {
            "deployments", "statefulsets", "daemonsets", "replicasets", "pods", "configmaps",
            "secrets", "services", "ingresses", "jobs", "cronjobs", "horizontalpodautoscalers", "events",
        }
        if wanted - granted:
            problem(f"rbac.yaml: missing {sorted(wanted - granted)}")


# ------------------------------------------------------------------ monitoring


def check_alerts() -> None:
    path = ROOT / "deploy/prometheus/painchain-alerts.yaml"
    doc = yaml.safe_load(path.read_text())
    names = set()
    for group in doc.get("groups") or []:
        for rule in group.get("rules") or []:
            name = rule.get("alert")
            where = f"{path.name}: {name or rule}"
            if not name or not rule.get("expr"):
                problem(f"{where}: every rule needs alert and expr")
            if name in names:
                problem(f"{where}: duplicate alert name")
            names.add(name)
            if (rule.get("labels") or {}).get("severity") not in ("critical", "warning", "info"):
                problem(f"{where}: labels.severity must be critical, warning or info")
            if not (rule.get("annotations") or {}).get("summary"):
                problem(f"{where}: no annotations.summary")
            if not re.fullmatch(r"\d+[smh]", str(rule.get("for", ""))):
                problem(f"{where}: `for` must be a duration such as 5m")
    if not names:
        problem(f"{path.name}: no alert rules")


def check_dashboard() -> None:
    path = ROOT / "deploy/grafana/painchain-dashboard.json"
    d = json.loads(path.read_text())
    for key in ("title", "uid", "panels", "annotations", "templating"):
        if key not in d:
            problem(f"{path.name}: no {key}")
    annos = [a for a in d.get("annotations", {}).get("list", []) if not a.get("builtIn")]
    ok = False
    for a in annos:
        t = a.get("target") or {}
        params = {p["key"]: p["value"] for p in (t.get("url_options") or {}).get("params", [])}
        if t.get("url") == "/api/annotations" and params.get("from") == "${__from}" and params.get("to") == "${__to}":
            ok = True
        cols = {c["selector"] for c in t.get("columns") or []}
        if not {"time", "title", "text"} <= cols:
            problem(f"{path.name}: annotation {a.get('name')}: map at least time, title, text")
    if not ok:
        problem(f"{path.name}: no annotation query of /api/annotations with from=${{__from}}, to=${{__to}}")
    variables = {v["name"] for v in d.get("templating", {}).get("list", [])}
    for p in d.get("panels", []):
        ds = json.dumps(p.get("datasource", {}))
        for var in re.findall(r"\$\{?(\w+)", ds):
            if var not in variables:
                problem(f"{path.name}: panel {p.get('title')}: unknown variable {var}")
        if not p.get("targets"):
            problem(f"{path.name}: panel {p.get('title')}: no targets")


def main() -> int:
    rendered = pathlib.Path(sys.argv[1])
    check_compose()
    check_kubernetes(rendered)
    check_alerts()
    check_dashboard()
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
