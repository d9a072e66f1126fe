"""In-cluster probes: what to run in the busybox probe pod and how to read it.

Pure: builds shell scripts and parses their output. Running them (exec in
the probe pod) belongs to `drills.cluster`. The classifications follow what
busybox 1.36 really prints (see tests/fixtures/real-cluster/):

    wget: can't connect to remote host (10.96.0.7): Connection refused
    wget: download timed out
    wget: bad address 'nope:80'
    wget: server returned error: HTTP/1.1 404 Not Found
    ** server can't find nope.ns.svc.cluster.local: NXDOMAIN
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

# Outcomes of one attempt.
OK = "ok"
REFUSED = "refused"
TIMEOUT = "timeout"
UNKNOWN_HOST = "unknown-host"
HTTP_ERROR = "http-error"
OTHER = "other"

KINDS = ("http", "http-cluster-ip", "nodeport", "dns")
WGET_TIMEOUT_S = 1

# What one attempt may print and still be kept whole. A learner's server can
# answer with megabytes; busybox's real answers are under 2 KiB. Cut output is
# marked ("truncated"), and stays far below drills.evidence.MAX_STRING.
OUTPUT_LIMIT = 64 * 1024
MAX_NAME = 253                 # the longest name Kubernetes gives a pod (DNS-1123 subdomain)
MAX_DETAIL = 500


@dataclass(frozen=True)
class ProbeSpec:
    """One thing to probe from inside the cluster.

    kind http:            target is "host:port[/path]"; `tries` requests are sent.
    kind http-cluster-ip: target is "service:port[/path]"; the collector reads the
                          Service's spec.clusterIP and sends `tries` requests there.
    kind nodeport:        target is "port[/path]"; `tries` requests go to every
                          node's InternalIP (each attempt records its "node").
    kind dns:      target is the name to look up with nslookup.
    `namespace` names which drill namespace's probe pod runs it (None: the
    drill's main namespace).
    """
    kind: str
    target: str
    tries: int = 6
    namespace: str | None = None

    @property
    def key(self) -> str:
        where = f"@{self.namespace}" if self.namespace else ""
        return f"{self.kind}:{self.target}{where}"


# --- classification of busybox output --------------------------------------

_KUBECTL_NOISE = re.compile(r"^(command terminated with exit code \d+|E\d{4} .*websocket.*)$")
_HTTP_STATUS = re.compile(r"server returned error: HTTP/\d(?:\.\d)? (\d{3})")


def clean_stderr(stderr: str) -> str:
    """Drop the lines kubectl exec adds, so recorded and live output read alike."""
    return "\n".join(line for line in stderr.splitlines() if not _KUBECTL_NOISE.match(line.strip()))


def answer_name(body: str) -> str | None:
    """Who answered: the first line of the body (drills' backends answer with their
    pod name). A first line too long for a pod name is kept cut and marked, so it
    can never equal one, however it starts."""
    body = body.strip()
    if not body:
        return None
    line = body.splitlines()[0].strip()
    if len(line) <= MAX_NAME:
        return line
    return f"{line[:100]}... (a first line of {len(line)}+ characters, cut)"


def truncation_note(limit: int = OUTPUT_LIMIT) -> str:
    return f"output truncated after {limit // 1024} KiB"


def classify_wget(exit_code: int, stdout: str, stderr: str) -> dict[str, Any]:
    text = clean_stderr(stderr)
    if exit_code == 0:
        return {"outcome": OK, "answered_by": answer_name(stdout), "detail": None}
    if "Connection refused" in text:
        outcome = REFUSED
    elif "timed out" in text:
        outcome = TIMEOUT
    elif "bad address" in text:
        outcome = UNKNOWN_HOST
    elif "server returned error" in text:
        outcome = HTTP_ERROR
    else:
        outcome = OTHER
    status = _HTTP_STATUS.search(text)
    detail = text.strip().splitlines()[-1][:MAX_DETAIL] if text.strip() else f"exit code {exit_code}"
    return {"outcome": outcome, "answered_by": None, "detail": detail,
            **({"http_status": int(status.group(1))} if status else {})}


# no longer than the bundle schema allows names (253) and addresses (64)
_NS_NAME = re.compile(r"^Name:\s*(\S{1,254})\s*$")
_NS_ADDR = re.compile(r"^Address(?: \d+)?:\s*(\S{1,64})\s*$")
_NS_CNAME = re.compile(r"^(\S{1,254})\s+canonical name = (\S{1,253}?)\.?\s*$")
_NS_FAIL = re.compile(r"^\*\* server can't find (\S+?): (\S+)")


def parse_nslookup(exit_code: int, stdout: str, stderr: str) -> dict[str, Any]:
    """Answers of a busybox nslookup: names, addresses, CNAMEs and failures.

    busybox prints the server first ("Server:" / "Address: ip:53"); answers
    follow a "Name:" line. It queries A and AAAA for each search domain, so a
    success is usually mixed with NXDOMAIN lines for the other domains.
    """
    answers: list[dict[str, str]] = []
    cnames: dict[str, str] = {}
    failures: list[str] = []
    current: str | None = None
    for raw in stdout.splitlines():
        line = raw.strip()
        if m := _NS_NAME.match(line):
            current = m.group(1).rstrip(".")
            current = current if len(current) <= MAX_NAME else None
        elif (m := _NS_ADDR.match(line)) and current is not None:
            answers.append({"name": current, "address": m.group(1)})
        elif (m := _NS_CNAME.match(line)) and len(m.group(1).rstrip(".")) <= MAX_NAME:
            cnames[m.group(1).rstrip(".")] = m.group(2).rstrip(".")
        elif m := _NS_FAIL.match(line):
            failures.append(f"{m.group(1)}: {m.group(2)}")
    addresses = sorted({a["address"] for a in answers})
    if answers or cnames:
        outcome = OK
    elif failures:
        outcome = UNKNOWN_HOST
    elif "timed out" in stdout + stderr:
        outcome = TIMEOUT
    else:
        outcome = OTHER
    names = sorted({a["name"] for a in answers})
    detail = None if outcome == OK else (failures[0] if failures else
                                         (clean_stderr(stderr).strip() or f"exit code {exit_code}"))
    detail = detail[:MAX_DETAIL] if detail else detail
    return {"outcome": outcome, "names": names, "addresses": addresses, "cnames": cnames,
            "detail": detail}


# --- scripts ------------------------------------------------------------------

def wget_command(url: str, timeout: int = WGET_TIMEOUT_S) -> str:
    return f"wget -q -O - -T {timeout} {shlex.quote(url)}"


def url_for(host_port_path: str) -> str:
    return host_port_path if "://" in host_port_path else f"http://{host_port_path}"


def attempt_from_merged(command: str, rc: int, text: str, seconds: float | None = None,
                        node: str | None = None, truncated: bool = False) -> dict[str, Any]:
    """An attempt record from merged stdout+stderr (as the batch script gives it)."""
    text, truncated = bounded(text, truncated)
    stdout, stderr = (text, "") if rc == 0 else ("", text)
    record = {"command": command, "exit_code": rc, "stdout": stdout, "stderr": stderr,
              "seconds": seconds, **({"node": node} if node else {})}
    record.update(classify_wget(rc, stdout, stderr))
    return mark_truncated(record, truncated)


def bounded(text: str, truncated: bool = False, limit: int = OUTPUT_LIMIT) -> tuple[str, bool]:
    """The output as kept: at most `limit` bytes of UTF-8 (the batch script cuts
    there already; this holds when a probe pod does not run drills' script)."""
    raw = text.encode("utf-8", "replace")
    if len(raw) <= limit:
        return text, truncated
    return raw[:limit].decode("utf-8", "ignore"), True


def mark_truncated(record: dict[str, Any], truncated: bool) -> dict[str, Any]:
    """A cut attempt says so: `truncated: true` and a detail reports can show."""
    if truncated:
        record["truncated"] = True
        note = truncation_note()
        record["detail"] = f"{record['detail']}; {note}" if record.get("detail") else note
    return record


# --- batches: every probe of one collection in a single exec ------------------

BATCH_MARK = "@@drills-attempt"
STOP_AFTER_FAILURES = 2        # consecutive failed tries that end an http probe early
BATCH_DIR = "/tmp"             # the probe pod mounts a small emptyDir here


@dataclass(frozen=True)
class BatchItem:
    """One command to repeat inside a batch; `label` is a plain word."""
    label: str
    command: str
    tries: int = 1
    stop_after_failures: int = 0


def new_batch_mark() -> str:
    """A marker the probed servers cannot guess, so an answer that contains a line
    shaped like a marker cannot pass for the result of another probe."""
    import secrets
    return f"{BATCH_MARK}-{secrets.token_hex(8)}"


def kept_output(command: str, limit: int = OUTPUT_LIMIT) -> str:
    """Shell that runs `command` (stderr merged) and prints at most `limit` bytes
    of what it printed, setting $rc to its exit code and $cut to 1 when more was
    left out. The rest is read and dropped, so the command ends as it would have
    (cutting its pipe would turn a long answer into a write error). dd, not head:
    head reads ahead, and what it read ahead would be lost to the check for more."""
    keep = (f"dd bs={int(limit)} count=1 iflag=fullblock 2>/dev/null"
            f" || dd bs=1 count={int(limit)} 2>/dev/null")     # a dd without iflag reads nothing
    drain = (f"{{ {keep};"
             ' if [ "$(( $(head -c 1 | wc -c) ))" -gt 0 ]; then echo cut >&3; cat >/dev/null; fi; }')
    run = f"{{ ( {command} ) 2>&1; echo $? >&3; }}"
    return (f"{{ r=$( {{ {run} | {drain} >&4; }} 3>&1 ); }} 4>&1;"
            ' case "$r" in *cut*) cut=1;; *) cut=0;; esac;'
            ' case "$r" in cut?*) rc=${r#cut?};; *) rc=${r%?cut};; esac;')


def timed_loop(item: BatchItem, mark: str = BATCH_MARK) -> str:
    """Shell that runs the command up to `tries` times; after each attempt it
    prints `@@drills-attempt <label> <rc> <t0> <t1> <cut>` with /proc/uptime stamps
    (busybox has no sub-second clock otherwise) and cut 1 when the output was cut
    at OUTPUT_LIMIT (see kept_output)."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", item.label):
        raise ValueError(f"batch label {item.label!r} must be a plain word")
    stop = (f" if [ $rc -ne 0 ]; then f=$((f+1)); else f=0; fi;"
            f" [ $f -ge {item.stop_after_failures} ] && break;") if item.stop_after_failures else ""
    return (f"f=0; i=0; while [ $i -lt {max(1, int(item.tries))} ]; do i=$((i+1));"
            f" read t0 x </proc/uptime; {kept_output(item.command)} read t1 x </proc/uptime;"
            f' echo; echo "{mark} {item.label} $rc $t0 $t1 $cut";{stop} done')


def batch_script(items: list[BatchItem], workdir: str = BATCH_DIR, mark: str = BATCH_MARK) -> str:
    """One script for many probes. They run side by side, each writing to its own
    file, and are printed in order; if no temporary folder can be made they run
    one after another instead."""
    loops = [f"( {timed_loop(item, mark)} )" for item in items]
    if len(loops) <= 1:
        return "".join(f"{loop} 2>&1" for loop in loops)
    parallel = " ".join(f'{loop} >"$d/{n}" 2>&1 &' for n, loop in enumerate(loops))
    files = " ".join(f'"$d/{n}"' for n in range(len(loops)))
    serial = "; ".join(f"{loop} 2>&1" for loop in loops)
    return (f"if d=$(mktemp -d {shlex.quote(workdir)}/drills.XXXXXX 2>/dev/null); then "
            f"{parallel} wait; cat {files}; rm -rf \"$d\"; else {serial}; fi")


def parse_batch(output: str, mark: str = BATCH_MARK) -> dict[str, list[dict[str, Any]]]:
    """Inverse of batch_script: label -> [{"exit_code", "text", "seconds", "truncated"?}]
    ("truncated": True when the script cut the attempt's output)."""
    result: dict[str, list[dict[str, Any]]] = {}
    chunk: list[str] = []
    for line in output.splitlines():
        if line.startswith(mark + " "):
            fields = line[len(mark) + 1:].split()
            if not fields:
                chunk.append(line)
                continue
            label = fields[0]
            rc = int(fields[1]) if len(fields) > 1 and re.fullmatch(r"-?[0-9]+", fields[1]) else -1
            seconds = None
            if len(fields) >= 4:
                try:
                    seconds = round(max(0.0, float(fields[3]) - float(fields[2])), 3)
                except ValueError:
                    pass
            text, truncated = bounded("\n".join(chunk).strip(), len(fields) >= 5 and fields[4] == "1")
            result.setdefault(label, []).append(
                {"exit_code": rc, "text": text, "seconds": seconds,
                 **({"truncated": True} if truncated else {})})
            chunk = []
        else:
            chunk.append(line)
    return result


def nslookup_command(name: str) -> str:
    return f"nslookup {shlex.quote(name)}"


def dns_attempt(command: str, rc: int, text: str, seconds: float | None = None,
                truncated: bool = False) -> dict[str, Any]:
    """An attempt record for an nslookup run with merged output."""
    text, truncated = bounded(text, truncated)
    record = {"command": command, "exit_code": rc, "stdout": text, "stderr": "",
              "seconds": seconds}
    record.update(parse_nslookup(rc, text, ""))
    record.setdefault("answered_by", None)
    return mark_truncated(record, truncated)


def split_target(target: str) -> tuple[str, int | None, str]:
    """"host:port/path" -> (host, port, "/path"); "30080/x" -> ("", 30080, "/x")."""
    rest = target.split("://", 1)[-1]
    hostport, slash, path = rest.partition("/")
    path = slash + path if slash else "/"
    if ":" in hostport:
        host, _, port = hostport.rpartition(":")
    elif hostport.isdigit():
        host, port = "", hostport
    else:
        host, port = hostport, ""
    return host, int(port) if port.isdigit() else None, path
