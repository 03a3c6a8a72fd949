use super::*;
use crate::provider::testing::{errors, obj, schema_diags};
use crate::render::user_data::MAX_USER_DATA_BYTES;

async fn validate(attrs: &[(&str, Value)]) -> Diagnostics {
    let lt = LaunchTemplate {
        state: Arc::default(),
    };
    let cfg = obj(attrs);
    let mut d = schema_diags(&lt.schema(), &cfg);
    lt.validate(&cfg, &mut d).await;
    d
}

fn b64(s: &str) -> Value {
    use base64::Engine as _;
    Value::from(base64::engine::general_purpose::STANDARD.encode(s))
}

fn metadata(hops: i64) -> Value {
    Value::List(vec![obj(&[
        ("http_tokens", "required".into()),
        ("http_put_response_hop_limit", Value::from(hops)),
    ])])
}

#[tokio::test]
async fn oversized_user_data_is_refused_on_the_attribute() {
    use base64::Engine as _;
    let b = |n: usize| Value::from(base64::engine::general_purpose::STANDARD.encode(vec![b'#'; n]));
    for attr in ["user_data", "user_data_base64"] {
        let d = validate(&[
            (attr, b(MAX_USER_DATA_BYTES)),
            ("metadata_options", metadata(2)),
        ])
        .await;
        assert_eq!(errors(&d), [], "{attr}");
        let d = validate(&[
            (attr, b(MAX_USER_DATA_BYTES + 1)),
            ("metadata_options", metadata(2)),
        ])
        .await;
        assert_eq!(
            errors(&d),
            [(attr.to_owned(), "User Data Too Large".to_owned())]
        );
    }
}

#[tokio::test]
async fn plain_text_user_data_is_refused_saying_it_is_base64() {
    let d = validate(&[("user_data", "#!/bin/bash\necho hi\n".into())]).await;
    assert_eq!(
        errors(&d),
        [("user_data".to_owned(), "Invalid Base64".to_owned())]
    );
    assert!(d.iter().any(|x| x.detail.contains("base64encode")));
}

#[tokio::test]
async fn hop_limit_one_is_judged_by_the_user_data() {
    // ecs-init on an ECS-optimized AMI runs the agent on the host network.
    let ecs_init = b64("#!/bin/bash\necho ECS_CLUSTER=app >> /etc/ecs/ecs.config\n");
    let d = validate(&[("user_data", ecs_init), ("metadata_options", metadata(1))]).await;
    assert_eq!(errors(&d), []);
    assert!(
        d.is_empty(),
        "no diagnostic at all: {:?}",
        d.iter().map(|x| &x.summary).collect::<Vec<_>>()
    );
    // An agent container on a bridge network is one hop further away.
    let bridge = b64("#!/bin/sh\ndocker run -d --name ecs-agent -p 169.254.170.2:80:51679 amazon/amazon-ecs-agent:latest\n");
    let d = validate(&[
        ("user_data", bridge.clone()),
        ("metadata_options", metadata(1)),
    ])
    .await;
    assert_eq!(
        errors(&d),
        [(
            "metadata_options[0].http_put_response_hop_limit".to_owned(),
            "Hop Limit 1 Starves the ECS Agent".to_owned()
        )]
    );
    let d = validate(&[("user_data", bridge), ("metadata_options", metadata(2))]).await;
    assert_eq!(errors(&d), []);
    let host = b64("#!/bin/sh\ndocker run -d --net=host amazon/amazon-ecs-agent:latest\n");
    let d = validate(&[
        ("user_data_base64", host),
        ("metadata_options", metadata(1)),
    ])
    .await;
    assert_eq!(errors(&d), []);
}

#[tokio::test]
async fn conflicting_arguments_get_one_error_each() {
    let d = validate(&[
        ("user_data", b64("x")),
        ("user_data_base64", b64("x")),
        ("metadata_options", metadata(2)),
    ])
    .await;
    assert_eq!(
        errors(&d),
        [(
            "user_data_base64".to_owned(),
            "Conflicting Attributes".to_owned()
        )]
    );
}

