//! systemd-networkd `.network` unit for the loopback device (Flatcar, AL2023,
//! Debian/Ubuntu running networkd).
//!
//! Keeps `127.0.0.1/8` next to the alias (as the original gist does): a networkd
//! that manages `lo` may drop addresses it was not told about, and the first
//! matching `.network` file wins, hence the `00-` prefix (systemd.network(5), "the first
//! file that matches"). Not for
//! Fedora CoreOS or RHEL 9, which use NetworkManager (see `network_manager`).

use super::LoopbackInput;

/// Where the unit goes. `00-` so it sorts before distribution files.
pub const PATH: &str = "/etc/systemd/network/00-ecs-loopback.network";

/// Shown to the user with the rendered unit.
pub const NOTE: &str =
    "Applied by systemd-networkd at boot; run `networkctl reload` to apply now. \
Not for Fedora CoreOS/RHEL 9 (NetworkManager): use the networkmanager format there.";

/// The unit file content.
pub fn render(input: &LoopbackInput) -> String {
    let mut s = String::from(
        "# Managed by terraform-provider-ecshost: ECS task credentials address.\n[Match]\n",
    );
    s.push_str(&format!("Name={}\n\n[Network]\n", input.device));
    if input.is_lo() {
        s.push_str("Address=127.0.0.1/8\n");
    }
    s.push_str(&format!("Address={}/32\n", input.bare_address()));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consumer_tools;

    #[test]
    fn golden_default() {
        consumer_tools::golden(
            "loopback/networkd.network",
            &render(&LoopbackInput::default()),
        );
    }

    #[test]
    fn ini_parse_cases() {
        let cases = [
            (
                "lo",
                LoopbackInput::default(),
                vec!["127.0.0.1/8", "169.254.170.2/32"],
            ),
            (
                "dummy",
                LoopbackInput {
                    device: "dummy0".into(),
                    ..Default::default()
                },
                vec!["169.254.170.2/32"],
            ),
        ];
        for (name, input, addrs) in cases {
            let ini = consumer_tools::parse_ini(&render(&input)).unwrap();
            assert_eq!(
                ini.get("Match", "Name"),
                vec![input.device.as_str()],
                "{name}"
            );
            assert_eq!(ini.get("Network", "Address"), addrs, "{name}");
        }
    }
}
