//! Instance-metadata stand-in.
//!
//! A second namespace `<lab>-imds` is joined to the lab's host namespace by a
//! veth pair (`imds0` in the host ns, `eth0` in the IMDS ns) with the link
//! pair [`HOST_LINK_ADDR`]/[`IMDS_LINK_ADDR`] (`169.254.254.0/30`).
//! `169.254.169.254/32` sits on the IMDS namespace's `lo`, and the host
//! namespace routes `169.254.169.254 via 169.254.254.2` — so metadata
//! traffic from bridge containers is *forwarded* by the host namespace, as
//! on EC2.
//!
//! The server (Python's `http.server`, a host binary run in that namespace)
//! answers like IMDS where the tests look:
//! * `GET` serves the files below its document root (`/latest/meta-data/…`;
//!   a directory lists its entries, one per line);
//! * `PUT /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds`
//!   (1–21600) returns a token (IMDSv2) and, as EC2 does, the same header
//!   with the TTL; without the header, 400;
//! * the **hop limit**: the token answer leaves with IP TTL = the hop limit
//!   ([`Imds::set_hop_limit`], default 2, as the provider renders it), so,
//!   as on EC2, it dies after that many routers: the lab host (forwarding to
//!   a bridge) is one, so a container needs 2;
//! * `http_tokens = required` ([`Imds::set_http_tokens`]): a `GET` without a
//!   valid token gets 401. Default `optional`.
//!
//! Every request is logged (client address first) to [`Imds::log`].

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::hostlab::netns::{self, NetNs};
use crate::hostlab::{sys, Error, Result, IMDS_ADDR};

/// Host side of the link (`imds0` in the lab's host namespace).
pub const HOST_LINK_ADDR: &str = "169.254.254.1";
/// IMDS side of the link (`eth0` in the IMDS namespace).
pub const IMDS_LINK_ADDR: &str = "169.254.254.2";
/// Interface name in the host namespace.
pub const HOST_IF: &str = "imds0";
/// Instance id served at `/latest/meta-data/instance-id`.
pub const INSTANCE_ID: &str = "i-0123456789abcdef0";
/// Region served at `/latest/meta-data/placement/region`.
pub const REGION: &str = "us-east-1";

/// Name of the instance profile's role the stand-in serves credentials for.
pub const INSTANCE_ROLE: &str = "ecshost-lab-instance-role";

/// What [`Imds::serve_instance`] serves about the instance: an instance
/// that exists in the test's moto.
#[derive(Debug, Clone)]
pub struct InstanceFacts {
    pub instance_id: String,
    pub account_id: String,
    pub image_id: String,
    pub instance_type: String,
    pub private_ip: String,
    pub mac: String,
    pub vpc_id: String,
    pub subnet_id: String,
}

/// The running stand-in.
#[derive(Debug)]
pub struct Imds {
    ns: NetNs,
    child: Option<Child>,
    docroot: PathBuf,
    settings: PathBuf,
    log: PathBuf,
}

/// The server: `imds.py ADDRESS DOCROOT SETTINGS_DIR`.
const SERVER: &str = r#"import http.server, os, secrets, socket, sys

ADDRESS, ROOT, SETTINGS = sys.argv[1], sys.argv[2], sys.argv[3]
TOKENS = set()


def setting(name, default):
    try:
        with open(os.path.join(SETTINGS, name)) as f:
            return f.read().strip()
    except OSError:
        return default


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "EC2ws"

    def reply(self, code, body, headers=()):
        data = body.encode()
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):
        if self.path != "/latest/api/token":
            return self.reply(404, "Not Found")
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self.reply(400, "Bad Request")
        token = secrets.token_urlsafe(24)
        TOKENS.add(token)
        hops = int(setting("hop-limit", "2"))
        self.connection.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, hops)
        # EC2 echoes the TTL; aws-sdk-go-v2 (the ECS agent's SDK) refuses a
        # token answer without it (feature/ec2/imds, token_provider.go) and
        # falls back to IMDSv1.
        self.reply(200, token, [("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", ttl)])

    def do_GET(self):
        if setting("http-tokens", "optional") == "required" and self.headers.get(
            "X-aws-ec2-metadata-token"
        ) not in TOKENS:
            return self.reply(401, "Unauthorized")
        path = os.path.normpath(os.path.join(ROOT, self.path.lstrip("/")))
        if not path.startswith(ROOT):
            return self.reply(404, "Not Found")
        if os.path.isdir(path):
            names = sorted(n + ("/" if os.path.isdir(os.path.join(path, n)) else "") for n in os.listdir(path))
            return self.reply(200, "\n".join(names))
        try:
            with open(path) as f:
                return self.reply(200, f.read())
        except OSError:
            return self.reply(404, "Not Found")

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.client_address[0], fmt % args))
        sys.stderr.flush()


