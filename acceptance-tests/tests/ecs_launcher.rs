//! The harness's ECS launcher (`acceptance-tests/moto/ecs_launcher.py`)
//! tested on its own, with no agent: its unittest speaks to the launcher as
//! agent 1.105.1 does (registration with attributes and resources,
//! `DiscoverPollEndpoint`, the ACS and TCS websockets, task state changes)
//! and checks what moto then reports. Run here so `cargo test` runs it; the
//! host-lab test `real_agent` proves the same launcher with the real agent.

use std::process::Command;

use acceptance_tests::moto::moto_server;
use acceptance_tests::terraform::workspace_root;

#[test]
fn ecs_launcher_unittest_passes() {
    let python = moto_server().with_file_name("python");
    let out = Command::new(&python)
        .args(["-m", "unittest", "-v"])
        .arg(workspace_root().join("acceptance-tests/moto/test_ecs_launcher.py"))
        .current_dir(workspace_root())
        .output()
        .expect("running the launcher's unittest");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{text}");
    assert!(
        out.status.success(),
        "the launcher's unittest failed:\n{text}"
    );
    assert!(text.contains("\nOK"), "unittest ran and passed: {text}");
}
