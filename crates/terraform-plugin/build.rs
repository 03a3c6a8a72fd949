//! Compiles `proto/` into Rust with a pure-Rust protobuf compiler (protox), so
//! a fresh machine needs no `protoc`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "../../proto/tfplugin6.proto",
        "../../proto/plugin/grpc_controller.proto",
        "../../proto/plugin/grpc_stdio.proto",
        "../../proto/plugin/grpc_broker.proto",
    ];
    for f in files {
        println!("cargo:rerun-if-changed={f}");
    }
    let fds = protox::compile(files, ["../../proto"])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    Ok(())
}
