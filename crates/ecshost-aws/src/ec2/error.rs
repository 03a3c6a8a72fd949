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
    #[error("{operation}: no AWS credentials found; looked in {CREDENTIAL_SOURCES}{hint}")]
    NoCredentials {
        /// the call that needed them
        operation: &'static str,
        /// why the most likely source was skipped (`; profile … is not
        /// defined …`), or empty
        hint: String,
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
    #[error("{operation}: no answer from EC2: {detail}; check the endpoint (endpoints.ec2 or AWS_ENDPOINT_URL), the network and any proxy")]
    Transport {
        /// the EC2 action
        operation: &'static str,
        /// what the SDK reported
        detail: String,
        /// false when the request certainly never left this machine (no
        /// connection could be made): nothing can have changed in EC2
        may_have_reached_ec2: bool,
    },
    /// EC2 answered, but without a field the call must return.
    #[error("{operation}: EC2's answer lacks {what}")]
    Incomplete {
        /// the EC2 action
        operation: &'static str,
        /// the missing part
        what: &'static str,
    },
    /// EC2 answered with something this layer cannot read.
    #[error("{operation}: EC2's answer could not be read")]
    Answer {
        /// the EC2 action
        operation: &'static str,
        /// what was wrong with it
        #[source]
        source: super::template_xml::XmlError,
    },
    /// The request could not be built (nothing was sent).
    #[error("{operation}: the request could not be built")]
    Request {
        /// the EC2 action
        operation: &'static str,
        /// the data that could not be sent
        #[source]
        source: super::template_request::RequestError,
    },
}

impl Ec2Error {
    /// Classifies an SDK error for `operation`.
    pub fn from_sdk<E, R>(operation: &'static str, e: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        if let Some(code) = e.code() {
            return Ec2Error::Api {
                operation,
                code: code.to_owned(),
                message: e.message().unwrap_or_default().to_owned(),
            };
        }
        let full = DisplayErrorContext(&e).to_string();
        if full.contains("credentials")
            && (full.contains("no providers") || full.contains("Credentials"))
        {
            return Ec2Error::NoCredentials {
                operation,
                hint: missing_profile(&full)
                    .map(|p| format!("; profile `{p}` (the provider's `profile` or AWS_PROFILE) is not defined in the shared config or credentials file"))
                    .unwrap_or_default(),
            };
        }
        let detail = concise_chain(&e);
        // Construction failures and failed connects (hyper's "(Connect)":
        // refused, DNS, TLS handshake) never sent the request; timeouts and
        // broken or unreadable responses may have reached EC2.
        let may_have_reached_ec2 = match &e {
            SdkError::ConstructionFailure(_) => false,
            SdkError::DispatchFailure(_) => !detail.contains("(Connect)"),
            _ => true,
        };
        Ec2Error::Transport {
            operation,
            detail,
            may_have_reached_ec2,
        }
    }

    /// The AWS error code, if EC2 answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Ec2Error::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// False when the call certainly changed nothing in EC2 because it
    /// never reached it (no credentials, no connection).
    pub fn may_have_reached_ec2(&self) -> bool {
        match self {
            Ec2Error::Transport {
                may_have_reached_ec2,
                ..
            } => *may_have_reached_ec2,
            // EC2 answered (an error, or a success lacking fields).
            Ec2Error::Api { .. } | Ec2Error::Incomplete { .. } | Ec2Error::Answer { .. } => true,
            Ec2Error::NoCredentials { .. } | Ec2Error::Request { .. } => false,
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

/// The messages of an error and its sources, joined like the SDK's
/// `DisplayErrorContext` but without its Debug dump, and with any quoted
/// request cut off: a bad endpoint's error quotes the whole request, body
/// (user data) included.
fn concise_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = Some(e);
    while let Some(x) = cur {
        let mut t = x.to_string();
        if let Some(i) = t.find(" to request `") {
            t.truncate(i);
        }
        if !t.is_empty() && !parts.last().is_some_and(|l| l.contains(&t)) {
            parts.push(t);
        }
        cur = x.source();
    }
    parts.join(": ")
}

/// The profile the credential chain reported as undefined, if it did.
fn missing_profile(chain: &str) -> Option<&str> {
    let start = chain.find("profile `")? + "profile `".len();
    let rest = &chain[start..];
    let end = rest.find('`')?;
    rest[end..]
        .starts_with("` was not defined")
        .then_some(&rest[..end])
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
        assert!(Ec2Error::NoCredentials {
            operation: "X",
            hint: String::new()
        }
        .to_string()
        .contains("AWS_ACCESS_KEY_ID"));
    }

    /// A transport error names the failure without quoting the request.
    #[test]
    fn transport_errors_are_concise() {
        use aws_sdk_ec2::error::ConnectorError;
        use aws_sdk_ec2::operation::create_launch_template::CreateLaunchTemplateError;
        #[derive(Debug, thiserror::Error)]
        #[error("failed to apply endpoint `not a url` to request `Request {{ body: b\"Action=CreateLaunchTemplate&LaunchTemplateData.UserData=c2VjcmV0\" }}`")]
        struct Resolve(#[source] std::io::Error);
        let e: SdkError<CreateLaunchTemplateError, ()> =
            SdkError::dispatch_failure(ConnectorError::other(
                Box::new(Resolve(std::io::Error::other(
                    "endpoint is not a valid URI",
                ))),
                None,
            ));
        let msg = Ec2Error::from_sdk("CreateLaunchTemplate", e).to_string();
        assert_eq!(
            msg,
            "CreateLaunchTemplate: no answer from EC2: dispatch failure: other: failed to apply endpoint `not a url`: endpoint is not a valid URI; check the endpoint (endpoints.ec2 or AWS_ENDPOINT_URL), the network and any proxy"
        );
        let refused: SdkError<CreateLaunchTemplateError, ()> =
            SdkError::dispatch_failure(ConnectorError::io(Box::new(std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                "Connection refused (os error 111)",
            ))));
        let msg = Ec2Error::from_sdk("CreateLaunchTemplate", refused).to_string();
        assert!(
            msg.starts_with("CreateLaunchTemplate: no answer from EC2: dispatch failure: io error: Connection refused (os error 111); check the endpoint"),
            "{msg}"
        );
    }

    /// The chain's report on an undefined profile becomes the hint.
    #[test]
    fn missing_profiles_are_named() {
        let chain = "dispatch failure: other: the credential provider was not enabled: no credentials found in chain. Attempted:\n  Environment: the credential provider was not enabled: environment variable not set\n  Profile: the credential provider was not enabled: profile `nope` was not defined: could not find source profile nope referenced from the root profile\n";
        assert_eq!(missing_profile(chain), Some("nope"));
        assert_eq!(missing_profile("profile `x` has no credentials"), None);
        assert_eq!(missing_profile("no providers in chain"), None);
    }
}