http.server.ThreadingHTTPServer.allow_reuse_address = True
http.server.ThreadingHTTPServer((ADDRESS, 80), Handler).serve_forever()
"#;

fn write(path: &Path, content: &str) -> Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)
            .map_err(|e| Error::new(format!("mkdir {}: {e}", d.display())))?;
    }
    std::fs::write(path, content).map_err(|e| Error::new(format!("write {}: {e}", path.display())))
}

/// The files of [`Imds::serve_instance`] below `docroot` (`latest/…`), for
/// any server that answers from a directory (the lab's, and the boot
/// tests' `imds-standin --docroot`).
pub fn write_instance_files(docroot: &Path, instance: &InstanceFacts) -> Result<()> {
    let md = docroot.join("latest/meta-data");
    let az = format!("{REGION}a");
    write(&md.join("instance-id"), &instance.instance_id)?;
    write(&md.join("mac"), &instance.mac)?;
    write(&md.join("placement/availability-zone"), &az)?;
    write(&md.join("placement/availability-zone-id"), "use1-az1")?;
    let nic = md.join("network/interfaces/macs").join(&instance.mac);
    write(&nic.join("vpc-id"), &instance.vpc_id)?;
    write(&nic.join("subnet-id"), &instance.subnet_id)?;
    write(&nic.join("local-ipv4s"), &instance.private_ip)?;
    write(
        &docroot.join("latest/dynamic/instance-identity/document"),
        &serde_json::json!({
            "accountId": instance.account_id,
            "architecture": "x86_64",
            "availabilityZone": az,
            "imageId": instance.image_id,
            "instanceId": instance.instance_id,
            "instanceType": instance.instance_type,
            "privateIp": instance.private_ip,
            "region": REGION,
            "version": "2017-09-30",
        })
        .to_string(),
    )?;
    // Not verified by the agent against a key (only passed on to ECS,
    // which moto does not check).
    write(
        &docroot.join("latest/dynamic/instance-identity/signature"),
        "aG9zdGxhYiBzdGFuZC1pbg==",
    )?;
    write(
        &md.join("iam/security-credentials").join(INSTANCE_ROLE),
        &serde_json::json!({
            "Code": "Success",
            "LastUpdated": "2026-12-07T00:00:00Z",
            "Type": "AWS-HMAC",
            "AccessKeyId": "ASIAHOSTLABINSTANCE0",
            "SecretAccessKey": "hostlab-instance-role-secret",
            "Token": "hostlab-instance-role-token",
            "Expiration": "2099-01-01T00:00:00Z",
        })
        .to_string(),
    )
}

impl Imds {
    /// Create namespace `ns_name`, wire it to `host`, start httpd; wait until
    /// it answers (from inside its own namespace).
    pub fn start(host: &NetNs, ns_name: &str, dir: &Path) -> Result<Imds> {
        let ns = NetNs::create(ns_name)?;
        let mut imds = Imds {
            ns,
            child: None,
            docroot: dir.join("imds-www"),
            settings: dir.join("imds-settings"),
            log: dir.join("imds-server.log"),
        };
        imds.wire(host)?;
        imds.serve()?;
        Ok(imds)
    }

