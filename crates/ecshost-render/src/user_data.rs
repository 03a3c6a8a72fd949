//! EC2 user data for one host format: the loopback address, the agent files and
//! units, the metadata guard and the self-check, assembled, optionally gzipped,
//! base64-encoded and checked against EC2's 16 KiB limit.
//!
//! * **Size**: EC2 limits user data to 16384 bytes "in raw form, before it is
//!   base64-encoded"; with gzip the limit applies to the compressed bytes
//!   (EC2 User Guide, "Run commands when you launch an EC2 instance with
//!   user data input"). [`UserData::bytes`] is exactly what the instance receives.
//! * **gzip**: cloud-init gunzips; Ignition on AWS does not (it parses the raw
//!   bytes), so `gzip` with Ignition is an error (coreos/ignition
//!   `internal/providers/aws/aws.go` passes the raw bytes to `config.Parse`). gzip is written
//!   with mtime 0 and no file name, so the output is deterministic.
//! * **Ignition version**: default 3.3.0, understood by Ignition >= 2.14 (Flatcar
//!   stable, Fedora CoreOS 35+); 3.4.0 needs Ignition >= 2.15 and a too-new spec
//!   fails the first boot with "unsupported config version".
//! * **cloud-init**: MIME `multipart/mixed` with a fixed part order, a boundary
//!   derived from a SHA-256 of the parts (stable, never inside a part) and no
//!   dates; our cloud-config part only adds the address early on every boot,
//!   and our shell part does the rest, so user `extra_parts` cannot disable it
//!   through cloud-config list merging.

use std::collections::BTreeMap;

use base64::Engine;
use sha2::{Digest, Sha256};

use super::agent::{self, AgentInput, AgentOptions};
use super::host::{self, Header};
use super::loopback::{self, coreos_cloud_config as coreos, ignition, LoopbackInput};
use super::metadata_guard;
use super::problem::{Problem, RenderError};
use super::self_check;

/// EC2's user data limit in bytes (after gzip, before base64).
pub const MAX_USER_DATA_BYTES: usize = 16384;

/// How the host consumes user data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum HostFormat {
    /// A `#!/bin/sh` script (run by cloud-init or by hand; works without systemd).
    #[default]
    Shell,
    /// cloud-init MIME multipart (cloud-config + shell script + extra parts).
    CloudInit,
    /// Ignition spec 3.x JSON (Flatcar, Fedora CoreOS).
    Ignition,
    /// Legacy CoreOS/Flatcar `#cloud-config` with `coreos.units`.
    CoreosCloudConfig,
}

impl HostFormat {
    /// Terraform attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            HostFormat::Shell => "shell",
            HostFormat::CloudInit => "cloud_init",
            HostFormat::Ignition => "ignition",
            HostFormat::CoreosCloudConfig => "coreos_cloud_config",
        }
    }

    /// Inverse of [`HostFormat::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [
            HostFormat::Shell,
            HostFormat::CloudInit,
            HostFormat::Ignition,
            HostFormat::CoreosCloudConfig,
        ]
        .into_iter()
        .find(|f| f.as_str() == s)
    }
}

/// A user-supplied cloud-init MIME part, appended after ours.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExtraPart {
    /// MIME type, e.g. `text/cloud-config` or `text/x-shellscript`.
    pub content_type: String,
    /// Part body.
    pub content: String,
    /// Part file name (Content-Disposition).
    pub filename: String,
}

/// Terraform attributes of the user data renderer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserDataInput {
    /// How the host consumes user data.
    pub host_format: HostFormat,
    /// Loopback address settings.
    pub loopback: LoopbackInput,
    /// Agent settings.
    pub agent: AgentInput,
    /// gzip the user data (cloud-init formats only).
    pub gzip: bool,
    /// Ignition spec version (default 3.3.0; see module docs).
    pub ignition_version: String,
    /// Install and run the boot-time self-check.
    pub self_check: bool,
    /// Extra cloud-init MIME parts (cloud_init host format only).
    pub extra_parts: Vec<ExtraPart>,
}

impl Default for UserDataInput {
    fn default() -> Self {
        Self {
            host_format: HostFormat::Shell,
            loopback: LoopbackInput::default(),
            agent: AgentInput::default(),
            gzip: false,
            ignition_version: ignition::DEFAULT_VERSION.to_owned(),
            self_check: true,
            extra_parts: Vec::new(),
        }
    }
}

/// MIME types cloud-init handles (cloud-init `format.rst`).
pub const CLOUD_INIT_TYPES: [&str; 12] = [
    "text/cloud-boothook",
    "text/cloud-config",
    "text/cloud-config-archive",
    "text/jinja2",
    "text/part-handler",
    "text/upstart-job",
    "text/x-include-once-url",
    "text/x-include-url",
    "text/x-shellscript",
    "text/x-shellscript-per-boot",
    "text/x-shellscript-per-instance",
    "text/x-shellscript-per-once",
];

/// Rendered user data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserData {
    /// Plain text before gzip.
    pub rendered: String,
    /// Exactly what the instance receives: after gzip (if on), before base64.
    pub bytes: Vec<u8>,
    /// `bytes` in standard base64 (what launch templates take).
    pub base64: String,
    /// `bytes.len()`, the figure EC2's 16 KiB limit applies to.
    pub size_bytes: usize,
    /// Lower-case hex SHA-256 of `bytes` (compare with the instance's user data).
    pub sha256: String,
    /// Every file the provider's part of the user data installs — scripts,
    /// `ecs.config`, systemd units, the loopback `.network` file — by
    /// absolute path, with the exact text that lands on disk (packed
    /// scripts unpacked), so a plan diff or a review reads shell, not
    /// base64 (#25 item 5).
    pub files: BTreeMap<String, String>,
}

impl UserDataInput {
    /// Every problem, including the size limit (which needs a full render).
    pub fn validate(&self) -> Vec<Problem> {
        let mut out = self.validate_input();
        if !out.iter().any(Problem::is_error) {
            match self.build() {
                Err(p) => out.push(p),
                Ok((r, files)) => {
                    if let Err(Oversize(size)) = finish(r, files, self.gzip) {
                        out.push(self.explain_size(size));
                    }
                }
            }
        }
        out
    }

    fn validate_input(&self) -> Vec<Problem> {
        let mut out = self.loopback.validate();
        out.extend(self.agent.validate());
        let lo = self.loopback.bare_address();
        let ag = self.agent.credentials_address.trim();
        if lo != ag.strip_suffix("/32").unwrap_or(ag) {
            out.push(Problem::error(
                "credentials_address",
                "Agent and loopback addresses differ",
                format!("The agent is published on {ag} but {lo} is put on the device; Docker cannot publish on an address the host does not have."),
            ));
        }
        match self.host_format {
            HostFormat::Ignition => {
                out.extend(ignition::validate_version(&self.ignition_version));
                if self.gzip {
                    out.push(Problem::error(
                        "gzip",
                        "Ignition does not gunzip user data",
                        "Ignition on AWS parses the raw user data bytes; set gzip = false (to go past 16 KiB use ignition.config.replace with a remote or compressed source).",
                    ));
                }
            }
            HostFormat::Shell if self.gzip => out.push(Problem::warning(
                "gzip",
                "Only cloud-init gunzips user data",
                "A gzipped shell script runs only where cloud-init reads the user data.",
            )),
            _ => {}
        }
        match self.host_format {
            HostFormat::CloudInit => {}
            // The shell format runs script parts itself (checked per part
            // below).
            HostFormat::Shell => {}
            HostFormat::Ignition => {
                // What the provider installs, rendered once for every part
                // (`None` when the render fails: that error is reported on
                // its own attribute).
                let ours = agent::render(&self.agent).ok().and_then(|agent| {
                    let files = self.files(&agent).ok()?;
                    Some(self.installed(&files, &self.units(&agent)))
                });
                for (i, part) in self.extra_parts.iter().enumerate() {
                    out.extend(
                        self.check_ignition_part(part, ours.as_ref())
                            .map(|p| p.in_element(i, "content")),
                    );
                }
            }
            _ if !self.extra_parts.is_empty() => out.push(Problem::error(
                "extra_parts",
                "Extra parts need the cloud_init, shell or ignition host format",
                format!(
                    "{} user data has no MIME parts and runs no scripts of yours.",
                    self.host_format.as_str()
                ),
            )),
            _ => {}
        }
        for (i, part) in self.extra_parts.iter().enumerate() {
            if part.content_type.is_empty()
                || part
                    .content_type
                    .chars()
                    .any(|c| c.is_control() || c == ';' || c.is_whitespace())
            {
                out.push(
                    Problem::error(
                        "extra_parts",
                        "Invalid content type",
                        "content_type must be a MIME type such as text/x-shellscript (no parameters or spaces).",
                    )
                    .in_element(i, "content_type"),
                );
            } else if self.host_format == HostFormat::Shell
                && !SHELL_SCRIPT_TYPES.contains(&part.content_type.as_str())
            {
                // The shell format runs script parts itself, after its own
                // work (`shell_script`); it has no cloud-init to hand other
                // types to.
                out.push(
                    Problem::error(
                        "extra_parts",
                        "The shell host format runs script parts only",
                        format!(
                            "{} is not a script: shell user data runs each extra part as a program after its own work and has no cloud-init to hand other types to. Use content_type = \"text/x-shellscript\", or host_format = \"cloud_init\" for cloud-config and other part types.",
                            part.content_type
                        ),
                    )
                    .in_element(i, "content_type"),
                );
            } else if self.host_format == HostFormat::CloudInit
                && !CLOUD_INIT_TYPES.contains(&part.content_type.as_str())
            {
                out.push(
                    Problem::warning(
                        "extra_parts",
                        "cloud-init may ignore this content type",
                        format!("{} is not a type cloud-init handles.", part.content_type),
                    )
                    .in_element(i, "content_type"),
                );
            }
            if self.host_format != HostFormat::Ignition {
                out.extend(
                    check_part_content(part, self.host_format).map(|p| p.in_element(i, "content")),
                );
            }
            if part.filename.is_empty()
                || part.filename == "."
                || part.filename == ".."
                || part.filename.len() > MAX_PART_FILENAME
                || part
                    .filename
                    .chars()
                    .any(|c| c.is_control() || c == '"' || c == '\\' || c == '/')
            {
                out.push(
                    Problem::error(
                        "extra_parts",
                        "Invalid part file name",
                        format!("filename must be a plain file name of at most {MAX_PART_FILENAME} bytes, not . or .., without quotes, slashes or newlines."),
                    )
                    .in_element(i, "filename"),
                );
            } else if self.host_format == HostFormat::CloudInit
                && SHELL_SCRIPT_TYPES.contains(&part.content_type.as_str())
            {
                // cloud-init writes every script part to scripts/<clean
                // name> (handlers/shell_script.py, util.clean_filename): a
                // name that cleans to one already taken replaces that
                // script — ours too.
                let clean = cloud_init_clean_filename(&part.filename);
                let taken = std::iter::once(CLOUD_INIT_SCRIPT_NAME.to_owned())
                    .chain(
                        self.extra_parts[..i]
                            .iter()
                            .filter(|p| SHELL_SCRIPT_TYPES.contains(&p.content_type.as_str()))
                            .map(|p| cloud_init_clean_filename(&p.filename)),
                    )
                    .any(|c| c == clean);
                if taken || clean.is_empty() {
                    out.push(
                        Problem::error(
                            "extra_parts",
                            "Part file name already taken",
                            format!(
                                "cloud-init writes parts as {clean:?} (it keeps only letters, digits and _-.() of {:?}), and {}: the later part would replace the earlier one. Give each part its own name.",
                                part.filename,
                                if clean == CLOUD_INIT_SCRIPT_NAME { "ecshost.sh is the provider's own script" } else if clean.is_empty() { "nothing is left" } else { "an earlier part has that name" }
                            ),
                        )
                        .in_element(i, "filename"),
                    );
                }
            }
        }
        out
    }

