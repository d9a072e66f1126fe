"""service.loadbalancer-layers: a LoadBalancer Service carries the layers it
is built on, a ClusterIP and a nodePort on every port, whether or not a
load balancer was ever provisioned."""
from __future__ import annotations

from drills.graders.checks._common import decides, kubectl, port_label, require_service, service_ports
from drills.graders.registry import STAGE_SERVICE, check, failed, passed


def _external(svc: dict) -> str:
    ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    found = [i.get("ip") or i.get("hostname") for i in ingress if i.get("ip") or i.get("hostname")]
    return (f"EXTERNAL-IP {', '.join(found)}" if found
            else "EXTERNAL-IP <pending> (no load-balancer provider, as expected here)")


@check("service.loadbalancer-layers", "LoadBalancer Service carries a ClusterIP and a nodePort",
       stage=STAGE_SERVICE)
@decides
def loadbalancer_layers(ev, service):
    subject = f"Service {service}"
    want = "type LoadBalancer with a ClusterIP and a nodePort on every port"
    svc = require_service(ev, service, want)
    spec = svc.get("spec") or {}
    stype = spec.get("type", "ClusterIP")
    hint = kubectl(ev, f"get svc {service} -o wide")
    if stype != "LoadBalancer":
        return failed(subject, want, f"type {stype}", hint)
    cluster_ip = spec.get("clusterIP")
    if not cluster_ip or cluster_ip == "None":
        return failed(subject, want, f"clusterIP {cluster_ip or '(empty)'}", hint)
    ports = service_ports(svc)
    without = [port_label(p) for p in ports if not p.get("nodePort")]
    if without or not ports:
        why = (" (allocateLoadBalancerNodePorts is false)"
               if spec.get("allocateLoadBalancerNodePorts") is False else "")
        return failed(subject, want, f"no nodePort on port {', '.join(without) or '(no ports)'}{why}, "
                      f"so no node accepts traffic while {_external(svc)}",
                      kubectl(ev, f"get svc {service} -o yaml"))
    opened = ", ".join(f"{p.get('port')}:{p.get('nodePort')}" for p in ports)
    return passed(subject, want, f"clusterIP {cluster_ip}, ports {opened}; {_external(svc)}")
