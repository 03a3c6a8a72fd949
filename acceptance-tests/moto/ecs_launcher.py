#!/usr/bin/env python3
"""moto with an ECS ACS websocket endpoint, for the real Amazon ECS agent.

Run with the moto virtualenv's interpreter:

    target/moto-venv/bin/python acceptance-tests/moto/ecs_launcher.py \
        --host 127.0.0.1 --port P --acs-port Q --acs-url http://169.254.254.1:Q

Port P serves moto's own server application (every service, as
`moto_server -H host -p P` does) with the ECS patches below. Port Q serves the
ACS websocket endpoint the agent connects to (`/ws`, the path
ecs-agent/acs/session/session.go acsURL() appends) and, on the same port, a
plain HTTP/JSON control API for tests under `/harness/`. `--acs-url` is the
ACS endpoint as the agent sees it; DiscoverPollEndpoint answers it.

The specification is the agent's own source (aws/amazon-ecs-agent, the
snapshot 1.105.1 was built from); each patch names the file that makes it
necessary. The websocket server side is standard library only (RFC 6455, text
frames, no extensions: the agent's gorilla/websocket dialer in
ecs-agent/wsclient/client.go does not ask for compression).

Readiness: both ports accept (`GET /moto-api/` on P, `GET /harness/state` on
Q). SIGTERM (or SIGINT) closes the websockets and both servers and exits 0.
Logs go to stderr, one line per connection and per message; secret access
keys and session tokens are never logged in full.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import http.server
import json
import os
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse
import uuid
from typing import Any

from moto.core.responses import ActionResult
from moto.ecs import responses as ecs_responses
from moto.ecs.models import ecs_backends
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
SECRET_KEYS = {"secretAccessKey", "sessionToken", "SecretAccessKey", "SessionToken"}


def log(msg: str) -> None:
    sys.stderr.write(f"{time.strftime('%H:%M:%S')} ecs_launcher: {msg}\n")
    sys.stderr.flush()


def redact(value: Any) -> Any:
    """A copy of value with secret access keys and session tokens shortened."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in SECRET_KEYS and isinstance(v, str):
                out[k] = (v[:4] + "...") if len(v) > 4 else "..."
            else:
                out[k] = redact(v)
        return out
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def short(value: Any, limit: int = 600) -> str:
    text = json.dumps(redact(value), separators=(",", ":"), default=str)
    return text if len(text) <= limit else text[:limit] + f"...({len(text)} chars)"


# --------------------------------------------------------------------------
# Shared state: what the control API reports.
# --------------------------------------------------------------------------


class HarnessState:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.connections: list[WsConnection] = []
        self.received: list[dict[str, Any]] = []
        self.state_changes: list[dict[str, Any]] = []
        self.registrations: list[dict[str, Any]] = []
        self.seq_num = 0

    def next_seq_num(self) -> int:
        with self.lock:
            self.seq_num += 1
            return self.seq_num

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "connections": [c.describe() for c in self.connections],
                "received": list(self.received),
                "state_changes": list(self.state_changes),
                "registrations": list(self.registrations),
            }


STATE = HarnessState()
ACS_URL = ""  # set from --acs-url before moto serves anything


# --------------------------------------------------------------------------
# moto patches (ECS backend). Each one names the agent source that needs it.
# --------------------------------------------------------------------------

ECSResponse = ecs_responses.EC2ContainerServiceResponse


def _request_json(response: Any) -> dict[str, Any]:
    body = response.body
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    try:
        return json.loads(body or "{}")
    except ValueError:
        return {}


def _normalise_resource(resource: dict[str, Any]) -> dict[str, Any]:
    # moto's own resources carry all numeric members (moto/ecs/models.py
    # ContainerInstance.__init__), and its RunTask/StartTask arithmetic
    # (update_container_instance_resources) reads integerValue and
    # stringSetValue; give the agent's resources the same shape.
    r = copy.deepcopy(resource)
    r.setdefault("doubleValue", 0.0)
    r.setdefault("longValue", 0)
    r.setdefault("integerValue", 0)
    if r.get("type") == "STRINGSET":
        r.setdefault("stringSetValue", [])
    return r


