//! `ecshost_user_data`: loopback alias + agent + metadata protection (+ the
//! self-check and optional extra parts) assembled into launch-template user
//! data. It takes the loopback and agent inputs directly, so one block
//! covers the common case.

use async_trait::async_trait;

use super::render_inputs::{
    agent_attributes, agent_input, loopback_attributes, loopback_input, problems_to_diags,
    render_error, set, string_map, unused_ignition_version, validate_known,
};
use crate::render::loopback::ignition::DEFAULT_VERSION;
use crate::render::problem::Problem;
use crate::render::user_data::{self, ExtraPart, HostFormat, UserDataInput, MAX_USER_DATA_BYTES};
use crate::sdk::plan::with_defaults;
use crate::sdk::schema::validators::OneOf;
use crate::sdk::{
    Attribute, Block, DataSource, Diagnostics, Nesting, Schema, StateResponse, StopSignal, Value,
};

/// The data source.
pub(crate) struct UserData;

fn input(cfg: &Value) -> UserDataInput {
    let extra_parts = match cfg.attr("extra_parts") {
        Value::List(items) => items
            .iter()
            .enumerate()
            .map(|(i, p)| ExtraPart {
                content_type: p
                    .attr("content_type")
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                content: p.attr("content").as_str().unwrap_or_default().to_owned(),
                filename: p
                    .attr("filename")
                    .as_str()
                    .map_or_else(|| user_data::default_part_name(i), str::to_owned),
            })
            .collect(),
        _ => Vec::new(),
    };
    let host_format = cfg
        .attr("host_format")
        .as_str()
        .and_then(HostFormat::parse)
        .unwrap_or(HostFormat::Shell);
    UserDataInput {
        host_format,
        loopback: loopback_input(cfg, "address"),
        agent: agent_input(cfg, "address"),
        gzip: match cfg.attr("gzip") {
            Value::Bool(b) => *b,
            _ => gzip_by_default(host_format),
        },
        ignition_version: cfg
            .attr("ignition_version")
            .as_str()
            .unwrap_or(DEFAULT_VERSION)
            .to_owned(),
        self_check: !matches!(cfg.attr("self_check"), Value::Bool(false)),
        extra_parts,
    }
}

/// Whether `gzip` left unset compresses: yes where the consumer always
/// gunzips — cloud-init (`cloudinit/user_data.py` decompresses before it
/// reads the parts) and coreos-cloudinit (`decompressIfGzip` in
/// coreos/coreos-cloudinit `coreos-cloudinit.go`) — as HashiCorp's
/// `cloudinit_config` defaults `gzip` to true; no for a plain shell script (only cloud-init would run
/// it) and for Ignition (it parses the raw bytes).
fn gzip_by_default(f: HostFormat) -> bool {
    matches!(f, HostFormat::CloudInit | HostFormat::CoreosCloudConfig)
}

/// The warning for `gzip = false` where the consumer gunzips: how much room
/// for the user's own content it costs, measured on this configuration when
/// every input is known.
fn uncompressed_warning(inp: Option<&UserDataInput>, format: HostFormat, diags: &mut Diagnostics) {
    let sizes = inp
        .and_then(|inp| {
            let mut gz = inp.clone();
            gz.gzip = true;
            user_data::render(inp).ok().zip(user_data::render(&gz).ok())
        })
        .map(|(plain, packed)| {
            format!(
                " Here that is {} of {MAX_USER_DATA_BYTES} bytes left for your own content instead of {}.",
                MAX_USER_DATA_BYTES.saturating_sub(plain.size_bytes),
                MAX_USER_DATA_BYTES.saturating_sub(packed.size_bytes)
            )
        })
        .unwrap_or_default();
    diags.attribute_warning(
        crate::sdk::AttributePath::root("gzip"),
        "User Data Not Compressed",
        format!(
            "host_format = \"{}\" is read by {reader}, which gunzips user data, and EC2's 16 KiB limit counts the compressed bytes.{sizes} Remove gzip = false unless something other than {reader} reads this user data.",
            format.as_str(),
            reader = if format == HostFormat::CloudInit { "cloud-init" } else { "coreos-cloudinit" }
        ),
    );
}

