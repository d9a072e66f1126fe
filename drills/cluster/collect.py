"""Collect an evidence bundle: the drill's API objects plus in-cluster probe results.

Objects are listed side by side; probes run as one exec per probe pod (one
script for the whole batch, see drills.probes.batch_script). Whatever cannot
be read goes into the bundle (errors[], a probe's "error"), never out as an
exception, so the graders can say ERROR instead of FAIL.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable

from drills import probes as P
from drills.cluster.api import ApiError, ExecFailed
from drills.cluster.setup import collected_scope
from drills.cluster.objects import PROBE_CONTAINER, PROBE_POD, probe_pod_body, utc_now
from drills.cluster.trust import require_labelled
from drills.errors import ClusterUnreachable, DrillsError, UnsafeTarget
from drills.evidence import BUNDLE_KIND, BUNDLE_VERSION, OBJECT_KINDS, labels_of, name_of, namespace_of

RETRY_BUDGET_S = 2.5       # a probe failing right after a fix is tried again within this
RETRY_PAUSE_S = 0.3
PROBE_POD_HEAL_S = 8.0     # how long to wait for a re-created probe pod
LIST_WORKERS = 8
DNS_TRY_BOUND_S = 12.0     # busybox nslookup retries on its own


def collect_evidence(session: Any, plan: Any, probes: list[P.ProbeSpec], *,
                     api_only: bool = False, retry_budget: float = RETRY_BUDGET_S) -> dict[str, Any]:
    started = time.monotonic()
    api = session.api
    scope = collected_scope(plan)
    objects, errors = collect_objects(api, plan.namespaces, scope)
    results: dict[str, dict[str, Any]] = {}
    if not api_only and probes:
        runner = ProbeRunner(api, plan)
        results = runner.run(probes, objects)
        while time.monotonic() < started + retry_budget:
            failing = [s for s in probes if failed(results[s.key])]
            short = [s for s in probes if s not in failing
                     and incomplete(s, results[s.key], objects, plan)]
            if not failing and not short:
                break
            if failing:
                # the state may still be settling after a fix: look again, then probe again
                time.sleep(RETRY_PAUSE_S)
                objects, errors = collect_objects(api, plan.namespaces, scope)
            again = runner.run(failing + short, objects)
            for spec in failing:
                if not again[spec.key].get("error"):
                    results[spec.key] = again[spec.key]
            for spec in short:
                if not again[spec.key].get("error"):
                    results[spec.key]["attempts"] += again[spec.key]["attempts"]
                    results[spec.key]["truncated"] |= again[spec.key]["truncated"]
    version = session.version
    if version is None:
        try:
            version = session.version = api.version()
        except (ApiError, DrillsError) as exc:
            errors.append({"source": "version", "message": _describe(exc)})
    return {
        "kind": BUNDLE_KIND, "version": BUNDLE_VERSION,
        "drill": plan.identity(), "context": session.context, "collected_at": utc_now(),
        "cluster": {"version": version},
        "objects": objects, "probes": results, "errors": errors,
    }


# --- API objects ------------------------------------------------------------------

def collect_objects(api: Any, namespaces: list[str], extra: Iterable[tuple[str, str]] = ()
                    ) -> tuple[dict[str, list], list[dict]]:
    """Every kind of OBJECT_KINDS in the drill's namespaces (nodes cluster-wide),
    plus the `extra` (kind, namespace) lists a cluster-wide drill reads. A kind
    whose list fails in any namespace is left out and named in errors."""
    jobs: list[tuple[str, str | None]] = [(kind, ns) for kind in OBJECT_KINDS if kind != "nodes"
                                          for ns in namespaces]
    jobs += [job for job in extra if job not in jobs]
    jobs.append(("nodes", None))

    def fetch(job: tuple[str, str | None]) -> list[dict] | Exception:
        try:
            return api.list(*job)
        except (ApiError, DrillsError) as exc:
            return exc

    with ThreadPoolExecutor(max_workers=min(LIST_WORKERS, len(jobs))) as pool:
        answers = list(pool.map(fetch, jobs))
    if all(isinstance(a, ClusterUnreachable) for a in answers):
        raise answers[0]
    objects: dict[str, list] = {}
    errors: list[dict] = []
    failed_kinds: set[str] = set()
    for (kind, ns), answer in zip(jobs, answers):
        if isinstance(answer, Exception):
            failed_kinds.add(kind)
            errors.append({"source": kind, **({"namespace": ns} if ns else {}),
                           "message": _describe(answer)})
        elif kind not in failed_kinds:
            objects.setdefault(kind, []).extend(answer)
    for kind in failed_kinds:
        objects.pop(kind, None)
    return objects, errors


def _describe(exc: Exception) -> str:
    if isinstance(exc, DrillsError):
        return exc.one_line()
    return str(exc) or type(exc).__name__


# --- probes -------------------------------------------------------------------------

class Unresolved(Exception):
    """The learner's objects give no target to probe (e.g. a headless Service)."""