/// hashicorp/aws 5.100.0's ConflictsWith pairs, top-level and inside a
/// block: one error each, on the second of the pair.
#[tokio::test]
async fn aws_conflicting_pairs_get_one_error_each() {
    let d = validate(&[
        ("instance_type", "t3.large".into()),
        (
            "instance_requirements",
            Value::List(vec![obj(&[
                ("allowed_instance_types", Value::Set(vec!["m6i.*".into()])),
                (
                    "excluded_instance_types",
                    Value::Set(vec!["m6i.metal".into()]),
                ),
            ])]),
        ),
        ("vpc_security_group_ids", Value::Set(vec!["sg-1".into()])),
        ("security_group_names", Value::Set(vec!["default".into()])),
        (
            "iam_instance_profile",
            Value::List(vec![obj(&[
                ("arn", "arn:aws:iam::1:instance-profile/x".into()),
                ("name", "x".into()),
            ])]),
        ),
        ("metadata_options", metadata(2)),
    ])
    .await;
    let mut got = errors(&d);
    got.sort();
    assert_eq!(
        got,
        [
            ("iam_instance_profile[0].name", "Conflicting Attributes"),
            (
                "instance_requirements[0].excluded_instance_types",
                "Conflicting Attributes"
            ),
            ("instance_type", "Conflicting Attributes"),
            ("security_group_names", "Conflicting Attributes"),
        ]
        .map(|(a, s)| (a.to_owned(), s.to_owned()))
    );
    // An empty list is not set: no conflict.
    let d = validate(&[
        ("vpc_security_group_ids", Value::Set(vec![])),
        ("security_group_names", Value::Set(vec!["default".into()])),
        ("metadata_options", metadata(2)),
    ])
    .await;
    assert_eq!(errors(&d), []);
}

#[tokio::test]
async fn bad_block_values_point_at_the_attribute() {
    let bdm = |ebs: Value| {
        Value::List(vec![obj(&[
            ("device_name", "/dev/xvda".into()),
            ("ebs", Value::List(vec![ebs])),
        ])])
    };
    let d = validate(&[
        (
            "block_device_mappings",
            bdm(obj(&[("volume_size", Value::from(0i64))])),
        ),
        ("metadata_options", metadata(2)),
    ])
    .await;
    assert_eq!(
        errors(&d),
        [(
            "block_device_mappings[0].ebs[0].volume_size".to_owned(),
            "Invalid Attribute Value".to_owned()
        )]
    );
    let d = validate(&[
        (
            "block_device_mappings",
            bdm(obj(&[("volume_type", "gp7".into())])),
        ),
        ("metadata_options", metadata(2)),
    ])
    .await;
    assert_eq!(
        errors(&d),
        [(
            "block_device_mappings[0].ebs[0].volume_type".to_owned(),
            "Invalid Attribute Value".to_owned()
        )]
    );
    let spot = Value::List(vec![obj(&[
        ("market_type", "spot".into()),
        (
            "spot_options",
            Value::List(vec![obj(&[("max_price", "cheap".into())])]),
        ),
    ])]);
    let d = validate(&[
        ("instance_market_options", spot),
        ("metadata_options", metadata(2)),
    ])
    .await;
    assert_eq!(
        errors(&d),
        [(
            "instance_market_options[0].spot_options[0].max_price".to_owned(),
            "Invalid Price".to_owned()
        )]
    );
}

#[test]
fn a_taken_name_points_at_the_attribute_that_chose_it() {
    let d = name_taken(true, "hosts");
    assert_eq!(
        errors(&d),
        [(
            "name".to_owned(),
            "Launch Template Name Already in Use".to_owned()
        )]
    );
    assert!(d
        .iter()
        .all(|x| x.detail.contains("terraform import <address> hosts")));
    assert_eq!(errors(&name_taken(false, "h-1"))[0].0, "name_prefix");
}

#[test]
fn private_state_reads_the_first_releases_bare_token() {
    assert_eq!(
        Private::parse(b"ecshost-abc").create_token.as_deref(),
        Some("ecshost-abc")
    );
    let p = Private {
        create_token: None,
        unknown_fields: vec!["NetworkPerformanceOptions".into()],
        default_flag_from_import: true,
        credits_held: true,
    };
    assert_eq!(Private::parse(&p.bytes()), p);
    assert!(Private::default().bytes().is_empty());
}

