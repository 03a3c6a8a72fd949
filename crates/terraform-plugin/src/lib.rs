//! A Terraform plugin SDK: everything needed to serve a Terraform provider
//! written in Rust over plugin protocol 6 (Terraform 1.0 and newer), and
//! nothing about any particular provider or cloud. README.md shows a
//! minimal provider; `examples/greeting.rs` is one that its tests drive
//! through the real `terraform` CLI.
//!
//! - [`resource`]: the traits a provider implements;
//! - [`schema`], [`types`], [`value`], [`typed`]: schemas and values;
//! - [`diag`], [`path`]: diagnostics pinned to attributes;
//! - [`plan`]: validators, defaults, unknowns and plan modifiers;
//! - [`rpc`], [`wire`]: the gRPC service and its wire conversions; `server`:
//!   what each call does on native values (the split of
//!   terraform-plugin-framework's `proto6server` and `fwserver`);
//! - [`serve`], [`automtls`], [`goplugin`], [`logging`]: the process side.

pub mod automtls;
pub mod diag;
pub mod duration;
pub mod goplugin;
pub mod logging;
pub mod path;
pub mod plan;
pub mod proto;
pub mod resource;
pub mod rpc;
pub mod schema;
pub mod serve;
mod server;
pub mod stop;
pub mod typed;
pub mod types;
pub mod value;
mod wire;

pub use diag::{Diagnostic, Diagnostics, Severity};
pub use path::AttributePath;
pub use resource::{
    DataSource, MoveRequest, PlanRequest, PlanResponse, Provider, Resource, StateResponse,
};
pub use schema::{Attribute, Block, NestedBlock, Nesting, PlanModifier, Schema};
pub use stop::StopSignal;
pub use typed::TfValue;
pub use types::Type;
pub use value::Value;
