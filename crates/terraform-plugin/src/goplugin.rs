//! go-plugin's own services, which Terraform's plugin client talks to
//! beside the provider: `GRPCController` (asks the process to exit),
//! `GRPCStdio` (the client opens it and waits; this provider logs to stderr
//! directly, so the stream stays silent) and `GRPCBroker` (no extra
//! connections are brokered; the stream is kept open).

use std::pin::Pin;

use futures::Stream;
use tokio::sync::watch;
use tonic::{Request, Response, Status, Streaming};

use super::proto::plugin as pb;

/// Becomes true when the process should stop serving.
pub type ShutdownRx = watch::Receiver<bool>;

/// `plugin.GRPCController`.
pub struct Controller {
    /// set on Shutdown
    pub shutdown: watch::Sender<bool>,
}

#[tonic::async_trait]
impl pb::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(&self, _: Request<pb::Empty>) -> Result<Response<pb::Empty>, Status> {
        tracing::debug!("GRPCController.Shutdown: exiting");
        self.shutdown.send_replace(true);
        Ok(Response::new(pb::Empty {}))
    }
}

/// A stream that yields nothing and ends when shutdown begins.
fn silent_until<T: Send + 'static>(
    mut rx: ShutdownRx,
) -> Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>> {
    Box::pin(
        futures::stream::once(async move {
            let _ = rx.wait_for(|s| *s).await;
        })
        .filter_map(|()| async { None }),
    )
}

use futures::StreamExt as _;

/// `plugin.GRPCStdio`.
pub struct Stdio {
    /// ends the stream
    pub shutdown: ShutdownRx,
}

#[tonic::async_trait]
impl pb::grpc_stdio_server::GrpcStdio for Stdio {
    type StreamStdioStream = Pin<Box<dyn Stream<Item = Result<pb::StdioData, Status>> + Send>>;

    async fn stream_stdio(
        &self,
        _: Request<()>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        Ok(Response::new(silent_until(self.shutdown.clone())))
    }
}

/// `plugin.GRPCBroker`.
pub struct Broker {
    /// ends the stream
    pub shutdown: ShutdownRx,
}

#[tonic::async_trait]
impl pb::grpc_broker_server::GrpcBroker for Broker {
    type StartStreamStream = Pin<Box<dyn Stream<Item = Result<pb::ConnInfo, Status>> + Send>>;

    async fn start_stream(
        &self,
        req: Request<Streaming<pb::ConnInfo>>,
    ) -> Result<Response<Self::StartStreamStream>, Status> {
        // Drain what the client sends; this provider never dials back.
        let mut inbound = req.into_inner();
        tokio::spawn(async move { while let Some(Ok(_)) = inbound.next().await {} });
        Ok(Response::new(silent_until(self.shutdown.clone())))
    }
}