class ProbeError(Exception):
    """The probe cannot run for reasons of infrastructure or evidence."""


def failed(result: dict[str, Any]) -> bool:
    if result.get("error") or result.get("unresolved"):
        return False
    attempts = result.get("attempts") or []
    return not attempts or any(a.get("outcome") != P.OK for a in attempts)


def incomplete(spec: P.ProbeSpec, result: dict[str, Any], objects: dict, plan: Any) -> bool:
    """All tries answered but not every ready backend was heard from yet."""
    if spec.kind == "dns" or failed(result) or result.get("error") or result.get("unresolved"):
        return False
    expected = expected_backends(spec, probe_namespace(spec, plan), objects)
    answered = {a.get("answered_by") for a in result.get("attempts") or []} - {None}
    # answers that are not pod names mean the backends do not echo their name
    return bool(expected) and answered <= expected and not expected <= answered


def expected_backends(spec: P.ProbeSpec, namespace: str, objects: dict) -> set[str]:
    """Names of the pods behind the Service a probe goes to, from its EndpointSlices."""
    host, port, _ = P.split_target(spec.target)
    service, service_ns = None, namespace
    if spec.kind == "http-cluster-ip":
        service = host
    elif spec.kind == "http" and host and not host.replace(".", "").isdigit():
        parts = host.split(".")
        service = parts[0]
        if len(parts) > 1 and parts[1] != "svc":
            service_ns = parts[1]
    elif spec.kind == "nodeport":
        for svc in objects.get("services") or []:
            if any(p.get("nodePort") == port for p in (svc.get("spec") or {}).get("ports") or []):
                service, service_ns = name_of(svc), namespace_of(svc)
                break
    if not service:
        return set()
    names = set()
    for eps in objects.get("endpointslices") or []:
        if namespace_of(eps) != service_ns or labels_of(eps).get("kubernetes.io/service-name") != service:
            continue
        for ep in eps.get("endpoints") or []:
            ref = ep.get("targetRef") or {}
            if ref.get("kind") == "Pod" and (ep.get("conditions") or {}).get("ready", True) is not False:
                names.add(ref.get("name"))
    return names


def probe_namespace(spec: P.ProbeSpec, plan: Any) -> str:
    if not spec.namespace:
        return plan.namespace
    return plan.extra_namespaces.get(spec.namespace, spec.namespace)


def pod_running(pod: dict | None) -> tuple[bool, str]:
    """Whether the probe pod can take an exec, and if not, why not."""
    if pod is None:
        return False, "does not exist"
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False, "is being deleted"
    status = pod.get("status") or {}
    for cs in status.get("containerStatuses") or []:
        if cs.get("name") == PROBE_CONTAINER:
            if (cs.get("state") or {}).get("running") is not None:
                return True, "running"
            waiting = (cs.get("state") or {}).get("waiting") or {}
            return False, f"is {status.get('phase', 'Pending')} ({waiting.get('reason', 'starting')})"
    return False, f"is {status.get('phase', 'Pending')}"