/// The renderer reports the 16 KiB limit on the computed `rendered`, which
/// is not in the configuration; with extra parts present they are what the
/// user can shrink, so the diagnostic points there.
fn place_size_problem(mut problems: Vec<Problem>, has_extra_parts: bool) -> Vec<Problem> {
    if has_extra_parts {
        for p in &mut problems {
            if p.attribute == "rendered" {
                p.attribute = "extra_parts";
            }
        }
    }
    problems
}

/// Both halves share one `address` attribute here.
fn rename(mut problems: Vec<Problem>) -> Vec<Problem> {
    for p in &mut problems {
        if p.attribute == "credentials_address" {
            p.attribute = "address";
        }
    }
    problems
}

#[async_trait]
impl DataSource for UserData {
    fn type_name(&self) -> String {
        "ecshost_user_data".into()
    }

    fn schema(&self) -> Schema {
        let mut attrs = vec![Attribute::string("host_format")
            .required()
            .validator(OneOf(&["shell", "cloud_init", "ignition", "coreos_cloud_config"]))
            .description(
                "How the host consumes user data: `shell` (a boot script), `cloud_init` (`#cloud-config`, MIME multipart when extra parts are added), \
                 `ignition` (Ignition 3.x JSON: Flatcar, Fedora CoreOS) or `coreos_cloud_config` (legacy Container Linux cloud-config).",
            )];
        attrs.extend(loopback_attributes("address"));
        attrs.extend(agent_attributes());
        attrs.extend([
            Attribute::bool("gzip").optional().computed().description(
                "gzip the user data (deterministic: no time stamp or file name, best compression). Defaults to `true` for `cloud_init` and `coreos_cloud_config`, whose consumers always gunzip (EC2's 16 KiB limit counts the compressed bytes, so this leaves room for your own content; `false` there warns with the room it costs), and to `false` for `shell` and `ignition`. Not allowed with `ignition`: Ignition on AWS does not gunzip user data.",
            ),
            Attribute::string("ignition_version").default(DEFAULT_VERSION).description(&format!(
                "Ignition spec version for `host_format = \"ignition\"` (3.0.0–3.4.0). It must not exceed what the image's Ignition supports; `{DEFAULT_VERSION}` is read by Ignition 2.14+ (Flatcar 3510+, Fedora CoreOS 36+). From 3.1.0 the provider's own config (its files and units) travels as one gzip-compressed `ignition.config.merge` child ahead of your parts, so one compression covers every file (≈6.8 KB left for your own content at defaults, ≈3.6 KB at 3.0.0, where each file is compressed on its own); the `files` attribute shows each file in plain text. Defaults to `{DEFAULT_VERSION}`."
            )),
            Attribute::bool("self_check").default(true).description(
                "End the user data with a boot-time self-check that prints one `ECSHOST_SELF_CHECK {json}` line to the serial console (see the self-check report guide). Defaults to `true`.",
            ),
            Attribute::nested(
                "extra_parts",
                Nesting::List,
                vec![
                    Attribute::string("content_type").required().description("MIME type, e.g. `text/x-shellscript` or `text/cloud-config`."),
                    Attribute::string("content").required().description("The part's body."),
                    Attribute::string("filename").optional().description("File name for the part. Defaults to `part-001`, `part-002`, … by position, as cloud-init names unnamed parts."),
                ],
            )
            .optional()
            .description("Your own user data parts. `cloud_init`: any part type cloud-init reads, appended after the provider's script part; cloud-init runs script parts in file-name order, so the default names (`part-001`, …) run after the provider's `ecshost.sh` and a name that sorts before it runs first; a script part whose name cloud-init would store as `ecshost.sh` or as an earlier part's is refused. `shell`: script parts only (`text/x-shellscript`), each written to `/var/lib/ecshost/parts/<filename>` and run as its own program (its `#!` line; CRLF line ends converted as cloud-init does) in list order after the provider's work; a failing part does not stop the next, and the user data then exits 1. `ignition`: Ignition configs of yours (`content_type = \"application/vnd.coreos.ignition+json\"`, spec version not above `ignition_version`), merged into the provider's through `ignition.config.merge` in a data URL (gzip-compressed from spec 3.1.0); one that writes a file or names a unit the provider installs is refused. Not available with `coreos_cloud_config`. When one of them may carry cloud-config, the provider's cloud-config part goes last with `merge_how: 'list(append)+dict(no_replace,recurse_list)+str()'`, so a part that sets `bootcmd` or `write_files` keeps its entries and the provider's too (cloud-init's default merge would let theirs replace ours). A script part that writes `/etc/ecs/ecs.config` is refused: its lines would never reach the agent; put agent settings in `config`."),
            Attribute::string("rendered").computed().description("The user data as plain text (before gzip)."),
            Attribute::string("base64").computed().description("The user data as the instance receives it, base64-encoded: ready for `user_data_base64` of a launch template."),
            Attribute::number("size_bytes").computed().description(&format!(
                "Size of the user data the instance receives (after gzip, before base64). EC2 allows {MAX_USER_DATA_BYTES} bytes."
            )),
            Attribute::string("sha256").computed().description(
                "Hex SHA-256 of the exact bytes the instance receives (after gzip, before base64); the same definition as a launch template's `user_data_sha256`.",
            ),
            Attribute::string("ecs_config").computed().description("The `/etc/ecs/ecs.config` the user data writes."),
            Attribute::string_map("files").computed().description(
                "Every file the provider's part of the user data installs — its scripts, `/etc/ecs/ecs.config`, the systemd units and (except `shell`) the loopback `.network` file — by absolute path, with the exact text that lands on disk. In the user data the two large scripts travel gzip+base64 when `gzip` is off (one stream for both in `shell` and `cloud_init`); here they are plain shell, so a plan diff or a security review reads what runs on the host. A data source shows in no plan diff of its own: feed this map to a resource — `resource \"terraform_data\" \"host_files\" { input = data.ecshost_user_data.x.files }`, as `examples/complete` does — and each plan shows a change to the hosts' files line by line, where the launch template's `user_data` diff is one base64 string. Your `extra_parts` are not included.",
            ),
        ]);
        Schema::new(Block::new(attrs).description(
            "Assembles the loopback alias, the ECS agent on a bridge network, metadata protection and a boot-time self-check into EC2 launch-template user data. \
             Deterministic: the same inputs give byte-identical output, so plans stay empty.",
        ))
    }

    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let filled = with_defaults(&self.schema().block, config);
        let inp = input(&filled);
        let mut problems = rename(inp.validate());
        // The size check needs every input known.
        if !filled.is_fully_known() {
            problems.retain(|p| p.attribute != "rendered");
        }
        let problems = place_size_problem(problems, !inp.extra_parts.is_empty());
        let clean = !problems.iter().any(Problem::is_error);
        validate_known(&filled, problems, diags);
        unused_ignition_version(config, "host_format", diags);
        if config.attr("gzip") == &Value::Bool(false) && gzip_by_default(inp.host_format) {
            uncompressed_warning(
                (clean && filled.is_fully_known()).then_some(&inp),
                inp.host_format,
                diags,
            );
        }
    }

    async fn read(&self, config: &Value, _stop: &StopSignal) -> StateResponse {
        let inp = input(config);
        let mut diags = Diagnostics::new();
        let problems = place_size_problem(rename(inp.validate()), !inp.extra_parts.is_empty());
        if problems.iter().any(Problem::is_error) {
            problems_to_diags(&problems, &mut diags);
            return StateResponse::from_diags(diags);
        }
        match user_data::render(&inp) {
            Err(e) => {
                let mut e = e;
                e.problems = place_size_problem(rename(e.problems), !inp.extra_parts.is_empty());
                StateResponse::from_diags(render_error(&e))
            }
            Ok(out) => {
                // Warnings are validate's to give: Terraform validates the
                // same configuration right before every read, so saying
                // them here too would show each one a third time in a plan.
                let ecs_config = crate::render::agent::render(&inp.agent)
                    .map(|a| a.ecs_config)
                    .unwrap_or_default();
                let mut st = config.clone();
                set(&mut st, "rendered", out.rendered);
                set(&mut st, "base64", out.base64);
                set(
                    &mut st,
                    "size_bytes",
                    i64::try_from(out.size_bytes).unwrap_or(i64::MAX),
                );
                set(&mut st, "sha256", out.sha256);
                set(&mut st, "gzip", inp.gzip);
                set(&mut st, "ecs_config", ecs_config);
                set(&mut st, "files", string_map(&out.files));
                set(&mut st, "log_opts", string_map(&inp.agent.log_opts));
                StateResponse {
                    state: Some(st),
                    private: Vec::new(),
                    diags,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::testing::{errors, obj, schema_diags};

    fn part(content: &str, filename: Option<&str>) -> Value {
        obj(&[
            ("content_type", Value::from("text/x-shellscript")),
            ("content", Value::from(format!("#!/bin/sh\n{content}"))),
            ("filename", filename.map_or(Value::Null, Value::from)),
        ])
    }

    async fn validate(parts: Vec<Value>) -> Diagnostics {
        let cfg = obj(&[
            ("host_format", Value::from("cloud_init")),
            ("cluster", Value::from("c")),
            ("extra_parts", Value::List(parts)),
        ]);
        let mut d = schema_diags(&UserData.schema(), &cfg);
        UserData.validate(&cfg, &mut d).await;
        d
    }

    /// `ignition_version` is read only by the Ignition format: set beside
    /// another format it is a warning on that attribute, in both data
    /// sources that take it.
    #[tokio::test]
    async fn ignition_version_beside_another_format_is_a_warning() {
        use crate::provider::loopback_config::LoopbackConfig;
        use crate::provider::testing::warnings;
        let unused = || {
            vec![(
                "ignition_version".to_owned(),
                "Setting Has No Effect".to_owned(),
            )]
        };
        for (format, version, want) in [
            ("cloud_init", Some("3.2.0"), unused()),
            ("ignition", Some("3.2.0"), vec![]),
            ("cloud_init", None, vec![]),
        ] {
            let mut fields = vec![
                ("host_format", Value::from(format)),
                ("cluster", Value::from("c")),
            ];
            if let Some(v) = version {
                fields.push(("ignition_version", Value::from(v)));
            }
            let cfg = obj(&fields);
            let mut d = Diagnostics::new();
            UserData.validate(&cfg, &mut d).await;
            assert_eq!(warnings(&d), want, "ecshost_user_data {format} {version:?}");
            let mut fields = vec![("format", Value::from(format))];
            if let Some(v) = version {
                fields.push(("ignition_version", Value::from(v)));
            }
            let mut d = Diagnostics::new();
            LoopbackConfig.validate(&obj(&fields), &mut d).await;
            assert_eq!(
                warnings(&d),
                want,
                "ecshost_loopback_config {format} {version:?}"
            );
        }
    }

    /// `filename` is optional in the schema, so leaving it out is valid.
    #[tokio::test]
    async fn extra_parts_without_filename_are_named_by_position() {
        let d = validate(vec![part("echo a", None), part("echo b", None)]).await;
        assert_eq!(errors(&d), []);
        let cfg = with_defaults(
            &UserData.schema().block,
            &obj(&[
                ("host_format", Value::from("cloud_init")),
                ("cluster", Value::from("c")),
                (
                    "extra_parts",
                    Value::List(vec![part("x", None), part("y", Some("y.sh"))]),
                ),
            ]),
        );
        let names: Vec<String> = input(&cfg)
            .extra_parts
            .into_iter()
            .map(|p| p.filename)
            .collect();
        assert_eq!(names, ["part-001", "y.sh"]);
    }

    /// Problems inside an extra part point at the element; the detail names
    /// the field.
    #[tokio::test]
    async fn extra_part_problems_point_at_the_element() {
        let d = validate(vec![
            part("echo a", Some("a.sh")),
            part("echo b", Some("b\"c")),
        ])
        .await;
        assert_eq!(
            errors(&d),
            [(
                "extra_parts[1]".to_owned(),
                "Invalid part file name".to_owned()
            )]
        );
        assert!(
            d.iter().any(|x| x.detail.starts_with("filename must be")),
            "{d:?}"
        );
    }

    /// A script part cloud-init could not run, or a cloud-config part it
    /// could not load, is refused on its element.
    #[tokio::test]
    async fn extra_part_content_is_checked_like_cloud_init_runs_it() {
        let mut no_shebang = part("", Some("a.sh"));
        *no_shebang.attr_mut("content").unwrap() = Value::from("echo hi");
        let mut list = part("", Some("b.cfg"));
        *list.attr_mut("content_type").unwrap() = Value::from("text/cloud-config");
        *list.attr_mut("content").unwrap() = Value::from("- packages: [jq]");
        let d = validate(vec![part("echo ok", None), no_shebang, list]).await;
        assert_eq!(
            errors(&d),
            [
                (
                    "extra_parts[1]".to_owned(),
                    "Script part has no #! line".to_owned()
                ),
                (
                    "extra_parts[2]".to_owned(),
                    "cloud-config part is not a YAML mapping".to_owned()
                ),
            ]
        );
    }

    /// Oversized user data is reported where the user can shrink it.
    #[tokio::test]
    async fn oversized_user_data_points_at_extra_parts() {
        // Hex digits of SHA-256s: ~4 bits each after gzip, which is on.
        let hex: String = (0..400)
            .map(|i: u32| {
                <sha2::Sha256 as sha2::Digest>::digest(i.to_be_bytes())
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            })
            .collect();
        let d = validate(vec![part(&format!("# {hex}"), Some("big.sh"))]).await;
        assert_eq!(
            errors(&d),
            [(
                "extra_parts".to_owned(),
                "User data exceeds 16 KiB".to_owned()
            )]
        );
    }

    async fn read(format: &str, gzip: Option<bool>) -> (Value, Diagnostics) {
        let mut fields = vec![
            ("host_format", Value::from(format)),
            ("cluster", Value::from("c")),
        ];
        if let Some(g) = gzip {
            fields.push(("gzip", Value::Bool(g)));
        }
        // As the SDK calls them: validate with the raw configuration, read
        // with the schema's defaults filled in.
        let raw = obj(&fields);
        let cfg = with_defaults(&UserData.schema().block, &raw);
        let mut d = Diagnostics::new();
        UserData.validate(&raw, &mut d).await;
        let r = UserData.read(&cfg, &StopSignal::new().1).await;
        assert!(!r.diags.has_error(), "{:?}", r.diags);
        (r.state.expect("state"), d)
    }

    /// Unset, `gzip` compresses where the consumer gunzips, and the state
    /// says which; `gzip = false` there warns with the room it costs.
    #[tokio::test]
    async fn gzip_defaults_to_what_the_host_format_reads() {
        use base64::Engine as _;
        for (format, want) in [
            ("cloud_init", true),
            ("coreos_cloud_config", true),
            ("shell", false),
            ("ignition", false),
        ] {
            let (st, d) = read(format, None).await;
            assert_eq!(st.attr("gzip"), &Value::Bool(want), "{format}");
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(st.attr("base64").as_str().unwrap())
                .unwrap();
            assert_eq!(bytes.starts_with(&[0x1f, 0x8b]), want, "{format}");
            assert!(d.is_empty(), "{format}: {d:?}");
        }
        let (st, d) = read("cloud_init", Some(false)).await;
        assert_eq!(st.attr("gzip"), &Value::Bool(false));
        let w: Vec<_> = d.iter().collect();
        assert_eq!(w.len(), 1, "{d:?}");
        assert_eq!(w[0].summary, "User Data Not Compressed");
        assert!(
            w[0].detail
                .contains("bytes left for your own content instead of"),
            "{}",
            w[0].detail
        );
        let (_, d) = read("shell", Some(false)).await;
        assert!(d.is_empty(), "{d:?}");
    }

    /// `files` holds every installed file as plain text in every format,
    /// including the scripts the shell format ships packed (gzip+base64).
    #[tokio::test]
    async fn files_hold_what_the_host_gets_in_plain_text() {
        for format in ["shell", "cloud_init", "ignition", "coreos_cloud_config"] {
            let (st, _) = read(format, None).await;
            let Value::Map(files) = st.attr("files") else {
                panic!("{format}: files is {:?}", st.attr("files"));
            };
            let file = |p: &str| {
                files
                    .get(p)
                    .and_then(Value::as_str)
                    .unwrap_or_else(|| panic!("{format}: no {p} in {:?}", files.keys()))
                    .to_owned()
            };
            let start = file("/opt/ecshost/ecs-agent.sh");
            assert!(start.starts_with("#!/bin/sh\n"), "{format}");
            assert!(start.contains("apply_task_dnat"), "{format}");
            assert!(
                file("/opt/ecshost/self-check.sh").contains("ECSHOST_SELF_CHECK"),
                "{format}"
            );
            assert!(
                file("/etc/ecs/ecs.config").contains("ECS_CLUSTER=c\n"),
                "{format}"
            );
            assert!(
                file("/etc/systemd/system/ecs-agent.service").contains("[Service]"),
                "{format}"
            );
            assert_eq!(
                files.contains_key("/etc/systemd/network/00-ecs-loopback.network"),
                format != "shell",
                "{format}"
            );
            if format == "shell" {
                // Packed in the user data itself: only `files` shows the shell.
                let rendered = st.attr("rendered").as_str().unwrap();
                assert!(!rendered.contains("apply_task_dnat()"), "shell");
            }
        }
    }
}
