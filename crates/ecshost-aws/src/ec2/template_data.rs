//! A launch template version's data as EC2 holds it, field for field.
//!
//! [`LaunchTemplateData`] is a JSON object keyed by the EC2 API's member
//! names (`BlockDeviceMappings`, `Ebs`, `VolumeSize` …), nested as in the
//! API reference's `ResponseLaunchTemplateData`: structures are objects,
//! lists are arrays, numbers and booleans are typed. That is the shape
//! `aws ec2 describe-launch-template-versions` prints, so tests and
//! diagnostics compare it directly.
//!
//! [`SHAPE`] lists every member this layer can read *and* write: the
//! members hashicorp/aws 5.100.0's `aws_launch_template` manages, and
//! those 6.x added (`NetworkPerformanceOptions`, `SecondaryInterfaces`,
//! `CpuOptions.NestedVirtualization`, `NetworkInterfaces[].EnaQueueCount`,
//! `Placement.GroupId`; `docs/guides/migrating-from-aws-launch-template.md`
//! names the releases). A version
//! holding anything else (EC2 adds members every year, and the SDK may
//! know them or not) is reported by [`super::template_xml`] as an
//! *unknown* field rather than silently dropped, because the next version
//! this provider writes could not carry it.
//!
//! Source of the names: the EC2 API reference (`ResponseLaunchTemplateData`
//! and the shapes it nests) and the XML element names of its query protocol
//! (`locationName`, e.g. `blockDeviceMappingSet`), as aws-sdk-ec2 1.274's
//! model states them.

use serde_json::{Map, Value as Json};

/// The scalar and container kinds of the EC2 model that launch template
/// data uses.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// text (enumerations included)
    String,
    /// a 32-bit integer
    Integer,
    /// a double (`MemoryGiBPerVCpu`, `NetworkBandwidthGbps`, …)
    Double,
    /// `true`/`false`
    Boolean,
    /// an ISO 8601 instant (`SpotOptions.ValidUntil`), kept as EC2 spells it
    Timestamp,
    /// a structure of named members
    Structure(&'static [Member]),
    /// a list; in XML each child element is one item, whatever its name
    /// (`item` mostly, `groupId` in `groupSet`)
    List(&'static Shape),
}

impl Shape {
    /// The members of the structure a value of this shape is, or each item
    /// of it is for a list (of lists …); `None` for a scalar or a list of
    /// scalars.
    pub fn structure(self) -> Option<&'static [Member]> {
        let mut s = self;
        while let Shape::List(inner) = s {
            s = *inner;
        }
        match s {
            Shape::Structure(members) => Some(members),
            _ => None,
        }
    }
}

/// One member of a structure.
#[derive(Debug)]
pub struct Member {
    /// API member name (`VolumeSize`)
    pub name: &'static str,
    /// XML element name in responses (`volumeSize`, `blockDeviceMappingSet`)
    pub xml: &'static str,
    /// its shape
    pub shape: Shape,
}

const fn m(name: &'static str, xml: &'static str, shape: Shape) -> Member {
    Member { name, xml, shape }
}

use Shape::{Boolean as B, Double as D, Integer as I, String as S, Timestamp as T};

const STRINGS: Shape = Shape::List(&S);

const EBS: &[Member] = &[
    m("DeleteOnTermination", "deleteOnTermination", B),
    m("Encrypted", "encrypted", B),
    m("Iops", "iops", I),
    m("KmsKeyId", "kmsKeyId", S),
    m("SnapshotId", "snapshotId", S),
    m("Throughput", "throughput", I),
    m("VolumeInitializationRate", "volumeInitializationRate", I),
    m("VolumeSize", "volumeSize", I),
    m("VolumeType", "volumeType", S),
];

const BLOCK_DEVICE_MAPPING: &[Member] = &[
    m("DeviceName", "deviceName", S),
    m("Ebs", "ebs", Shape::Structure(EBS)),
    m("NoDevice", "noDevice", S),
    m("VirtualName", "virtualName", S),
];

