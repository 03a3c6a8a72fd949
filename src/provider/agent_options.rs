//! `ecshost_agent_options`: how to run the ECS agent on a bridge network
//! with its credentials endpoint published on the loopback alias.

use async_trait::async_trait;

use super::render_inputs::{
    agent_attributes, agent_input, render_error, set, string_list, string_map, validate_known,
};
use crate::render::agent;
use crate::render::CREDENTIALS_ADDRESS;
use crate::sdk::plan::with_defaults;
use crate::sdk::{
    Attribute, Block, DataSource, Diagnostics, Schema, StateResponse, StopSignal, Value,
};

/// The data source.
pub(crate) struct AgentOptions;

#[async_trait]
impl DataSource for AgentOptions {
    fn type_name(&self) -> String {
        "ecshost_agent_options".into()
    }

    fn schema(&self) -> Schema {
        let mut attrs = agent_attributes();
        attrs.extend([
            Attribute::string("credentials_address").default(CREDENTIALS_ADDRESS).description(
                "The address the credentials endpoint is published on; it must be on the loopback device (see `ecshost_loopback_config`). Defaults to `169.254.170.2`.",
            ),
            Attribute::bool("allow_custom_address").default(false).description(
                "Accept a credentials address or port other than `169.254.170.2:80`. Defaults to `false`.",
            ),
            Attribute::string_list("docker_run_args").computed().description("Arguments of `docker run` for the agent (without `docker run`); the image is last. The start script adds `--volume=/var/lib/cloud/data/result.json:/var/lib/cloud/data/result.json:ro` where that file exists (cloud-init hosts), as ecs-init does: agents since 1.105.0 read it to refuse starting when cloud-init skipped the user data."),
            Attribute::string("start_script").computed().description(&format!(
                "The idempotent POSIX script the host runs to start the agent (installed at `{}`): creates the agent network, applies the metadata block, runs the container and makes the endpoint reachable.",
                agent::START_SCRIPT_PATH
            )),
            Attribute::string("systemd_unit").computed().description("`ecs-agent.service`, a thin wrapper around `start_script`, ordered after docker.service and the loopback alias."),
            Attribute::string("ecs_config").computed().description("The content of `/etc/ecs/ecs.config`, including the full `ECS_RESERVED_PORTS` list."),
            Attribute::string("firewall_rules").computed().description("The idempotent script that applies the metadata block; empty when `block_task_metadata = false`."),
            Attribute::string("firewall_unit").computed().description("The unit that re-applies the metadata block at boot and after Docker restarts; empty when `block_task_metadata = false`."),
            Attribute::string("firewall_recheck_unit").computed().description("`ecshost-metadata-guard-recheck.service`: re-applies the metadata block when something removed it, and logs that it had to (`start_script recheck`); empty when `block_task_metadata = false`."),
            Attribute::string("firewall_recheck_timer").computed().description("`ecshost-metadata-guard-recheck.timer`: runs the recheck unit every `metadata_guard_recheck_interval`; empty when `block_task_metadata = false`."),
            Attribute::string("firewall_watch_unit").computed().description("`ecshost-metadata-guard-watch.service`: re-applies the metadata block right after firewalld reloads or restarts (`start_script watch`, started with firewalld); empty when `block_task_metadata = false`."),
        ]);
        Schema::new(Block::new(attrs).description(
            "Renders how to run the ECS agent on its own bridge network, published on the credentials address instead of `--net host`, with task containers kept away from the instance metadata service.",
        ))
    }

    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let filled = with_defaults(&self.schema().block, config);
        validate_known(
            &filled,
            agent_input(&filled, "credentials_address").validate(),
            diags,
        );
    }

    async fn read(&self, config: &Value, _stop: &StopSignal) -> StateResponse {
        let input = agent_input(config, "credentials_address");
        match agent::render(&input) {
            Err(e) => StateResponse::from_diags(render_error(&e)),
            Ok(out) => {
                let mut st = config.clone();
                set(&mut st, "log_opts", string_map(&input.log_opts));
                set(
                    &mut st,
                    "docker_run_args",
                    string_list(&out.docker_run_args),
                );
                set(&mut st, "start_script", out.start_script);
                set(&mut st, "systemd_unit", out.systemd_unit);
                set(&mut st, "ecs_config", out.ecs_config);
                set(&mut st, "firewall_rules", out.firewall_rules);
                set(&mut st, "firewall_unit", out.firewall_unit);
                set(&mut st, "firewall_recheck_unit", out.firewall_recheck_unit);
                set(
                    &mut st,
                    "firewall_recheck_timer",
                    out.firewall_recheck_timer,
                );
                set(&mut st, "firewall_watch_unit", out.firewall_watch_unit);
                StateResponse {
                    state: Some(st),
                    ..Default::default()
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::testing::{errors, obj, schema_diags};

    /// One error per bad attribute: when a schema validator has refused a
    /// value, the renderer's view of the placeholder (a port of 70000 reaches
    /// it as 0) is not reported on top.
    #[tokio::test]
    async fn a_refused_attribute_gets_one_error() {
        let cases: &[(&str, Value, &str)] = &[
            (
                "credentials_port",
                Value::from(70000i64),
                "credentials_port must be a whole number from 1 to 65535; got 70000.",
            ),
            ("credentials_port", Value::from(0i64), "got 0."),
            ("cluster", Value::from(""), "cluster must not be empty."),
            ("log_level", Value::from("verbose"), "got \"verbose\"."),
        ];
        for (attr, v, detail) in cases {
            let mut attrs = vec![("cluster", Value::from("c"))];
            attrs.retain(|(k, _)| k != attr);
            attrs.push((attr, v.clone()));
            let cfg = obj(&attrs);
            let mut d = schema_diags(&AgentOptions.schema(), &cfg);
            AgentOptions.validate(&cfg, &mut d).await;
            assert_eq!(
                errors(&d),
                [(attr.to_string(), "Invalid Attribute Value".to_owned())],
                "{attr} = {v:?}"
            );
            assert!(d.iter().any(|x| x.detail.contains(detail)), "{attr}: {d:?}");
        }
    }
}
