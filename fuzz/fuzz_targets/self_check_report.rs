//! `parse_report_line` and `find_report`, which read the self-check line out of
//! an instance's console output (`GetConsoleOutput`, so anything the host or
//! its users printed).
//!
//! Input: console text (bytes that are not UTF-8 are replaced, as the provider
//! does after base64-decoding the console output).
//!
//! Asserts: never panics; a report that parses is a v1 report whose `ok` agrees
//! with its checks; it serializes to a line that parses to the same report, also
//! behind console noise and with a trailing `\r`; appended as the newest line
//! of the console text, `find_report` returns exactly it; and every cut of that
//! line inside the JSON is `Truncated`, never a different report or an error of
//! another kind.
#![no_main]

use ecshost_render::self_check::{
    find_report, parse_report_line, ReportError, REPORT_PREFIX, SCHEMA_VERSION,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let found = find_report(&text);
    if !text.contains(REPORT_PREFIX) {
        assert_eq!(found, None, "a report without the prefix");
    }
    let Ok(r) = parse_report_line(&text) else {
        return;
    };
    assert_eq!(r.v, SCHEMA_VERSION);
    assert_eq!(r.ok, r.failed().is_empty(), "ok disagrees with the checks");

    let json = serde_json::to_string(&r).expect("a report serializes");
    let line = format!("{REPORT_PREFIX}{json}");
    assert_eq!(parse_report_line(&line).as_ref(), Ok(&r), "line {line}");
    assert_eq!(
        parse_report_line(&format!("[   12.345678] cloud-init[812]: {line}\r")).as_ref(),
        Ok(&r),
        "noise and CR: {line}"
    );
    assert_eq!(
        find_report(&format!("{text}\r\n{line}\r\n")),
        Some(Ok(r.clone())),
        "the newest line is not the report found: {line}"
    );
    for cut in REPORT_PREFIX.len()..line.len() {
        if line.is_char_boundary(cut) {
            assert_eq!(
                parse_report_line(&line[..cut]),
                Err(ReportError::Truncated),
                "cut at {cut}: {}",
                &line[..cut]
            );
        }
    }
});