const CAPACITY_RESERVATION_TARGET: &[Member] = &[
    m("CapacityReservationId", "capacityReservationId", S),
    m(
        "CapacityReservationResourceGroupArn",
        "capacityReservationResourceGroupArn",
        S,
    ),
];

const CAPACITY_RESERVATION_SPECIFICATION: &[Member] = &[
    m(
        "CapacityReservationPreference",
        "capacityReservationPreference",
        S,
    ),
    m(
        "CapacityReservationTarget",
        "capacityReservationTarget",
        Shape::Structure(CAPACITY_RESERVATION_TARGET),
    ),
];

const CPU_OPTIONS: &[Member] = &[
    m("AmdSevSnp", "amdSevSnp", S),
    m("CoreCount", "coreCount", I),
    m("NestedVirtualization", "nestedVirtualization", S),
    m("ThreadsPerCore", "threadsPerCore", I),
];

const CREDIT_SPECIFICATION: &[Member] = &[m("CpuCredits", "cpuCredits", S)];

const TYPE_ONLY: &[Member] = &[m("Type", "type", S)];

const ENABLED: &[Member] = &[m("Enabled", "enabled", B)];

const HIBERNATION_OPTIONS: &[Member] = &[m("Configured", "configured", B)];

const IAM_INSTANCE_PROFILE: &[Member] = &[m("Arn", "arn", S), m("Name", "name", S)];

const SPOT_OPTIONS: &[Member] = &[
    m("BlockDurationMinutes", "blockDurationMinutes", I),
    m(
        "InstanceInterruptionBehavior",
        "instanceInterruptionBehavior",
        S,
    ),
    m("MaxPrice", "maxPrice", S),
    m("SpotInstanceType", "spotInstanceType", S),
    m("ValidUntil", "validUntil", T),
];

const INSTANCE_MARKET_OPTIONS: &[Member] = &[
    m("MarketType", "marketType", S),
    m("SpotOptions", "spotOptions", Shape::Structure(SPOT_OPTIONS)),
];

const INT_RANGE: &[Member] = &[m("Max", "max", I), m("Min", "min", I)];
const DOUBLE_RANGE: &[Member] = &[m("Max", "max", D), m("Min", "min", D)];

const INSTANCE_REQUIREMENTS: &[Member] = &[
    m(
        "AcceleratorCount",
        "acceleratorCount",
        Shape::Structure(INT_RANGE),
    ),
    m(
        "AcceleratorManufacturers",
        "acceleratorManufacturerSet",
        STRINGS,
    ),
    m("AcceleratorNames", "acceleratorNameSet", STRINGS),
    m(
        "AcceleratorTotalMemoryMiB",
        "acceleratorTotalMemoryMiB",
        Shape::Structure(INT_RANGE),
    ),
    m("AcceleratorTypes", "acceleratorTypeSet", STRINGS),
    m("AllowedInstanceTypes", "allowedInstanceTypeSet", STRINGS),
    m("BareMetal", "bareMetal", S),
    m(
        "BaselineEbsBandwidthMbps",
        "baselineEbsBandwidthMbps",
        Shape::Structure(INT_RANGE),
    ),
    m("BurstablePerformance", "burstablePerformance", S),
    m("CpuManufacturers", "cpuManufacturerSet", STRINGS),
    m("ExcludedInstanceTypes", "excludedInstanceTypeSet", STRINGS),
    m("InstanceGenerations", "instanceGenerationSet", STRINGS),
    m("LocalStorage", "localStorage", S),
    m("LocalStorageTypes", "localStorageTypeSet", STRINGS),
    m(
        "MaxSpotPriceAsPercentageOfOptimalOnDemandPrice",
        "maxSpotPriceAsPercentageOfOptimalOnDemandPrice",
        I,
    ),
    m(
        "MemoryGiBPerVCpu",
        "memoryGiBPerVCpu",
        Shape::Structure(DOUBLE_RANGE),
    ),
    m("MemoryMiB", "memoryMiB", Shape::Structure(INT_RANGE)),
    m(
        "NetworkBandwidthGbps",
        "networkBandwidthGbps",
        Shape::Structure(DOUBLE_RANGE),
    ),
    m(
        "NetworkInterfaceCount",
        "networkInterfaceCount",
        Shape::Structure(INT_RANGE),
    ),
    m(
        "OnDemandMaxPricePercentageOverLowestPrice",
        "onDemandMaxPricePercentageOverLowestPrice",
        I,
    ),
    m("RequireHibernateSupport", "requireHibernateSupport", B),
    m(
        "SpotMaxPricePercentageOverLowestPrice",
        "spotMaxPricePercentageOverLowestPrice",
        I,
    ),
    m(
        "TotalLocalStorageGB",
        "totalLocalStorageGB",
        Shape::Structure(DOUBLE_RANGE),
    ),
    m("VCpuCount", "vCpuCount", Shape::Structure(INT_RANGE)),
];

