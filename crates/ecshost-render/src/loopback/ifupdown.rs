//! Debian/Ubuntu ifupdown stanza for `/etc/network/interfaces(.d)`.
//!
//! interfaces(5): "Multiple iface stanzas can be given for the same interface";
//! all their addresses are applied, so a second `iface lo inet static` stanza
//! adds the alias next to `iface lo inet loopback`. The address is
//! written in CIDR form: ifup accepts typos silently, so the value is validated
//! before it gets here.

use super::LoopbackInput;

/// Drop-in location; only read where `/etc/network/interfaces` has
/// `source /etc/network/interfaces.d/*` (Debian's default does).
pub const PATH: &str = "/etc/network/interfaces.d/60-ecs-loopback";

/// Shown to the user with the rendered stanza.
pub const NOTE: &str = "Needs `source /etc/network/interfaces.d/*` in /etc/network/interfaces \
(Debian default) and `auto lo` there; apply with `ifup --force lo` or a reboot.";

/// The stanza.
pub fn render(input: &LoopbackInput) -> String {
    format!(
        "# Managed by terraform-provider-ecshost: ECS task credentials address.\n\
         iface {dev} inet static\n    address {addr}/32\n",
        dev = input.device,
        addr = input.bare_address()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consumer_tools;

    #[test]
    fn golden_default() {
        consumer_tools::golden("loopback/ifupdown", &render(&LoopbackInput::default()));
    }

    #[test]
    fn stanza_shape() {
        let cases = [
            (
                LoopbackInput::default(),
                "iface lo inet static",
                "address 169.254.170.2/32",
            ),
            (
                LoopbackInput {
                    device: "dummy0".into(),
                    ..Default::default()
                },
                "iface dummy0 inet static",
                "address 169.254.170.2/32",
            ),
        ];
        for (input, iface, address) in cases {
            let out = render(&input);
            let lines: Vec<&str> = out
                .lines()
                .filter(|l| !l.starts_with('#'))
                .map(str::trim)
                .collect();
            assert_eq!(lines, vec![iface, address]);
        }
    }

    #[test]
    fn ifup_no_act_accepts() {
        consumer_tools::ifup_no_act(&render(&LoopbackInput::default()), "169.254.170.2");
    }
}
