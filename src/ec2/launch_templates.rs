//! Launch templates and their versions.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{
    Filter, LaunchTemplateHttpTokensState, LaunchTemplateIamInstanceProfileSpecificationRequest,
    LaunchTemplateInstanceMetadataEndpointState, LaunchTemplateInstanceMetadataOptionsRequest,
    LaunchTemplateInstanceMetadataTagsState, RequestLaunchTemplateData, ResourceType,
    ResponseLaunchTemplateData, Tag, TagSpecification,
};
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::client::Ec2;
use super::error::Ec2Error;

/// Instance metadata service options of a template version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetadataOptions {
    /// `required` (IMDSv2 only) or `optional`
    pub http_tokens: String,
    /// IMDSv2 token hop limit
    pub http_put_response_hop_limit: i64,
    /// `enabled` or `disabled`
    pub http_endpoint: String,
    /// `enabled` or `disabled`
    pub instance_metadata_tags: String,
}

/// The template data this provider manages (always sent complete).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TemplateData {
    /// AMI
    pub image_id: Option<String>,
    /// instance type
    pub instance_type: Option<String>,
    /// instance profile name, or ARN when it starts with `arn:`
    pub iam_instance_profile: Option<String>,
    /// security groups
    pub security_group_ids: Vec<String>,
    /// key pair
    pub key_name: Option<String>,
    /// base64 user data
    pub user_data_base64: Option<String>,
    /// metadata options; `None` when the version has none
    pub metadata_options: Option<MetadataOptions>,
}

/// A launch template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    /// `lt-…`
    pub id: String,
    /// name
    pub name: String,
    /// default version number
    pub default_version: i64,
    /// latest version number
    pub latest_version: i64,
    /// tags (read with DescribeTags: DescribeLaunchTemplates' copy may be a
    /// snapshot from creation, as in moto)
    pub tags: BTreeMap<String, String>,
    /// `arn:<partition>:ec2:<region>:<account>:launch-template/<id>`
    pub arn: String,
}

/// Hex SHA-256 of the decoded user data (`None` for invalid base64).
pub fn user_data_sha256(user_data_base64: &str) -> Option<String> {
    let b = base64::engine::general_purpose::STANDARD
        .decode(user_data_base64.trim())
        .ok()?;
    Some(
        Sha256::digest(&b)
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect(),
    )
}

fn request_data(d: &TemplateData) -> RequestLaunchTemplateData {
    let mut b = RequestLaunchTemplateData::builder()
        .set_image_id(d.image_id.clone())
        .set_instance_type(d.instance_type.as_deref().map(Into::into))
        .set_key_name(d.key_name.clone())
        .set_user_data(d.user_data_base64.clone());
    if let Some(p) = &d.iam_instance_profile {
        let spec = if p.starts_with("arn:") {
            LaunchTemplateIamInstanceProfileSpecificationRequest::builder().arn(p)
        } else {
            LaunchTemplateIamInstanceProfileSpecificationRequest::builder().name(p)
        };
        b = b.iam_instance_profile(spec.build());
    }
    for sg in &d.security_group_ids {
        b = b.security_group_ids(sg);
    }
    if let Some(m) = &d.metadata_options {
        b = b.metadata_options(
            LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .http_tokens(LaunchTemplateHttpTokensState::from(m.http_tokens.as_str()))
                .http_put_response_hop_limit(
                    i32::try_from(m.http_put_response_hop_limit).unwrap_or(1),
                )
                .http_endpoint(LaunchTemplateInstanceMetadataEndpointState::from(
                    m.http_endpoint.as_str(),
                ))
                .instance_metadata_tags(LaunchTemplateInstanceMetadataTagsState::from(
                    m.instance_metadata_tags.as_str(),
                ))
                .build(),
        );
    }
    b.build()
}

fn response_data(d: &ResponseLaunchTemplateData) -> TemplateData {
    let mut sgs: Vec<String> = d.security_group_ids().to_vec();
    sgs.sort();
    TemplateData {
        image_id: d.image_id().map(str::to_owned),
        instance_type: d.instance_type().map(|t| t.as_str().to_owned()),
        iam_instance_profile: d
            .iam_instance_profile()
            .and_then(|p| p.arn().or(p.name()))
            .map(str::to_owned),
        security_group_ids: sgs,
        key_name: d.key_name().map(str::to_owned),
        user_data_base64: d.user_data().filter(|s| !s.is_empty()).map(str::to_owned),
        metadata_options: d.metadata_options().map(|m| MetadataOptions {
            http_tokens: m
                .http_tokens()
                .map(|x| x.as_str().to_owned())
                .unwrap_or_default(),
            http_put_response_hop_limit: m
                .http_put_response_hop_limit()
                .map(i64::from)
                .unwrap_or_default(),
            http_endpoint: m
                .http_endpoint()
                .map(|x| x.as_str().to_owned())
                .unwrap_or_default(),
            instance_metadata_tags: m
                .instance_metadata_tags()
                .map(|x| x.as_str().to_owned())
                .unwrap_or_default(),
        }),
    }
}

