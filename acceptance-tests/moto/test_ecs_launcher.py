"""Tests of ecs_launcher.py that need no ECS agent.

    target/moto-venv/bin/python -m unittest acceptance-tests/moto/test_ecs_launcher.py

Starts the launcher on free 127.0.0.1 ports, registers a container instance
the way the agent 1.105.1 does (ecs-agent/api/ecs/client/ecs_client.go), then
plays the agent's side of the ACS websocket (ecs-agent/acs/session/) and of
TCS (ecs-agent/tcs/) with the `websockets` client library.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import boto3
from websockets.sync.client import connect

HERE = Path(__file__).resolve().parent
LAUNCHER = HERE / "ecs_launcher.py"
REGION = "us-east-1"
AGENT_HASH = "a8b3e7d3"
DOCKER_VERSION = "DockerVersion: 20.10.24"

# What the agent registers (names from /work/shared/ecs-agent/README.md and
# ecs_client.go getAdditionalAttributes(); capability attributes carry no value).
AGENT_ATTRIBUTES = [
    {"name": "com.amazonaws.ecs.capability.task-iam-role"},
    {"name": "com.amazonaws.ecs.capability.logging-driver.json-file"},
    {"name": "com.amazonaws.ecs.capability.docker-remote-api.1.32"},
    {"name": "ecs.capability.ipv6-only"},
    {"name": "ecs.capability.execution-role-awslogs"},
    {"name": "ecs.os-type", "value": "linux"},
    {"name": "ecs.os-family", "value": "LINUX"},
    {"name": "ecs.os-type-detailed", "value": "debian_12"},
    {"name": "ecs.cpu-architecture", "value": "x86_64"},
]
# What agent/app/agent.go getPlatformDevices sends for one GPU.
AGENT_GPUS = [{"id": "GPU-4a9e7f0b-1c6f-3c2e-8c9d-2b9a1d4f5e6a", "type": "GPU"}]
AGENT_RESOURCES = [
    {"name": "CPU", "type": "INTEGER", "integerValue": 2048},
    {"name": "MEMORY", "type": "INTEGER", "integerValue": 3933},
    {"name": "PORTS", "type": "STRINGSET", "stringSetValue": ["22", "2375", "2376", "51678", "51679"]},
    {"name": "PORTS_UDP", "type": "STRINGSET", "stringSetValue": []},
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_json(method: str, url: str, body: object | None = None) -> tuple[int, object]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def wait_until(predicate, timeout: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class EcsLauncherTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.port = free_port()
        cls.acs_port = free_port()
        cls.acs_url = f"http://169.254.254.1:{cls.acs_port}"  # as the agent would see it
        cls.moto = f"http://127.0.0.1:{cls.port}"
        cls.harness = f"http://127.0.0.1:{cls.acs_port}"
        env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                   AWS_SESSION_TOKEN="testing", AWS_DEFAULT_REGION=REGION)
        cls.log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"ecs_launcher_test_{os.getpid()}.log"
        cls.log_file = open(cls.log_path, "w+")
        cls.proc = subprocess.Popen(
            [sys.executable, str(LAUNCHER), "--host", "127.0.0.1", "--port", str(cls.port),
             "--acs-port", str(cls.acs_port), "--acs-url", cls.acs_url, "--heartbeat-seconds", "0.5"],
            env=env, stdout=subprocess.DEVNULL, stderr=cls.log_file,
        )
        try:
            def ready() -> bool:
                if cls.proc.poll() is not None:
                    raise AssertionError(f"launcher exited with {cls.proc.returncode}")
                try:
                    urllib.request.urlopen(f"{cls.moto}/moto-api/", timeout=1).read()
                    urllib.request.urlopen(f"{cls.harness}/harness/state", timeout=1).read()
                    return True
                except OSError:
                    return False
            wait_until(ready, 60, "launcher readiness")
        except BaseException:
            cls._stop()
            raise
        for k, v in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                     ("AWS_SESSION_TOKEN", "testing"), ("AWS_DEFAULT_REGION", REGION)):
            os.environ.setdefault(k, v)
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                aws_session_token="testing", region_name=REGION)
        cls.ec2 = session.client("ec2", endpoint_url=cls.moto)
        cls.ecs = session.client("ecs", endpoint_url=cls.moto)

    @classmethod
    def _stop(cls) -> None:
        if cls.proc.poll() is None:
            cls.proc.terminate()
            try:
                cls.proc.wait(15)
            except subprocess.TimeoutExpired:
                cls.proc.kill()
                cls.proc.wait()
        cls.log_file.close()

    @classmethod
    def tearDownClass(cls) -> None:
        cls._stop()
        # SIGTERM is a clean exit (0), not a kill.
        assert cls.proc.returncode == 0, f"launcher exit status {cls.proc.returncode}"
        if os.environ.get("ECS_LAUNCHER_TEST_KEEP_LOG"):
            sys.stderr.write(f"launcher log: {cls.log_path}\n")
        else:
            cls.log_path.unlink(missing_ok=True)

    # -- helpers --

    def register(self, cluster: str) -> str:
        image = self.ec2.describe_images()["Images"][0]["ImageId"]
        instance = self.ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro")["Instances"][0]
        self.ecs.create_cluster(clusterName=cluster)
        identity = {"instanceId": instance["InstanceId"], "region": REGION, "accountId": "123456789012",
                    "availabilityZone": instance["Placement"]["AvailabilityZone"], "imageId": image}
        resp = self.ecs.register_container_instance(
            cluster=cluster,
            instanceIdentityDocument=json.dumps(identity),
            instanceIdentityDocumentSignature="",
            attributes=AGENT_ATTRIBUTES,
            totalResources=AGENT_RESOURCES,
            platformDevices=AGENT_GPUS,
        )
        ci = resp["containerInstance"]
        # The agent validates the RegisterContainerInstance response itself
        # (ecs_client.go validateRegisteredAttributes): every valued attribute back.
        returned = {a["name"]: a.get("value", "") for a in ci["attributes"]}
        for a in AGENT_ATTRIBUTES:
            self.assertEqual(returned.get(a["name"], ""), a.get("value", ""), a["name"])
        return ci["containerInstanceArn"]

    def describe(self, cluster: str, arn: str) -> dict:
        return self.ecs.describe_container_instances(cluster=cluster, containerInstances=[arn])["containerInstances"][0]

    def acs_connect(self, cluster: str, arn: str):
        # ecs-agent/acs/session/session.go acsURL(): endpoint + "/ws?" + Go's
        # url.Values.Encode() (sorted keys, '+' for spaces); http -> ws.
        query = {
            "agentHash": AGENT_HASH, "agentVersion": "1.105.1", "clusterArn": cluster,
            "containerInstanceArn": arn, "dockerVersion": DOCKER_VERSION,
            "protocolVersion": "2", "sendCredentials": "true", "seqNum": "1",
        }
        url = f"ws://127.0.0.1:{self.acs_port}/ws?" + urllib.parse.urlencode(sorted(query.items()))
        # The agent signs the upgrade request (SigV4); the launcher ignores it.
        headers = {"Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ecs/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
                   "X-Amz-Date": "20260101T000000Z"}
        return connect(url, additional_headers=headers, compression=None, open_timeout=10)

    def recv_type(self, ws, wanted: str, timeout: float = 10.0) -> dict:
        """Next message of type `wanted`, answering heartbeats as the agent
        does (heartbeat_responder.go)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {wanted} within {timeout}s")
            doc = json.loads(ws.recv(timeout=remaining))
            self.assertEqual(set(doc), {"type", "message"}, doc)
            if doc["type"] == "HeartbeatMessage" and wanted != "HeartbeatMessage":
                ws.send(json.dumps({"type": "HeartbeatAckRequest", "message": {"messageId": doc["message"]["messageId"]}}))
                continue
            if doc["type"] == wanted:
                return doc["message"]

    def state(self) -> dict:
        status, doc = http_json("GET", f"{self.harness}/harness/state")
        self.assertEqual(status, 200)
        return doc

    # -- the test --

    def test_agent_flow(self) -> None:
        cluster = "lab"
        arn = self.register(cluster)
        # The GPUs the agent sent, as it sent them.
        regs = self.state()["registrations"]
        self.assertEqual(regs, [{"containerInstanceArn": arn, "platformDevices": AGENT_GPUS}])

        ci = self.describe(cluster, arn)
        attrs = {a["name"]: a.get("value") for a in ci["attributes"]}
        for a in AGENT_ATTRIBUTES:
            self.assertIn(a["name"], attrs)
            self.assertEqual(attrs[a["name"]], a.get("value"))
        self.assertIn("ecs.availability-zone", attrs)  # moto's own, kept
        registered = {r["name"]: r for r in ci["registeredResources"]}
        self.assertEqual(registered["CPU"]["integerValue"], 2048)
        self.assertEqual(registered["MEMORY"]["integerValue"], 3933)
        self.assertEqual(sorted(registered["PORTS"]["stringSetValue"]), sorted(AGENT_RESOURCES[2]["stringSetValue"]))
        remaining = {r["name"]: r for r in ci["remainingResources"]}
        self.assertEqual(remaining["MEMORY"]["integerValue"], 3933)

        dpe = self.ecs.discover_poll_endpoint(containerInstance=arn, cluster=cluster)
        self.assertEqual(dpe["endpoint"], self.acs_url)
        self.assertEqual(dpe["telemetryEndpoint"], self.acs_url)
        self.assertEqual(dpe.get("serviceConnectEndpoint"), self.acs_url)

        # No ACS connection yet: a payload has nowhere to go.
        status, doc = http_json("POST", f"{self.harness}/harness/payload", {"tasks": []})
        self.assertEqual(status, 409, doc)
        self.assertIn("error", doc)

        with self.acs_connect(cluster, arn) as ws:
            conns = wait_until(lambda: [c for c in self.state()["connections"] if c["open"]], what="connection")
            self.assertEqual(len(conns), 1)
            c = conns[0]
            self.assertEqual(c["kind"], "acs")
            self.assertEqual(c["path"], "/ws")
            self.assertEqual(c["containerInstanceArn"], arn)
            self.assertEqual(c["clusterArn"], cluster)
            self.assertEqual(c["query"]["dockerVersion"], DOCKER_VERSION)  # '+' decoded

            ci = self.describe(cluster, arn)
            self.assertEqual(ci["versionInfo"], {"agentVersion": "1.105.1", "agentHash": AGENT_HASH,
                                                 "dockerVersion": DOCKER_VERSION})
            self.assertTrue(ci["agentConnected"])

            # Heartbeats arrive and carry a messageId (heartbeat_responder.go acks it).
            hb = self.recv_type(ws, "HeartbeatMessage")
            self.assertTrue(hb["healthy"])
            self.assertTrue(hb["messageId"])
            ws.send(json.dumps({"type": "HeartbeatAckRequest", "message": {"messageId": hb["messageId"]}}))

            task_arn = "arn:aws:ecs:us-east-1:123456789012:task/lab/0123456789abcdef0123456789abcdef"
            task = {
                "arn": task_arn, "family": "lab-busybox", "version": "1", "desiredStatus": "RUNNING",
                "networkMode": "bridge", "launchType": "EC2",
                "containers": [{"name": "app", "image": "lab/busybox:1", "cpu": 10, "memory": 64, "essential": True,
                                "command": ["sh", "-c", "sleep 3600"], "environment": {}}],
                "roleCredentials": {"credentialsId": "cred-0001", "roleArn": "arn:aws:iam::123456789012:role/lab-task",
                                    "accessKeyId": "ASIATESTTESTTEST", "secretAccessKey": "s3cr3tS3cr3tS3cr3t",
                                    "sessionToken": "t0k3nT0k3nT0k3n", "expiration": "2099-01-01T00:00:00Z"},
            }
            status, doc = http_json("POST", f"{self.harness}/harness/payload", {"tasks": [task]})
            self.assertEqual(status, 200, doc)
            message_id = doc["messageId"]

            payload = self.recv_type(ws, "PayloadMessage")
            # payload_responder.go validatePayloadMessage(): these must be set.
            self.assertEqual(payload["messageId"], message_id)
            self.assertEqual(payload["containerInstanceArn"], arn)
            self.assertEqual(payload["clusterArn"], f"arn:aws:ecs:{REGION}:123456789012:cluster/{cluster}")
            self.assertIsInstance(payload["seqNum"], int)
            self.assertIsInstance(payload["generatedAt"], int)
            self.assertEqual(payload["tasks"], [task])

            # The agent's answers (agent/acs/session/payload_responder.go ProcessMessage/ackCredentials).
            ws.send(json.dumps({"type": "AckRequest", "message": {
                "cluster": payload["clusterArn"], "containerInstance": arn, "messageId": message_id}}))
            ws.send(json.dumps({"type": "IAMRoleCredentialsAckRequest", "message": {
                "messageId": message_id, "expiration": "2099-01-01T00:00:00Z", "credentialsId": "cred-0001"}}))
            ws.send(json.dumps({"type": "SomethingNew", "message": {"x": 1}}))  # unknown: recorded, no crash

            def got(kind: str):
                return [r for r in self.state()["received"] if r["type"] == kind]
            acks = wait_until(lambda: got("AckRequest"), what="AckRequest")
            self.assertEqual(acks[0]["message"]["messageId"], message_id)
            self.assertEqual(acks[0]["containerInstanceArn"], arn)
            wait_until(lambda: got("IAMRoleCredentialsAckRequest"), what="credentials ack")
            wait_until(lambda: got("SomethingNew"), what="unknown type recorded")
            wait_until(lambda: got("HeartbeatAckRequest"), what="heartbeat ack recorded")

            # Second payload: seqNum increments.
            status, doc2 = http_json("POST", f"{self.harness}/harness/payload", {"containerInstanceArn": arn, "tasks": []})
            self.assertEqual(status, 200, doc2)
            payload2 = self.recv_type(ws, "PayloadMessage")
            self.assertEqual(payload2["seqNum"], payload["seqNum"] + 1)

            status, doc3 = http_json("POST", f"{self.harness}/harness/refresh-credentials", {
                "taskArn": task_arn, "roleCredentials": task["roleCredentials"]})
            self.assertEqual(status, 200, doc3)
            creds = self.recv_type(ws, "IAMRoleCredentialsMessage")
            self.assertEqual(creds["roleType"], "TaskApplication")
            self.assertEqual(creds["taskArn"], task_arn)

            # State changes the agent submits on the ECS API.
            ack = self.ecs.submit_task_state_change(
                cluster=cluster, task=task_arn, status="RUNNING", reason="",
                containers=[{"containerName": "app", "runtimeId": "abc123", "status": "RUNNING", "networkBindings": []}],
            )
            self.assertEqual(ack["acknowledgment"], "ACK")
            ack = self.ecs.submit_container_state_change(cluster=cluster, task=task_arn, containerName="app",
                                                         runtimeId="abc123", status="RUNNING")
            self.assertEqual(ack["acknowledgment"], "ACK")
            ack = self.ecs.submit_attachment_state_changes(cluster=cluster, attachments=[
                {"attachmentArn": "arn:aws:ecs:us-east-1:123456789012:attachment/x", "status": "ATTACHED"}])
            self.assertEqual(ack["acknowledgment"], "ACK")
            changes = self.state()["state_changes"]
            self.assertEqual([c["operation"] for c in changes],
                             ["SubmitTaskStateChange", "SubmitContainerStateChange", "SubmitAttachmentStateChanges"])
            self.assertEqual(changes[0]["request"]["task"], task_arn)
            self.assertEqual(changes[0]["request"]["status"], "RUNNING")
            self.assertEqual(changes[0]["request"]["containers"][0]["containerName"], "app")

            # TCS (ecs-agent/tcs/handler/handler.go formatURL, client.go signRequestFunc).
            tq = urllib.parse.urlencode(sorted({"agentHash": AGENT_HASH, "agentVersion": "1.105.1", "cluster": cluster,
                                                "containerInstance": arn, "dockerVersion": "20.10.24"}.items()))
            with connect(f"ws://127.0.0.1:{self.acs_port}/ws?{tq}", compression=None, open_timeout=10) as tcs:
                body = json.dumps({"type": "PublishMetricsRequest", "message": {
                    "metadata": {"cluster": cluster, "containerInstance": arn, "messageId": "m1", "idle": True, "fin": True},
                    "timestamp": 1}})
                tcs.send("Authorization: AWS4-HMAC-SHA256 x\r\nHost: h\r\n\r\n" + body)
                seen = set()
                deadline = time.monotonic() + 10
                while {"AckPublishMetric", "HeartbeatMessage"} - seen and time.monotonic() < deadline:
                    seen.add(json.loads(tcs.recv(timeout=10))["type"])
                self.assertIn("AckPublishMetric", seen)
                self.assertIn("HeartbeatMessage", seen)
                st = self.state()
                self.assertTrue(any(c["kind"] == "tcs" and c["open"] for c in st["connections"]))
                self.assertTrue(any(r["kind"] == "tcs" and r["type"] == "PublishMetricsRequest" for r in st["received"]))
            # A TCS close does not make the agent look disconnected.
            self.assertTrue(self.describe(cluster, arn)["agentConnected"])

        wait_until(lambda: not self.describe(cluster, arn)["agentConnected"], what="agentConnected false")
        self.assertFalse(any(c["open"] for c in self.state()["connections"] if c["kind"] == "acs"))
        status, doc = http_json("POST", f"{self.harness}/harness/payload", {"tasks": []})
        self.assertEqual(status, 409)


if __name__ == "__main__":
    unittest.main()