def patched_register_container_instance(self: Any) -> ActionResult:
    """RegisterContainerInstance that keeps the request's attributes and totalResources.

    Why: ecs-agent/api/ecs/client/ecs_client.go registerContainerInstance()
    sends its attributes (ecs.os-type, ecs.os-family, capabilities, ...) and
    totalResources (CPU, MEMORY, PORTS, PORTS_UDP), then
    validateRegisteredAttributes() requires every one of them back in the
    response; moto 5.2.5 answers only the four attributes it makes up, so the
    agent exits with code 5 (missingAttributes="ecs.os-family,...").

    Everything moto does is kept: the EC2 instance id from the identity
    document must exist in moto's EC2 (ContainerInstance.__init__ looks it
    up), and moto's own attributes (ecs.ami-id, ecs.availability-zone,
    ecs.instance-type, ecs.os-type) stay, the request's win on the same name.
    One addition: a request naming a containerInstanceArn this cluster already
    holds (the agent re-registering from its state file, same function)
    updates that container instance instead of creating a second one, as ECS
    does.
    """
    body = _request_json(self)
    cluster_str = body.get("cluster") or "default"
    identity = json.loads(body.get("instanceIdentityDocument") or "{}")
    ec2_instance_id = identity.get("instanceId")
    backend = self.ecs_backend
    cluster_name = cluster_str.split("/")[-1]
    container_instance = None
    existing_arn = body.get("containerInstanceArn")
    if existing_arn:
        container_instance = backend.container_instances.get(cluster_name, {}).get(
            existing_arn.split("/")[-1]
        )
    if container_instance is None:
        container_instance = backend.register_container_instance(
            cluster_str, ec2_instance_id
        )
    for attribute in body.get("attributes") or []:
        container_instance.attributes[attribute["name"]] = attribute.get("value")
    total = body.get("totalResources")
    if total:
        resources = [_normalise_resource(r) for r in total]
        container_instance.registered_resources = resources
        container_instance.remaining_resources = copy.deepcopy(resources)
    # What the agent sent that ECS keeps but moto's ContainerInstance has no
    # field for: platformDevices (the GPUs of agent/app/agent.go
    # getPlatformDevices, from /var/lib/ecs/gpu/nvidia-gpu-info.json). The
    # control API reports them as sent; nothing is made up from them.
    with STATE.lock:
        STATE.registrations.append(
            {
                "containerInstanceArn": container_instance.container_instance_arn,
                "platformDevices": body.get("platformDevices") or [],
            }
        )
    log(
        f"RegisterContainerInstance cluster={cluster_name} ec2={ec2_instance_id} "
        f"arn={container_instance.container_instance_arn} "
        f"attributes={len(container_instance.attributes)}"
    )
    return ActionResult({"containerInstance": container_instance})


def patched_discover_poll_endpoint(self: Any) -> ActionResult:
    """DiscoverPollEndpoint answering the launcher's ACS endpoint.

    Why: ecs-agent/acs/session/session.go startSessionOnce() and
    ecs-agent/tcs/handler/handler.go getTelemetryEndpoint() connect to the
    `endpoint` and `telemetryEndpoint` this returns (http -> ws in
    ecs-agent/wsclient/client.go websocketScheme()); moto answers
    http://localhost, where nothing listens, and the agent retries forever.
    serviceConnectEndpoint is in the API too (agent/engine/serviceconnect
    asks for it); it gets the same URL.
    """
    return ActionResult(
        {
            "endpoint": ACS_URL,
            "telemetryEndpoint": ACS_URL,
            "serviceConnectEndpoint": ACS_URL,
        }
    )


def _state_change_action(operation: str):
    def action(self: Any) -> ActionResult:
        # Why: ecs-agent/api/ecs/client/ecs_client.go submitTaskStateChange(),
        # SubmitContainerStateChange() and submitAttachmentStateChange() call
        # these; moto 5.2.5 implements none of them (NotImplementedError, a
        # 500 the agent retries). ECS answers {"acknowledgment": ...}; every
        # request body is kept, in order, for GET /harness/state.
        request = _request_json(self)
        with STATE.lock:
            STATE.state_changes.append({"operation": operation, "request": request})
        log(f"{operation} {short(request, 400)}")
        return ActionResult({"acknowledgment": "ACK"})

    action.__name__ = operation
    return action


