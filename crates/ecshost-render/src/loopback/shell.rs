//! Idempotent POSIX sh script adding the address, and the systemd oneshot unit
//! that runs it before docker.service on every boot.
//!
//! `ip addr add` fails on a second run ("File exists"); the script checks first
//! and uses `ip addr replace`, so re-running it changes nothing (ip-address(8);
//! the host lab runs it twice: `acceptance-tests/tests/host_lab_rendered.rs`).
//! `IP` may point at another `ip` binary (tests, busybox); nothing else is
//! configurable at run time.

use super::LoopbackInput;
use crate::host::{self, Header};
use crate::SYSTEMD_DIR;

/// Where the script is installed.
pub const PATH: &str = "/opt/ecshost/ecs-loopback.sh";

/// Name of the unit that runs the script at boot.
pub const UNIT_NAME: &str = "ecshost-loopback.service";

/// Where the unit is installed.
pub fn unit_path() -> String {
    format!("{SYSTEMD_DIR}/{UNIT_NAME}")
}

/// The script (`src/host/loopback.sh`) with its `ADDRESS` (a /32) and
/// `DEVICE`.
pub fn render(input: &LoopbackInput) -> String {
    Header::new()
        .set("ADDRESS", &format!("{}/32", input.bare_address()))
        .set("DEVICE", &input.device)
        .fill(host::LOOPBACK)
}

/// The oneshot unit ordering the address before Docker (which must find the
/// address when it publishes `<address>:80`) and the agent.
pub fn render_unit() -> String {
    format!(
        "[Unit]\n\
         Description=ECS task credentials address on the loopback device (terraform-provider-ecshost)\n\
         DefaultDependencies=no\n\
         After=systemd-networkd.service NetworkManager.service network-pre.target\n\
         Before=network.target docker.service ecs-agent.service\n\
         \n\
         [Service]\n\
         Type=oneshot\n\
         RemainAfterExit=yes\n\
         ExecStart=/bin/sh {PATH}\n\
         \n\
         [Install]\n\
         WantedBy=multi-user.target docker.service\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{consumer_tools, LIB_DIR};

    #[test]
    fn golden_default() {
        consumer_tools::golden("loopback/shell.sh", &render(&LoopbackInput::default()));
        consumer_tools::golden("loopback/ecshost-loopback.service", &render_unit());
    }

    #[test]
    fn shellcheck_every_input() {
        for input in [
            LoopbackInput::default(),
            LoopbackInput {
                address: "10.0.0.9/32".into(),
                device: "dummy0".into(),
                allow_custom_address: true,
            },
        ] {
            consumer_tools::shellcheck(&render(&input));
        }
    }

    #[test]
    fn unit_verifies() {
        consumer_tools::systemd_analyze_verify(&[(UNIT_NAME, &render_unit())]);
    }

    #[test]
    fn path_under_lib_dir() {
        assert!(PATH.starts_with(LIB_DIR));
        assert!(unit_path().ends_with(UNIT_NAME));
    }
}

#[cfg(test)]
mod idempotency_tests {
    use super::*;
    use crate::consumer_tools::{fake_command, run_sh, temp_dir};

    /// A fake `ip` keeping the address state in a file and logging every change.
    const FAKE_IP: &str = r#"case "$*" in
  "link set dev lo up") exit 0 ;;
  "-4 -o addr show dev lo")
    if [ -f "$FAKE_STATE" ]; then
      printf '1: lo    inet 169.254.170.2/32 scope global lo\\       valid_lft forever\n'
    fi ;;
  "addr replace 169.254.170.2/32 dev lo") echo change >> "$FAKE_LOG"; : > "$FAKE_STATE" ;;
  *) echo "unexpected ip $*" >&2; exit 9 ;;
esac
"#;

    #[test]
    fn second_run_changes_nothing() {
        let dir = temp_dir("loopback-idem");
        let bin = dir.join("bin");
        fake_command(&bin, "ip", FAKE_IP);
        let env = [
            ("FAKE_STATE", dir.join("state").display().to_string()),
            ("FAKE_LOG", dir.join("log").display().to_string()),
        ];
        let script = render(&LoopbackInput::default());
        let (rc1, out1) = run_sh(&script, &[], &env, &bin);
        let (rc2, out2) = run_sh(&script, &[], &env, &bin);
        assert_eq!((rc1, rc2), (0, 0), "{out1}\n{out2}");
        assert!(out1.contains("added"), "{out1}");
        assert!(out2.contains("already"), "{out2}");
        let log = std::fs::read_to_string(dir.join("log")).unwrap();
        assert_eq!(log.lines().count(), 1, "exactly one change over two runs");
    }
}
