//! One boot: a network namespace with the guest's only network (a tap
//! device, a DHCP server and the instance-metadata stand-in), a NoCloud seed,
//! a qcow2 overlay on the cached image and QEMU with the serial console in a
//! file. Bounded: the guest is killed by PID at the deadline, and the
//! namespace, overlay and seed are removed whatever happened.
//!
//! Addresses: the guest link is `10.254.0.0/24` (the namespace side is
//! `10.254.0.1`, the guest's default gateway; DHCP hands out `10.254.0.10`–
//! `.20`), and `169.254.169.254` lives on the namespace's `lo`, so the guest
//! reaches its metadata through its gateway as a Debian host on EC2 does.
//! Nothing is routed anywhere else: the guest can reach nothing but this
//! namespace.
//!
//! The guest's address is a private, global-scope one like an ENI's, not a
//! link-local one: with only a `169.254.0.0/16` address (scope link) on the
//! NIC, MASQUERADE of the agent's bridge (`inet_select_addr(…,
//! RT_SCOPE_UNIVERSE)`) skips it and takes the first global-scope address of
//! the host instead: the loopback alias `169.254.170.2` where `ip addr add`
//! put it (scope global), docker0's `172.17.0.1` where NetworkManager put it
//! (NetworkManager gives `169.254.0.0/16` addresses scope link), and nothing
//! routes an answer back to the latter. The agent's IMDS path then depended
//! on which daemon had configured `lo` (seen in the NetworkManager boots;
//! see how-it-works, "What a real boot showed").

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::image::Image;
use crate::hostlab::netns::NetNs;
use crate::hostlab::{sys, Error, Result};

/// The namespace side of the guest link, the guest's default gateway.
pub const LINK_ADDR: &str = "10.254.0.1";
/// What every address DHCP hands the guest starts with.
pub const GUEST_ADDR_PREFIX: &str = "10.254.0.";
/// Prefix length of the guest link.
const LINK_PREFIX: u8 = 24;
/// The metadata stand-in's address (inside the test namespace only).
pub const IMDS_ADDR: &str = "169.254.169.254";
const TAP: &str = "tap0";

fn io<T>(r: std::io::Result<T>, what: &str) -> Result<T> {
    r.map_err(|e| Error::new(format!("{what}: {e}")))
}

fn spawn_logged(mut c: Command, log: &Path, what: &str) -> Result<Child> {
    let f = io(std::fs::File::create(log), "log file")?;
    let f2 = io(f.try_clone(), "dup")?;
    c.stdin(Stdio::null()).stdout(f).stderr(f2).process_group(0);
    c.spawn()
        .map_err(|e| Error::new(format!("spawn {what}: {e}")))
}

/// The guest's network: namespace, tap, DHCP server, metadata stand-in.
pub struct GuestNet {
    ns: NetNs,
    children: Vec<Child>,
    /// The stand-in's request log (one line per request).
    pub imds_log: PathBuf,
}

/// How the metadata stand-in answers.
#[derive(Debug, Clone)]
pub struct ImdsSettings {
    /// `HttpPutResponseHopLimit`: the IP TTL of token answers.
    pub hop_limit: u32,
    /// `HttpTokens = required`.
    pub tokens_required: bool,
    /// The instance id it serves.
    pub instance_id: String,
    /// Files it serves first (`imds-standin --docroot`): what the real ECS
    /// agent reads ([`crate::hostlab::imds::write_instance_files`]).
    pub docroot: Option<PathBuf>,
}

