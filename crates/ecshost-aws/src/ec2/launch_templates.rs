//! Launch templates and their versions.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::client::Ec2;
use super::error::Ec2Error;
use super::raw_body::RawBody;
use super::template_data::LaunchTemplateData;
use super::template_request::request_data;
use super::template_xml::parse_versions;

/// One version of a launch template, as EC2 holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct Version {
    /// version number
    pub number: i64,
    /// `VersionDescription` (`None` when empty)
    pub description: Option<String>,
    /// the data, every member this layer can write back
    pub data: LaunchTemplateData,
    /// members the version holds that this layer cannot write back (see
    /// [`super::template_xml::ParsedVersion::unknown`]); a new version
    /// written from [`Version::data`] would lose them
    pub unknown: Vec<String>,
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
        data: &LaunchTemplateData,
        tags: &BTreeMap<String, String>,
        client_token: &str,
    ) -> Result<Template, Ec2Error> {
        const OP: &str = "CreateLaunchTemplate";
        let request = request_data(data).map_err(|source| Ec2Error::Request {
            operation: OP,
            source,
        })?;
        self.count(OP);
        let out = self
            .client
            .create_launch_template()
            .launch_template_name(name)
            .set_version_description(version_description.map(str::to_owned))
            .launch_template_data(request)
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
        data: &LaunchTemplateData,
        client_token: &str,
    ) -> Result<i64, Ec2Error> {
        const OP: &str = "CreateLaunchTemplateVersion";
        let request = request_data(data).map_err(|source| Ec2Error::Request {
            operation: OP,
            source,
        })?;
        self.count(OP);
        let out = self
            .client
            .create_launch_template_version()
            .launch_template_id(id)
            .set_version_description(version_description.map(str::to_owned))
            .launch_template_data(request)
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

    /// One version, read from the raw answer so that no member EC2 holds
    /// goes unnoticed ([`Version::unknown`]).
    pub async fn template_version(&self, id: &str, version: i64) -> Result<Version, Ec2Error> {
        const OP: &str = "DescribeLaunchTemplateVersions";
        self.count(OP);
        let raw = RawBody::default();
        self.client
            .describe_launch_template_versions()
            .launch_template_id(id)
            .versions(version.to_string())
            .customize()
            .interceptor(raw.clone())
            .send()
            .await
            .map_err(|e| Ec2Error::from_sdk(OP, e))?;
        let body = raw.take().ok_or(Ec2Error::Incomplete {
            operation: OP,
            what: "a body",
        })?;
        let versions =
            parse_versions(&String::from_utf8_lossy(&body)).map_err(|source| Ec2Error::Answer {
                operation: OP,
                source,
            })?;
        let v = versions
            .into_iter()
            .find(|v| v.number == version)
            .ok_or(Ec2Error::Incomplete {
                operation: OP,
                what: "the requested version",
            })?;
        Ok(Version {
            number: v.number,
            description: v.description,
            data: v.data,
            unknown: v.unknown,
        })
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
}