    /// The plain-text user data, before gzip. Only after `validate_input` passed.
    fn build(&self) -> Result<(String, BTreeMap<String, String>), Problem> {
        self.build_with(true)
    }

    /// [`Self::build`], with the installed files only when `installed`
    /// (a size measurement needs none).
    fn build_with(&self, installed: bool) -> Result<(String, BTreeMap<String, String>), Problem> {
        let agent = agent::render(&self.agent).map_err(first)?;
        let files = self.files(&agent).map_err(first)?;
        let units = self.units(&agent);
        let installed = if installed {
            self.installed(&files, &units)
        } else {
            BTreeMap::new()
        };
        let rendered = match self.host_format {
            HostFormat::Shell => shell_script(&files, &units, self.gzip, &self.extra_parts),
            HostFormat::CloudInit => self.cloud_init(&files, &units)?,
            HostFormat::Ignition => self.ignition(&files, &units),
            HostFormat::CoreosCloudConfig => self.coreos(&files, &units),
        };
        Ok((rendered, installed))
    }

    /// Path → content of every file the provider's part installs in this
    /// host format (see [`UserData::files`]). The shell format puts the
    /// address on `lo` with a script, not a `.network` file.
    fn installed(
        &self,
        files: &[(String, u32, String)],
        units: &[(&str, String)],
    ) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        if self.host_format != HostFormat::Shell {
            out.insert(
                loopback::networkd::PATH.to_owned(),
                loopback::networkd::render(&self.loopback),
            );
        }
        for (path, _, content) in files {
            out.insert(path.clone(), content.clone());
        }
        for (name, content) in units {
            out.insert(format!("{}/{name}", super::SYSTEMD_DIR), content.clone());
        }
        out
    }

    fn files(&self, agent: &AgentOptions) -> Result<Vec<(String, u32, String)>, RenderError> {
        let mut files = vec![
            (
                loopback::shell::PATH.to_owned(),
                0o755,
                compact(&loopback::shell::render(&self.loopback)),
            ),
            (
                agent::ECS_CONFIG_PATH.to_owned(),
                0o600,
                agent
                    .ecs_config
                    .lines()
                    .filter(|l| !l.starts_with('#'))
                    .map(|l| format!("{l}\n"))
                    .collect(),
            ),
            (
                agent::START_SCRIPT_PATH.to_owned(),
                0o755,
                compact(&agent.start_script),
            ),
        ];
        if self.self_check {
            let script = self_check::render(&self.agent, &self.loopback)?;
            files.push((self_check::SCRIPT_PATH.to_owned(), 0o755, compact(&script)));
        }
        Ok(files)
    }

    fn units(&self, agent: &AgentOptions) -> Vec<(&'static str, String)> {
        let mut units = vec![
            (
                loopback::shell::UNIT_NAME,
                compact(&loopback::shell::render_unit()),
            ),
            (agent::UNIT_NAME, compact(&agent.systemd_unit)),
        ];
        if self.agent.block_task_metadata {
            units.push((metadata_guard::UNIT_NAME, compact(&agent.firewall_unit)));
            units.push((
                metadata_guard::RECHECK_UNIT_NAME,
                compact(&agent.firewall_recheck_unit),
            ));
            units.push((
                metadata_guard::RECHECK_TIMER_NAME,
                compact(&agent.firewall_recheck_timer),
            ));
            units.push((
                metadata_guard::WATCH_UNIT_NAME,
                compact(&agent.firewall_watch_unit),
            ));
        }
        if self.self_check {
            units.push((self_check::UNIT_NAME, compact(&self_check::render_unit())));
        }
        units
    }

    fn cloud_init(
        &self,
        files: &[(String, u32, String)],
        units: &[(&str, String)],
    ) -> Result<String, Problem> {
        // Ours first, unless a user part may carry cloud-config: then ours
        // goes last and merges into theirs (`render_merging`), so their
        // `bootcmd` or `write_files` cannot replace ours.
        let merge_last = self
            .extra_parts
            .iter()
            .any(|p| !SHELL_SCRIPT_TYPES.contains(&p.content_type.as_str()));
        let ours = |doc: String| {
            (
                "text/cloud-config".to_owned(),
                "ecshost-loopback.cfg".to_owned(),
                doc,
            )
        };
        let mut parts: Vec<(String, String, String)> = Vec::new();
        if !merge_last {
            parts.push(ours(loopback::cloud_init::render(&self.loopback)));
        }
        parts.push((
            "text/x-shellscript".into(),
            CLOUD_INIT_SCRIPT_NAME.into(),
            shell_script(files, units, self.gzip, &[]),
        ));
        for p in &self.extra_parts {
            parts.push((
                p.content_type.clone(),
                p.filename.clone(),
                p.content.clone(),
            ));
        }
        if merge_last {
            parts.push(ours(loopback::cloud_init::render_merging(&self.loopback)));
        }
        let mut h = Sha256::new();
        for (t, f, c) in &parts {
            for s in [t, f, c] {
                h.update(s.as_bytes());
                h.update([0]);
            }
        }
        let hex: String = h.finalize()[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let boundary = format!("ECSHOST-MIME-BOUNDARY-{hex}");
        if parts.iter().any(|(_, _, c)| c.contains(&boundary)) {
            return Err(Problem::error(
                "extra_parts",
                "Part contains the MIME boundary",
                "Change the part content.",
            ));
        }
        let mut s = format!(
            "Content-Type: multipart/mixed; boundary=\"{boundary}\"\nMIME-Version: 1.0\n\n"
        );
        for (ctype, filename, content) in &parts {
            let (encoding, body) = if content.is_ascii() {
                ("7bit", content.clone())
            } else {
                (
                    "base64",
                    wrap76(&base64::engine::general_purpose::STANDARD.encode(content)),
                )
            };
            s.push_str(&format!(
                "--{boundary}\nContent-Type: {ctype}; charset=\"utf-8\"\nMIME-Version: 1.0\n\
                 Content-Transfer-Encoding: {encoding}\nContent-Disposition: attachment; filename=\"{filename}\"\n\n{body}"
            ));
            // The line break before a boundary belongs to the boundary
            // (RFC 2046 section 5.1.1): one more keeps the body's own last
            // line break, so a file cloud-init writes from it ends as ours.
            s.push('\n');
        }
        s.push_str(&format!("--{boundary}--\n"));
        Ok(s)
    }

    fn ignition(&self, files: &[(String, u32, String)], units: &[(&str, String)]) -> String {
        let network = loopback::networkd::render(&self.loopback);
        let mut ign_files = vec![ignition::File {
            path: loopback::networkd::PATH,
            mode: 0o644,
            contents: &network,
        }];
        ign_files.extend(files.iter().map(|(p, m, c)| ignition::File {
            path: p,
            mode: *m,
            contents: c,
        }));
        let ign_units: Vec<ignition::Unit<'_>> = units
            .iter()
            .map(|(n, c)| ignition::Unit {
                name: n,
                enabled: installable(n),
                contents: c,
            })
            .collect();
        let version = &self.ignition_version;
        // Yours merge into ours (Ignition's `ignition.config.merge`).
        let theirs = self
            .extra_parts
            .iter()
            .map(|p| ignition::merge_resource(&p.content, version));
        let value = if ignition::packs_whole_config(version) {
            // Ours packed once: the whole config, its files as plain data
            // URLs, gzipped in one data URL and merged into an empty parent
            // before yours, so one compression stream covers every file.
            let ours = ignition::config_plain(version, &ign_files, &ign_units);
            let ours = serde_json::to_string(&ours).expect("a json! value always serializes");
            let mut merge = vec![ignition::merge_resource(&ours, version)];
            merge.extend(theirs);
            serde_json::json!({ "ignition": { "version": version, "config": { "merge": merge } } })
        } else {
            let mut value = ignition::config(version, &ign_files, &ign_units);
            let merge: Vec<serde_json::Value> = theirs.collect();
            if !merge.is_empty() {
                value["ignition"]["config"] = serde_json::json!({ "merge": merge });
            }
            value
        };
        serde_json::to_string(&value).expect("a json! value always serializes") + "\n"
    }

    fn coreos(&self, files: &[(String, u32, String)], units: &[(&str, String)]) -> String {
        let write_files: Vec<coreos::WriteFile> = files
            .iter()
            .map(|(p, m, c)| coreos::WriteFile {
                path: p.clone(),
                permissions: format!("0{m:o}"),
                owner: "root:root".into(),
                content: if packed(p, self.gzip) {
                    gzip_base64(c)
                } else {
                    c.clone()
                },
                encoding: packed(p, self.gzip).then(|| "gzip+base64".to_owned()),
            })
            .collect();
        let mut cunits = vec![coreos::Unit {
            name: coreos::UNIT_NAME.into(),
            command: None,
            enable: None,
            content: loopback::networkd::render(&self.loopback),
        }];
        cunits.extend(units.iter().map(|(n, c)| coreos::Unit {
            name: (*n).to_owned(),
            command: installable(n).then(|| "start".into()),
            enable: installable(n).then_some(true),
            content: c.clone(),
        }));
        coreos::document(&write_files, &cunits)
    }
}

/// Drops blank lines, comment-only lines and indentation from a shell script or
/// systemd unit we rendered ourselves (none of ours has indentation-sensitive
/// heredocs or multi-line strings), keeping the shebang and adding one marker
/// line. This is what keeps the full user data under EC2's 16 KiB without gzip;
/// the readable originals are the `agent`/`self_check` outputs and golden files.
pub(crate) fn compact(text: &str) -> String {
    compact_with(text, false)
}

/// [`compact`] and [`compact_source`] in one pass: blank lines, comment
/// lines and indentation go. `keep_head` keeps the head block as written
/// (the `#!` line and the comment lines right below it, up to the first
/// line that is not a comment or a bare `#`) and the `@values@` line;
/// without it, the `#!` line is followed by one marker line instead.
fn compact_with(text: &str, keep_head: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut head = keep_head;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if !keep_head && i == 0 && t.starts_with("#!") {
            out.push_str(t);
            out.push_str("\n# Managed by terraform-provider-ecshost (compacted copy).\n");
            continue;
        }
        head &= t.starts_with('#') && t != "#";
        let keep = head || (keep_head && t == "# @values@");
        if keep || !(t.is_empty() || t.starts_with('#')) {
            out.push_str(if keep { line } else { t });
            out.push('\n');
        }
    }
    out
}