#[test]
fn version_zero_state_upgrades() {
    let lt = LaunchTemplate {
        state: Arc::default(),
    };
    let v0 = serde_json::json!({
        "id": "lt-0123456789abcdef0", "arn": "arn:aws:ec2:us-east-1:1:launch-template/lt-0123456789abcdef0",
        "name": "hosts", "name_prefix": null, "description": null, "image_id": "ami-1",
        "instance_type": "t3.small", "iam_instance_profile": "ecs-instance", "security_group_ids": ["sg-1"],
        "key_name": null, "user_data_base64": "IyEvYmluL3NoCg==",
        "metadata_options": [{"http_tokens": "required", "http_put_response_hop_limit": 2, "http_endpoint": "enabled", "instance_metadata_tags": "disabled"}],
        "tags": null, "tags_all": {}, "update_default_version": true, "latest_version": 1, "default_version": 1,
        "user_data_sha256": "x"
    });
    let v = adopt::upgrade_v0(v0.to_string().as_bytes(), &lt.schema()).unwrap();
    assert_eq!(
        v.attr("iam_instance_profile"),
        &Value::List(vec![obj(&[
            ("arn", Value::Null),
            ("name", "ecs-instance".into())
        ])])
    );
    // The deprecated names move to the ones the migration guide writes.
    assert_eq!(v.attr("user_data"), &Value::from("IyEvYmluL3NoCg=="));
    assert_eq!(v.attr("user_data_base64"), &Value::Null);
    assert_eq!(
        v.attr("vpc_security_group_ids"),
        &Value::Set(vec!["sg-1".into()])
    );
    assert_eq!(v.attr("security_group_ids"), &Value::Null);
    assert_eq!(v.attr("block_device_mappings"), &Value::List(vec![]));
    assert_eq!(v.attr("license_specification"), &Value::Set(vec![]));
    assert_eq!(v.attr("metadata_options").clone(), {
        let Value::List(m) = v.attr("metadata_options") else {
            panic!()
        };
        assert_eq!(m[0].attr("http_protocol_ipv6"), &Value::Null);
        Value::List(m.clone())
    });
    let arn = serde_json::json!({"iam_instance_profile": "arn:aws:iam::1:instance-profile/x"});
    let v = adopt::upgrade_v0(arn.to_string().as_bytes(), &lt.schema()).unwrap();
    assert_eq!(
        v.attr("iam_instance_profile"),
        &Value::List(vec![obj(&[
            ("arn", "arn:aws:iam::1:instance-profile/x".into()),
            ("name", Value::Null)
        ])])
    );
}

#[test]
fn an_import_reads_name_prefix_from_a_generated_name() {
    // hashicorp/aws's name_prefix = "extra-prefix-" (moto, 5.100.0).
    assert_eq!(
        name_prefix_of("extra-prefix-20261129202906240100000001"),
        Some("extra-prefix-")
    );
    // This provider's generated names read back the same way.
    let ours = format!("hosts-{}", unique_suffix());
    assert_eq!(name_prefix_of(&ours), Some("hosts-"), "{ours}");
    assert_ne!(unique_suffix(), unique_suffix(), "unique per call");
    // Chosen names have none.
    for name in [
        "ecs-orders-prod-host",
        "20261129202906240100000001",
        "x-2026112920290624010000000g",
    ] {
        assert_eq!(name_prefix_of(name), None, "{name}");
    }
}

/// After `terraform import`, update_default_version reads as true (the
/// default was the latest version), so that a configuration saying true
/// plans nothing. A configuration that leaves it unset follows
/// hashicorp/aws's rule (the default stays): its next version must not be
/// warned about as if an earlier release had set the flag.
#[tokio::test]
async fn an_import_does_not_warn_that_the_default_stays() {
    use crate::ec2::template_data::LaunchTemplateData;
    let lt = LaunchTemplate {
        state: Arc::default(),
    };
    let t = Template {
        id: "lt-1".into(),
        name: "hosts".into(),
        default_version: 1,
        latest_version: 1,
        tags: BTreeMap::new(),
        arn: "arn:aws:ec2:us-east-1:1:launch-template/lt-1".into(),
    };
    let mut data = serde_json::Map::new();
    data.insert("ImageId".into(), "ami-1".into());
    data.insert("UserData".into(), "IyEvYmluL2Jhc2gK".into());
    let v = Version {
        number: 1,
        description: None,
        data: LaunchTemplateData(data),
        unknown: vec![],
    };
    let imported = lt.state_of("us-east-1", &t, &v, &Value::Null);
    assert_eq!(imported.attr("update_default_version"), &Value::Bool(true));
    // The pasted configuration: same data, new user data, no flag.
    let mut config = imported.clone();
    for k in [
        "id",
        "arn",
        "latest_version",
        "default_version",
        "update_default_version",
        "tags_all",
        "user_data_sha256",
    ] {
        set(&mut config, k, Value::Null);
    }
    set(&mut config, "user_data", b64("#!/bin/bash\n# changed\n"));
    let warned = async |private: Private| {
        let mut planned = config.clone();
        set(&mut planned, "update_default_version", Value::Bool(true));
        let bytes = private.bytes();
        let resp = lt
            .modify_plan(
                PlanRequest {
                    prior_state: &imported,
                    config: &config,
                    prior_private: &bytes,
                },
                &mut planned,
            )
            .await;
        let warned = resp
            .diags
            .iter()
            .any(|d| d.summary == "New Version Will Not Become the Default");
        warned
    };
    assert!(
        !warned(Private {
            default_flag_from_import: true,
            ..Default::default()
        })
        .await
    );
    // A state whose flag an earlier release set still gets the warning.
    assert!(warned(Private::default()).await);
}