def apply_moto_patches() -> None:
    ECSResponse.register_container_instance = patched_register_container_instance
    ECSResponse.discover_poll_endpoint = patched_discover_poll_endpoint
    ECSResponse.submit_task_state_change = _state_change_action("SubmitTaskStateChange")
    ECSResponse.submit_container_state_change = _state_change_action(
        "SubmitContainerStateChange"
    )
    ECSResponse.submit_attachment_state_changes = _state_change_action(
        "SubmitAttachmentStateChanges"
    )


def find_container_instance(arn: str) -> tuple[Any, Any]:
    """(container instance, cluster) in moto's ECS backend for an ARN, or (None, None).

    arn:aws:ecs:REGION:ACCOUNT:container-instance/[CLUSTER/]ID
    """
    try:
        parts = arn.split(":", 5)
        region, account, resource = parts[3], parts[4], parts[5]
        ci_id = resource.split("/")[-1]
        backend = ecs_backends[account][region]
    except (IndexError, KeyError):
        return None, None
    for cluster_name, instances in backend.container_instances.items():
        ci = instances.get(ci_id)
        if ci is not None:
            return ci, backend.clusters.get(cluster_name)
    return None, None


# --------------------------------------------------------------------------
# Websocket connections (ACS and TCS share the path /ws).
# --------------------------------------------------------------------------


class WsClosed(Exception):
    pass


class WsConnection:
    """One websocket from an agent. kind is "acs" or "tcs".

    ACS (ecs-agent/acs/session/session.go acsURL()): /ws?clusterArn=..&
    containerInstanceArn=..&agentHash=..&agentVersion=..&seqNum=1&
    protocolVersion=2&dockerVersion=DockerVersion:+..&sendCredentials=..
    TCS (ecs-agent/tcs/handler/handler.go formatURL()): /ws?cluster=..&
    containerInstance=..&agentVersion=..&agentHash=..&dockerVersion=..
    """

    def __init__(self, sock: socket.socket, rfile: Any, path: str, query: dict[str, str]):
        self.sock = sock
        self.rfile = rfile
        self.path = path
        self.query = query
        self.kind = "acs" if "containerInstanceArn" in query else "tcs"
        self.container_instance_arn = query.get("containerInstanceArn") or query.get(
            "containerInstance", ""
        )
        self.cluster_arn = query.get("clusterArn") or query.get("cluster", "")
        self.open = True
        self.write_lock = threading.Lock()
        self.closed_event = threading.Event()

    def describe(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "query": self.query,
            "containerInstanceArn": self.container_instance_arn,
            "clusterArn": self.cluster_arn,
            "open": self.open,
            "kind": self.kind,
        }

    # -- framing (RFC 6455) --

    def _read_exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.rfile.read(n - len(data))
            if not chunk:
                raise WsClosed("connection closed by peer")
            data += chunk
        return data

    def read_frame(self) -> tuple[bool, int, bytes]:
        b1, b2 = self._read_exact(2)
        fin = bool(b1 & 0x80)
        opcode = b1 & 0x0F
        masked = bool(b2 & 0x80)
        length = b2 & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self._read_exact(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self._read_exact(8))
        mask = self._read_exact(4) if masked else b""
        payload = self._read_exact(length)
        if masked:
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return fin, opcode, payload

    def send_frame(self, opcode: int, payload: bytes) -> None:
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([n])
        elif n < 65536:
            header += bytes([126]) + struct.pack("!H", n)
        else:
            header += bytes([127]) + struct.pack("!Q", n)
        with self.write_lock:
            self.sock.sendall(header + payload)

    def send_message(self, msg_type: str, message: dict[str, Any]) -> None:
        # Framing of ecs-agent/wsclient/client.go: {"type": T, "message": {...}}
        data = json.dumps({"type": msg_type, "message": message}).encode("utf-8")
        self.send_frame(0x1, data)

    def read_message(self) -> bytes | None:
        """The next data message, answering pings; None after a close frame."""
        parts: list[bytes] = []
        while True:
            fin, opcode, payload = self.read_frame()
            if opcode == 0x8:  # close: echo the status code, then stop
                try:
                    self.send_frame(0x8, payload[:2])
                except OSError:
                    pass
                return None
            if opcode == 0x9:
                self.send_frame(0xA, payload)
                continue
            if opcode == 0xA:
                continue
            parts.append(payload)
            if fin:
                return b"".join(parts)

    def close(self, code: int = 1001, reason: str = "") -> None:
        try:
            self.send_frame(0x8, struct.pack("!H", code) + reason.encode())
        except OSError:
            pass
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def set_agent_connected(conn: WsConnection, connected: bool) -> None:
    """Record the agent's versions and connection on its container instance.

    Why: the agent sends no versionInfo in RegisterContainerInstance
    (ecs-agent/api/ecs/client/ecs_client.go); its version, hash and Docker
    version travel only in the ACS websocket URL
    (ecs-agent/acs/session/session.go acsURL()), and ECS shows them, with
    agentConnected, in DescribeContainerInstances. moto and this endpoint
    share one process, so moto's backend object is updated directly.
    """
    ci, _cluster = find_container_instance(conn.container_instance_arn)
    if ci is None:
        log(f"acs: no container instance {conn.container_instance_arn} in moto")
        return
    if connected:
        q = conn.query
        ci.version_info = {
            "agentVersion": q.get("agentVersion", ""),
            "agentHash": q.get("agentHash", ""),
            "dockerVersion": q.get("dockerVersion", ""),
        }
        ci.agent_connected = True
    else:
        with STATE.lock:
            still_open = any(
                c.open and c.kind == "acs" and c.container_instance_arn == conn.container_instance_arn
                for c in STATE.connections
            )
        if not still_open:
            ci.agent_connected = False