    fn wire(&self, host: &NetNs) -> Result<()> {
        netns::veth_pair(host, HOST_IF, &self.ns, "eth0")?;
        netns::add_addr(host, HOST_IF, &format!("{HOST_LINK_ADDR}/30"))?;
        netns::add_addr(&self.ns, "eth0", &format!("{IMDS_LINK_ADDR}/30"))?;
        netns::add_addr(&self.ns, "lo", &format!("{IMDS_ADDR}/32"))?;
        netns::add_route(&self.ns, "default", HOST_LINK_ADDR, Some("eth0"))?;
        netns::add_route(
            host,
            &format!("{IMDS_ADDR}/32"),
            IMDS_LINK_ADDR,
            Some(HOST_IF),
        )?;
        host.sysctl("net.ipv4.ip_forward", "1")?;
        Ok(())
    }

    fn serve(&mut self) -> Result<()> {
        let md = self.docroot.join("latest/meta-data");
        write(&md.join("instance-id"), INSTANCE_ID)?;
        write(&md.join("placement/region"), REGION)?;
        write(&md.join("local-ipv4"), HOST_LINK_ADDR)?;
        write(
            &self
                .docroot
                .join("latest/dynamic/instance-identity/document"),
            &format!(
                r#"{{"instanceId":"{INSTANCE_ID}","region":"{REGION}","accountId":"000000000000","availabilityZone":"{REGION}a"}}"#
            ),
        )?;
        self.set_hop_limit(2)?;
        self.set_http_tokens("optional")?;
        let script = self.settings.join("imds.py");
        write(&script, SERVER)?;
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|e| Error::new(format!("open imds log: {e}")))?;
        let log2 = log
            .try_clone()
            .map_err(|e| Error::new(format!("dup: {e}")))?;
        let mut c = self.ns.command(sys::tool("python3")?)?;
        c.arg(&script)
            .arg(IMDS_ADDR)
            .arg(&self.docroot)
            .arg(&self.settings)
            .env_clear()
            .env("PATH", sys::TOOL_PATH)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2);
        self.child = Some(
            c.spawn()
                .map_err(|e| Error::new(format!("spawn imds server: {e}")))?,
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        let probe =
            format!("timeout 2 busybox wget -qO- http://{IMDS_ADDR}/latest/meta-data/instance-id");
        loop {
            let out = self.ns.sh(&probe, Duration::from_secs(5))?;
            if out.success() && out.stdout.trim() == INSTANCE_ID {
                return Ok(());
            }
            if let Some(Ok(Some(st))) = self.child.as_mut().map(Child::try_wait) {
                return Err(Error::new(format!(
                    "imds server exited: {st}: {}",
                    self.log()
                )));
            }
            if Instant::now() >= deadline {
                return Err(Error::new(format!("imds stand-in not answering: {out}")));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Serve what the real ECS agent reads at start for the EC2 instance
    /// `instance_id` (an instance moto knows: the agent registers it, and
    /// `RegisterContainerInstance` looks it up), as `../shared/ecs-agent/README.md`
    /// lists it: the identity document and its signature, `instance-id`,
    /// `mac`, the interface's `vpc-id` and `subnet-id`, the availability
    /// zone and its id; and the instance role's credentials
    /// (`iam/security-credentials/<role>`), which the agent's AWS SDK takes
    /// from here to call ECS, as on EC2. `outpost-arn` and `user-data` stay
    /// absent (404, which the agent accepts).
    pub fn serve_instance(&self, instance: &InstanceFacts) -> Result<()> {
        write_instance_files(&self.docroot, instance)
    }

    /// The IP TTL of token answers (EC2's `http_put_response_hop_limit`).
    pub fn set_hop_limit(&self, hops: u8) -> Result<()> {
        write(&self.settings.join("hop-limit"), &hops.to_string())
    }

    /// `required`: a `GET` without a valid token gets 401; `optional`: IMDSv1 works.
    pub fn set_http_tokens(&self, mode: &str) -> Result<()> {
        write(&self.settings.join("http-tokens"), mode)
    }

    /// The stand-in's namespace.
    pub fn netns(&self) -> &NetNs {
        &self.ns
    }

    /// Server PID.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The server's request log: one line per request, client address first.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Stop the server by PID and delete the namespace (its veth goes with it).
    pub fn stop(&mut self) -> Result<()> {
        if let Some(mut c) = self.child.take() {
            sys::stop_child(&mut c, Duration::from_secs(5));
        }
        self.ns.delete()
    }
}

impl Drop for Imds {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}