/// A configuration generated from an import holds `name` and the
/// `name_prefix` read from it: accepted when the name begins with the
/// prefix, refused otherwise.
#[tokio::test]
async fn name_and_prefix_are_accepted_together_only_when_they_agree() {
    let with = async |name: &str, prefix: &str| {
        errors(
            &validate(&[
                ("name", name.into()),
                ("name_prefix", prefix.into()),
                ("metadata_options", metadata(2)),
            ])
            .await,
        )
    };
    assert_eq!(with("asg-20261207050000000000000001", "asg-").await, []);
    assert_eq!(
        with("hosts", "hosts-").await,
        [(
            "name_prefix".to_owned(),
            "Conflicting Attributes".to_owned()
        )]
    );
}

/// The state `-generate-config-out` writes from (an import whose default
/// is the latest version): `update_default_version = true` and
/// `default_version = 1`. A new version plans with the default pinned
/// and a warning; a default_version that is neither the current default
/// nor the new version is still refused.
#[tokio::test]
async fn generated_default_version_and_flag_plan_a_new_version() {
    use crate::ec2::template_data::LaunchTemplateData;
    let lt = LaunchTemplate {
        state: Arc::default(),
    };
    let t = Template {
        id: "lt-1".into(),
        name: "asg-20261207050000000000000001".into(),
        default_version: 2,
        latest_version: 2,
        tags: BTreeMap::new(),
        arn: "arn:aws:ec2:us-east-1:1:launch-template/lt-1".into(),
    };
    let mut data = serde_json::Map::new();
    data.insert("ImageId".into(), "ami-1".into());
    data.insert("UserData".into(), "IyEvYmluL2Jhc2gK".into());
    let v = Version {
        number: 2,
        description: None,
        data: LaunchTemplateData(data),
        unknown: vec![],
    };
    let imported = lt.state_of("us-east-1", &t, &v, &Value::Null);
    assert_eq!(imported.attr("name_prefix"), &Value::from("asg-"));
    let plan = async |pinned: i64| {
        let mut config = imported.clone();
        for k in [
            "id",
            "arn",
            "latest_version",
            "tags_all",
            "user_data_sha256",
        ] {
            set(&mut config, k, Value::Null);
        }
        set(&mut config, "default_version", Value::from(pinned));
        set(&mut config, "user_data", b64("#!/bin/bash\n# changed\n"));
        let mut planned = config.clone();
        let private = Private {
            default_flag_from_import: true,
            ..Default::default()
        }
        .bytes();
        let resp = lt
            .modify_plan(
                PlanRequest {
                    prior_state: &imported,
                    config: &config,
                    prior_private: &private,
                },
                &mut planned,
            )
            .await;
        let diags: Vec<_> = resp
            .diags
            .iter()
            .map(|d| (d.severity, d.summary.clone()))
            .collect();
        (planned.attr("default_version").clone(), diags)
    };
    let (default, diags) = plan(2).await;
    assert_eq!(default, Value::from(2i64), "the default stays pinned");
    assert!(
        diags.contains(&(
            crate::sdk::Severity::Warning,
            "Default Version Stays Pinned".to_owned()
        )),
        "{diags:?}"
    );
    assert!(
        !diags.iter().any(|(s, _)| *s == crate::sdk::Severity::Error),
        "{diags:?}"
    );
    let (_, diags) = plan(1).await;
    assert!(
        diags.contains(&(
            crate::sdk::Severity::Error,
            "Conflicting Attributes".to_owned()
        )),
        "{diags:?}"
    );
}
