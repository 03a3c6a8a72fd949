//! Reads launch template versions from the raw XML EC2 answered with.
//!
//! Why not the SDK's typed answer: its deserializer skips every element
//! its model does not know, so a field EC2 added after the SDK was built
//! would vanish without a trace — and the next version this provider
//! writes would drop it from the fleet. Reading the XML against
//! [`super::template_data::SHAPE`] keeps every element accounted for:
//! each is either data this layer can write back, a known status field
//! ([`IGNORABLE`]), or an *unknown* field reported by path.

use serde_json::{Map, Number, Value as Json};

use super::template_data::{LaunchTemplateData, Member, Shape, IGNORABLE, SHAPE};

/// One version as the XML holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedVersion {
    /// `versionNumber`
    pub number: i64,
    /// `versionDescription` (`None` when absent or empty)
    pub description: Option<String>,
    /// `launchTemplateData`, members of [`SHAPE`] only
    pub data: LaunchTemplateData,
    /// Fields of `launchTemplateData` outside [`SHAPE`] that hold a value
    /// (not just `false`), as paths of API-style names, e.g.
    /// `Placement.AvailabilityZoneId` or
    /// `SecondaryInterfaces[0].VlanMode`.
    pub unknown: Vec<String>,
}

/// Why an answer could not be read.
#[derive(Debug, thiserror::Error)]
pub enum XmlError {
    /// Not well-formed XML.
    #[error("not well-formed XML: {0}")]
    Syntax(#[from] roxmltree::Error),
    /// A value that does not fit its field's type.
    #[error("{path} holds {value:?}, which is not {expected}")]
    Value {
        /// API-style path of the field
        path: String,
        /// the text found
        value: String,
        /// what the model says it is
        expected: &'static str,
    },
}

/// Parses a `DescribeLaunchTemplateVersionsResponse` body.
pub fn parse_versions(xml: &str) -> Result<Vec<ParsedVersion>, XmlError> {
    let doc = roxmltree::Document::parse(xml)?;
    let mut out = Vec::new();
    let Some(set) = child(doc.root_element(), "launchTemplateVersionSet") else {
        return Ok(out);
    };
    for item in set.children().filter(roxmltree::Node::is_element) {
        let number_text = child(item, "versionNumber")
            .and_then(|n| n.text())
            .unwrap_or_default()
            .trim()
            .to_owned();
        let number = number_text.parse::<i64>().map_err(|_| XmlError::Value {
            path: "VersionNumber".into(),
            value: number_text.clone(),
            expected: "an integer",
        })?;
        let description = child(item, "versionDescription")
            .and_then(|n| n.text())
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let mut unknown = Vec::new();
        let mut data = match child(item, "launchTemplateData") {
            Some(d) => parse_structure(d, SHAPE, "", "", &mut unknown)?,
            None => Map::new(),
        };
        drop_template_tag_specifications(&mut data);
        out.push(ParsedVersion {
            number,
            description,
            data: LaunchTemplateData(data),
            unknown,
        });
    }
    Ok(out)
}

/// Removes tag specifications for the launch template itself from version
/// data. EC2 refuses `ResourceType = launch-template` inside
/// `LaunchTemplateData.TagSpecifications` (the template's own tags go on
/// the CreateLaunchTemplate request), so a real version never holds one;
/// moto 5.2.5 copies the template's tags there (see
/// `docs/guides/testing-against-moto.md`), and writing that back would be
/// refused by EC2.
fn drop_template_tag_specifications(data: &mut Map<String, Json>) {
    if let Some(Json::Array(specs)) = data.get_mut("TagSpecifications") {
        specs.retain(|s| s.get("ResourceType").and_then(Json::as_str) != Some("launch-template"));
        if specs.is_empty() {
            data.remove("TagSpecifications");
        }
    }
}

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn join(base: &str, part: &str) -> String {
    if base.is_empty() {
        part.to_owned()
    } else {
        format!("{base}.{part}")
    }
}

/// `fooBarSet` → `FooBar…`: a readable API-style name for an element this
/// layer does not know (EC2's XML names are the API names in lower camel
/// case, lists with a `Set` suffix).
fn api_style(xml: &str) -> String {
    let mut c = xml.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// True when every text under `node` is `false` or empty: an unset flag
/// carries nothing a new version could lose.
fn only_false(node: roxmltree::Node<'_, '_>) -> bool {
    node.descendants()
        .filter(|n| n.is_text())
        .all(|t| matches!(t.text().map(str::trim), Some("false" | "")))
}

fn parse_structure(
    node: roxmltree::Node<'_, '_>,
    members: &[Member],
    api_path: &str,
    xml_path: &str,
    unknown: &mut Vec<String>,
) -> Result<Map<String, Json>, XmlError> {
    let mut out = Map::new();
    for c in node.children().filter(roxmltree::Node::is_element) {
        let name = c.tag_name().name();
        let Some(mem) = members.iter().find(|m| m.xml == name) else {
            let xp = join(xml_path, name);
            let text = c.text().map(str::trim).unwrap_or_default();
            let ignorable = IGNORABLE
                .iter()
                .any(|(p, v)| *p == xp && v.is_none_or(|v| v == text));
            if !ignorable && !only_false(c) {
                unknown.push(join(api_path, &api_style(name)));
            }
            continue;
        };
        let ap = join(api_path, mem.name);
        let xp = join(xml_path, mem.xml);
        if let Some(v) = parse_value(c, mem.shape, &ap, &xp, unknown)? {
            out.insert(mem.name.to_owned(), v);
        }
    }
    Ok(out)
}

fn parse_value(
    node: roxmltree::Node<'_, '_>,
    shape: Shape,
    api_path: &str,
    xml_path: &str,
    unknown: &mut Vec<String>,
) -> Result<Option<Json>, XmlError> {
    let text = || node.text().unwrap_or_default().to_owned();
    let bad = |expected: &'static str| XmlError::Value {
        path: api_path.to_owned(),
        value: node.text().unwrap_or_default().to_owned(),
        expected,
    };
    Ok(Some(match shape {
        Shape::String | Shape::Timestamp => Json::String(text()),
        Shape::Integer => Json::from(
            text()
                .trim()
                .parse::<i64>()
                .map_err(|_| bad("an integer"))?,
        ),
        Shape::Double => {
            let f = text().trim().parse::<f64>().map_err(|_| bad("a number"))?;
            Json::Number(Number::from_f64(f).ok_or_else(|| bad("a finite number"))?)
        }
        Shape::Boolean => match text().trim() {
            "true" => Json::Bool(true),
            "false" => Json::Bool(false),
            _ => return Err(bad("true or false")),
        },
        Shape::Structure(members) => {
            Json::Object(parse_structure(node, members, api_path, xml_path, unknown)?)
        }
        Shape::List(inner) => {
            let mut items = Vec::new();
            for (i, c) in node
                .children()
                .filter(roxmltree::Node::is_element)
                .enumerate()
            {
                if let Some(v) =
                    parse_value(c, *inner, &format!("{api_path}[{i}]"), xml_path, unknown)?
                {
                    items.push(v);
                }
            }
            Json::Array(items)
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of EC2's answer (API reference,
    /// DescribeLaunchTemplateVersions, "Example response"), with members
    /// this layer does not know mixed in.
    const ANSWER: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeLaunchTemplateVersionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>65cadec1-b364-4354-8ca8-4176dexample</requestId>
  <launchTemplateVersionSet>
    <item>
      <createTime>2017-10-31T11:38:52.000Z</createTime>
      <defaultVersion>true</defaultVersion>
      <launchTemplateData>
        <blockDeviceMappingSet>
          <item>
            <deviceName>/dev/xvda</deviceName>
            <ebs>
              <encrypted>true</encrypted>
              <volumeSize>30</volumeSize>
              <volumeType>gp3</volumeType>
              <ebsCardIndex>0</ebsCardIndex>
            </ebs>
          </item>
        </blockDeviceMappingSet>
        <networkInterfaceSet>
          <item>
            <deviceIndex>0</deviceIndex>
            <groupSet><groupId>sg-1</groupId><groupId>sg-2</groupId></groupSet>
            <enaQueueCount>4</enaQueueCount>
            <privateIpAddressesSet><item><primary>false</primary><privateIpAddress>10.0.0.5</privateIpAddress></item></privateIpAddressesSet>
          </item>
        </networkInterfaceSet>
        <instanceRequirements>
          <memoryGiBPerVCpu><min>0.5</min></memoryGiBPerVCpu>
          <cpuManufacturerSet><item>intel</item></cpuManufacturerSet>
        </instanceRequirements>
        <metadataOptions><state>applied</state><httpTokens>required</httpTokens><httpPutResponseHopLimit>2</httpPutResponseHopLimit></metadataOptions>
        <elasticInferenceAcceleratorSet><item><type>eia2.medium</type><count>1</count></item></elasticInferenceAcceleratorSet>
        <operator><managed>false</managed></operator>
        <networkPerformanceOptions><bandwidthWeighting>vpc-1</bandwidthWeighting></networkPerformanceOptions>
        <placement><availabilityZone>us-east-1a</availabilityZone><availabilityZoneId>use1-az1</availabilityZoneId></placement>
        <secondaryInterfaceSet><item><deviceIndex>1</deviceIndex><privateIpAddressesSet><item><privateIpAddress>10.1.0.5</privateIpAddress></item></privateIpAddressesSet><vlanMode>tagged</vlanMode></item></secondaryInterfaceSet>
        <userData>IyEvYmluL3NoCg==</userData>
      </launchTemplateData>
      <launchTemplateId>lt-068f72b72934aff71</launchTemplateId>
      <versionDescription>first</versionDescription>
      <versionNumber>1</versionNumber>
    </item>
  </launchTemplateVersionSet>
</DescribeLaunchTemplateVersionsResponse>"#;

    #[test]
    fn reads_data_and_reports_unknown_fields() {
        let v = parse_versions(ANSWER).unwrap();
        assert_eq!(v.len(), 1);
        let v = &v[0];
        assert_eq!(v.number, 1);
        assert_eq!(v.description.as_deref(), Some("first"));
        assert_eq!(
            v.data.to_json(),
            serde_json::json!({
                "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": true, "VolumeSize": 30, "VolumeType": "gp3"}}],
                "NetworkInterfaces": [{"DeviceIndex": 0, "EnaQueueCount": 4, "Groups": ["sg-1", "sg-2"], "PrivateIpAddresses": [{"Primary": false, "PrivateIpAddress": "10.0.0.5"}]}],
                "InstanceRequirements": {"MemoryGiBPerVCpu": {"Min": 0.5}, "CpuManufacturers": ["intel"]},
                "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 2},
                "ElasticInferenceAccelerators": [{"Type": "eia2.medium"}],
                "NetworkPerformanceOptions": {"BandwidthWeighting": "vpc-1"},
                "Placement": {"AvailabilityZone": "us-east-1a"},
                "SecondaryInterfaces": [{"DeviceIndex": 1, "PrivateIpAddresses": [{"PrivateIpAddress": "10.1.0.5"}]}],
                "UserData": "IyEvYmluL3NoCg=="
            })
        );
        // ebsCardIndex 0, availabilityZoneId and vlanMode hold values;
        // operator.managed=false, state and count=1 carry nothing.
        assert_eq!(
            v.unknown,
            [
                "BlockDeviceMappings[0].Ebs.EbsCardIndex",
                "Placement.AvailabilityZoneId",
                "SecondaryInterfaces[0].VlanMode"
            ]
        );
    }

    #[test]
    fn the_templates_own_tags_are_not_version_data() {
        let xml = ANSWER.replace(
            "<userData>",
            "<tagSpecificationSet><item><resourceType>launch-template</resourceType><tagSet><item><key>a</key><value>b</value></item></tagSet></item><item><resourceType>instance</resourceType><tagSet><item><key>c</key><value>d</value></item></tagSet></item></tagSpecificationSet><userData>",
        );
        let v = parse_versions(&xml).unwrap();
        assert_eq!(
            v[0].data.get("TagSpecifications"),
            Some(
                &serde_json::json!([{"ResourceType": "instance", "Tags": [{"Key": "c", "Value": "d"}]}])
            )
        );
    }

    #[test]
    fn a_count_other_than_one_is_not_ignorable() {
        let xml = ANSWER.replace("<count>1</count>", "<count>2</count>");
        let v = parse_versions(&xml).unwrap();
        assert!(v[0]
            .unknown
            .contains(&"ElasticInferenceAccelerators[0].Count".to_owned()));
    }

    #[test]
    fn bad_values_name_the_field() {
        let xml = ANSWER.replace(
            "<volumeSize>30</volumeSize>",
            "<volumeSize>big</volumeSize>",
        );
        let e = parse_versions(&xml).unwrap_err().to_string();
        assert!(e.contains("BlockDeviceMappings[0].Ebs.VolumeSize"), "{e}");
        assert!(parse_versions("<a>").is_err());
    }
}