impl GuestNet {
    /// Creates namespace `name` and starts its servers; logs go to `dir`.
    pub fn start(name: &str, dir: &Path, imds_bin: &Path, imds: &ImdsSettings) -> Result<GuestNet> {
        let ns = NetNs::create(name)?;
        let mut net = GuestNet {
            ns,
            children: Vec::new(),
            imds_log: dir.join("imds.log"),
        };
        net.ns.ip(&["tuntap", "add", "dev", TAP, "mode", "tap"])?;
        net.ns.ip(&[
            "addr",
            "add",
            &format!("{LINK_ADDR}/{LINK_PREFIX}"),
            "dev",
            TAP,
        ])?;
        net.ns.ip(&["link", "set", TAP, "up"])?;
        net.ns
            .ip(&["addr", "add", &format!("{IMDS_ADDR}/32"), "dev", "lo"])?;
        let conf = dir.join("udhcpd.conf");
        io(
            std::fs::write(
                &conf,
                format!(
                    "start {GUEST_ADDR_PREFIX}10\nend {GUEST_ADDR_PREFIX}20\ninterface {TAP}\nmax_leases 10\n\
                     lease_file {leases}\npidfile {pid}\noption subnet 255.255.255.0\n\
                     option router {LINK_ADDR}\noption lease 86400\n",
                    leases = dir.join("udhcpd.leases").display(),
                    pid = dir.join("udhcpd.pid").display(),
                ),
            ),
            "udhcpd.conf",
        )?;
        io(std::fs::write(dir.join("udhcpd.leases"), ""), "leases")?;
        let mut c = net.ns.command(crate::hostlab::images::busybox_path()?)?;
        c.args(["udhcpd", "-f"]).arg(&conf);
        net.children
            .push(spawn_logged(c, &dir.join("udhcpd.log"), "udhcpd")?);
        let mut c = net.ns.command(imds_bin)?;
        c.args([
            "--listen",
            &format!("{IMDS_ADDR}:80"),
            "--hop-limit",
            &imds.hop_limit.to_string(),
            "--instance-id",
            &imds.instance_id,
            "--tokens",
            if imds.tokens_required {
                "required"
            } else {
                "optional"
            },
            "--log",
        ])
        .arg(&net.imds_log);
        if let Some(d) = &imds.docroot {
            c.arg("--docroot").arg(d);
        }
        net.children.push(spawn_logged(
            c,
            &dir.join("imds-standin.log"),
            "imds-standin",
        )?);
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let out = net.ns.sh(
                &format!("curl -s -m 2 -o /dev/null -w '%{{http_code}}' http://{IMDS_ADDR}/latest/meta-data/instance-id"),
                Duration::from_secs(5),
            )?;
            if out.stdout.trim() == "401" || out.stdout.trim() == "200" {
                break;
            }
            if Instant::now() > deadline {
                return Err(Error::new(format!(
                    "metadata stand-in not answering: {out}"
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // Empty the log of the readiness probes. Truncated, not removed: the
        // stand-in keeps it open in append mode, and a removed file would
        // take every later line with it (the boots' logs were lost so).
        io(
            std::fs::write(&net.imds_log, ""),
            "truncate the stand-in's log",
        )?;
        Ok(net)
    }

    /// The namespace.
    pub fn netns(&self) -> &NetNs {
        &self.ns
    }

    /// Stops the servers by PID and deletes the namespace (tap included).
    pub fn stop(&mut self) {
        for c in &mut self.children {
            sys::stop_child(c, Duration::from_secs(3));
        }
        self.children.clear();
        let _ = self.ns.delete();
    }
}

impl Drop for GuestNet {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Writes a NoCloud seed (`CIDATA` vfat) holding `meta-data` and the exact
/// `user-data` bytes.
pub fn write_seed(dir: &Path, instance_id: &str, user_data: &[u8], out: &Path) -> Result<()> {
    let files = dir.join("seed-files");
    io(std::fs::create_dir_all(&files), "mkdir seed")?;
    io(
        std::fs::write(
            files.join("meta-data"),
            format!("instance-id: {instance_id}\nlocal-hostname: {instance_id}\n"),
        ),
        "meta-data",
    )?;
    io(
        std::fs::write(files.join("user-data"), user_data),
        "user-data",
    )?;
    let _ = std::fs::remove_file(out);
    let t = Duration::from_secs(30);
    sys::run_ok(
        sys::command("mkfs.vfat")?
            .args(["-n", "CIDATA", "-C"])
            .arg(out)
            .arg("2048"),
        t,
        "mkfs.vfat",
    )?;
    sys::run_ok(
        sys::command("mcopy")?
            .arg("-i")
            .arg(out)
            .arg(files.join("meta-data"))
            .arg(files.join("user-data"))
            .arg("::"),
        t,
        "mcopy",
    )?;
    let _ = std::fs::remove_dir_all(&files);
    Ok(())
}

/// How QEMU runs guests here.
#[derive(Debug, Clone)]
pub struct Accel {
    /// `kvm` or `tcg`.
    pub name: &'static str,
    /// Why.
    pub reason: String,
}

/// KVM only when the CPU exposes virtualization and a probe boot prints the
/// kernel banner within 20 s; TCG otherwise (on this machine kind a KVM
/// guest hangs after the BIOS: no vmx/svm flags).
pub fn detect_accel(image: &Image, dir: &Path) -> Accel {
    let tcg = |reason: String| Accel {
        name: "tcg",
        reason,
    };
    if std::env::var("ECSHOST_BOOT_ACCEL").as_deref() == Ok("tcg") {
        return tcg("ECSHOST_BOOT_ACCEL=tcg".into());
    }
    if !Path::new("/dev/kvm").exists() {
        return tcg("no /dev/kvm".into());
    }
    let flags = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let has = flags
        .lines()
        .filter(|l| l.starts_with("flags"))
        .any(|l| l.split_whitespace().any(|f| f == "vmx" || f == "svm"));
    if !has {
        return tcg(
            "/dev/kvm exists but the CPU exposes no vmx/svm flags (a KVM guest hangs)".into(),
        );
    }
    let console = dir.join("kvm-probe.log");
    let _ = std::fs::remove_file(&console);
    let mut c = match sys::command("qemu-system-x86_64") {
        Ok(c) => c,
        Err(e) => return tcg(e.to_string()),
    };
    c.args([
        "-accel",
        "kvm",
        "-m",
        "256",
        "-nodefaults",
        "-display",
        "none",
        "-no-reboot",
    ])
    .arg("-kernel")
    .arg(&image.kernel)
    .args(["-append", "console=ttyS0 panic=-1"])
    .arg("-serial")
    .arg(format!("file:{}", console.display()));
    let Ok(mut child) = c
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    else {
        return tcg("qemu -accel kvm did not start".into());
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut ok = false;
    while Instant::now() < deadline {
        if std::fs::read_to_string(&console)
            .unwrap_or_default()
            .contains("Linux version")
        {
            ok = true;
            break;
        }
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    sys::stop_child(&mut child, Duration::from_secs(2));
    let _ = std::fs::remove_file(&console);
    if ok {
        Accel {
            name: "kvm",
            reason: "a KVM probe boot printed the kernel banner".into(),
        }
    } else {
        tcg("a KVM probe boot printed nothing within 20 s".into())
    }
}

/// One guest run.
#[derive(Debug, Clone)]
pub struct BootSpec<'a> {
    /// The image.
    pub image: &'a Image,
    /// Per-boot scratch directory (overlay and seed are made and removed here).
    pub dir: &'a Path,
    /// `instance-id` of the seed.
    pub instance_id: &'a str,
    /// The exact user data.
    pub user_data: &'a [u8],
    /// Extra kernel command line (`ecshost_test.net=…`, `systemd.mask=…`).
    pub cmdline: String,
    /// Where the serial console goes.
    pub console: &'a Path,
    /// Accelerator.
    pub accel: &'a Accel,
    /// Memory in MiB.
    pub memory_mib: u32,
    /// Hard deadline for the whole boot.
    pub timeout: Duration,
}

/// What a boot produced.
#[derive(Debug, Clone)]
pub struct BootResult {
    /// The whole serial console.
    pub console: String,
    /// From QEMU's start to the first self-check report on the console.
    pub report_after: Option<Duration>,
    /// From QEMU's start to the witness's last line.
    pub done_after: Option<Duration>,
    /// The guest was killed at the deadline.
    pub timed_out: bool,
    /// QEMU exited by itself (panic, poweroff) with this status.
    pub exited: Option<String>,
    /// Wall time of the boot.
    pub wall: Duration,
}

/// Marker the witness prints last.
pub const DONE_MARKER: &str = "ECSHOST_TEST_DONE";

/// Boots `spec` in `net`'s namespace and waits for the witness's last line,
/// QEMU's exit or the deadline; then kills QEMU by PID and removes the
/// overlay and the seed.
pub fn boot(spec: &BootSpec<'_>, net: &GuestNet) -> Result<BootResult> {
    let overlay = spec.dir.join("disk.qcow2");
    let seed = spec.dir.join("seed.img");
    let result = (|| {
        sys::run_ok(
            sys::command("qemu-img")?
                .args(["create", "-q", "-f", "qcow2", "-F", "raw", "-b"])
                .arg(&spec.image.raw)
                .arg(&overlay),
            Duration::from_secs(30),
            "qemu-img create",
        )?;
        write_seed(spec.dir, spec.instance_id, spec.user_data, &seed)?;
        let _ = std::fs::remove_file(spec.console);
        let append = format!(
            "root=/dev/vda rw console=ttyS0 printk.time=1 panic=-1 mitigations=off {}",
            spec.cmdline
        );
        let mut c = net.netns().command(sys::tool("qemu-system-x86_64")?)?;
        c.args(["-accel", spec.accel.name, "-machine", "pc", "-smp", "1"])
            .args(["-m", &spec.memory_mib.to_string()])
            .args([
                "-nodefaults",
                "-no-user-config",
                "-display",
                "none",
                "-vga",
                "none",
            ])
            .args(["-monitor", "none", "-no-reboot", "-rtc", "base=utc"])
            .arg("-serial")
            .arg(format!("file:{}", spec.console.display()))
            .arg("-kernel")
            .arg(&spec.image.kernel)
            .arg("-initrd")
            .arg(&spec.image.initrd)
            .args(["-append", &append])
            .arg("-drive")
            .arg(format!(
                "file={},if=virtio,format=qcow2,cache=unsafe",
                overlay.display()
            ))
            .arg("-drive")
            .arg(format!(
                "file={},if=virtio,format=raw,readonly=on",
                seed.display()
            ))
            .args([
                "-netdev",
                &format!("tap,id=n0,ifname={TAP},script=no,downscript=no"),
            ])
            .args([
                "-device",
                "virtio-net-pci,netdev=n0,addr=0x5,mac=52:54:00:ec:50:05,romfile=",
            ]);
        let t0 = Instant::now();
        let mut child = spawn_logged(c, &spec.dir.join("qemu.log"), "qemu")?;
        let pid = child.id();
        let mut res = BootResult {
            console: String::new(),
            report_after: None,
            done_after: None,
            timed_out: false,
            exited: None,
            wall: Duration::ZERO,
        };
        let prefix = ecshost::render::self_check::REPORT_PREFIX;
        loop {
            std::thread::sleep(Duration::from_millis(250));
            let text = String::from_utf8_lossy(&std::fs::read(spec.console).unwrap_or_default())
                .into_owned();
            if res.report_after.is_none() && text.contains(prefix) {
                res.report_after = Some(t0.elapsed());
            }
            if text.lines().any(is_done_line) {
                res.done_after = Some(t0.elapsed());
                break;
            }
            if let Ok(Some(st)) = child.try_wait() {
                res.exited = Some(st.to_string());
                break;
            }
            if t0.elapsed() > spec.timeout {
                res.timed_out = true;
                break;
            }
        }
        sys::signal(pid, "KILL");
        let _ = child.wait();
        res.wall = t0.elapsed();
        res.console =
            String::from_utf8_lossy(&std::fs::read(spec.console).unwrap_or_default()).into_owned();
        Ok(res)
    })();
    let _ = std::fs::remove_file(&overlay);
    let _ = std::fs::remove_file(&seed);
    result
}

/// Whether a console line is the witness's last one: the marker alone, or
/// behind the `[ uptime] unit[pid]: ` prefix a unit's output carries when it
/// reaches the console through systemd (seen on Debian 12 once the self-check's
/// probes ran as a unit: every boot ran into the timeout with the marker printed).
fn is_done_line(line: &str) -> bool {
    let l = line.trim_end();
    l == DONE_MARKER
        || l.strip_suffix(DONE_MARKER)
            .is_some_and(|p| p.ends_with(": "))
}

/// Prefix of the namespaces boots create (`ecshboot-<test pid>-<n>`).
pub const NETNS_PREFIX: &str = "ecshboot-";

/// Removes what boots of dead test processes left: every process in their
/// namespaces (QEMU, the DHCP server, the metadata stand-in) is killed by
/// PID, then the namespace is deleted. Returns the namespaces removed.
pub fn sweep_stale() -> Vec<String> {
    let mut removed = Vec::new();
    for name in NetNs::list() {
        let Some(rest) = name.strip_prefix(NETNS_PREFIX) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if sys::pid_alive(pid) {
            continue;
        }
        if let Ok(mut c) = sys::command("ip") {
            if let Ok(out) = sys::run(c.args(["netns", "pids", &name]), Duration::from_secs(10)) {
                for p in out.stdout.split_whitespace().filter_map(|p| p.parse().ok()) {
                    sys::stop_pid(p, Duration::from_secs(2));
                }
            }
        }
        let _ = NetNs::attach(&name).delete();
        removed.push(name);
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_done_marker_is_found_bare_or_behind_a_unit_prefix() {
        assert!(is_done_line("ECSHOST_TEST_DONE\r"));
        assert!(is_done_line("[  332.576037] sh[543]: ECSHOST_TEST_DONE"));
        assert!(!is_done_line("echo ECSHOST_TEST_DONE"));
        assert!(!is_done_line("ECSHOST_TEST_DONE later"));
    }
}
