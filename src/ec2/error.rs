//! Errors of the EC2 layer.

use aws_sdk_ec2::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// Where the SDK's default chain looks for credentials, for the message.
pub const CREDENTIAL_SOURCES: &str = "the environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), \
AWS_PROFILE or the provider's `profile` in the shared config and credentials files (~/.aws/config, ~/.aws/credentials), \
SSO, web identity (AWS_WEB_IDENTITY_TOKEN_FILE), the ECS container endpoint and the EC2 instance metadata service";

/// An EC2 call that failed.
#[derive(Debug, thiserror::Error)]
pub enum Ec2Error {
    /// No credentials anywhere in the chain.
    #[error("{operation}: no AWS credentials found; looked in {CREDENTIAL_SOURCES}")]
    NoCredentials {
        /// the call that needed them
        operation: &'static str,
    },
    /// EC2 answered with an error.
    #[error("{operation} failed: {code}: {message}")]
    Api {
        /// the EC2 action
        operation: &'static str,
        /// AWS error code, e.g. `RequestLimitExceeded`
        code: String,
        /// AWS error message
        message: String,
    },
    /// No answer (connection refused, timeout, TLS) after the SDK's retries.
    #[error("{operation}: no answer from EC2: {detail}")]
    Transport {
        /// the EC2 action
        operation: &'static str,
        /// what the SDK reported
        detail: String,
    },
    /// EC2 answered, but without a field the call must return.
    #[error("{operation}: EC2's answer lacks {what}")]
    Incomplete {
        /// the EC2 action
        operation: &'static str,
        /// the missing part
        what: &'static str,
    },
}

impl Ec2Error {
    /// Classifies an SDK error for `operation`.
    pub fn from_sdk<E, R>(operation: &'static str, e: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        if let Some(code) = e.code() {
            return Ec2Error::Api {
                operation,
                code: code.to_owned(),
                message: e.message().unwrap_or_default().to_owned(),
            };
        }
        let detail = DisplayErrorContext(&e).to_string();
        if detail.contains("credentials")
            && (detail.contains("no providers") || detail.contains("Credentials"))
        {
            return Ec2Error::NoCredentials { operation };
        }
        Ec2Error::Transport { operation, detail }
    }

    /// The AWS error code, if EC2 answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Ec2Error::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// True when the error says the object does not exist.
    pub fn is_not_found(&self) -> bool {
        self.code().is_some_and(|c| {
            c.ends_with(".NotFound")
                || c.ends_with("NotFoundException")
                || c.ends_with(".NotFoundException")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_codes_are_recognised() {
        for (code, nf) in [
            ("InvalidLaunchTemplateId.NotFound", true),
            ("InvalidLaunchTemplateName.NotFoundException", true),
            ("InvalidLaunchTemplateName.AlreadyExistsException", false),
            ("RequestLimitExceeded", false),
        ] {
            let e = Ec2Error::Api {
                operation: "X",
                code: code.into(),
                message: String::new(),
            };
            assert_eq!(e.is_not_found(), nf, "{code}");
        }
    }

    #[test]
    fn messages_name_operation_and_code() {
        let e = Ec2Error::Api {
            operation: "CreateLaunchTemplate",
            code: "RequestLimitExceeded".into(),
            message: "slow down".into(),
        };
        assert_eq!(
            e.to_string(),
            "CreateLaunchTemplate failed: RequestLimitExceeded: slow down"
        );
        assert!(Ec2Error::NoCredentials { operation: "X" }
            .to_string()
            .contains("AWS_ACCESS_KEY_ID"));
    }
}