const LICENSE_SPECIFICATION: &[Member] =
    &[m("LicenseConfigurationArn", "licenseConfigurationArn", S)];

const MAINTENANCE_OPTIONS: &[Member] = &[m("AutoRecovery", "autoRecovery", S)];

const METADATA_OPTIONS: &[Member] = &[
    m("HttpEndpoint", "httpEndpoint", S),
    m("HttpProtocolIpv6", "httpProtocolIpv6", S),
    m("HttpPutResponseHopLimit", "httpPutResponseHopLimit", I),
    m("HttpTokens", "httpTokens", S),
    m("InstanceMetadataTags", "instanceMetadataTags", S),
];

const CONNECTION_TRACKING: &[Member] = &[
    m("TcpEstablishedTimeout", "tcpEstablishedTimeout", I),
    m("UdpStreamTimeout", "udpStreamTimeout", I),
    m("UdpTimeout", "udpTimeout", I),
];

const ENA_SRD_UDP: &[Member] = &[m("EnaSrdUdpEnabled", "enaSrdUdpEnabled", B)];

const ENA_SRD: &[Member] = &[
    m("EnaSrdEnabled", "enaSrdEnabled", B),
    m(
        "EnaSrdUdpSpecification",
        "enaSrdUdpSpecification",
        Shape::Structure(ENA_SRD_UDP),
    ),
];

const PRIVATE_IP: &[Member] = &[
    m("Primary", "primary", B),
    m("PrivateIpAddress", "privateIpAddress", S),
];
const IPV6_ADDRESS: &[Member] = &[m("Ipv6Address", "ipv6Address", S)];
const IPV4_PREFIX: &[Member] = &[m("Ipv4Prefix", "ipv4Prefix", S)];
const IPV6_PREFIX: &[Member] = &[m("Ipv6Prefix", "ipv6Prefix", S)];

const NETWORK_INTERFACE: &[Member] = &[
    m("AssociateCarrierIpAddress", "associateCarrierIpAddress", B),
    m("AssociatePublicIpAddress", "associatePublicIpAddress", B),
    m(
        "ConnectionTrackingSpecification",
        "connectionTrackingSpecification",
        Shape::Structure(CONNECTION_TRACKING),
    ),
    m("DeleteOnTermination", "deleteOnTermination", B),
    m("Description", "description", S),
    m("DeviceIndex", "deviceIndex", I),
    m("EnaQueueCount", "enaQueueCount", I),
    m(
        "EnaSrdSpecification",
        "enaSrdSpecification",
        Shape::Structure(ENA_SRD),
    ),
    m("Groups", "groupSet", STRINGS),
    m("InterfaceType", "interfaceType", S),
    m("Ipv4PrefixCount", "ipv4PrefixCount", I),
    m(
        "Ipv4Prefixes",
        "ipv4PrefixSet",
        Shape::List(&Shape::Structure(IPV4_PREFIX)),
    ),
    m("Ipv6AddressCount", "ipv6AddressCount", I),
    m(
        "Ipv6Addresses",
        "ipv6AddressesSet",
        Shape::List(&Shape::Structure(IPV6_ADDRESS)),
    ),
    m("Ipv6PrefixCount", "ipv6PrefixCount", I),
    m(
        "Ipv6Prefixes",
        "ipv6PrefixSet",
        Shape::List(&Shape::Structure(IPV6_PREFIX)),
    ),
    m("NetworkCardIndex", "networkCardIndex", I),
    m("NetworkInterfaceId", "networkInterfaceId", S),
    m("PrimaryIpv6", "primaryIpv6", B),
    m("PrivateIpAddress", "privateIpAddress", S),
    m(
        "PrivateIpAddresses",
        "privateIpAddressesSet",
        Shape::List(&Shape::Structure(PRIVATE_IP)),
    ),
    m(
        "SecondaryPrivateIpAddressCount",
        "secondaryPrivateIpAddressCount",
        I,
    ),
    m("SubnetId", "subnetId", S),
];