class ProbeRunner:
    """Turns ProbeSpecs into one batch per probe pod and the output into results."""

    def __init__(self, api: Any, plan: Any, *, heal: bool = True):
        self.api = api
        self.plan = plan
        self.heal = heal

    def run(self, specs: list[P.ProbeSpec], objects: dict) -> dict[str, dict[str, Any]]:
        results: dict[str, dict[str, Any]] = {}
        batches: dict[str, list[tuple[str, P.BatchItem, dict]]] = {}
        for spec in specs:
            ns = probe_namespace(spec, self.plan)
            result = {"kind": spec.kind, "target": spec.target, "namespace": ns,
                      "error": None, "unresolved": None, "truncated": False, "attempts": []}
            results[spec.key] = result
            if ns not in self.plan.namespaces:
                result["error"] = (f"probe namespace {spec.namespace} is not one of the drill's "
                                   f"namespaces {self.plan.namespaces}")
                continue
            try:
                items = self._items(spec, ns, objects)
            except Unresolved as why:
                result["unresolved"] = str(why)
                continue
            except ProbeError as why:
                result["error"] = str(why)
                continue
            batch = batches.setdefault(ns, [])
            for item, meta in items:
                labelled = P.BatchItem(f"p{len(batch)}", item.command, item.tries,
                                       item.stop_after_failures)
                batch.append((spec.key, labelled, meta))
        if len(batches) > 1:
            with ThreadPoolExecutor(max_workers=len(batches)) as pool:
                outputs = dict(zip(batches, pool.map(
                    lambda ns: self._exec(ns, [b[1] for b in batches[ns]], objects), batches)))
        else:
            outputs = {ns: self._exec(ns, [b[1] for b in batch], objects)
                       for ns, batch in batches.items()}
        for ns, batch in batches.items():
            output = outputs[ns]
            for key, item, meta in batch:
                result = results[key]
                if isinstance(output, str):
                    if not result["error"]:
                        result["error"] = output
                    continue
                runs = output.get(item.label)
                if not runs:
                    result["error"] = result["error"] or f"the probe printed nothing for {meta['command']}"
                    continue
                for run in runs:
                    cut = bool(run.get("truncated"))
                    if meta["dns"]:
                        attempt = P.dns_attempt(meta["command"], run["exit_code"], run["text"],
                                                run["seconds"], truncated=cut)
                    else:
                        attempt = P.attempt_from_merged(meta["command"], run["exit_code"],
                                                        run["text"], run["seconds"], meta.get("node"),
                                                        truncated=cut)
                    result["attempts"].append(attempt)
                    result["truncated"] = result["truncated"] or cut
        return results

    # what to run for one spec
    def _items(self, spec: P.ProbeSpec, ns: str, objects: dict) -> list[tuple[P.BatchItem, dict]]:
        if spec.kind == "dns":
            command = P.nslookup_command(spec.target)
            return [(P.BatchItem("x", command, 1), {"command": command, "dns": True})]
        host, port, path = P.split_target(spec.target)
        if spec.kind == "http":
            return [self._http(P.url_for(spec.target), spec.tries)]
        if port is None:
            raise ProbeError(f"probe target {spec.target!r} names no port")
        if spec.kind == "http-cluster-ip":
            if "services" not in objects:
                raise ProbeError("the Services could not be listed, so the ClusterIP is unknown")
            svc = next((s for s in objects["services"]
                        if name_of(s) == host and namespace_of(s) == ns), None)
            if svc is None:
                raise Unresolved(f"Service {host} does not exist in namespace {ns}")
            spec_ = svc.get("spec") or {}
            ip = spec_.get("clusterIP")
            if spec_.get("type") == "ExternalName":
                raise Unresolved(f"Service {host} is of type ExternalName and has no ClusterIP")
            if not ip or ip == "None":
                raise Unresolved(f"Service {host} is headless (clusterIP: None)")
            return [self._http(f"http://{_bracket(_ip(ip, f'Service {host} clusterIP'))}:{port}{path}",
                               spec.tries)]
        if spec.kind == "nodeport":
            if "nodes" not in objects:
                raise ProbeError("the Nodes could not be listed, so their addresses are unknown")
            items = []
            for node in objects["nodes"]:
                ip = next((a.get("address") for a in (node.get("status") or {}).get("addresses") or []
                           if a.get("type") == "InternalIP"), None)
                if ip:
                    ip = _ip(ip, f"node {name_of(node)} InternalIP")
                    item, meta = self._http(f"http://{_bracket(ip)}:{port}{path}", spec.tries)
                    items.append((item, {**meta, "node": name_of(node)}))
            if not items:
                raise ProbeError("no node reports an InternalIP")
            return items
        raise ProbeError(f"unknown probe kind {spec.kind!r}; known: {', '.join(P.KINDS)}")

    @staticmethod
    def _http(url: str, tries: int) -> tuple[P.BatchItem, dict]:
        command = P.wget_command(url)
        return (P.BatchItem("x", command, tries, P.STOP_AFTER_FAILURES),
                {"command": command, "dns": False})

    # running a batch
    def _exec(self, ns: str, items: list[P.BatchItem], objects: dict) -> dict | str:
        """Parsed output by label, or a string saying why the probe could not run."""
        try:
            if require_labelled(self.api, ns) is None:   # probes run only where drills' label is
                return f"namespace {ns} does not exist"
        except UnsafeTarget:
            raise
        except (ApiError, DrillsError) as exc:
            return f"namespace {ns} cannot be read: {_describe(exc)}"
        ready, why = self._probe_pod_ready(ns, objects)
        if not ready:
            return why
        mark = P.new_batch_mark()       # the learner's servers answer into this output
        script = P.batch_script(items, mark=mark)
        try:
            rc, stdout, stderr = self.api.exec(ns, PROBE_POD, ["sh", "-c", script],
                                               container=PROBE_CONTAINER,
                                               timeout=exec_timeout(items),
                                               max_bytes=exec_output_bound(items))
        except ExecFailed as exc:
            return f"the probe could not run in pod {ns}/{PROBE_POD}: {exc}"
        except (ApiError, DrillsError) as exc:
            return f"the probe could not run in pod {ns}/{PROBE_POD}: {_describe(exc)}"
        parsed = P.parse_batch(stdout, mark=mark)
        if not parsed:
            detail = P.clean_stderr(stderr).strip() or stdout.strip() or f"exit code {rc}"
            return f"the probe script in pod {ns}/{PROBE_POD} printed no results ({detail[:300]})"
        return parsed

    def _probe_pod_ready(self, ns: str, objects: dict) -> tuple[bool, str]:
        try:
            if "pods" in objects:
                pod = next((p for p in objects["pods"]
                            if name_of(p) == PROBE_POD and namespace_of(p) == ns), None)
            else:
                pod = self.api.get("pods", PROBE_POD, ns)
            ready, state = pod_running(pod)
            if ready:
                return True, ""
            if pod is None and self.heal:
                return self._recreate(ns)
        except UnsafeTarget:
            raise
        except (ApiError, DrillsError) as exc:
            return False, f"the probe pod {ns}/{PROBE_POD} cannot be read: {_describe(exc)}"
        return False, f"the probe pod {ns}/{PROBE_POD} {state}"

    def _recreate(self, ns: str) -> tuple[bool, str]:
        """The learner may delete every pod in the namespace; bring the probe back,
        into a namespace that carries drills' label at this very moment."""
        if require_labelled(self.api, ns) is None:
            return False, f"namespace {ns} does not exist"
        self.api.apply(probe_pod_body(self.plan.image, ns), ns)
        deadline = time.monotonic() + PROBE_POD_HEAL_S
        state = "is starting"
        while time.monotonic() < deadline:
            ready, state = pod_running(self.api.get("pods", PROBE_POD, ns))
            if ready:
                return True, ""
            time.sleep(0.25)
        return False, (f"the probe pod {ns}/{PROBE_POD} was missing; drills re-created it, but it "
                       f"{state} yet: check again in a few seconds")


def exec_timeout(items: list[P.BatchItem]) -> float:
    """Items run side by side, so the slowest bounds the batch."""
    def bound(item: P.BatchItem) -> float:
        per_try = DNS_TRY_BOUND_S if item.command.startswith("nslookup") else P.WGET_TIMEOUT_S + 1.0
        return item.tries * per_try
    return min(60.0, max((bound(i) for i in items), default=0.0) + 5.0)


def exec_output_bound(items: list[P.BatchItem]) -> int:
    """The most a batch can print when its script cuts every attempt at
    P.OUTPUT_LIMIT (plus marker lines); more means the probe pod does not run
    drills' script, and the exec is cut off."""
    return sum(max(1, i.tries) * (P.OUTPUT_LIMIT + 256) for i in items) + 64 * 1024


def _ip(value: Any, what: str) -> str:
    """An address read from the cluster, which the learner may have written."""
    import ipaddress
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError:
        raise ProbeError(f"{what} {str(value)[:60]!r} is not an IP address") from None


def _bracket(ip: str) -> str:
    return f"[{ip}]" if ":" in ip else ip
