//! Edits of rendered user data that a person could make by hand, for the
//! negative cases of the boot and host-lab tests: each panics when the piece
//! it cuts is not found, so a renderer change cannot turn a negative case
//! into a silent no-op.

use std::collections::BTreeMap;

/// Cuts every piece that puts the credentials address on `lo` out of
/// rendered user data (plain text), as someone editing the template by hand
/// would: the cloud-config part `ecshost-loopback.cfg`, the script and unit
/// the shell part writes, and their `systemctl`/`sh` lines. Panics when a
/// piece is not found, so a renderer change cannot make this a no-op.
pub fn strip_loopback(text: &str) -> String {
    let mut s = text.to_owned();
    if let Some(b) = s
        .lines()
        .next()
        .and_then(|l| l.split("boundary=\"").nth(1))
        .and_then(|r| r.split('"').next())
        .map(str::to_owned)
    {
        let marker = format!("--{b}\n");
        let parts: Vec<&str> = s.split(&marker).collect();
        let before = parts.len();
        let kept: Vec<&str> = parts
            .into_iter()
            .filter(|p| !p.contains("filename=\"ecshost-loopback.cfg\""))
            .collect();
        assert_eq!(kept.len() + 1, before, "the loopback part is in the MIME");
        s = kept.join(&marker);
    }
    let mut out = Vec::new();
    let mut skip_until: Option<String> = None;
    let mut removed = BTreeMap::<&str, usize>::new();
    for line in s.lines() {
        if let Some(end) = &skip_until {
            if line.trim() == end {
                skip_until = None;
            }
            continue;
        }
        let t = line.trim_start();
        if t.starts_with("write_file ")
            && (t.contains("/opt/ecshost/ecs-loopback.sh\"")
                || t.contains("/ecshost-loopback.service\""))
        {
            let d = t
                .rsplit("<<'")
                .next()
                .expect("heredoc")
                .trim_end_matches('\'');
            skip_until = Some(d.to_owned());
            *removed.entry("file").or_default() += 1;
            continue;
        }
        if t == "systemctl start ecshost-loopback.service" {
            *removed.entry("start").or_default() += 1;
            continue;
        }
        if t.starts_with("sh ") && t.contains("/opt/ecshost/ecs-loopback.sh") {
            *removed.entry("sh").or_default() += 1;
            continue;
        }
        if t.starts_with("systemctl enable ") && t.contains(" ecshost-loopback.service") {
            *removed.entry("enable").or_default() += 1;
            out.push(line.replace(" ecshost-loopback.service", ""));
            continue;
        }
        out.push(line.to_owned());
    }
    assert_eq!(
        removed,
        BTreeMap::from([("enable", 1), ("file", 2), ("sh", 1), ("start", 1)]),
        "every loopback piece found once"
    );
    let mut r = out.join("\n");
    r.push('\n');
    r
}