const PLACEMENT: &[Member] = &[
    m("Affinity", "affinity", S),
    m("AvailabilityZone", "availabilityZone", S),
    m("GroupId", "groupId", S),
    m("GroupName", "groupName", S),
    m("HostId", "hostId", S),
    m("HostResourceGroupArn", "hostResourceGroupArn", S),
    m("PartitionNumber", "partitionNumber", I),
    m("SpreadDomain", "spreadDomain", S),
    m("Tenancy", "tenancy", S),
];

const NETWORK_PERFORMANCE_OPTIONS: &[Member] = &[m("BandwidthWeighting", "bandwidthWeighting", S)];

const SECONDARY_INTERFACE_IP: &[Member] = &[m("PrivateIpAddress", "privateIpAddress", S)];

/// `LaunchTemplateInstanceSecondaryInterfaceSpecification`: the members
/// hashicorp/aws 6.x's `secondary_interfaces` carries. EC2 documents
/// `Ipv6Addresses`, `Ipv6AddressCount`, `EnaQueueCount` and `VlanMode`
/// too, "returned only for secondary interfaces in `virtual-edge`
/// secondary networks"; aws-sdk-ec2 1.274 cannot send them, so a version
/// holding them is reported as holding unknown fields.
const SECONDARY_INTERFACE: &[Member] = &[
    m("DeleteOnTermination", "deleteOnTermination", B),
    m("DeviceIndex", "deviceIndex", I),
    m("InterfaceType", "interfaceType", S),
    m("NetworkCardIndex", "networkCardIndex", I),
    m("PrivateIpAddressCount", "privateIpAddressCount", I),
    m(
        "PrivateIpAddresses",
        "privateIpAddressesSet",
        Shape::List(&Shape::Structure(SECONDARY_INTERFACE_IP)),
    ),
    m("SecondarySubnetId", "secondarySubnetId", S),
];

const PRIVATE_DNS_NAME_OPTIONS: &[Member] = &[
    m(
        "EnableResourceNameDnsAAAARecord",
        "enableResourceNameDnsAAAARecord",
        B,
    ),
    m(
        "EnableResourceNameDnsARecord",
        "enableResourceNameDnsARecord",
        B,
    ),
    m("HostnameType", "hostnameType", S),
];

const TAG: &[Member] = &[m("Key", "key", S), m("Value", "value", S)];

const TAG_SPECIFICATION: &[Member] = &[
    m("ResourceType", "resourceType", S),
    m("Tags", "tagSet", Shape::List(&Shape::Structure(TAG))),
];

