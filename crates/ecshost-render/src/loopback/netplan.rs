//! netplan YAML (Ubuntu 18.04+).
//!
//! netplan wants `/prefix` on every address and warns about files readable by
//! others, hence `/32` and mode 0600 (netplan's YAML reference,
//! `doc/netplan-yaml.md` of canonical/netplan; `netplan generate` checks the render
//! in `consumer_tools.rs`). `netplan generate` turns it
//! into a networkd unit for `lo`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::LoopbackInput;

/// File location; `60-` sorts after cloud-init's `50-cloud-init.yaml`.
pub const PATH: &str = "/etc/netplan/60-ecs-loopback.yaml";

/// Shown to the user with the rendered YAML.
pub const NOTE: &str = "Install with mode 0600; apply with `netplan apply` or a reboot.";

#[derive(Serialize)]
struct Device {
    addresses: Vec<String>,
}

#[derive(Serialize)]
struct Network {
    version: u8,
    ethernets: BTreeMap<String, Device>,
}

#[derive(Serialize)]
struct Doc {
    network: Network,
}

/// The netplan document.
pub fn render(input: &LoopbackInput) -> String {
    let mut addresses = Vec::new();
    if input.is_lo() {
        addresses.push("127.0.0.1/8".to_owned());
    }
    addresses.push(format!("{}/32", input.bare_address()));
    let doc = Doc {
        network: Network {
            version: 2,
            ethernets: BTreeMap::from([(input.device.clone(), Device { addresses })]),
        },
    };
    let yaml = serde_norway::to_string(&doc).expect("plain structs always serialize");
    format!("# Managed by terraform-provider-ecshost: ECS task credentials address.\n{yaml}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consumer_tools;

    #[test]
    fn golden_default() {
        consumer_tools::golden("loopback/netplan.yaml", &render(&LoopbackInput::default()));
    }

    #[test]
    fn netplan_generate_accepts() {
        let cases = [
            ("lo", LoopbackInput::default(), "Address=169.254.170.2/32"),
            (
                "custom",
                LoopbackInput {
                    address: "10.1.2.3/32".into(),
                    allow_custom_address: true,
                    ..Default::default()
                },
                "Address=10.1.2.3/32",
            ),
        ];
        for (name, input, want) in cases {
            if let Some(generated) = consumer_tools::netplan_generate(&render(&input)) {
                assert!(generated.contains(want), "{name}: {generated}");
                assert!(generated.contains("Name=lo"), "{name}: {generated}");
            }
        }
    }
}