/// MIME types cloud-init runs as executables (`text/x-shellscript` and its
/// per-boot/instance/once variants).
const SHELL_SCRIPT_TYPES: [&str; 4] = [
    "text/x-shellscript",
    "text/x-shellscript-per-boot",
    "text/x-shellscript-per-instance",
    "text/x-shellscript-per-once",
];

/// The content of an extra part checked the way cloud-init 22.4 consumes it:
/// script parts are written out and executed (`subp.runparts`), so without
/// a `#!` line the kernel refuses them ("Exec format error") and the part
/// fails; a `text/cloud-config` part is loaded with `util.load_yaml`, which
/// accepts only a mapping ("empty cloud config" otherwise).
/// Whether a script writes the agent's settings file: a line (not a
/// comment) that names it and redirects, tees, edits in place, copies or
/// moves. A line that only reads it (`grep … /etc/ecs/ecs.config`) passes.
fn writes_ecs_config(script: &str) -> bool {
    const WRITES: [&str; 8] = [
        ">", "tee", "sed -i", "cp ", "mv ", "install ", "truncate", "ln ",
    ];
    script
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .any(|l| {
            (l.contains("ecs.config") || l.contains("ECSHOST_ECS_CONFIG"))
                && WRITES.iter().any(|w| l.contains(w))
        })
}

fn check_part_content(part: &ExtraPart, format: HostFormat) -> Option<Problem> {
    let ctype = part.content_type.as_str();
    if (SHELL_SCRIPT_TYPES.contains(&ctype) || ctype == "text/cloud-boothook")
        && writes_ecs_config(&part.content)
    {
        let why = if format == HostFormat::Shell {
            "the provider's part writes the whole file and starts the agent with docker run --env-file, which reads it once, when the container is created, before your parts run: a line added afterwards never reaches the agent."
        } else {
            "the provider's own part (ecshost.sh) writes the whole file and starts the agent with docker run --env-file, which reads it once, when the container is created. cloud-init runs script parts in file-name order, so a part before ours finds no /etc/ecs or is overwritten, and a part after ours changes a file the running agent never reads again."
        };
        return Some(Problem::error(
            "extra_parts",
            "Part writes the agent's settings file",
            format!(
                "content writes {path}, which never reaches the agent this way: {why} Put the settings in config of ecshost_user_data instead (config = {{ ECS_ENABLE_SPOT_INSTANCE_DRAINING = \"true\" }}), where they are checked at plan.",
                path = agent::ECS_CONFIG_PATH
            ),
        ));
    }
    if SHELL_SCRIPT_TYPES.contains(&ctype) && !part.content.starts_with("#!") {
        let runner = if format == HostFormat::Shell {
            "the shell user data runs each part"
        } else {
            "cloud-init runs script parts"
        };
        return Some(Problem::error(
            "extra_parts",
            "Script part has no #! line",
            format!(
                "content must start with a #! line: {runner} as programs, and the kernel refuses a file without one (\"Exec format error\"), so the part never runs. Start it with #!/bin/sh."
            ),
        ));
    }
    if ctype == "text/cloud-config" {
        let why = match serde_norway::from_str::<serde_norway::Value>(&part.content) {
            Err(e) => Some(format!("it is not valid YAML ({e})")),
            Ok(serde_norway::Value::Mapping(_)) => None,
            Ok(serde_norway::Value::Null) => Some("it is empty".to_owned()),
            Ok(_) => Some("its top level is not a mapping of keys".to_owned()),
        };
        return why.map(|why| {
            Problem::error(
                "extra_parts",
                "cloud-config part is not a YAML mapping",
                format!(
                    "content must be a YAML mapping such as \"packages: [jq]\": cloud-init loads text/cloud-config parts as one, and {why}, so the part fails. yamlencode({{ packages = [\"jq\"] }}) writes a mapping."
                ),
            )
        });
    }
    None
}

/// Files shipped gzip+base64 in the formats that write files themselves
/// (shell, cloud-init, CoreOS cloud-config): the two large scripts, the
/// agent's start script and the self-check, as Ignition (and Butane) already
/// do with every file. That is what keeps the whole user data under EC2's
/// 16 KiB without `gzip`. What a reader of the user data needs stays plain
/// text: the loopback script, `ecs.config` and the units, whose
/// descriptions say what the scripts do (the IMDS block and where it lives,
/// the self-check's report line).
///
/// The shell and cloud-init formats pack both in one stream (`unpack` in
/// `src/host/functions.sh`): the scripts share most of their words, which
/// two streams would each pay for. CoreOS cloud-config writes each with its
/// own `gzip+base64` encoding (it runs no script of ours to unpack one).
///
/// Only without `gzip`: under gzip the scripts travel as plain text inside
/// the one gzip stream, which compresses them better than their own
/// gzip+base64 would (base64 of compressed bytes is what gzip cannot shrink).
fn packed(path: &str, gzip: bool) -> bool {
    !gzip && (path == self_check::SCRIPT_PATH || path == agent::START_SCRIPT_PATH)
}

impl UserDataInput {
    /// An Ignition part: a config of the image's spec line that does not
    /// replace what the provider writes. Ignition merges a `config.merge`
    /// child over its parent, the child winning for the same file path or
    /// unit name (coreos/ignition `docs/operator-notes.md`, "Config
    /// merging"), so such an entry would silently replace ours. `ours`:
    /// what the provider installs ([`Self::installed`]).
    fn check_ignition_part(
        &self,
        part: &ExtraPart,
        ours: Option<&BTreeMap<String, String>>,
    ) -> Option<Problem> {
        let bad =
            |summary: &str, detail: String| Some(Problem::error("extra_parts", summary, detail));
        if part.content_type != ignition::CONFIG_TYPE {
            return bad(
                "Ignition parts are Ignition configs",
                format!(
                    "content_type must be {} with host_format = \"ignition\": the provider merges each part into its own config (ignition.config.merge). Put scripts in a file and a systemd unit of that config.",
                    ignition::CONFIG_TYPE
                ),
            );
        }
        let v: serde_json::Value = match serde_json::from_str(&part.content) {
            Ok(v @ serde_json::Value::Object(_)) => v,
            _ => return bad("Ignition part is not a JSON object", "content must be an Ignition config, a JSON object such as jsonencode({ ignition = { version = \"3.3.0\" }, storage = { files = [...] } }).".into()),
        };
        let version = v["ignition"]["version"].as_str().unwrap_or("");
        let rank = |v: &str| ignition::SUPPORTED_VERSIONS.iter().position(|s| *s == v);
        match (rank(version), rank(&self.ignition_version)) {
            (Some(c), Some(p)) if c <= p => {}
            _ => {
                return bad(
                    "Ignition part has an unusable spec version",
                    format!(
                        "ignition.version is {version:?}; it must be one of {} and not above ignition_version ({}), or the image's Ignition refuses the whole config at first boot.",
                        ignition::SUPPORTED_VERSIONS.join(", "),
                        self.ignition_version
                    ),
                )
            }
        }
        let ours = ours?;
        let unit_dir = format!("{}/", super::SYSTEMD_DIR);
        let unit_names: Vec<&str> = ours
            .keys()
            .filter_map(|p| p.strip_prefix(&unit_dir))
            .collect();
        let paths = v["storage"]["files"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["path"].as_str());
        for path in paths {
            if ours.contains_key(path) {
                let fix = if path == agent::ECS_CONFIG_PATH {
                    "Put agent settings in config of ecshost_user_data, where they are checked at plan."
                } else {
                    "Write your file elsewhere."
                };
                return bad(
                    "Ignition part replaces the provider's file",
                    format!("storage.files writes {path}, which the provider writes; Ignition lets the merged config win, so the host would run without it. {fix}"),
                );
            }
        }
        let units = v["systemd"]["units"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|u| u["name"].as_str());
        for name in units {
            if unit_names.contains(&name) {
                return bad(
                    "Ignition part replaces the provider's unit",
                    format!("systemd.units names {name}, a unit the provider installs; Ignition lets the merged config win. Use a drop-in (dropins) or another unit name."),
                );
            }
        }
        None
    }
}

/// The longest part file name: room for the `.ecshost-tmp` the shell format
/// adds while writing, under Linux's 255-byte NAME_MAX.
const MAX_PART_FILENAME: usize = 200;

/// The name the data source gives the unnamed part at `index` (`part-001`
/// for 0), as cloud-init names unnamed parts.
pub fn default_part_name(index: usize) -> String {
    format!("part-{:03}", index + 1)
}

/// The provider's own script part in `cloud_init` user data.
const CLOUD_INIT_SCRIPT_NAME: &str = "ecshost.sh";

/// cloud-init's `util.clean_filename`: `/` becomes `_`, then everything but
/// `_-.()`, ASCII digits and letters is dropped, then whitespace trimmed.
fn cloud_init_clean_filename(name: &str) -> String {
    name.replace('/', "_")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "_-.()".contains(*c))
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Where the shell format writes the user's script parts before it runs them.
pub const SHELL_PARTS_DIR: &str = "/var/lib/ecshost/parts";

/// The shell format's tail for the user's `extra_parts` (all scripts,
/// checked by `validate_input`): each is written to [`SHELL_PARTS_DIR`] and
/// run as a program (its own `#!` line) in list order, after the provider's
/// part, as cloud-init would run script parts after ours (`run_part` in
/// `src/host/functions.sh`). A failing part does not stop the next; the
/// user data then exits 1, so cloud-init reports the failure, with the
/// agent already running.
fn shell_parts(parts: &[ExtraPart]) -> Vec<String> {
    if parts.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![
        "# Your extra parts, in order, after ours.".to_owned(),
        "parts_failed=0".to_owned(),
    ];
    for (i, part) in parts.iter().enumerate() {
        // CRLF line ends as cloud-init's shell-script handler leaves them
        // (util.dos2unix): `#!/bin/sh\r` would name no interpreter.
        // As there, only when the first line ends in CRLF.
        let content = match part.content.find('\n') {
            Some(pos) if pos > 0 && part.content.as_bytes()[pos - 1] == b'\r' => {
                part.content.replace("\r\n", "\n")
            }
            _ => part.content.clone(),
        };
        // Quoted for sh: a file name may hold `$`, spaces or `'`.
        let path = format!(
            "\"$ECSHOST_ROOT\"{}",
            super::sh_quote(&format!("{SHELL_PARTS_DIR}/{}", part.filename))
        );
        lines.extend(heredoc(
            &format!("write_file {path} 755"),
            &content,
            1000 + i,
        ));
        lines.push(format!(
            "run_part {path} {}",
            super::sh_quote(&part.filename)
        ));
    }
    lines.push("exit \"$parts_failed\"".to_owned());
    lines
}

/// `command <<'DELIMITER'`, `content`'s lines and the delimiter: a file
/// written by a here-document whose delimiter is no line of `content`.
fn heredoc(command: &str, content: &str, n: usize) -> Vec<String> {
    let d = delimiter(n, content);
    let mut lines = vec![format!("{command} <<'{d}'")];
    // Split on `\n` only: a `\r` stays the content's (str::lines would
    // take it), and a missing last line break is added, as cloud-init does.
    let body = content.strip_suffix('\n').unwrap_or(content);
    lines.extend(body.split('\n').map(str::to_owned));
    lines.push(d);
    lines
}

