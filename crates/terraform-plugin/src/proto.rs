//! Code generated from `proto/` at build time (see `build.rs`).
#![allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]

/// Terraform plugin protocol 6.
pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

/// go-plugin's own services (controller, stdio, broker).
pub mod plugin {
    tonic::include_proto!("plugin");
}
