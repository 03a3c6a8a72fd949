//! Failed EC2 and ECS calls as Terraform diagnostics, in one place.
//!
//! Every resource and data source words an AWS failure alike: the summary
//! says what the provider was doing, the detail gives the error with its
//! sources and then what to do about its kind — a missing permission names
//! the IAM action and the page listing each type's least-privilege policy,
//! rejected credentials say to refresh them, throttling says which setting
//! to change. Kinds come from the error codes AWS documents:
//! <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html>
//! (EC2) and
//! <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html>
//! (ECS, the same common errors).

use crate::sdk::{AttributePath, Diagnostics};

use crate::ec2::error::Ec2Error;
use crate::ecs::error::EcsError;

/// A failed call of one AWS service: what [`detail`] needs to advise.
pub(crate) trait AwsFailure: std::error::Error {
    /// The IAM service prefix (`ec2`, `ecs`): with the operation, the IAM
    /// action the call needs (EC2 and ECS name actions after operations).
    fn service(&self) -> &'static str;
    /// The API operation, e.g. `CreateLaunchTemplate`.
    fn operation(&self) -> &str;
    /// The AWS error code, if the service answered with one.
    fn code(&self) -> Option<&str>;
}

impl AwsFailure for Ec2Error {
    fn service(&self) -> &'static str {
        "ec2"
    }
    fn operation(&self) -> &str {
        match self {
            Ec2Error::NoCredentials { operation, .. }
            | Ec2Error::Api { operation, .. }
            | Ec2Error::Transport { operation, .. }
            | Ec2Error::Incomplete { operation, .. }
            | Ec2Error::Answer { operation, .. }
            | Ec2Error::Request { operation, .. } => operation,
        }
    }
    fn code(&self) -> Option<&str> {
        Ec2Error::code(self)
    }
}

impl AwsFailure for EcsError {
    fn service(&self) -> &'static str {
        "ecs"
    }
    fn operation(&self) -> &str {
        match self {
            EcsError::NoCredentials { operation, .. }
            | EcsError::Api { operation, .. }
            | EcsError::Transport { operation, .. } => operation,
        }
    }
    fn code(&self) -> Option<&str> {
        EcsError::code(self)
    }
}

/// What a failure's code means the user can do, if it is a kind with a
/// known remedy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// the credentials lack the IAM action
    Denied,
    /// the credentials themselves were refused (expired, revoked, clock)
    Rejected,
    /// AWS throttled the call past the SDK's retries
    Throttled,
}

fn kind(code: &str) -> Option<Kind> {
    match code {
        "UnauthorizedOperation" | "AccessDenied" | "AccessDeniedException" => Some(Kind::Denied),
        "AuthFailure"
        | "InvalidClientTokenId"
        | "UnrecognizedClientException"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "RequestExpired"
        | "SignatureDoesNotMatch"
        | "InvalidSignatureException" => Some(Kind::Rejected),
        "RequestLimitExceeded" | "Throttling" | "ThrottlingException" => Some(Kind::Throttled),
        _ => None,
    }
}

/// The error with its sources, then the remedy for its kind. No request
/// body is ever quoted: the AWS layer cuts it from transport errors (it
/// holds the user data).
pub(crate) fn detail(e: &dyn AwsFailure) -> String {
    let mut s = chain(e);
    let Some(k) = e.code().and_then(kind) else {
        return s;
    };
    let action = format!("{}:{}", e.service(), e.operation());
    s.push_str("\n\n");
    s.push_str(&match k {
        Kind::Denied => format!(
            "The credentials in use are not allowed `{action}`. The least-privilege policy of each resource and data source is under \"IAM permissions\" in the provider's documentation (docs/index.md). An encoded authorization message above can be read with `aws sts decode-authorization-message`; it names the policy that denied the call."
        ),
        Kind::Rejected => "AWS refused the credentials themselves (expired, revoked, for another partition, or a clock far off). Refresh them (for example `aws sso login`, or a new session token) and run again.".to_owned(),
        Kind::Throttled => format!(
            "AWS throttled `{action}` and the SDK's retries ran out. Run again, raise the provider's `max_attempts` or set `retry_mode = \"adaptive\"`, or lower `terraform -parallelism`."
        ),
    });
    s
}

/// One error diagnostic for a failed call.
pub(crate) fn error(summary: &str, e: &dyn AwsFailure) -> Diagnostics {
    Diagnostics::from_error(summary, detail(e))
}

/// One error diagnostic on `attribute` when the failure is the object
/// named there not existing (the attribute is at fault); otherwise as
/// [`error`].
pub(crate) fn error_on_missing(summary: &str, e: &Ec2Error, attribute: &str) -> Diagnostics {
    if !e.is_not_found() {
        return error(summary, e);
    }
    let mut d = Diagnostics::new();
    d.attribute_error(AttributePath::root(attribute), summary, detail(e));
    d
}

/// An error and its sources joined by `: `, skipping a source whose text
/// the message already holds.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(x) = src {
        let t = x.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = x.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: &str) -> Ec2Error {
        Ec2Error::Api {
            operation: "CreateLaunchTemplate",
            code: code.into(),
            message: "m".into(),
        }
    }

    #[test]
    fn a_denied_call_names_its_iam_action_and_the_policy_page() {
        let d = detail(&api("UnauthorizedOperation"));
        assert!(
            d.starts_with("CreateLaunchTemplate failed: UnauthorizedOperation: m\n\n"),
            "{d}"
        );
        assert!(d.contains("`ec2:CreateLaunchTemplate`"), "{d}");
        assert!(d.contains("IAM permissions"), "{d}");
        let e = EcsError::Api {
            operation: "ListContainerInstances",
            code: "AccessDeniedException".into(),
            message: "no".into(),
        };
        assert!(detail(&e).contains("`ecs:ListContainerInstances`"));
    }

    #[test]
    fn rejected_credentials_and_throttling_say_what_to_change() {
        assert!(detail(&api("AuthFailure")).contains("Refresh them"));
        assert!(detail(&api("ExpiredToken")).contains("Refresh them"));
        let t = detail(&api("RequestLimitExceeded"));
        assert!(
            t.contains("max_attempts") && t.contains("-parallelism"),
            "{t}"
        );
    }

    #[test]
    fn other_failures_are_the_error_alone() {
        let e = api("InvalidLaunchTemplateName.AlreadyExistsException");
        assert_eq!(detail(&e), e.to_string());
        let t = Ec2Error::Transport {
            operation: "DescribeInstances",
            detail: "connection refused".into(),
            may_have_reached_ec2: false,
        };
        assert_eq!(detail(&t), t.to_string());
    }

    #[test]
    fn only_a_missing_object_lands_on_the_attribute() {
        let nf = error_on_missing(
            "Unable to List Instances",
            &api("InvalidInstanceID.NotFound"),
            "instance_ids",
        );
        let other = error_on_missing(
            "Unable to List Instances",
            &api("RequestLimitExceeded"),
            "instance_ids",
        );
        let has_path = |d: &Diagnostics| d.iter().any(|x| x.attribute.is_some());
        assert!(has_path(&nf));
        assert!(!has_path(&other));
        assert!(other.has_error());
    }
}