/// The members of `LaunchTemplateData` this layer reads and writes.
pub const SHAPE: &[Member] = &[
    m(
        "BlockDeviceMappings",
        "blockDeviceMappingSet",
        Shape::List(&Shape::Structure(BLOCK_DEVICE_MAPPING)),
    ),
    m(
        "CapacityReservationSpecification",
        "capacityReservationSpecification",
        Shape::Structure(CAPACITY_RESERVATION_SPECIFICATION),
    ),
    m("CpuOptions", "cpuOptions", Shape::Structure(CPU_OPTIONS)),
    m(
        "CreditSpecification",
        "creditSpecification",
        Shape::Structure(CREDIT_SPECIFICATION),
    ),
    m("DisableApiStop", "disableApiStop", B),
    m("DisableApiTermination", "disableApiTermination", B),
    m("EbsOptimized", "ebsOptimized", B),
    m(
        "ElasticGpuSpecifications",
        "elasticGpuSpecificationSet",
        Shape::List(&Shape::Structure(TYPE_ONLY)),
    ),
    m(
        "ElasticInferenceAccelerators",
        "elasticInferenceAcceleratorSet",
        Shape::List(&Shape::Structure(TYPE_ONLY)),
    ),
    m(
        "EnclaveOptions",
        "enclaveOptions",
        Shape::Structure(ENABLED),
    ),
    m(
        "HibernationOptions",
        "hibernationOptions",
        Shape::Structure(HIBERNATION_OPTIONS),
    ),
    m(
        "IamInstanceProfile",
        "iamInstanceProfile",
        Shape::Structure(IAM_INSTANCE_PROFILE),
    ),
    m("ImageId", "imageId", S),
    m(
        "InstanceInitiatedShutdownBehavior",
        "instanceInitiatedShutdownBehavior",
        S,
    ),
    m(
        "InstanceMarketOptions",
        "instanceMarketOptions",
        Shape::Structure(INSTANCE_MARKET_OPTIONS),
    ),
    m(
        "InstanceRequirements",
        "instanceRequirements",
        Shape::Structure(INSTANCE_REQUIREMENTS),
    ),
    m("InstanceType", "instanceType", S),
    m("KernelId", "kernelId", S),
    m("KeyName", "keyName", S),
    m(
        "LicenseSpecifications",
        "licenseSet",
        Shape::List(&Shape::Structure(LICENSE_SPECIFICATION)),
    ),
    m(
        "MaintenanceOptions",
        "maintenanceOptions",
        Shape::Structure(MAINTENANCE_OPTIONS),
    ),
    m(
        "MetadataOptions",
        "metadataOptions",
        Shape::Structure(METADATA_OPTIONS),
    ),
    m("Monitoring", "monitoring", Shape::Structure(ENABLED)),
    m(
        "NetworkInterfaces",
        "networkInterfaceSet",
        Shape::List(&Shape::Structure(NETWORK_INTERFACE)),
    ),
    m(
        "NetworkPerformanceOptions",
        "networkPerformanceOptions",
        Shape::Structure(NETWORK_PERFORMANCE_OPTIONS),
    ),
    m("Placement", "placement", Shape::Structure(PLACEMENT)),
    m(
        "PrivateDnsNameOptions",
        "privateDnsNameOptions",
        Shape::Structure(PRIVATE_DNS_NAME_OPTIONS),
    ),
    m("RamDiskId", "ramDiskId", S),
    m(
        "SecondaryInterfaces",
        "secondaryInterfaceSet",
        Shape::List(&Shape::Structure(SECONDARY_INTERFACE)),
    ),
    m("SecurityGroupIds", "securityGroupIdSet", STRINGS),
    m("SecurityGroups", "securityGroupSet", STRINGS),
    m(
        "TagSpecifications",
        "tagSpecificationSet",
        Shape::List(&Shape::Structure(TAG_SPECIFICATION)),
    ),
    m("UserData", "userData", S),
];

/// Response elements that are not template data and carry nothing a new
/// version must keep, with the value they may hold (`None`: any value).
///
/// - `metadataOptions.state`: `pending`/`applied`, a status of the
///   instance's metadata options, not a setting (API reference,
///   `LaunchTemplateInstanceMetadataOptions`);
/// - `elasticInferenceAcceleratorSet.*.count` = 1: the default count;
///   `aws_launch_template` sends the type only.
pub const IGNORABLE: &[(&str, Option<&str>)] = &[
    ("metadataOptions.state", None),
    ("elasticInferenceAcceleratorSet.count", Some("1")),
];

/// A launch template version's data (see the module documentation).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LaunchTemplateData(pub Map<String, Json>);

impl LaunchTemplateData {
    /// A top-level member.
    pub fn get(&self, member: &str) -> Option<&Json> {
        self.0.get(member)
    }

