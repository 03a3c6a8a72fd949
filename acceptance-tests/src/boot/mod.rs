//! Real boots of the provider's user data: Debian 12 and 13 guests built
//! from Debian's packages ([`image`]), booted under QEMU with the exact user
//! data EC2 holds on a NoCloud seed, the serial console captured, metadata
//! served by a stand-in in a namespace the test created ([`guest`]), and
//! an ECS agent (the real one, or a stand-in) carried in the image as a
//! `docker load` archive ([`crate::hostlab::archive`]). The test is
//! `acceptance-tests/tests/boot.rs`; `bash .ci/boot` runs it.
//!
//! Needs root, `mmdebstrap`, `qemu-system-x86_64`, `qemu-img`, `mkfs.vfat`,
//! `mcopy`, `busybox` (static: the DHCP server and the stand-in images),
//! `curl` and `flock` — installed by `bash .ci/install-deps boot` (which
//! `.ci/boot` runs; the plain `.ci/install-deps` of `.ci/test` leaves out
//! mmdebstrap, QEMU, dosfstools and mtools).

pub mod guest;
pub mod image;

/// Tools a boot needs on this machine.
pub const TOOLS: [&str; 8] = [
    "mmdebstrap",
    "qemu-system-x86_64",
    "qemu-img",
    "mkfs.vfat",
    "mcopy",
    "curl",
    "flock",
    "nsenter",
];

/// Why boots cannot run here, if they cannot.
pub fn preflight() -> std::result::Result<(), String> {
    if crate::hostlab::sys::euid() != Some(0) {
        return Err("boots need root (network namespaces, tap devices, mmdebstrap)".into());
    }
    for t in TOOLS {
        crate::hostlab::sys::tool(t)
            .map_err(|e| format!("{e} (install with: bash .ci/install-deps boot)"))?;
    }
    crate::hostlab::images::busybox_path().map_err(|e| e.to_string())?;
    Ok(())
}
