//! Errors of the ECS layer. Classified like [`crate::ec2::error::Ec2Error`]
//! (same SDK error model), worded for ECS.

use aws_sdk_ecs::error::SdkError;

use crate::ec2::error::{Ec2Error, CREDENTIAL_SOURCES};

/// An ECS call that failed.
#[derive(Debug, thiserror::Error)]
pub enum EcsError {
    /// No credentials anywhere in the chain.
    #[error("{operation}: no AWS credentials found; looked in {CREDENTIAL_SOURCES}{hint}")]
    NoCredentials {
        /// the call that needed them
        operation: &'static str,
        /// why the most likely source was skipped, or empty
        hint: String,
    },
    /// ECS answered with an error.
    #[error("{operation} failed: {code}: {message}")]
    Api {
        /// the ECS action
        operation: &'static str,
        /// AWS error code, e.g. `ClusterNotFoundException`
        code: String,
        /// AWS error message
        message: String,
    },
    /// No answer after the SDK's retries, or one that could not be read.
    #[error("{operation}: no answer from ECS: {detail}; check the endpoint (endpoints.ecs, AWS_ENDPOINT_URL_ECS or AWS_ENDPOINT_URL), the network and any proxy")]
    Transport {
        /// the ECS action
        operation: &'static str,
        /// what the SDK reported
        detail: String,
    },
}

impl EcsError {
    /// Classifies an SDK error for `operation`.
    pub fn from_sdk<E, R>(operation: &'static str, e: SdkError<E, R>) -> Self
    where
        E: aws_sdk_ecs::error::ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        match Ec2Error::from_sdk(operation, e) {
            Ec2Error::NoCredentials { operation, hint } => {
                EcsError::NoCredentials { operation, hint }
            }
            Ec2Error::Api {
                operation,
                code,
                message,
            } => EcsError::Api {
                operation,
                code,
                message,
            },
            Ec2Error::Transport {
                operation, detail, ..
            } => EcsError::Transport { operation, detail },
            other => EcsError::Transport {
                operation,
                detail: other.to_string(),
            },
        }
    }

    /// The AWS error code, if ECS answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            EcsError::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// True when ECS says the cluster does not exist.
    pub fn is_cluster_not_found(&self) -> bool {
        self.code() == Some("ClusterNotFoundException")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_operation_code_and_the_ecs_endpoint() {
        let e = EcsError::Api {
            operation: "ListContainerInstances",
            code: "ClusterNotFoundException".into(),
            message: "Cluster not found.".into(),
        };
        assert!(e.is_cluster_not_found());
        assert_eq!(
            e.to_string(),
            "ListContainerInstances failed: ClusterNotFoundException: Cluster not found."
        );
        let t = EcsError::Transport {
            operation: "ListContainerInstances",
            detail: "io error".into(),
        };
        assert!(t.to_string().contains("endpoints.ecs"), "{t}");
        assert_eq!(t.code(), None);
    }
}
