//! The shell that runs on hosts, as real files in `src/host/` (shellcheck
//! and shfmt read them in `.ci/test`, with `src/host/.shellcheckrc` and
//! `src/host/.editorconfig`), and how a render fills them in.
//!
//! Three kinds of source:
//!
//! * **scripts** ([`ECS_AGENT`], [`METADATA_GUARD`], [`LOOPBACK`],
//!   [`SELF_CHECK`]): each holds one `# @values@` line, which the render
//!   replaces with a generated header ([`Header`]) of `NAME=value` lines —
//!   one host's values — followed by the functions the script needs;
//! * **function libraries** ([`IPTABLES`], [`NFTABLES`], [`FUNCTIONS`],
//!   [`NO_GUARD`]): never installed as they are; a script takes the
//!   functions it calls by name ([`function`]), so a host receives one copy
//!   of each helper and only its own firewall backend's;
//! * the values themselves, which only the render knows.
//!
//! The library files read variables the header assigns (each file's head
//! comment names them); `.shellcheckrc` turns off SC2154 ("referenced but
//! not assigned") for the sources, and the rendered scripts are checked
//! again without that exception (`consumer_tools::shellcheck`).

use crate::metadata_guard::{FirewallBackend, IMDS_ADDRESS_V6, NFT_TABLE, TASK_BRIDGE};
use crate::{sh_quote, IMDS_ADDRESS};

/// The agent start script (`/opt/ecshost/ecs-agent.sh`; `agent.rs`).
pub const ECS_AGENT: &str = include_str!("host/ecs-agent.sh");
/// The standalone metadata guard (the `firewall_rules` output;
/// `metadata_guard.rs`).
pub const METADATA_GUARD: &str = include_str!("host/metadata-guard.sh");
/// The loopback script of the `shell` format (`loopback/shell.rs`).
pub const LOOPBACK: &str = include_str!("host/loopback.sh");
/// The shell format's user data and cloud-init's `ecshost.sh` part
/// (`user_data.rs`).
pub const USER_DATA: &str = include_str!("host/user-data.sh");
/// The boot-time self-check (`self_check.rs`).
pub const SELF_CHECK: &str = include_str!("host/self-check.sh");
/// The iptables backend's functions: metadata guard, in-netns DNAT, task
/// DNAT.
pub const IPTABLES: &str = include_str!("host/iptables.sh");
/// The nftables backend's functions, the same names as [`IPTABLES`].
pub const NFTABLES: &str = include_str!("host/nftables.sh");
/// Functions every backend shares: the endpoint probe, the guard's re-check
/// and firewalld watcher, the GPU information writer.
pub const FUNCTIONS: &str = include_str!("host/functions.sh");
/// The guard's three functions as no-ops, for `block_task_metadata = false`.
pub const NO_GUARD: &str = include_str!("host/no-guard.sh");

/// The function library of `backend`.
pub fn backend_functions(backend: FirewallBackend) -> &'static str {
    match backend {
        FirewallBackend::Iptables => IPTABLES,
        FirewallBackend::Nftables => NFTABLES,
    }
}

/// The definition of shell function `name` in `source`: the comment lines
/// right above it, the `name() {` line and everything up to the first line
/// that is exactly `}` (or the one line of `name() { …; }`), ending in a
/// newline.
///
/// # Panics
/// When `source` has no such function: the sources are compiled in, and a
/// unit test takes every function the renders ask for.
pub fn function<'a>(source: &'a str, name: &str) -> &'a str {
    let head = format!("{name}() {{");
    let lines: Vec<(usize, &str)> = line_starts(source);
    let at = lines
        .iter()
        .position(|(_, l)| l.starts_with(&head))
        .unwrap_or_else(|| panic!("no function {name} in the host source"));
    let mut first = at;
    while first > 0 && lines[first - 1].1.starts_with('#') {
        first -= 1;
    }
    let mut last = at;
    if !lines[at].1.trim_end().ends_with('}') {
        let mut heredoc: Option<&str> = None;
        loop {
            last += 1;
            let line = lines
                .get(last)
                .unwrap_or_else(|| panic!("function {name} never ends"))
                .1;
            match heredoc {
                // A here-document's lines are data, its `}` too.
                // `<<-` strips leading tabs from the delimiter line too.
                Some(word) if line.trim_start_matches('\t') == word => heredoc = None,
                Some(_) => {}
                None if line == "}" => break,
                None => heredoc = heredoc_word(line),
            }
        }
    }
    let start = lines[first].0;
    let end = lines[last].0 + lines[last].1.len() + 1;
    &source[start..end.min(source.len())]
}