/// gzip then base64, 76 columns.
fn gzip_base64(text: &str) -> String {
    wrap76(&base64::engine::general_purpose::STANDARD.encode(crate::gzip(text.as_bytes())))
}

/// Units enabled and started: all but the re-check service, which only its
/// timer starts (it has no `[Install]` section).
fn installable(unit: &str) -> bool {
    unit != metadata_guard::RECHECK_UNIT_NAME
}

fn first(e: RenderError) -> Problem {
    e.problems
        .into_iter()
        .find(Problem::is_error)
        .unwrap_or_else(|| Problem::error("rendered", "render failed", ""))
}

fn wrap76(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 76 + 1);
    for chunk in s.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ascii"));
        out.push('\n');
    }
    out
}

/// A heredoc delimiter that is not a line of `content`.
fn delimiter(n: usize, content: &str) -> String {
    let mut d = format!("ECSHOST_EOF_{n}");
    while content.lines().any(|l| l == d) {
        d.push('X');
    }
    d
}

/// The shell host format (`src/host/user-data.sh`; also cloud-init's
/// `ecshost.sh` part): writes the files, then either installs and starts
/// the systemd units or (no systemd, e.g. the host lab) runs the scripts
/// directly, then runs `parts` (the shell format's extra parts).
fn shell_script(
    files: &[(String, u32, String)],
    units: &[(&str, String)],
    gzip: bool,
    parts: &[ExtraPart],
) -> String {
    let packed = |p: &str| packed(p, gzip);
    let any_packed = files.iter().any(|(p, _, _)| packed(p));
    // Set either way: an unset one would take a value from the environment.
    let self_check = files.iter().any(|(p, _, _)| p == self_check::SCRIPT_PATH);
    let mut header = Header::new().set(
        "SELF_CHECK_SCRIPT",
        if self_check {
            self_check::SCRIPT_PATH
        } else {
            ""
        },
    );
    // The library's functions compacted like the source around them.
    let mut functions = String::new();
    if any_packed {
        functions.push_str(host::function(host::FUNCTIONS, "unpack"));
    }
    if !parts.is_empty() {
        functions.push_str(host::function(host::FUNCTIONS, "run_part"));
    }
    header = header.generated(
        &compact(&functions)
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>(),
    );
    let mut lines = vec![if any_packed {
        "# The two large scripts are packed in one gzip+base64 stream (see unpack); the units say what they do.".to_owned()
    } else {
        "# Every file below is plain text (the user data as a whole is gzipped).".to_owned()
    }];
    let mut n = 0;
    // The packed files' here-documents, in one stream: unpacked where the
    // first of them stands.
    let mut bundle: Vec<String> = Vec::new();
    let mut bundle_at = None;
    for (path, mode, content) in files {
        n += 1;
        let target = if path == agent::ECS_CONFIG_PATH {
            "$ECSHOST_ECS_CONFIG".to_owned()
        } else {
            format!("$ECSHOST_ROOT{path}")
        };
        let doc = heredoc(&format!("write_file \"{target}\" {mode:o}"), content, n);
        if packed(path) {
            bundle_at.get_or_insert(lines.len());
            bundle.extend(doc);
        } else {
            lines.extend(doc);
        }
    }
    if let Some(at) = bundle_at {
        n += 1;
        let text = bundle.join("\n") + "\n";
        let doc = heredoc("unpack", &gzip_base64(&text), n);
        lines.splice(at..at, doc);
    }
    lines.push("if has_systemd; then".to_owned());
    for (name, content) in units {
        n += 1;
        lines.extend(heredoc(
            &format!(
                "write_file \"$ECSHOST_ROOT{}/{name}\" 644",
                super::SYSTEMD_DIR
            ),
            content,
            n,
        ));
    }
    // The loopback unit is started first and waited for (docker.service
    // needs the address); the others without waiting (the agent's waits
    // for Docker).
    let lo = loopback::shell::UNIT_NAME;
    let rest: Vec<&str> = units
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| installable(n) && *n != lo)
        .collect();
    lines.push("    systemctl daemon-reload".to_owned());
    lines.push(format!("    systemctl enable {lo} {}", rest.join(" ")));
    lines.push(format!("    systemctl start {lo}"));
    lines.push(format!("    systemctl start --no-block {}", rest.join(" ")));
    lines.push("else".to_owned());
    lines.push("    run_scripts".to_owned());
    lines.push("fi".to_owned());
    lines.extend(shell_parts(parts));
    header.generated(&lines).fill(&USER_DATA_SOURCE)
}

/// `src/host/user-data.sh` with its comments after the head block and its
/// indentation taken out ([`compact_source`]): the user data carries what
/// it is, not the notes for the source's reader, in the bytes EC2 allows.
static USER_DATA_SOURCE: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| compact_source(host::USER_DATA));

/// A script source without the comments after its head block (the `#!`
/// line and the comment lines right below it, up to the first line that is
/// not a comment or a bare `#`), its blank lines and its indentation; the
/// `@values@` line stays. Only for sources: a here-document's lines would lose their
/// indentation.
fn compact_source(source: &str) -> String {
    compact_with(source, true)
}

/// What the instance receives: `rendered`, gzipped ([`crate::gzip`]) when `gzip`
/// is on.
fn wire_bytes(rendered: &str, gzip: bool) -> Vec<u8> {
    if gzip {
        crate::gzip(rendered.as_bytes())
    } else {
        rendered.as_bytes().to_vec()
    }
}

/// How many changes the size error lists, biggest saving first.
const MAX_LEVERS_LISTED: usize = 8;

/// Summary of the size error; [`UserDataInput::explain_size`] recognises it.
const OVERSIZE_SUMMARY: &str = "User data exceeds 16 KiB";

/// The user data is this many bytes on the wire, more than EC2 takes
/// ([`UserDataInput::explain_size`] turns it into the diagnostic).
struct Oversize(usize);

fn finish(
    rendered: String,
    files: BTreeMap<String, String>,
    gzip: bool,
) -> Result<UserData, Oversize> {
    let bytes = wire_bytes(&rendered, gzip);
    if bytes.len() > MAX_USER_DATA_BYTES {
        return Err(Oversize(bytes.len()));
    }
    let sha256 = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(UserData {
        base64: base64::engine::general_purpose::STANDARD.encode(&bytes),
        size_bytes: bytes.len(),
        sha256,
        rendered,
        bytes,
        files,
    })
}

/// Renders user data; fails with every error problem (including the size limit).
pub fn render(input: &UserDataInput) -> Result<UserData, RenderError> {
    RenderError::check(input.validate_input())?;
    let (rendered, files) = input.build().map_err(RenderError::single)?;
    finish(rendered, files, input.gzip)
        .map_err(|Oversize(size)| RenderError::single(input.explain_size(size)))
}

impl UserDataInput {
    /// Size of the user data this input renders, or `None` where it does
    /// not render.
    fn wire_size(&self) -> Option<usize> {
        self.build_with(false)
            .ok()
            .map(|(r, _)| wire_bytes(&r, self.gzip).len())
    }

