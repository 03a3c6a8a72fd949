//! NetworkManager keyfile with `type=loopback` (Fedora CoreOS, RHEL 9, Rocky/Alma 9).
//!
//! **Requires NetworkManager >= 1.42**: older versions cannot manage `lo` at all
//! and ignore or reject the profile (NetworkManager's NEWS for 1.42, "loopback
//! device type"). The keyfile plugin ignores files readable by others
//! (nm-settings-keyfile(5)), so install it with mode 0600; `nmcli --offline`
//! in `consumer_tools.rs` checks the render.
//!
//! The `uuid` is derived from the device name with SHA-256 (a name-based UUID),
//! so the output is deterministic and stable across renders.

use sha2::{Digest, Sha256};

use super::LoopbackInput;

/// Keyfile location.
pub const PATH: &str = "/etc/NetworkManager/system-connections/ecs-loopback.nmconnection";

/// Connection id.
pub const CONNECTION_ID: &str = "ecs-loopback";

/// Shown to the user with the rendered keyfile.
pub const NOTE: &str = "Requires NetworkManager >= 1.42 (type=loopback). Install with mode 0600; \
apply with `nmcli connection reload && nmcli connection up ecs-loopback` or a reboot.";

/// A deterministic name-based UUID (version 5 layout, SHA-256 truncated).
fn uuid_for(name: &str) -> String {
    let digest = Sha256::digest(format!("terraform-provider-ecshost/loopback/{name}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The keyfile content.
pub fn render(input: &LoopbackInput) -> String {
    format!(
        "# Managed by terraform-provider-ecshost: ECS task credentials address.\n\
         # Requires NetworkManager >= 1.42 (type=loopback).\n\
         [connection]\n\
         id={CONNECTION_ID}\n\
         uuid={uuid}\n\
         type=loopback\n\
         interface-name={dev}\n\
         \n\
         [loopback]\n\
         \n\
         [ipv4]\n\
         address1=127.0.0.1/8\n\
         address2={addr}/32\n\
         method=manual\n\
         \n\
         [ipv6]\n\
         addr-gen-mode=default\n\
         method=auto\n",
        uuid = uuid_for(&input.device),
        dev = input.device,
        addr = input.bare_address(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consumer_tools;

    #[test]
    fn golden_default() {
        consumer_tools::golden(
            "loopback/networkmanager.nmconnection",
            &render(&LoopbackInput::default()),
        );
    }

    #[test]
    fn ini_parse() {
        let ini = consumer_tools::parse_ini(&render(&LoopbackInput::default())).unwrap();
        assert_eq!(ini.get("connection", "type"), vec!["loopback"]);
        assert_eq!(ini.get("connection", "interface-name"), vec!["lo"]);
        assert_eq!(ini.get("ipv4", "address2"), vec!["169.254.170.2/32"]);
        assert_eq!(ini.get("ipv4", "method"), vec!["manual"]);
    }

    #[test]
    fn uuid_is_stable_and_well_formed() {
        let u = uuid_for("lo");
        assert_eq!(u, uuid_for("lo"));
        assert_ne!(u, uuid_for("lo2"));
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "5");
    }

    #[test]
    fn nmcli_offline_loads() {
        consumer_tools::nmcli_offline(&render(&LoopbackInput::default()), "169.254.170.2/32");
    }
}