fn tag_spec(tags: &BTreeMap<String, String>) -> Option<TagSpecification> {
    (!tags.is_empty()).then(|| {
        let mut s = TagSpecification::builder().resource_type(ResourceType::LaunchTemplate);
        for (k, v) in tags {
            s = s.tags(Tag::builder().key(k).value(v).build());
        }
        s.build()
    })
}

impl Ec2 {
    fn arn(&self, id: &str, created_by: Option<&str>) -> String {
        // CreatedBy is an ARN in the template's account (an IAM/STS
        // principal); the template's own ARN takes its partition and account.
        let parts: Vec<&str> = created_by.unwrap_or_default().split(':').collect();
        let partition = parts
            .get(1)
            .filter(|p| !p.is_empty())
            .copied()
            .unwrap_or("aws");
        let account = parts.get(4).copied().unwrap_or_default();
        format!(
            "arn:{partition}:ec2:{}:{account}:launch-template/{id}",
            self.region
        )
    }

    /// Tags of a resource, read with DescribeTags.
    pub async fn tags_of(&self, id: &str) -> Result<BTreeMap<String, String>, Ec2Error> {
        const OP: &str = "DescribeTags";
        self.count(OP);
        let out = self
            .client
            .describe_tags()
            .filters(Filter::builder().name("resource-id").values(id).build())
            .send()
            .await
            .map_err(|e| Ec2Error::from_sdk(OP, e))?;
        Ok(out
            .tags()
            .iter()
            .filter_map(|t| {
                Some((
                    t.key()?.to_owned(),
                    t.value().unwrap_or_default().to_owned(),
                ))
            })
            .collect())
    }

    /// Creates a template (version 1). `client_token` makes a retried
    /// request idempotent on EC2.
    pub async fn create_template(
        &self,
        name: &str,
        version_description: Option<&str>,
        data: &TemplateData,
        tags: &BTreeMap<String, String>,
        client_token: &str,
    ) -> Result<Template, Ec2Error> {
        const OP: &str = "CreateLaunchTemplate";
        self.count(OP);
        let out = self
            .client
            .create_launch_template()
            .launch_template_name(name)
            .set_version_description(version_description.map(str::to_owned))
            .launch_template_data(request_data(data))
            .set_tag_specifications(tag_spec(tags).map(|t| vec![t]))
            .client_token(client_token)
            .send()
            .await
            .map_err(|e| Ec2Error::from_sdk(OP, e))?;
        let lt = out.launch_template().ok_or(Ec2Error::Incomplete {
            operation: OP,
            what: "LaunchTemplate",
        })?;
        let id = lt.launch_template_id().ok_or(Ec2Error::Incomplete {
            operation: OP,
            what: "LaunchTemplateId",
        })?;
        Ok(Template {
            id: id.to_owned(),
            name: lt.launch_template_name().unwrap_or(name).to_owned(),
            default_version: lt.default_version_number().unwrap_or(1),
            latest_version: lt.latest_version_number().unwrap_or(1),
            tags: tags.clone(),
            arn: self.arn(id, lt.created_by()),
        })
    }

    /// Creates a new version holding exactly `data`; returns its number.
    /// `client_token` makes the SDK's retry of a request whose answer was
    /// lost idempotent on EC2 (moto ignores it).
    pub async fn create_version(
        &self,
        id: &str,
        version_description: Option<&str>,
        data: &TemplateData,
        client_token: &str,
    ) -> Result<i64, Ec2Error> {
        const OP: &str = "CreateLaunchTemplateVersion";
        self.count(OP);
        let out = self
            .client
            .create_launch_template_version()
            .launch_template_id(id)
            .set_version_description(version_description.map(str::to_owned))
            .launch_template_data(request_data(data))
            .client_token(client_token)
            .send()
            .await
            .map_err(|e| Ec2Error::from_sdk(OP, e))?;
        out.launch_template_version()
            .and_then(|v| v.version_number())
            .ok_or(Ec2Error::Incomplete {
                operation: OP,
                what: "VersionNumber",
            })
    }

    /// Makes `version` the default.
    pub async fn set_default_version(&self, id: &str, version: i64) -> Result<(), Ec2Error> {
        const OP: &str = "ModifyLaunchTemplate";
        self.count(OP);
        self.client
            .modify_launch_template()
            .launch_template_id(id)
            .default_version(version.to_string())
            .send()
            .await
            .map_err(|e| Ec2Error::from_sdk(OP, e))?;
        Ok(())
    }