    /// A member by path of API names and list indices
    /// (`["BlockDeviceMappings", "0", "Ebs", "VolumeSize"]`).
    pub fn at(&self, path: &[&str]) -> Option<&Json> {
        let (first, rest) = path.split_first()?;
        let mut cur = self.0.get(*first)?;
        for step in rest {
            cur = match cur {
                Json::Object(o) => o.get(*step)?,
                Json::Array(a) => a.get(step.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// The base64 user data, if any.
    pub fn user_data(&self) -> Option<&str> {
        self.get("UserData")
            .and_then(Json::as_str)
            .filter(|s| !s.is_empty())
    }

    /// `MetadataOptions.HttpPutResponseHopLimit`, if set.
    pub fn hop_limit(&self) -> Option<i64> {
        self.at(&["MetadataOptions", "HttpPutResponseHopLimit"])
            .and_then(Json::as_i64)
    }

    /// The data as one JSON object (what `aws ec2 describe-launch-template-versions`
    /// prints as `LaunchTemplateData`).
    pub fn to_json(&self) -> Json {
        Json::Object(self.0.clone())
    }

    /// Equality as EC2 means it: lists EC2 treats as sets (security groups,
    /// tag specifications by resource type, tags by key, license
    /// specifications, the string lists of instance requirements) compare
    /// without order; numbers compare by value.
    pub fn same_as(&self, other: &LaunchTemplateData) -> bool {
        canonical(&self.to_json()) == canonical(&other.to_json())
    }
}

/// A canonical form for comparison: numbers by value, arrays sorted by
/// their canonical JSON text. Order carries no meaning in any array of
/// launch template data: EC2 matches block device mappings by device name,
/// network interfaces by card and device index, tag specifications by
/// resource type, tags by key, and the rest are sets.
pub fn canonical(j: &Json) -> Json {
    match j {
        Json::Object(o) => Json::Object(o.iter().map(|(k, v)| (k.clone(), canonical(v))).collect()),
        Json::Array(a) => {
            let mut items: Vec<Json> = a.iter().map(canonical).collect();
            items.sort_by_key(|x| x.to_string());
            Json::Array(items)
        }
        Json::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Json::from(f as i64),
            _ => Json::Number(n.clone()),
        },
        other => other.clone(),
    }
}

/// The member named `name` of a structure shape.
pub fn member<'a>(members: &'a [Member], name: &str) -> Option<&'a Member> {
    members.iter().find(|m| m.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(members: &[Member], seen: &mut Vec<String>, at: &str) {
        let mut names: Vec<&str> = members.iter().map(|m| m.name).collect();
        let sorted = {
            let mut s = names.clone();
            s.sort_unstable();
            s
        };
        assert_eq!(names, sorted, "{at}: members sorted by name");
        names.dedup();
        assert_eq!(names.len(), members.len(), "{at}: no duplicates");
        for m in members {
            let p = format!("{at}.{}", m.name);
            seen.push(p.clone());
            if let Some(inner) = m.shape.structure() {
                walk(inner, seen, &p);
            }
        }
    }

    #[test]
    fn shape_is_sorted_and_unique() {
        let mut seen = Vec::new();
        walk(SHAPE, &mut seen, "LaunchTemplateData");
        assert!(seen.len() > 120, "{}", seen.len());
    }

    #[test]
    fn same_as_ignores_set_order_and_number_spelling() {
        let a: LaunchTemplateData = LaunchTemplateData(
            serde_json::from_str(
                r#"{"SecurityGroupIds":["sg-2","sg-1"],"InstanceRequirements":{"MemoryGiBPerVCpu":{"Min":2}}}"#,
            )
            .unwrap(),
        );
        let b = LaunchTemplateData(
            serde_json::from_str(
                r#"{"SecurityGroupIds":["sg-1","sg-2"],"InstanceRequirements":{"MemoryGiBPerVCpu":{"Min":2.0}}}"#,
            )
            .unwrap(),
        );
        assert!(a.same_as(&b));
        let c =
            LaunchTemplateData(serde_json::from_str(r#"{"SecurityGroupIds":["sg-1"]}"#).unwrap());
        assert!(!a.same_as(&c));
    }
}