def cluster_arn_for(conn: WsConnection) -> str:
    # The agent puts its configured cluster (often a short name) in the
    # clusterArn query parameter; ACS sends the cluster's ARN. Take it from
    # moto when the container instance is there.
    _ci, cluster = find_container_instance(conn.container_instance_arn)
    if cluster is not None:
        return cluster.arn
    return conn.cluster_arn


def parse_tcs_frame(data: bytes) -> tuple[str, Any]:
    """TCS requests are signed HTTP headers, a blank line, then the JSON
    (ecs-agent/tcs/client/client.go signRequestFunc()); the headers are dropped."""
    text = data.decode("utf-8", "replace")
    if not text.lstrip().startswith("{") and "\r\n\r\n" in text:
        text = text.split("\r\n\r\n", 1)[1]
    return parse_envelope(text)


def parse_envelope(text: str) -> tuple[str, Any]:
    try:
        doc = json.loads(text)
    except ValueError:
        return "Unparseable", {"raw": text[:2000]}
    if isinstance(doc, dict) and "type" in doc:
        return str(doc.get("type")), doc.get("message")
    if isinstance(doc, dict) and len(doc) == 1:  # {"ErrorType": "message"}
        (k, v), = doc.items()
        return str(k), v
    return "Unframed", doc


TCS_ACKS = {
    # ecs-agent/tcs/handler/handler.go: each ack resets the agent's TCS
    # heartbeat timer, as a HeartbeatMessage does.
    "PublishMetricsRequest": "AckPublishMetric",
    "PublishHealthRequest": "AckPublishHealth",
    "PublishInstanceStatusRequest": "AckPublishInstanceStatus",
}


def heartbeat_loop(conn: WsConnection, seconds: float) -> None:
    # ACS: ecs-agent/acs/session/session.go closes the connection after
    # heartbeatTimeout (1 min) + jitter (up to 1 min) without any message from
    # the server; heartbeat_responder.go answers each HeartbeatMessage with a
    # HeartbeatAckRequest carrying its messageId. TCS: handler.go
    # newHeartbeatTimeoutHandler() likewise closes without a HeartbeatMessage
    # ({"healthy": bool}, ecs-agent/tcs/model/api/api-2.json).
    while not conn.closed_event.wait(seconds):
        try:
            if conn.kind == "acs":
                mid = str(uuid.uuid4())
                conn.send_message("HeartbeatMessage", {"healthy": True, "messageId": mid})
                log(f"acs -> HeartbeatMessage messageId={mid}")
            else:
                conn.send_message("HeartbeatMessage", {"healthy": True})
        except OSError:
            return