    /// The size error for user data of `size` wire bytes, with what each
    /// thing the user controls costs — measured by rendering without it, so
    /// a figure is exactly the bytes that change saves, gzip included — and
    /// which change alone is enough. Issue #25 item 6: "say which pieces
    /// cost how much and what to change".
    fn explain_size(&self, size: usize) -> Problem {
        let mut p = Problem::error(
            "rendered",
            OVERSIZE_SUMMARY,
            format!(
                "{size} bytes{} but EC2 accepts at most {MAX_USER_DATA_BYTES} (measured before base64), {} over.",
                if self.gzip { " after gzip" } else { "" },
                size - MAX_USER_DATA_BYTES,
            ),
        );
        let over = size.saturating_sub(MAX_USER_DATA_BYTES);
        let mut levers: Vec<(String, usize)> = Vec::new();
        let mut saved_by = |what: String, without: &UserDataInput| {
            if let Some(n) = without.wire_size() {
                levers.push((what, size.saturating_sub(n)));
            }
        };
        for (i, part) in self.extra_parts.iter().enumerate() {
            let mut without = self.clone();
            without.extra_parts.remove(i);
            // As the plan after deleting that element would be: unnamed
            // parts after it get the next lower default name.
            for (j, later) in without.extra_parts.iter_mut().enumerate().skip(i) {
                if later.filename == default_part_name(j + 1) {
                    later.filename = default_part_name(j);
                }
            }
            let name = if part.filename.is_empty() {
                format!("extra_parts[{i}]")
            } else {
                format!("extra_parts[{i}] ({:?})", part.filename)
            };
            saved_by(format!("removing {name}"), &without);
        }
        if self.self_check {
            let without = UserDataInput {
                self_check: false,
                ..self.clone()
            };
            saved_by("self_check = false".to_owned(), &without);
        }
        if !self.agent.config.is_empty() {
            let mut without = self.clone();
            without.agent.config.clear();
            let n = self.agent.config.len();
            saved_by(
                format!(
                    "dropping config ({n} setting{})",
                    if n == 1 { "" } else { "s" }
                ),
                &without,
            );
        }
        if !self.gzip
            && matches!(
                self.host_format,
                HostFormat::CloudInit | HostFormat::CoreosCloudConfig
            )
        {
            let with = UserDataInput {
                gzip: true,
                ..self.clone()
            };
            saved_by("gzip = true".to_owned(), &with);
        }
        levers.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut detail = std::mem::take(&mut p.detail);
        if !levers.is_empty() {
            detail.push_str(" Bytes each change saves on its own: ");
            let list: Vec<String> = levers
                .iter()
                .take(MAX_LEVERS_LISTED)
                .map(|(what, n)| {
                    let enough = if *n >= over { " (enough alone)" } else { "" };
                    format!("{what}: {n}{enough}")
                })
                .collect();
            detail.push_str(&list.join("; "));
            if levers.len() > MAX_LEVERS_LISTED {
                detail.push_str(&format!(
                    "; and {} smaller",
                    levers.len() - MAX_LEVERS_LISTED
                ));
            }
            detail.push('.');
        }
        let mut bare = UserDataInput {
            extra_parts: Vec::new(),
            self_check: false,
            ..self.clone()
        };
        bare.agent.config.clear();
        if let Some(n) = bare.wire_size() {
            detail.push_str(&format!(
                " Without your parts, config and the self-check the user data is {n} bytes."
            ));
        }
        if levers.iter().all(|(_, n)| *n < over) {
            detail.push_str(" No single change is enough: combine them, or move your own content to a file the host fetches at boot.");
        }
        p.detail = detail;
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consumer_tools::{self, fake_command, run_sh, temp_dir};
    use crate::problem::Severity;

    const FORMATS: [HostFormat; 4] = [
        HostFormat::Shell,
        HostFormat::CloudInit,
        HostFormat::Ignition,
        HostFormat::CoreosCloudConfig,
    ];

    fn base(host_format: HostFormat) -> UserDataInput {
        UserDataInput {
            host_format,
            agent: AgentInput {
                cluster: "prod".into(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn names_round_trip() {
        for f in FORMATS {
            assert_eq!(HostFormat::parse(f.as_str()), Some(f));
        }
    }

    #[test]
    fn every_format_and_option_renders_deterministically() {
        for f in FORMATS {
            for gzip in [false, true] {
                for self_check in [false, true] {
                    for block in [false, true] {
                        let mut input = UserDataInput {
                            gzip,
                            self_check,
                            ..base(f)
                        };
                        input.agent.block_task_metadata = block;
                        let res = render(&input);
                        if f == HostFormat::Ignition && gzip {
                            assert_eq!(res.unwrap_err().problems[0].attribute, "gzip");
                            continue;
                        }
                        let ud = res.unwrap_or_else(|e| panic!("{f:?} gzip={gzip}: {e}"));
                        assert_eq!(ud, render(&input).unwrap(), "deterministic");
                        assert_eq!(ud.size_bytes, ud.bytes.len());
                        assert!(
                            ud.size_bytes <= MAX_USER_DATA_BYTES,
                            "{f:?}: {} bytes",
                            ud.size_bytes
                        );
                        let decoded = base64::engine::general_purpose::STANDARD
                            .decode(&ud.base64)
                            .unwrap();
                        assert_eq!(decoded, ud.bytes);
                        if gzip {
                            assert_eq!(&ud.bytes[..2], &[0x1f, 0x8b]);
                            assert_eq!(&ud.bytes[4..8], &[0, 0, 0, 0], "mtime 0");
                            let mut plain = String::new();
                            std::io::Read::read_to_string(
                                &mut flate2::read::GzDecoder::new(&ud.bytes[..]),
                                &mut plain,
                            )
                            .unwrap();
                            assert_eq!(plain, ud.rendered);
                        } else {
                            assert_eq!(ud.bytes, ud.rendered.as_bytes());
                        }
                        // Ignition packs our config into one gzipped merge
                        // child: read it the way an analysis does.
                        let seen = if f == HostFormat::Ignition {
                            let a = crate::analyse::analyse(&ud.bytes);
                            (a.self_check, a.metadata_blocked)
                        } else {
                            (
                                ud.rendered.contains(self_check::SCRIPT_PATH),
                                ud.rendered.contains(metadata_guard::UNIT_NAME),
                            )
                        };
                        assert_eq!(seen, (self_check, block), "{f:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn validate_table() {
        type Case = (&'static str, fn(&mut UserDataInput), &'static str, Severity);
        let cases: &[Case] = &[
            (
                "gzip ignition",
                |i| {
                    i.host_format = HostFormat::Ignition;
                    i.gzip = true;
                },
                "gzip",
                Severity::Error,
            ),
            ("gzip shell", |i| i.gzip = true, "gzip", Severity::Warning),
            (
                "bad ignition version",
                |i| {
                    i.host_format = HostFormat::Ignition;
                    i.ignition_version = "3.5.0".into();
                },
                "ignition_version",
                Severity::Error,
            ),
            (
                "address mismatch",
                |i| {
                    i.loopback.address = "10.0.0.1".into();
                    i.loopback.allow_custom_address = true;
                },
                "credentials_address",
                Severity::Error,
            ),
            (
                "a cloud-config part on shell",
                |i| {
                    i.extra_parts.push(ExtraPart {
                        content_type: "text/cloud-config".into(),
                        content: "#!/bin/sh\n".into(),
                        filename: "a.sh".into(),
                    })
                },
                "extra_parts",
                Severity::Error,
            ),
            (
                "bad filename",
                |i| {
                    i.host_format = HostFormat::CloudInit;
                    i.extra_parts.push(ExtraPart {
                        content_type: "text/x-shellscript".into(),
                        content: "#!/bin/sh\nx".into(),
                        filename: "a\"b".into(),
                    });
                },
                "extra_parts",
                Severity::Error,
            ),
            (
                "odd type",
                |i| {
                    i.host_format = HostFormat::CloudInit;
                    i.extra_parts.push(ExtraPart {
                        content_type: "text/html".into(),
                        content: "x".into(),
                        filename: "a".into(),
                    });
                },
                "extra_parts",
                Severity::Warning,
            ),
            (
                "too big",
                |i| {
                    i.host_format = HostFormat::CloudInit;
                    i.extra_parts.push(ExtraPart {
                        content_type: "text/x-shellscript".into(),
                        content: format!("#!{}", "#".repeat(20000)),
                        filename: "big.sh".into(),
                    });
                },
                "rendered",
                Severity::Error,
            ),
            (
                "agent error",
                |i| i.agent.cluster.clear(),
                "cluster",
                Severity::Error,
            ),
            (
                "loopback error",
                |i| i.loopback.device = String::new(),
                "device",
                Severity::Error,
            ),
        ];
        for (name, mutate, attribute, severity) in cases {
            let mut input = base(HostFormat::Shell);
            mutate(&mut input);
            let problems = input.validate();
            assert!(
                problems
                    .iter()
                    .any(|p| p.attribute == *attribute && p.severity == *severity),
                "{name}: {problems:?}"
            );
        }
    }

    #[test]
    fn extra_part_problems_name_the_element_and_field() {
        let mut input = base(HostFormat::CloudInit);
        for (content_type, filename) in [("text/x-shellscript", "ok.sh"), ("text plain", "")] {
            input.extra_parts.push(ExtraPart {
                content_type: content_type.into(),
                content: "#!/bin/sh\nx".into(),
                filename: filename.into(),
            });
        }
        let got: Vec<String> = input.validate().iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                "error: extra_parts[1].content_type: Invalid content type",
                "error: extra_parts[1].filename: Invalid part file name",
            ]
        );
    }

    /// Extra parts are judged as cloud-init 22.4 consumes them; the same
    /// contents are also given to cloud-init's own loader and to the
    /// kernel, and both must agree with the verdict.
    #[test]
    fn extra_part_content_is_checked_like_cloud_init() {
        type Case = (&'static str, &'static str, Option<&'static str>);
        let cases: &[Case] = &[
            (
                "text/x-shellscript",
                "#!/bin/sh
echo hi
",
                None,
            ),
            (
                "text/x-shellscript",
                "echo hi
",
                Some("Script part has no #! line"),
            ),
            (
                "text/x-shellscript-per-boot",
                " #!/bin/sh
",
                Some("Script part has no #! line"),
            ),
            (
                "text/cloud-config",
                "#cloud-config
packages: [jq]
",
                None,
            ),
            (
                "text/cloud-config",
                "packages: [jq]
",
                None,
            ),
            (
                "text/cloud-config",
                "- packages: [jq]
",
                Some("cloud-config part is not a YAML mapping"),
            ),
            (
                "text/cloud-config",
                "#cloud-config
",
                Some("cloud-config part is not a YAML mapping"),
            ),
            (
                "text/cloud-config",
                "packages: [jq
",
                Some("cloud-config part is not a YAML mapping"),
            ),
            (
                "text/cloud-config",
                "just words
",
                Some("cloud-config part is not a YAML mapping"),
            ),
        ];
        for (ctype, content, want) in cases {
            let part = ExtraPart {
                content_type: (*ctype).into(),
                content: (*content).into(),
                filename: "p".into(),
            };
            let got = check_part_content(&part, HostFormat::CloudInit).map(|p| p.summary);
            assert_eq!(got.as_deref(), *want, "{ctype} {content:?}");
            if ctype.starts_with("text/cloud-config") {
                if let Some(ok) = consumer_tools::cloud_init_loads_mapping(content) {
                    assert_eq!(ok, want.is_none(), "cloud-init disagrees on {content:?}");
                }
            } else {
                if let Some(ran) = consumer_tools::executes(content) {
                    assert_eq!(ran, want.is_none(), "the kernel disagrees on {content:?}");
                }
            }
        }
    }

    #[test]
    fn size_limit_measured_after_gzip() {
        let mut input = base(HostFormat::CloudInit);
        input.extra_parts.push(ExtraPart {
            content_type: "text/x-shellscript".into(),
            content: format!("#!{}", "#".repeat(20000)),
            filename: "big.sh".into(),
        });
        assert!(render(&input).is_err());
        input.gzip = true;
        let ud = render(&input).unwrap();
        assert!(ud.rendered.len() > MAX_USER_DATA_BYTES && ud.size_bytes < MAX_USER_DATA_BYTES);
    }

    /// Content gzip cannot shrink much: SHA-256 hex lines.
    fn incompressible(lines: usize, seed: &str) -> String {
        let mut s = String::from("#!/bin/sh\n");
        for i in 0..lines {
            let h = Sha256::digest(format!("{seed}{i}").as_bytes());
            s.push_str(": ");
            s.extend(h.iter().map(|b| format!("{b:02x}")));
            s.push('\n');
        }
        s
    }

    fn part(name: &str, content: String) -> ExtraPart {
        ExtraPart {
            content_type: "text/x-shellscript".into(),
            content,
            filename: name.into(),
        }
    }

    /// The size error names what each change saves, and each figure is what
    /// rendering without that piece really saves.
    #[test]
    fn size_error_says_what_each_change_saves() {
        let mut input = base(HostFormat::CloudInit);
        input.gzip = true;
        input
            .agent
            .config
            .insert("ECS_ENABLE_SPOT_INSTANCE_DRAINING".into(), "true".into());
        input
            .extra_parts
            .push(part("logs.sh", incompressible(120, "logs")));
        input
            .extra_parts
            .push(part("big.sh", incompressible(400, "big")));
        let err = render(&input).unwrap_err();
        let p = &err.problems[0];
        assert_eq!(p.summary, OVERSIZE_SUMMARY);
        let size = input.wire_size().unwrap();
        assert!(
            p.detail.starts_with(&format!(
                "{size} bytes after gzip but EC2 accepts at most 16384 (measured before base64), {} over.",
                size - MAX_USER_DATA_BYTES
            )),
            "{}",
            p.detail
        );
        let mut without_big = input.clone();
        without_big.extra_parts.remove(1);
        let saved = size
            - render(&without_big)
                .expect("enough alone really fits")
                .size_bytes;
        assert!(
            p.detail.contains(&format!(
                "removing extra_parts[1] (\"big.sh\"): {saved} (enough alone)"
            )),
            "{}",
            p.detail
        );
        let no_check = UserDataInput {
            self_check: false,
            ..input.clone()
        };
        let saved = size - no_check.wire_size().unwrap();
        assert!(saved > 0);
        assert!(
            p.detail.contains(&format!("self_check = false: {saved}")),
            "{}",
            p.detail
        );
        assert!(
            p.detail.contains("dropping config (1 setting): "),
            "{}",
            p.detail
        );
        // Biggest saving first.
        let big = p.detail.find("extra_parts[1]").unwrap();
        let logs = p.detail.find("extra_parts[0]").unwrap();
        assert!(big < logs, "{}", p.detail);
        assert!(
            p.detail
                .contains("Without your parts, config and the self-check the user data is "),
            "{}",
            p.detail
        );
        assert!(!p.detail.contains("No single change"), "{}", p.detail);
        // The same detail where validate() finds it (plan time).
        let v = input.validate();
        assert!(v.iter().any(|q| q.detail == p.detail), "{v:?}");
    }

    #[test]
    fn size_error_says_when_no_single_change_is_enough() {
        let mut input = base(HostFormat::CloudInit);
        input.gzip = true;
        // Five parts, none big enough alone to get under the limit.
        for name in ["a", "b", "c", "d", "e"] {
            input
                .extra_parts
                .push(part(&format!("{name}.sh"), incompressible(90, name)));
        }
        let err = render(&input).unwrap_err();
        let d = &err.problems[0].detail;
        assert!(!d.contains("(enough alone)"), "{d}");
        assert!(d.contains("No single change is enough"), "{d}");
        for i in 0..input.extra_parts.len() {
            let mut one = input.clone();
            one.extra_parts.remove(i);
            assert!(
                render(&one).is_err(),
                "removing part {i} alone fits, yet the detail says no change is enough"
            );
        }
    }

    /// Without gzip on a format that gunzips, the error names `gzip = true`
    /// with what it saves.
    #[test]
    fn size_error_offers_gzip_where_the_host_gunzips() {
        let mut input = base(HostFormat::CloudInit);
        input.gzip = false;
        input.extra_parts.push(part(
            "text.sh",
            format!("#!/bin/sh\n{}", ": repeated\n".repeat(1200)),
        ));
        let err = render(&input).unwrap_err();
        let d = &err.problems[0].detail;
        let gz = UserDataInput {
            gzip: true,
            ..input.clone()
        };
        let saved = input.wire_size().unwrap() - render(&gz).unwrap().size_bytes;
        assert!(
            d.contains(&format!("gzip = true: {saved} (enough alone)")),
            "{d}"
        );
        let mut shell = base(HostFormat::Shell);
        shell
            .agent
            .config
            .insert("HTTP_PROXY".into(), "x".repeat(9000));
        let e = render(&shell).unwrap_err();
        assert_eq!(e.problems[0].summary, OVERSIZE_SUMMARY, "{:?}", e.problems);
        assert!(
            !e.problems[0].detail.contains("gzip"),
            "{}",
            e.problems[0].detail
        );
    }

    /// Shell user data runs the user's script parts after its own work, in
    /// order, each as its own program; a failing part does not stop the next
    /// and makes the user data exit 1. File names reach the shell quoted.
    #[test]
    fn shell_format_runs_your_script_parts_after_ours() {
        if std::path::Path::new("/run/systemd/system").is_dir() {
            println!("SKIP: host runs systemd; the no-systemd branch is not taken");
            return;
        }
        let dir = temp_dir("user-data-shell-parts");
        let bin = dir.join("bin");
        // Our own scripts are called as `sh <path>`: log them, run nothing.
        fake_command(&bin, "sh", "echo \"ours $*\" >> \"$FAKE_LOG\"\n");
        let root = dir.join("root");
        let log = dir.join("log");
        let mut input = base(HostFormat::Shell);
        let script = |body: &str| {
            format!("#!/bin/sh\necho \"$(basename \"$0\") {body}\" >> \"$FAKE_LOG\"\n")
        };
        input.extra_parts = vec![
            part("10-logs.sh", script("ran")),
            part("20-$(touch pwned) it's.sh", script("ran") + "exit 3\n"),
            part("30-certs.sh", script("ran").replace('\n', "\r\n")),
        ];
        let errors: Vec<_> = input
            .validate()
            .into_iter()
            .filter(Problem::is_error)
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
        let ud = render(&input).unwrap();
        // shellcheck flags the hostile name's `$(` in single quotes (SC2016,
        // "don't expand" — the point); it reads a render with a plain name.
        let mut plain = input.clone();
        plain.extra_parts[1].filename = "20-fails.sh".into();
        consumer_tools::shellcheck(&render(&plain).unwrap().rendered);
        let env = [
            ("ECSHOST_ROOT", root.display().to_string()),
            ("FAKE_LOG", log.display().to_string()),
        ];
        let (rc, out) = run_sh(&ud.rendered, &[], &env, &bin);
        assert_eq!(rc, 1, "a failed part makes the user data fail: {out}");
        assert!(
            out.contains("ecshost: extra part failed: 20-$(touch pwned) it's.sh"),
            "{out}"
        );
        let calls: Vec<String> = std::fs::read_to_string(&log)
            .unwrap()
            .lines()
            .map(|l| l.replace(&root.display().to_string(), ""))
            .collect();
        assert_eq!(
            calls,
            [
                "ours /opt/ecshost/ecs-loopback.sh",
                "ours /opt/ecshost/ecs-agent.sh start",
                "ours /opt/ecshost/self-check.sh",
                "10-logs.sh ran",
                "20-$(touch pwned) it's.sh ran",
                "30-certs.sh ran",
            ]
        );
        assert!(!dir.join("pwned").exists() && !std::path::Path::new("pwned").exists());
    }

    #[test]
    fn shell_format_takes_scripts_only_and_coreos_takes_none() {
        let mut shell = base(HostFormat::Shell);
        shell.extra_parts = vec![ExtraPart {
            content_type: "text/cloud-config".into(),
            content: "packages: [jq]\n".into(),
            filename: "p.cfg".into(),
        }];
        let v = shell.validate();
        let e: Vec<_> = v.iter().filter(|p| p.is_error()).collect();
        assert_eq!(e.len(), 1, "{v:?}");
        assert_eq!(e[0].summary, "The shell host format runs script parts only");
        assert_eq!(e[0].element, Some((0, "content_type")));
        let mut coreos = base(HostFormat::CoreosCloudConfig);
        coreos.extra_parts = vec![part("a.sh", "#!/bin/sh\n".into())];
        assert!(
            coreos
                .validate()
                .iter()
                .any(|p| p.summary
                    == "Extra parts need the cloud_init, shell or ignition host format")
        );
    }

    fn ignition_part(config: serde_json::Value) -> ExtraPart {
        ExtraPart {
            content_type: ignition::CONFIG_TYPE.into(),
            content: config.to_string(),
            filename: "site.ign".into(),
        }
    }

    /// Typical boot content of a team: a log shipper's configuration and
    /// its unit, ~10 KiB of text.
    fn typical_site_config(version: &str) -> serde_json::Value {
        let mut conf = String::from("[sources.journald]\ntype = \"journald\"\n");
        let mut i = 0;
        while conf.len() < 10 * 1024 {
            conf.push_str(&format!(
                "\n[transforms.route_{i}]\ntype = \"filter\"\ninputs = [\"journald\"]\ncondition = '.SYSTEMD_UNIT == \"service-{i}.service\"'\n\n[sinks.cloudwatch_{i}]\ntype = \"aws_cloudwatch_logs\"\ninputs = [\"route_{i}\"]\ngroup_name = \"/fleet/service-{i}\"\nstream_name = \"{{{{ host }}}}\"\nencoding.codec = \"json\"\n"
            ));
            i += 1;
        }
        serde_json::json!({
            "ignition": { "version": version },
            "storage": { "files": [{
                "path": "/etc/vector/vector.toml",
                "mode": 420,
                "contents": { "source": ignition_data_url(&conf) }
            }]},
            "systemd": { "units": [{
                "name": "vector.service",
                "enabled": true,
                "contents": "[Unit]\nDescription=Vector\n[Service]\nExecStart=/usr/bin/vector --config /etc/vector/vector.toml\n[Install]\nWantedBy=multi-user.target\n"
            }]}
        })
    }

    fn ignition_data_url(s: &str) -> String {
        crate::loopback::ignition::data_url(s)
    }

    /// Ignition: a config of the user's merges into ours through a data
    /// URL, gzip-compressed from spec 3.1.0 on; ignition-validate accepts the
    /// result and the part; ~10 KiB of typical config text fits.
    #[test]
    fn ignition_merges_your_config_into_ours() {
        use base64::Engine as _;
        for version in ["3.0.0", "3.3.0"] {
            let mut input = UserDataInput {
                ignition_version: version.into(),
                ..base(HostFormat::Ignition)
            };
            // 3.0.0 has no compression for merged configs: a small one there.
            let mut site = typical_site_config(version);
            if version == "3.0.0" {
                site["storage"]["files"][0]["contents"]["source"] =
                    ignition_data_url("[sources.journald]\ntype = \"journald\"\n").into();
            }
            consumer_tools::ignition_validate(&site.to_string(), version);
            input.extra_parts = vec![ignition_part(site.clone())];
            let errors: Vec<_> = input
                .validate()
                .into_iter()
                .filter(Problem::is_error)
                .collect();
            assert!(errors.is_empty(), "{version}: {errors:?}");
            let ud = render(&input).unwrap_or_else(|e| panic!("{version}: {e}"));
            consumer_tools::ignition_validate(&ud.rendered, version);
            let v: serde_json::Value = serde_json::from_str(&ud.rendered).unwrap();
            let merges = v["ignition"]["config"]["merge"].as_array().unwrap();
            // From 3.1.0 ours is packed as the first merge child, yours next.
            let yours = if ignition::packs_whole_config(version) {
                assert_eq!(merges.len(), 2, "{version}");
                let ours = &merges[0];
                assert_eq!(ours["compression"], "gzip", "{version}");
                let gz = base64::engine::general_purpose::STANDARD
                    .decode(
                        ours["source"]
                            .as_str()
                            .unwrap()
                            .strip_prefix("data:;base64,")
                            .unwrap(),
                    )
                    .unwrap();
                let mut child = String::new();
                std::io::Read::read_to_string(
                    &mut flate2::read::GzDecoder::new(&gz[..]),
                    &mut child,
                )
                .unwrap();
                consumer_tools::ignition_validate(&child, version);
                let child: serde_json::Value = serde_json::from_str(&child).unwrap();
                let paths: Vec<&str> = child["storage"]["files"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["path"].as_str().unwrap())
                    .collect();
                assert!(paths.contains(&agent::START_SCRIPT_PATH), "{paths:?}");
                &merges[1]
            } else {
                assert_eq!(merges.len(), 1, "{version}");
                &merges[0]
            };
            let merge = yours;
            let src = merge["source"].as_str().unwrap();
            let child = if merge["compression"] == "gzip" {
                assert_ne!(version, "3.0.0", "3.0.0 has no compression for configs");
                let gz = base64::engine::general_purpose::STANDARD
                    .decode(src.strip_prefix("data:;base64,").unwrap())
                    .unwrap();
                let mut out = String::new();
                std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut out)
                    .unwrap();
                out
            } else {
                assert_eq!(version, "3.0.0", "3.3.0 should compress");
                let b = src
                    .strip_prefix("data:;base64,")
                    .expect("base64 is smaller here");
                String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b).unwrap())
                    .unwrap()
            };
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(&child).unwrap(),
                site
            );
            let room = MAX_USER_DATA_BYTES - ud.size_bytes;
            println!(
                "ignition {version}: site config of {} bytes as JSON, {room} bytes left",
                site.to_string().len()
            );
        }
    }

    #[test]
    fn ignition_parts_that_would_break_ours_are_refused() {
        let with = |config: serde_json::Value, ctype: &str| {
            let mut i = base(HostFormat::Ignition);
            i.extra_parts = vec![ExtraPart {
                content_type: ctype.into(),
                ..ignition_part(config)
            }];
            let e: Vec<_> = i.validate().into_iter().filter(Problem::is_error).collect();
            assert_eq!(e.len(), 1, "{e:?}");
            assert_eq!(e[0].element, Some((0, "content")));
            e[0].summary.clone()
        };
        let v = |version: &str| serde_json::json!({ "ignition": { "version": version } });
        assert_eq!(
            with(v("3.3.0"), "text/x-shellscript"),
            "Ignition parts are Ignition configs"
        );
        assert_eq!(
            with(v("3.4.0"), ignition::CONFIG_TYPE),
            "Ignition part has an unusable spec version"
        );
        assert_eq!(
            with(v("2.3.0"), ignition::CONFIG_TYPE),
            "Ignition part has an unusable spec version"
        );
        assert_eq!(
            with(serde_json::json!([1]), ignition::CONFIG_TYPE),
            "Ignition part is not a JSON object"
        );
        let file = |path: &str| serde_json::json!({ "ignition": { "version": "3.3.0" }, "storage": { "files": [{ "path": path }] } });
        assert_eq!(
            with(file("/etc/ecs/ecs.config"), ignition::CONFIG_TYPE),
            "Ignition part replaces the provider's file"
        );
        assert_eq!(
            with(file("/opt/ecshost/ecs-agent.sh"), ignition::CONFIG_TYPE),
            "Ignition part replaces the provider's file"
        );
        let unit = serde_json::json!({ "ignition": { "version": "3.3.0" }, "systemd": { "units": [{ "name": "ecs-agent.service" }] } });
        assert_eq!(
            with(unit, ignition::CONFIG_TYPE),
            "Ignition part replaces the provider's unit"
        );
    }

    /// cloud-init writes script parts by their cleaned name: one that lands
    /// on ours (ecshost.sh) or on an earlier part would replace it.
    #[test]
    fn part_names_cloud_init_would_merge_are_refused() {
        let sh = |name: &str| part(name, "#!/bin/sh\n".into());
        let errors = |parts: Vec<ExtraPart>, f: HostFormat| -> Vec<(usize, String)> {
            let mut i = base(f);
            i.extra_parts = parts;
            i.validate()
                .into_iter()
                .filter(|p| p.is_error())
                .map(|p| (p.element.map_or(99, |e| e.0), p.summary))
                .collect()
        };
        let taken = "Part file name already taken".to_owned();
        let invalid = "Invalid part file name".to_owned();
        assert_eq!(
            errors(vec![sh("ecshost.sh")], HostFormat::CloudInit),
            [(0, taken.clone())]
        );
        assert_eq!(
            errors(vec![sh("part-001"), sh("part-001")], HostFormat::CloudInit),
            [(1, taken.clone())]
        );
        assert_eq!(
            errors(vec![sh("ü.sh"), sh("ñ.sh")], HostFormat::CloudInit),
            [(1, taken.clone())]
        );
        assert_eq!(
            errors(vec![sh("日本")], HostFormat::CloudInit),
            [(0, taken)]
        );
        // The shell format writes and runs each in turn: duplicates are fine.
        assert!(errors(vec![sh("a.sh"), sh("a.sh")], HostFormat::Shell).is_empty());
        for bad in [".", "..", &"x".repeat(MAX_PART_FILENAME + 1)] {
            assert_eq!(
                errors(vec![sh(bad)], HostFormat::Shell),
                [(0, invalid.clone())],
                "{bad}"
            );
        }
        assert_eq!(cloud_init_clean_filename("a b/c(1).sh"), "ab_c(1).sh");
    }

    /// Removing an element renumbers the unnamed parts after it, as the
    /// next plan would: the figure is then exact, and "enough alone" true.
    #[test]
    fn size_error_figures_match_the_plan_after_the_change() {
        let mut input = base(HostFormat::CloudInit);
        input.gzip = true;
        input.extra_parts = vec![
            part("pad.sh", incompressible(150, "pad")),
            part(&default_part_name(1), incompressible(200, "big")),
            part(&default_part_name(2), "#!/bin/sh\necho two\n".into()),
        ];
        let err = render(&input).unwrap_err();
        let d = &err.problems[0].detail;
        let size = input.wire_size().unwrap();
        let mut after = input.clone();
        after.extra_parts.remove(1);
        after.extra_parts[1].filename = default_part_name(1);
        let saved = size - after.wire_size().unwrap();
        assert!(
            d.contains(&format!("removing extra_parts[1] (\"part-002\"): {saved}")),
            "{d}"
        );
        assert_eq!(
            d.contains("(enough alone)"),
            after.wire_size().unwrap() <= MAX_USER_DATA_BYTES,
            "{d}"
        );
    }

    /// What cloud-init reads from our MIME parts is exactly what `files`
    /// says: the networkd file through its own merge of the cloud-config,
    /// the script part byte for byte (the boundary keeps no line break).
    #[test]
    fn cloud_init_reads_our_parts_as_files_says() {
        let ud = render(&base(HostFormat::CloudInit)).unwrap();
        let Some(merged) = consumer_tools::cloud_config_merged(&ud.rendered) else {
            println!("SKIP: no cloud-init");
            return;
        };
        let written = merged["write_files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == loopback::networkd::PATH)
            .expect("networkd file in write_files");
        assert_eq!(
            written["content"].as_str().unwrap(),
            ud.files[loopback::networkd::PATH]
        );
        let parts = consumer_tools::mime_parts(&ud.rendered).unwrap();
        let script = &parts
            .iter()
            .find(|(t, _)| t == "text/x-shellscript")
            .unwrap()
            .1;
        let agent = agent::render(&base(HostFormat::CloudInit).agent).unwrap();
        let input = base(HostFormat::CloudInit);
        let files = input.files(&agent).unwrap();
        assert_eq!(
            script,
            &shell_script(&files, &input.units(&agent), false, &[])
        );
    }

    /// The realistic configuration of issue #25: a cluster ARN, a proxy,
    /// instance attributes and six more agent settings.
    fn realistic(host_format: HostFormat, gzip: bool) -> UserDataInput {
        let mut i = UserDataInput {
            host_format,
            gzip,
            ..Default::default()
        };
        i.agent.cluster = "arn:aws:ecs:eu-west-1:123456789012:cluster/production-services".into();
        for (k, v) in [
            ("HTTP_PROXY", "http://proxy.internal.example.com:3128"),
            (
                "NO_PROXY",
                "169.254.169.254,169.254.170.2,/var/run/docker.sock,localhost,127.0.0.1",
            ),
            (
                "ECS_INSTANCE_ATTRIBUTES",
                r#"{"team":"payments","tier":"backend","az-pinned":"false"}"#,
            ),
            ("ECS_ENABLE_SPOT_INSTANCE_DRAINING", "true"),
            ("ECS_CONTAINER_STOP_TIMEOUT", "2m"),
            ("ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION", "1h"),
            ("ECS_IMAGE_CLEANUP_INTERVAL", "30m"),
            ("ECS_NUM_IMAGES_DELETE_PER_CYCLE", "10"),
            ("ECS_ENABLE_CONTAINER_METADATA", "true"),
        ] {
            i.agent.config.insert(k.into(), v.into());
        }
        i
    }

    /// Room left under EC2's 16 KiB for the user's own content, at defaults
    /// and with the realistic configuration (the figures are in
    /// `docs/performance.md`). The floors are today's figures rounded down
    /// (to 100 with gzip, 50 without), so a render that grows fails here; issue #25's targets (10,240 with
    /// gzip, 7,500 raw for Ignition) are not reached yet.
    #[test]
    fn room_left_for_your_own_content() {
        for (f, gzip, floor_default, floor_realistic) in [
            (HostFormat::CloudInit, true, 9_100, Some(8_900)),
            (HostFormat::Shell, true, 9_500, Some(9_200)),
            (HostFormat::CoreosCloudConfig, true, 9_700, Some(9_500)),
            (HostFormat::Ignition, false, 6_800, Some(6_450)),
            // The issue saw 16,387 bytes (refused) for the realistic one.
            (HostFormat::CloudInit, false, 1_900, Some(1_400)),
            (HostFormat::Shell, false, 2_900, Some(2_400)),
            (HostFormat::CoreosCloudConfig, false, 2_200, Some(1_700)),
        ] {
            let mut d = UserDataInput {
                host_format: f,
                gzip,
                ..Default::default()
            };
            d.agent.cluster = "production".into();
            let real = realistic(f, gzip);
            for i in [&d, &real] {
                let errors: Vec<_> = i
                    .validate_input()
                    .into_iter()
                    .filter(Problem::is_error)
                    .collect();
                assert!(errors.is_empty(), "{f:?}: {errors:?}");
            }
            let room =
                |i: &UserDataInput| MAX_USER_DATA_BYTES.saturating_sub(i.wire_size().unwrap());
            let (rd, rr) = (room(&d), room(&real));
            println!("room {f:?} gzip={gzip}: defaults {rd}, realistic {rr}");
            assert!(
                rd >= floor_default,
                "{f:?} gzip={gzip}: {rd} < {floor_default}"
            );
            match floor_realistic {
                Some(floor) => assert!(rr >= floor, "{f:?} gzip={gzip}: {rr} < {floor}"),
                None => assert!(
                    render(&real).is_err(),
                    "{f:?} gzip={gzip} now fits: give this row a floor"
                ),
            }
        }
    }

    #[test]
    fn golden_files() {
        for f in FORMATS {
            let ud = render(&base(f)).unwrap();
            let ext = match f {
                HostFormat::Shell => "sh",
                HostFormat::CloudInit => "mime",
                HostFormat::Ignition => "ign",
                HostFormat::CoreosCloudConfig => "yaml",
            };
            consumer_tools::golden(&format!("user_data/{}.{ext}", f.as_str()), &ud.rendered);
        }
    }

    #[test]
    fn compacted_scripts_still_pass_shellcheck() {
        let input = base(HostFormat::Shell);
        let a = agent::render(&input.agent).unwrap();
        for script in [
            a.start_script,
            a.firewall_rules,
            self_check::render(&input.agent, &input.loopback).unwrap(),
            loopback::shell::render(&input.loopback),
        ] {
            let c = compact(&script);
            assert!(c.len() < script.len());
            consumer_tools::shellcheck(&c);
        }
    }

    #[test]
    fn compacted_units_verify() {
        let input = base(HostFormat::Shell);
        let a = agent::render(&input.agent).unwrap();
        let units = input.units(&a);
        let refs: Vec<(&str, &str)> = units.iter().map(|(n, c)| (*n, c.as_str())).collect();
        consumer_tools::systemd_analyze_verify(&refs);
    }

    /// The wrapper's source spells the scripts' paths these constants give.
    #[test]
    fn the_wrapper_spells_the_script_paths() {
        for path in [loopback::shell::PATH, agent::START_SCRIPT_PATH] {
            assert!(
                host::USER_DATA.contains(&format!("\"$ECSHOST_ROOT{path}\"")),
                "{path}"
            );
        }
    }

    #[test]
    fn shell_format_passes_shellcheck() {
        for self_check in [true, false] {
            consumer_tools::shellcheck(
                &render(&UserDataInput {
                    self_check,
                    ..base(HostFormat::Shell)
                })
                .unwrap()
                .rendered,
            );
        }
    }

    #[test]
    fn ignition_format_validates() {
        for v in ignition::SUPPORTED_VERSIONS {
            let ud = render(&UserDataInput {
                ignition_version: v.into(),
                ..base(HostFormat::Ignition)
            })
            .unwrap();
            consumer_tools::ignition_validate(&ud.rendered, v);
        }
    }

    #[test]
    fn cloud_init_parts() {
        let mut input = base(HostFormat::CloudInit);
        // Room for the parts (the plain render is within bytes of the limit).
        input.gzip = true;
        input.extra_parts.push(ExtraPart {
            content_type: "text/cloud-config".into(),
            content: "#cloud-config\npackages: [jq]\n".into(),
            filename: "user.cfg".into(),
        });
        input.extra_parts.push(ExtraPart {
            content_type: "text/x-shellscript".into(),
            content: "#!/bin/sh\necho héllo\n".into(),
            filename: "utf8.sh".into(),
        });
        let ud = render(&input).unwrap();
        let parts = consumer_tools::mime_parts(&ud.rendered);
        let Some(parts) = parts else { return };
        let types: Vec<&str> = parts.iter().map(|(t, _)| t.as_str()).collect();
        // A user cloud-config part puts ours last (it merges into theirs).
        assert_eq!(
            types,
            [
                "text/x-shellscript",
                "text/cloud-config",
                "text/x-shellscript",
                "text/cloud-config"
            ]
        );
        consumer_tools::cloud_init_schema(&parts[1].1);
        consumer_tools::cloud_init_schema(&parts[3].1);
        consumer_tools::shellcheck(&parts[0].1);
        assert_eq!(parts[2].1, "#!/bin/sh\necho héllo\n");
        // Only shell parts: ours stays first and unchanged.
        input.extra_parts.remove(0);
        let ud = render(&input).unwrap();
        let parts = consumer_tools::mime_parts(&ud.rendered).unwrap();
        assert_eq!(parts[0].0, "text/cloud-config");
        assert_eq!(
            parts[0].1.trim_end(),
            loopback::cloud_init::render(&input.loopback).trim_end()
        );
    }

    /// A user cloud-config part that sets `bootcmd` and `write_files` (keys
    /// ours sets too): cloud-init's own part handler merges the parts, and
    /// both theirs and ours hold — under cloud-init's default rules theirs
    /// would replace ours.
    #[test]
    fn a_user_cloud_config_part_and_ours_both_hold() {
        let mut input = base(HostFormat::CloudInit);
        input.gzip = true;
        input.extra_parts.push(ExtraPart {
            content_type: "text/cloud-config".into(),
            content: "#cloud-config\nbootcmd:\n- [sh, -c, echo theirs]\nwrite_files:\n- path: /etc/theirs.conf\n  content: theirs\npackages: [jq]\n".into(),
            filename: "user.cfg".into(),
        });
        let ud = render(&input).unwrap();
        let Some(merged) = consumer_tools::cloud_config_merged(&ud.rendered) else {
            println!("SKIP: no cloud-init here to merge the parts");
            return;
        };
        let bootcmd = merged["bootcmd"].to_string();
        assert!(bootcmd.contains("echo theirs"), "theirs kept: {merged:#}");
        assert!(
            bootcmd.contains(&format!("{}/32", input.loopback.bare_address())),
            "ours kept: {merged:#}"
        );
        let paths: Vec<&str> = merged["write_files"]
            .as_array()
            .map(|a| a.iter().filter_map(|f| f["path"].as_str()).collect())
            .unwrap_or_default();
        assert!(
            paths.contains(&"/etc/theirs.conf") && paths.contains(&loopback::networkd::PATH),
            "{paths:?}"
        );
        assert_eq!(merged["packages"], serde_json::json!(["jq"]));
        // The same parts with ours first, as before: cloud-init drops ours.
        let theirs = &input.extra_parts[0].content;
        let before = format!(
            "Content-Type: multipart/mixed; boundary=\"B\"\nMIME-Version: 1.0\n\n--B\nContent-Type: text/cloud-config\n\n{}--B\nContent-Type: text/cloud-config\n\n{theirs}--B--\n",
            loopback::cloud_init::render(&input.loopback)
        );
        let old = consumer_tools::cloud_config_merged(&before).unwrap();
        assert!(
            !old["bootcmd"].to_string().contains("/32"),
            "cloud-init's default merge replaces our bootcmd: {old:#}"
        );
    }

    #[test]
    fn a_script_part_writing_ecs_config_is_refused() {
        for ctype in ["text/x-shellscript", "text/cloud-boothook"] {
            let part = ExtraPart {
                content_type: ctype.into(),
                content: "#!/bin/sh\necho ECS_ENABLE_SPOT_INSTANCE_DRAINING=true >> /etc/ecs/ecs.config\n"
                    .into(),
                filename: "ecs.sh".into(),
            };
            let p = check_part_content(&part, HostFormat::CloudInit).expect("refused");
            assert_eq!(p.summary, "Part writes the agent's settings file");
            assert!(p.detail.contains("config = {"), "{}", p.detail);
        }
        let script = |body: &str| ExtraPart {
            content_type: "text/x-shellscript".into(),
            content: format!("#!/bin/sh\n{body}\n"),
            filename: "p.sh".into(),
        };
        // Writes, however spelled, are refused; reads and comments pass.
        for body in [
            "echo x >> /etc/ecs//ecs.config",
            "cd /etc/ecs && echo x >> ecs.config",
            "echo x >> \"$ECSHOST_ECS_CONFIG\"",
            "sed -i s/a/b/ /etc/ecs/ecs.config",
            "echo x | tee -a /etc/ecs/ecs.config",
        ] {
            assert!(
                check_part_content(&script(body), HostFormat::Shell).is_some(),
                "{body}"
            );
        }
        for body in [
            "grep ECS_CLUSTER /etc/ecs/ecs.config",
            "# the agent reads /etc/ecs/ecs.config > once",
            "cat /etc/ecs/ecs.config",
        ] {
            assert_eq!(
                check_part_content(&script(body), HostFormat::Shell),
                None,
                "{body}"
            );
        }
        let p = check_part_content(&script("echo x >> /etc/ecs/ecs.config"), HostFormat::Shell)
            .unwrap();
        assert!(p.detail.contains("before your parts run"), "{}", p.detail);
        assert!(!p.detail.contains("cloud-init"), "{}", p.detail);
    }

    #[test]
    fn coreos_cloud_config_is_yaml_with_units() {
        let ud = render(&base(HostFormat::CoreosCloudConfig)).unwrap();
        let v: serde_json::Value = serde_norway::from_str(&ud.rendered).unwrap();
        let units: Vec<&str> = v["coreos"]["units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["name"].as_str().unwrap())
            .collect();
        assert_eq!(units[0], coreos::UNIT_NAME);
        assert!(units.contains(&agent::UNIT_NAME));
        assert_eq!(v["write_files"][1]["permissions"], "0600");
    }

    /// The shell format run by plain sh without systemd: writes files under
    /// ECSHOST_ROOT and calls the loopback, start and self-check scripts.
    #[test]
    fn shell_format_runs_without_systemd() {
        if std::path::Path::new("/run/systemd/system").is_dir() {
            println!("SKIP: host runs systemd; the no-systemd branch is not taken");
            return;
        }
        for gzip in [false, true] {
            shell_format_runs_without_systemd_with(gzip);
        }
    }

    /// A packed stream that does not decode stops the user data before it
    /// writes either script or runs anything (the agent would otherwise
    /// start from a half-written host).
    #[test]
    fn a_packed_stream_that_does_not_decode_stops_the_user_data() {
        let dir = temp_dir("user-data-unpack");
        let bin = dir.join("bin");
        fake_command(&bin, "sh", "echo \"sh $*\" >> \"$FAKE_LOG\"\n");
        fake_command(
            &bin,
            "systemctl",
            "echo \"systemctl $*\" >> \"$FAKE_LOG\"\n",
        );
        let root = dir.join("root");
        let ud = render(&UserDataInput {
            gzip: false,
            ..base(HostFormat::Shell)
        })
        .unwrap();
        // One base64 line of the stream, damaged (a gzip CRC or inflate
        // error, not a base64 one).
        let at = ud
            .rendered
            .find("\nunpack <<")
            .expect("an unpack here-document");
        let line_start = at + ud.rendered[at + 1..].find('\n').unwrap() + 2;
        let mut broken = ud.rendered.clone();
        broken.replace_range(line_start + 30..line_start + 34, "AAAA");
        let env = [
            ("ECSHOST_ROOT", root.display().to_string()),
            ("FAKE_LOG", dir.join("log").display().to_string()),
        ];
        let (rc, out) = run_sh(&broken, &[], &env, &bin);
        assert_ne!(rc, 0, "{out}");
        assert!(!root.join("opt/ecshost/ecs-agent.sh").exists(), "{out}");
        assert!(!root.join("opt/ecshost/self-check.sh").exists(), "{out}");
        assert!(!dir.join("log").exists(), "nothing ran: {out}");
        // The same user data undamaged writes both.
        let (rc, out) = run_sh(&ud.rendered, &[], &env, &bin);
        assert_eq!(rc, 0, "{out}");
        assert!(root.join("opt/ecshost/ecs-agent.sh").exists(), "{out}");
        assert!(root.join("opt/ecshost/self-check.sh").exists(), "{out}");
    }

    /// Without gzip the two large scripts are packed; with it they are
    /// plain text inside the one gzip stream. Either way what lands on disk
    /// is exactly `files`.
    fn shell_format_runs_without_systemd_with(gzip: bool) {
        let dir = temp_dir("user-data-shell");
        let bin = dir.join("bin");
        fake_command(&bin, "sh", "echo \"sh $*\" >> \"$FAKE_LOG\"\n");
        let root = dir.join("root");
        let input = UserDataInput {
            gzip,
            ..base(HostFormat::Shell)
        };
        let ud = render(&input).unwrap();
        assert_eq!(ud.rendered.contains("\nunpack <<"), !gzip, "gzip={gzip}");
        let env = [
            ("ECSHOST_ROOT", root.display().to_string()),
            ("FAKE_LOG", dir.join("log").display().to_string()),
        ];
        let (rc, out) = run_sh(&ud.rendered, &[], &env, &bin);
        assert_eq!(rc, 0, "{out}");
        let log = std::fs::read_to_string(dir.join("log")).unwrap();
        let calls: Vec<String> = log
            .lines()
            .map(|l| l.replace(&root.display().to_string(), ""))
            .collect();
        assert_eq!(
            calls,
            [
                "sh /opt/ecshost/ecs-loopback.sh",
                "sh /opt/ecshost/ecs-agent.sh start",
                "sh /opt/ecshost/self-check.sh"
            ]
        );
        let cfg = std::fs::read_to_string(root.join("etc/ecs/ecs.config")).unwrap();
        assert!(cfg.contains("ECS_CLUSTER=prod\n"));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(root.join("etc/ecs/ecs.config"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(
            std::fs::read_to_string(root.join("opt/ecshost/ecs-agent.sh")).unwrap(),
            compact(
                &agent::render(&base(HostFormat::Shell).agent)
                    .unwrap()
                    .start_script
            )
        );
        for (path, content) in &ud.files {
            if path.starts_with(crate::SYSTEMD_DIR) {
                continue; // written only where systemd runs
            }
            let disk = std::fs::read_to_string(root.join(path.trim_start_matches('/')))
                .unwrap_or_else(|e| panic!("gzip={gzip}: {path}: {e}"));
            assert_eq!(&disk, content, "gzip={gzip}: {path}");
        }
    }
}