/// The delimiter of a here-document `line` starts (`<<WORD`, `<<'WORD'`,
/// `<<"WORD"`, `<<\WORD`, and the `<<-` forms); `None` for a comment line
/// or a line without one (`$((1 << n))` has no word after `<<`).
fn heredoc_word(line: &str) -> Option<&str> {
    if line.trim_start().starts_with('#') {
        return None;
    }
    let rest = line.split_once("<<")?.1.trim_start_matches('-');
    let word = rest.trim_start().trim_start_matches(['\'', '"', '\\']);
    let end = word
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(word.len());
    (end > 0 && !word.starts_with(|c: char| c.is_ascii_digit())).then(|| &word[..end])
}

/// Each line of `s` (without its newline) with the byte offset it starts at.
fn line_starts(s: &str) -> Vec<(usize, &str)> {
    let mut at = 0;
    s.split('\n')
        .map(|l| {
            let r = (at, l);
            at += l.len() + 1;
            r
        })
        .collect()
}

/// The generated header a script's `@values@` line becomes: `NAME=value`
/// lines (values quoted for sh where they need it), `NAME="${NAME:-default}"`
/// lines for what the host may override, then whole functions.
#[derive(Debug, Default)]
pub struct Header {
    /// Each variable's name and its line.
    vars: Vec<(String, String)>,
    functions: String,
}

impl Header {
    /// An empty header.
    pub fn new() -> Self {
        Self::default()
    }

    /// `NAME=value`.
    pub fn set(mut self, name: &str, value: &str) -> Self {
        self.vars
            .push((name.to_owned(), format!("{name}={}\n", sh_quote(value))));
        self
    }

    /// `NAME="${NAME:-default}"`: the environment may override it.
    pub fn env_default(mut self, name: &str, default: &str) -> Self {
        self.vars.push((
            name.to_owned(),
            format!("{name}=\"${{{name}:-{default}}}\"\n"),
        ));
        self
    }

    /// The firewall tools the backends' functions call, overridable from
    /// the environment (tests, other paths).
    pub fn firewall_tools(self) -> Self {
        self.env_default("IPTABLES", "iptables")
            .env_default("IP6TABLES", "ip6tables")
            .env_default("NFT", "nft")
    }

    /// What the metadata guard matches: the tasks' bridge, both IMDS
    /// addresses and (nftables) the table it owns.
    pub fn guard_values(self) -> Self {
        self.set("BRIDGE", TASK_BRIDGE)
            .set("IMDS_V4", IMDS_ADDRESS)
            .set("IMDS_V6", IMDS_ADDRESS_V6)
            .set("GUARD_TABLE", NFT_TABLE)
    }

    /// The HTTP client both the start script and the self-check use
    /// ([`FUNCTIONS`]' `http_client`, which picks it, and `http`, which
    /// sends one request with it): one definition for both scripts.
    pub fn http_client(self) -> Self {
        self.function(FUNCTIONS, "http_client")
            .function(FUNCTIONS, "http")
    }

    /// Function `name` from library `source` (see [`function`]).
    pub fn function(mut self, source: &str, name: &str) -> Self {
        self.functions.push_str(function(source, name));
        self
    }

    /// Lines the render writes itself, after the functions: a function
    /// (the agent's `docker run` with its arguments) or statements (the
    /// user data's files as here-documents).
    pub fn generated(mut self, lines: &[String]) -> Self {
        for l in lines {
            self.functions.push_str(l);
            self.functions.push('\n');
        }
        self
    }

    /// `source` with its `# @values@` line replaced by this header. A
    /// variable neither `source` nor the header's functions read is left
    /// out: the values are shared between scripts and backends, and a
    /// script assigns only what it uses (shellcheck's SC2034 holds the
    /// rendered scripts to that).
    pub fn fill(&self, source: &str) -> String {
        let mut values = String::new();
        for (name, line) in &self.vars {
            if reads(source, name) || reads(&self.functions, name) {
                values.push_str(line);
            }
        }
        values.push_str(&self.functions);
        with_values(source, &values)
    }
}