    async fn describe(
        &self,
        id: Option<&str>,
        name: Option<&str>,
    ) -> Result<Option<Template>, Ec2Error> {
        const OP: &str = "DescribeLaunchTemplates";
        self.count(OP);
        let r = self
            .client
            .describe_launch_templates()
            .set_launch_template_ids(id.map(|i| vec![i.to_owned()]))
            .set_launch_template_names(name.map(|n| vec![n.to_owned()]))
            .send()
            .await;
        let out = match r {
            Ok(o) => o,
            Err(e) => {
                let e = Ec2Error::from_sdk(OP, e);
                // A malformed id cannot exist either.
                if e.is_not_found() || e.code().is_some_and(|c| c.ends_with(".Malformed")) {
                    return Ok(None);
                }
                return Err(e);
            }
        };
        let Some(lt) = out.launch_templates().first() else {
            return Ok(None);
        };
        let Some(id) = lt.launch_template_id() else {
            return Ok(None);
        };
        Ok(Some(Template {
            id: id.to_owned(),
            name: lt.launch_template_name().unwrap_or_default().to_owned(),
            default_version: lt.default_version_number().unwrap_or_default(),
            latest_version: lt.latest_version_number().unwrap_or_default(),
            tags: self.tags_of(id).await?,
            arn: self.arn(id, lt.created_by()),
        }))
    }

    /// The template with this id, `None` when it does not exist.
    pub async fn describe_template_by_id(&self, id: &str) -> Result<Option<Template>, Ec2Error> {
        self.describe(Some(id), None).await
    }

    /// The template with this name, `None` when it does not exist.
    pub async fn describe_template_by_name(
        &self,
        name: &str,
    ) -> Result<Option<Template>, Ec2Error> {
        self.describe(None, Some(name)).await
    }

    /// The data of one version.
    pub async fn template_data(&self, id: &str, version: i64) -> Result<TemplateData, Ec2Error> {
        const OP: &str = "DescribeLaunchTemplateVersions";
        self.count(OP);
        let out = self
            .client
            .describe_launch_template_versions()
            .launch_template_id(id)
            .versions(version.to_string())
            .send()
            .await
            .map_err(|e| Ec2Error::from_sdk(OP, e))?;
        let v = out
            .launch_template_versions()
            .first()
            .ok_or(Ec2Error::Incomplete {
                operation: OP,
                what: "the requested version",
            })?;
        Ok(v.launch_template_data()
            .map(response_data)
            .unwrap_or_default())
    }

    /// Changes tags from `old` to `new`, touching only the differences.
    pub async fn set_tags(
        &self,
        id: &str,
        old: &BTreeMap<String, String>,
        new: &BTreeMap<String, String>,
    ) -> Result<(), Ec2Error> {
        let removed: Vec<&String> = old.keys().filter(|k| !new.contains_key(*k)).collect();
        if !removed.is_empty() {
            const OP: &str = "DeleteTags";
            self.count(OP);
            let mut req = self.client.delete_tags().resources(id);
            for k in removed {
                req = req.tags(Tag::builder().key(k).build());
            }
            req.send().await.map_err(|e| Ec2Error::from_sdk(OP, e))?;
        }
        let changed: Vec<(&String, &String)> =
            new.iter().filter(|(k, v)| old.get(*k) != Some(v)).collect();
        if !changed.is_empty() {
            const OP: &str = "CreateTags";
            self.count(OP);
            let mut req = self.client.create_tags().resources(id);
            for (k, v) in changed {
                req = req.tags(Tag::builder().key(k).value(v).build());
            }
            req.send().await.map_err(|e| Ec2Error::from_sdk(OP, e))?;
        }
        Ok(())
    }

    /// Deletes the template and all its versions.
    pub async fn delete_template(&self, id: &str) -> Result<(), Ec2Error> {
        const OP: &str = "DeleteLaunchTemplate";
        self.count(OP);
        self.client
            .delete_launch_template()
            .launch_template_id(id)
            .send()
            .await
            .map_err(|e| Ec2Error::from_sdk(OP, e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_data_hash_is_of_decoded_bytes() {
        // sha256("hello\n")
        assert_eq!(
            user_data_sha256("aGVsbG8K").as_deref(),
            Some("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")
        );
        assert_eq!(user_data_sha256("%%%"), None);
    }

    #[test]
    fn request_data_round_trips_through_the_sdk_types() {
        let d = TemplateData {
            image_id: Some("ami-1".into()),
            instance_type: Some("t3.small".into()),
            iam_instance_profile: Some("arn:aws:iam::123456789012:instance-profile/ecs".into()),
            security_group_ids: vec!["sg-1".into(), "sg-2".into()],
            key_name: Some("k".into()),
            user_data_base64: Some("aGVsbG8K".into()),
            metadata_options: Some(MetadataOptions {
                http_tokens: "required".into(),
                http_put_response_hop_limit: 2,
                http_endpoint: "enabled".into(),
                instance_metadata_tags: "disabled".into(),
            }),
        };
        let r = request_data(&d);
        assert_eq!(
            r.iam_instance_profile().and_then(|p| p.arn()),
            d.iam_instance_profile.as_deref()
        );
        assert_eq!(
            r.metadata_options()
                .and_then(|m| m.http_put_response_hop_limit()),
            Some(2)
        );
        let named = request_data(&TemplateData {
            iam_instance_profile: Some("ecs".into()),
            ..Default::default()
        });
        assert_eq!(
            named.iam_instance_profile().and_then(|p| p.name()),
            Some("ecs")
        );
    }
}
