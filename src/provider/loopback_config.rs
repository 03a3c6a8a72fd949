//! `ecshost_loopback_config`: the credentials address on the loopback
//! device, in the host's own network configuration language.

use async_trait::async_trait;

use super::render_inputs::{
    loopback_attributes, loopback_input, parse_format, render_error, set, string_list,
    unused_ignition_version, validate_known, LOOPBACK_FORMATS,
};
use crate::render::loopback;
use crate::sdk::plan::with_defaults;
use crate::sdk::schema::validators::OneOf;
use crate::sdk::{
    Attribute, Block, DataSource, Diagnostics, Schema, StateResponse, StopSignal, Value,
};

/// The data source.
pub(crate) struct LoopbackConfig;

#[async_trait]
impl DataSource for LoopbackConfig {
    fn type_name(&self) -> String {
        "ecshost_loopback_config".into()
    }

    fn schema(&self) -> Schema {
        let mut attrs = vec![Attribute::string("format").required().validator(OneOf(LOOPBACK_FORMATS)).description(
            "The host's network configuration language: `networkd` (systemd-networkd `.network` unit: Flatcar, AL2023), \
             `ignition` (Ignition 3.x JSON writing that unit), `coreos_cloud_config` (legacy Container Linux `coreos.units`), \
             `cloud_init` (`#cloud-config`), `ifupdown` (Debian/Ubuntu `/etc/network/interfaces.d`), `netplan` (Ubuntu), \
             `networkmanager` (keyfile with `type=loopback`; needs NetworkManager 1.42 or newer: Fedora CoreOS, RHEL 9.3+), \
             or `shell` (an idempotent POSIX boot script).",
        )];
        attrs.extend(loopback_attributes("address"));
        attrs.extend([
            Attribute::string("ignition_version").default(loopback::ignition::DEFAULT_VERSION).description(&format!(
                "Ignition spec version for `format = \"ignition\"` (3.0.0–3.4.0); it must not exceed what the image's Ignition supports. Defaults to `{}`.",
                loopback::ignition::DEFAULT_VERSION
            )),
            Attribute::string("content").computed().description("The rendered file or snippet."),
            Attribute::string("path").computed().description("Where the file belongs on the host; null for formats that are user data themselves."),
            Attribute::number("mode").computed().description("File mode the file needs (decimal), where it matters (netplan wants `0600`)."),
            Attribute::string_list("notes").computed().description("Caveats for this format (e.g. minimum versions)."),
        ]);
        Schema::new(Block::new(attrs).description(
            "Renders the configuration that adds the ECS credentials address (`169.254.170.2/32`) to the loopback device, \
             in the host's own network configuration language. The address must exist before Docker starts, on every boot.",
        ))
    }

    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let filled = with_defaults(&self.schema().block, config);
        let input = loopback_input(&filled, "address");
        validate_known(&filled, input.validate(), diags);
        unused_ignition_version(config, "format", diags);
        if let (Some(loopback::LoopbackFormat::Ignition), Some(v)) = (
            parse_format(filled.attr("format")),
            filled.attr("ignition_version").as_str(),
        ) {
            validate_known(
                &filled,
                loopback::ignition::validate_version(v)
                    .into_iter()
                    .collect(),
                diags,
            );
        }
    }

    async fn read(&self, config: &Value, _stop: &StopSignal) -> StateResponse {
        let Some(format) = parse_format(config.attr("format")) else {
            return StateResponse::from_diags(Diagnostics::from_error(
                "Unknown format",
                "See the `format` attribute.",
            ));
        };
        let input = loopback_input(config, "address");
        let iv = config
            .attr("ignition_version")
            .as_str()
            .unwrap_or(loopback::ignition::DEFAULT_VERSION);
        match loopback::render(format, &input, iv) {
            Err(e) => StateResponse::from_diags(render_error(&e)),
            Ok(out) => {
                let mut st = config.clone();
                set(&mut st, "content", out.content);
                set(
                    &mut st,
                    "path",
                    out.path.map(Value::from).unwrap_or(Value::Null),
                );
                set(
                    &mut st,
                    "mode",
                    out.mode
                        .map(|m| Value::from(i64::from(m)))
                        .unwrap_or(Value::Null),
                );
                set(&mut st, "notes", string_list(&out.notes));
                StateResponse {
                    state: Some(st),
                    ..Default::default()
                }
            }
        }
    }
}