/// Whether `script` reads variable `name`: `$NAME`, `${NAME…}`,
/// `${#NAME}`, or `NAME` as a word inside `$(( … ))`. Reading too much only
/// assigns a variable the script does not need (shellcheck's SC2034 on the
/// rendered scripts says so); reading too little would leave one unset
/// under `set -u`.
fn reads(script: &str, name: &str) -> bool {
    let word_at = |text: &str, end: usize| {
        !text[end..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
    };
    for prefix in ["$", "${", "${#"] {
        let needle = format!("{prefix}{name}");
        if script
            .match_indices(&needle)
            .any(|(i, _)| word_at(script, i + needle.len()))
        {
            return true;
        }
    }
    script.match_indices("$((").any(|(i, _)| {
        let inner = &script[i + 3..];
        let inner = &inner[..inner.find("))").unwrap_or(inner.len())];
        inner.match_indices(name).any(|(j, _)| {
            let before_ok = inner[..j]
                .chars()
                .next_back()
                .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'));
            before_ok && word_at(inner, j + name.len())
        })
    })
}

/// `source` with its `# @values@` line replaced by `values` (shell
/// assignments and functions, ending in a newline).
pub fn with_values(source: &str, values: &str) -> String {
    const MARKER: &str = "\n# @values@\n";
    // The sources are compiled in; `every_script_has_one_values_line`
    // proves the marker for each.
    debug_assert_eq!(source.matches(MARKER).count(), 1);
    source.replacen(MARKER, &format!("\n{values}"), 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    const SCRIPTS: [(&str, &str); 5] = [
        ("ecs-agent.sh", ECS_AGENT),
        ("user-data.sh", USER_DATA),
        ("metadata-guard.sh", METADATA_GUARD),
        ("loopback.sh", LOOPBACK),
        ("self-check.sh", SELF_CHECK),
    ];

    const LIBRARIES: [(&str, &str); 4] = [
        ("iptables.sh", IPTABLES),
        ("nftables.sh", NFTABLES),
        ("functions.sh", FUNCTIONS),
        ("no-guard.sh", NO_GUARD),
    ];

    #[test]
    fn every_script_has_one_values_line() {
        for (name, s) in SCRIPTS {
            assert_eq!(s.matches("\n# @values@\n").count(), 1, "{name}");
        }
        for (name, s) in LIBRARIES {
            assert!(!s.contains("@values@"), "{name} is a library");
        }
    }

    /// Every function a library defines can be taken by name, starts with
    /// its comment and ends at its closing brace.
    #[test]
    fn every_library_function_is_taken_whole() {
        for (file, s) in LIBRARIES {
            let names: Vec<&str> = s
                .lines()
                .filter_map(|l| {
                    l.strip_suffix("() {")
                        .or_else(|| l.split_once("() {").map(|p| p.0))
                })
                .filter(|n| !n.starts_with(' ') && !n.starts_with('#'))
                .collect();
            assert!(!names.is_empty(), "{file}");
            for n in names {
                let f = function(s, n);
                assert!(f.ends_with("}\n"), "{file}: {n}: {f}");
                assert!(f.contains(&format!("\n{n}() {{")) || f.starts_with(&format!("{n}() {{")));
                assert_eq!(f.matches(&format!("{n}() {{")).count(), 1, "{file}: {n}");
            }
        }
        let nft = function(NFTABLES, "apply_metadata_guard");
        assert!(
            nft.ends_with("ECSHOST_NFT\n}\n"),
            "a here-document's }} is data: {nft}"
        );
        let guard = function(IPTABLES, "apply_metadata_guard");
        assert!(
            guard.starts_with("# Drop $BRIDGE -> IMDS in DOCKER-USER"),
            "{guard}"
        );
    }

    /// The backends define the same functions, so a script calls them the
    /// same way on either.
    #[test]
    fn backends_define_the_same_functions() {
        let defined = |s: &str| -> Vec<String> {
            let mut v: Vec<String> = s
                .lines()
                .filter_map(|l| l.split_once("() {").map(|p| p.0.to_owned()))
                .filter(|n| !n.starts_with(' '))
                .collect();
            v.sort();
            v
        };
        let ipt: Vec<String> = defined(IPTABLES)
            .into_iter()
            .filter(|n| n != "apply_task_input")
            .collect();
        assert_eq!(ipt, defined(NFTABLES));
    }

    /// Each iptables rule is checked (`-C`) and written (`-A`, `-I` with a
    /// position) with the same words: a rule whose check and write drift
    /// apart is written again on every run, or never.
    #[test]
    fn every_checked_iptables_rule_is_written_with_the_same_words() {
        let mut checks: BTreeMap<String, usize> = BTreeMap::new();
        let mut writes: BTreeMap<String, usize> = BTreeMap::new();
        for line in IPTABLES.lines().map(str::trim) {
            let line = line
                .trim_start_matches("if ! ")
                .trim_start_matches("if ")
                .trim_end_matches("; then")
                .trim_end_matches(" &&")
                .trim_end_matches(" 2>/dev/null");
            let words: Vec<&str> = line.split_whitespace().collect();
            let Some(op) = words.iter().position(|w| ["-C", "-A", "-I"].contains(w)) else {
                continue;
            };
            if !words[0].contains("IPTABLES") && !words[0].contains("NSENTER") {
                continue;
            }
            let mut rule: Vec<&str> = words.clone();
            let op_word = rule.remove(op);
            // -I CHAIN 1 RULE: drop the position
            if op_word == "-I" && rule.get(op + 1) == Some(&"1") {
                rule.remove(op + 1);
            }
            let key = rule.join(" ");
            let map = if op_word == "-C" {
                &mut checks
            } else {
                &mut writes
            };
            *map.entry(key).or_default() += 1;
        }
        assert!(checks.len() >= 9, "{checks:#?}");
        for rule in checks.keys() {
            // FORWARD's jump is checked by its position (-S), not -C
            assert!(
                writes.contains_key(rule),
                "checked but never written: {rule}"
            );
        }
    }

    /// Every `<<` in a library starts a here-document `function` sees as
    /// one, so a `}` inside one never ends a function early.
    #[test]
    fn every_here_document_in_a_library_is_recognised() {
        for (file, s) in LIBRARIES {
            for line in s
                .lines()
                .filter(|l| l.contains("<<") && !l.trim_start().starts_with('#'))
            {
                assert!(heredoc_word(line).is_some(), "{file}: {line}");
            }
        }
        for (line, word) in [
            ("cat <<'EOF'", Some("EOF")),
            ("cat <<\"EOF\" >f", Some("EOF")),
            ("cat <<\\EOF", Some("EOF")),
            ("cat <<-EOF", Some("EOF")),
            ("x=$((1 << 4))", None),
            ("# see <<EOF", None),
        ] {
            assert_eq!(heredoc_word(line), word, "{line}");
        }
        let src = "f() {\n\tcat <<-\"EOF\"\n}\n\tEOF\n}\n\ng() { :; }\n";
        assert_eq!(function(src, "f"), "f() {\n\tcat <<-\"EOF\"\n}\n\tEOF\n}\n");
    }

    #[test]
    fn reads_every_form_of_a_read() {
        for script in [
            "$PORT",
            "x${PORT}",
            "${PORT:-80}",
            "${#PORT}",
            "$((PORT + 1))",
            "$(( 2*PORT))",
        ] {
            assert!(reads(script, "PORT"), "{script}");
        }
        for script in [
            "$PORTS",
            "${PORTS}",
            "$((PORTS + 1))",
            "$((X_PORT))",
            "PORT=1",
        ] {
            assert!(!reads(script, "PORT"), "{script}");
        }
    }

    #[test]
    fn header_lines() {
        let h = Header::new()
            .set("NAME", "ecs-agent")
            .set("URL", "http://x/ y")
            .env_default("IP", "ip")
            .function(NO_GUARD, "apply_metadata_guard");
        assert_eq!(
            h.fill("#!/bin/sh\n# @values@\necho \"$NAME $URL_X ${IP}\"\n"),
            "#!/bin/sh\nNAME=ecs-agent\nIP=\"${IP:-ip}\"\napply_metadata_guard() { :; }\necho \"$NAME $URL_X ${IP}\"\n",
            "URL is not read ($URL_X is another variable), so not assigned"
        );
    }
}