def serve_websocket(conn: WsConnection, heartbeat_seconds: float) -> None:
    with STATE.lock:
        STATE.connections.append(conn)
    log(
        f"{conn.kind}: connected containerInstance={conn.container_instance_arn} "
        f"cluster={conn.cluster_arn} agentVersion={conn.query.get('agentVersion')} "
        f"dockerVersion={conn.query.get('dockerVersion')}"
    )
    if conn.kind == "acs":
        set_agent_connected(conn, True)
    hb = threading.Thread(target=heartbeat_loop, args=(conn, heartbeat_seconds), daemon=True)
    hb.start()
    try:
        while True:
            data = conn.read_message()
            if data is None:
                log(f"{conn.kind}: close frame from agent")
                break
            if conn.kind == "tcs":
                msg_type, message = parse_tcs_frame(data)
            else:
                msg_type, message = parse_envelope(data.decode("utf-8", "replace"))
            with STATE.lock:
                STATE.received.append(
                    {
                        "containerInstanceArn": conn.container_instance_arn,
                        "kind": conn.kind,
                        "type": msg_type,
                        "message": message,
                    }
                )
            log(f"{conn.kind} <- {msg_type} {short(message, 300)}")
            ack = TCS_ACKS.get(msg_type) if conn.kind == "tcs" else None
            if ack:
                conn.send_message(ack, {"message": "ok"})
    except (WsClosed, OSError) as e:
        log(f"{conn.kind}: connection ended ({e})")
    finally:
        conn.open = False
        conn.closed_event.set()
        try:
            conn.sock.close()
        except OSError:
            pass
        if conn.kind == "acs":
            set_agent_connected(conn, False)
        log(f"{conn.kind}: disconnected containerInstance={conn.container_instance_arn}")


# --------------------------------------------------------------------------
# The ACS port: /ws (websocket) and /harness/* (control API).
# --------------------------------------------------------------------------


def pick_acs_connection(arn: str | None) -> tuple[WsConnection | None, str]:
    with STATE.lock:
        open_acs = [c for c in STATE.connections if c.open and c.kind == "acs"]
    if arn:
        matching = [c for c in open_acs if c.container_instance_arn == arn]
        if not matching:
            return None, f"no open ACS connection for containerInstanceArn {arn}"
        return matching[-1], ""
    arns = {c.container_instance_arn for c in open_acs}
    if not open_acs:
        return None, "no open ACS connection"
    if len(arns) > 1:
        return None, f"{len(arns)} container instances connected; name containerInstanceArn"
    return open_acs[-1], ""


class AcsHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ecs-launcher-acs"
    heartbeat_seconds = 10.0

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # one line per request is logged by the handlers themselves

    def _json(self, status: int, doc: Any) -> None:
        body = json.dumps(doc).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> Any:
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        return json.loads(raw or b"{}")

    def do_GET(self) -> None:  # noqa: N802
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/harness/state":
            self._json(200, STATE.snapshot())
            return
        if url.path.rstrip("/").endswith("/ws") and "websocket" in (
            self.headers.get("Upgrade") or ""
        ).lower():
            self._upgrade(url)
            return
        self._json(404, {"error": f"no such path {url.path}"})

    def _upgrade(self, url: urllib.parse.SplitResult) -> None:
        # The SigV4 signature headers the agent adds
        # (ecs-agent/wsclient/client.go Connect(), SignHTTPRequest) are ignored.
        key = self.headers.get("Sec-WebSocket-Key")
        if not key:
            self._json(400, {"error": "missing Sec-WebSocket-Key"})
            return
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        conn = WsConnection(self.connection, self.rfile, url.path, query)
        self.close_connection = True
        serve_websocket(conn, self.heartbeat_seconds)

    def do_POST(self) -> None:  # noqa: N802
        url = urllib.parse.urlsplit(self.path)
        try:
            body = self._body()
        except ValueError as e:
            self._json(400, {"error": f"body is not JSON: {e}"})
            return
        if url.path == "/harness/payload":
            self._payload(body)
        elif url.path == "/harness/refresh-credentials":
            self._refresh_credentials(body)
        else:
            self._json(404, {"error": f"no such path {url.path}"})

    def _payload(self, body: dict[str, Any]) -> None:
        conn, reason = pick_acs_connection(body.get("containerInstanceArn"))
        if conn is None:
            self._json(409, {"error": reason})
            return
        message_id = str(uuid.uuid4())
        seq_num = STATE.next_seq_num()
        # The envelope ecs-agent/acs/session/payload_responder.go
        # validatePayloadMessage() requires: messageId, clusterArn,
        # containerInstanceArn (seqNum feeds the task-manifest bookkeeping in
        # agent/acs/session/payload_responder.go; generatedAt is epoch ms).
        message = {
            "messageId": message_id,
            "seqNum": seq_num,
            "clusterArn": cluster_arn_for(conn),
            "containerInstanceArn": conn.container_instance_arn,
            "generatedAt": int(time.time() * 1000),
            "tasks": body.get("tasks") or [],
        }
        try:
            conn.send_message("PayloadMessage", message)
        except OSError as e:
            self._json(409, {"error": f"ACS connection failed while sending: {e}"})
            return
        log(f"acs -> PayloadMessage {short(message, 1200)}")
        self._json(200, {"messageId": message_id, "seqNum": seq_num})

    def _refresh_credentials(self, body: dict[str, Any]) -> None:
        # ecs-agent/acs/session/refresh_credentials_responder.go: messageId,
        # taskArn, roleCredentials.credentialsId and roleType
        # (TaskApplication|TaskExecution) are required; the agent answers
        # IAMRoleCredentialsAckRequest.
        conn, reason = pick_acs_connection(body.get("containerInstanceArn"))
        if conn is None:
            self._json(409, {"error": reason})
            return
        message_id = str(uuid.uuid4())
        message = {
            "messageId": message_id,
            "taskArn": body.get("taskArn"),
            "roleCredentials": body.get("roleCredentials"),
            "roleType": body.get("roleType", "TaskApplication"),
        }
        if body.get("taskClusterArn"):
            message["taskClusterArn"] = body["taskClusterArn"]
        try:
            conn.send_message("IAMRoleCredentialsMessage", message)
        except OSError as e:
            self._json(409, {"error": f"ACS connection failed while sending: {e}"})
            return
        log(f"acs -> IAMRoleCredentialsMessage {short(message)}")
        self._json(200, {"messageId": message_id})


class AcsServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


# --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    global ACS_URL
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True, help="moto's port")
    parser.add_argument("--acs-port", type=int, required=True, help="ACS/TCS websocket and /harness port")
    parser.add_argument("--acs-url", required=True, help="the ACS endpoint as the agent sees it, e.g. http://169.254.254.1:Q")
    parser.add_argument("--heartbeat-seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    ACS_URL = args.acs_url

    os.environ.setdefault("MOTO_PORT", str(args.port))  # as moto's server.main() does
    apply_moto_patches()

    app = DomainDispatcherApplication(create_backend_app)
    moto_server = make_server(
        args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler
    )
    AcsHandler.heartbeat_seconds = args.heartbeat_seconds
    acs_server = AcsServer((args.host, args.acs_port), AcsHandler)

    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    threads = [
        threading.Thread(target=moto_server.serve_forever, name="moto", daemon=True),
        threading.Thread(target=acs_server.serve_forever, name="acs", daemon=True),
    ]
    for t in threads:
        t.start()
    log(
        f"moto on http://{args.host}:{args.port}, ACS/TCS and /harness on "
        f"http://{args.host}:{args.acs_port}, DiscoverPollEndpoint answers {ACS_URL}"
    )
    while not stop.wait(0.2):
        pass
    log("stopping")
    with STATE.lock:
        conns = [c for c in STATE.connections if c.open]
    for c in conns:
        c.close(1001, "going away")
    acs_server.shutdown()
    moto_server.shutdown()
    acs_server.server_close()
    moto_server.server_close()
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
