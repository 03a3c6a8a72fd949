//! The template-data arguments of `ecshost_launch_template`: one table
//! that names each argument as hashicorp/aws 5.100.0's `aws_launch_template`
//! does (names, nesting, types), plus the arguments 6.x added under 6.x's
//! names (each documented as such; sources in
//! `docs/guides/migrating-from-aws-launch-template.md`), says which EC2
//! member it maps to, and carries the docs, validation and absent-value
//! rules.
//!
//! Everything else about these arguments is derived from [`FIELDS`]: the
//! schema ([`schema_attributes`]), reading EC2's data into state, planning,
//! and writing a version ([`super::mapping`]). A test checks that the
//! table covers [`crate::ec2::template_data::SHAPE`] exactly, so a member
//! the EC2 layer can carry always has an argument, and another compares
//! the schema with hashicorp/aws's through real Terraform.

use crate::sdk::schema::validators::{IntBetween, OneOf};
use crate::sdk::{Attribute, Block, NestedBlock, Nesting, Value};

/// How an argument is represented in Terraform and in EC2.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// `string` ↔ string
    Str,
    /// `string` holding `"true"`/`"false"` (or empty) ↔ boolean: the
    /// AWS provider's tri-state spelling, kept so pasted bodies work
    BoolStr,
    /// `bool` ↔ boolean
    Bool,
    /// `number` ↔ integer
    Int,
    /// `number` ↔ double
    Float,
    /// `string` (RFC 3339) ↔ timestamp
    Time,
    /// `set(string)` ↔ list of strings
    StrSet,
    /// `set(string)` ↔ list of structures holding the string under this
    /// member (`ipv6_addresses` ↔ `Ipv6Addresses[].Ipv6Address`)
    StrSetOf(&'static str),
    /// `map(string)` ↔ list of `{Key, Value}`
    Tags,
    /// a nested block ↔ a structure (`max == 1` and not `ec2_list`) or a
    /// list of structures
    Block {
        /// a set of blocks (`license_specification`)
        set: bool,
        /// at least this many
        min: i64,
        /// at most this many (0: unlimited)
        max: i64,
        /// EC2 holds a list even though Terraform allows one block
        /// (`elastic_inference_accelerator`)
        ec2_list: bool,
        /// the block's arguments
        fields: &'static [Field],
    },
}

/// Whether the value a field takes when EC2 holds nothing is sent when it
/// is planned (the AWS provider's behaviour, so versions this provider
/// writes hold what hashicorp/aws would have written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ZeroSent {
    /// only when the current version holds it
    Never,
    /// whenever the enclosing block is present (`monitoring.enabled`,
    /// `network_interfaces.device_index`, a range's `min`)
    WithBlock,
    /// a range's `max`: with the block, unless `min` is above it (then
    /// 0 means "no maximum")
    RangeMax,
}

/// A check beyond the type, run at validate time on the attribute.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Check {
    None,
    OneOf(&'static [&'static str]),
    IntBetween(i64, i64),
    /// a decimal number ≥ 0 written as a string (`max_price`)
    Decimal,
    /// an RFC 3339 time
    Rfc3339,
    /// base64 of at most 16 KiB decoded
    UserData,
}

/// One argument.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    /// argument name (hashicorp/aws's)
    pub(crate) tf: &'static str,
    /// EC2 member name in the enclosing structure
    pub(crate) ec2: &'static str,
    pub(crate) kind: Kind,
    pub(crate) required: bool,
    /// computed in hashicorp/aws (`volume_size`, `metadata_options.*` …):
    /// a null configuration keeps what EC2 holds
    pub(crate) aws_computed: bool,
    /// the value that stands for "EC2 holds nothing" (`false`, `0`) where
    /// EC2 defines them as the same; such fields are optional+computed
    /// here, read as this value when absent and planned as it when the
    /// configuration is null, so neither spelling ever shows as a diff
    pub(crate) zero: Option<Zero>,
    pub(crate) zero_sent: ZeroSent,
    pub(crate) check: Check,
    /// Markdown description (the schema's, hence the docs')
    pub(crate) doc: &'static str,
}

/// A field's absent-equivalent value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Zero {
    False,
    Int0,
}

impl Zero {
    pub(crate) fn value(self) -> Value {
        match self {
            Zero::False => Value::Bool(false),
            Zero::Int0 => Value::from(0i64),
        }
    }
}

const fn f(tf: &'static str, ec2: &'static str, kind: Kind, doc: &'static str) -> Field {
    Field {
        tf,
        ec2,
        kind,
        required: false,
        aws_computed: false,
        zero: None,
        zero_sent: ZeroSent::Never,
        check: Check::None,
        doc,
    }
}

impl Field {
    const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    const fn computed(mut self) -> Self {
        self.aws_computed = true;
        self
    }
    const fn zero(mut self, z: Zero, sent: ZeroSent) -> Self {
        self.zero = Some(z);
        self.zero_sent = sent;
        self
    }
    const fn check(mut self, c: Check) -> Self {
        self.check = c;
        self
    }

    /// Optional+computed in this schema.
    pub(crate) fn computed_here(&self) -> bool {
        self.aws_computed || self.zero.is_some()
    }
}

const fn s(tf: &'static str, ec2: &'static str, doc: &'static str) -> Field {
    f(tf, ec2, Kind::Str, doc)
}
const fn tri(tf: &'static str, ec2: &'static str, doc: &'static str) -> Field {
    f(tf, ec2, Kind::BoolStr, doc).check(Check::OneOf(TRI))
}
const fn flag(tf: &'static str, ec2: &'static str, doc: &'static str) -> Field {
    f(tf, ec2, Kind::Bool, doc).zero(Zero::False, ZeroSent::Never)
}
const fn int(tf: &'static str, ec2: &'static str, doc: &'static str) -> Field {
    f(tf, ec2, Kind::Int, doc).zero(Zero::Int0, ZeroSent::Never)
}
const fn block(
    tf: &'static str,
    ec2: &'static str,
    fields: &'static [Field],
    doc: &'static str,
) -> Field {
    f(
        tf,
        ec2,
        Kind::Block {
            set: false,
            min: 0,
            max: 1,
            ec2_list: false,
            fields,
        },
        doc,
    )
}
const fn blocks(
    tf: &'static str,
    ec2: &'static str,
    fields: &'static [Field],
    doc: &'static str,
) -> Field {
    f(
        tf,
        ec2,
        Kind::Block {
            set: false,
            min: 0,
            max: 0,
            ec2_list: true,
            fields,
        },
        doc,
    )
}

const TRI: &[&str] = &["true", "false", ""];
const ENABLED_DISABLED: &[&str] = &["enabled", "disabled"];
const INCLUDED: &[&str] = &["included", "required", "excluded"];

/// EBS volume types EC2 accepts (API reference, `VolumeType`).
pub(crate) const VOLUME_TYPES: &[&str] = &["standard", "io1", "io2", "gp2", "sc1", "st1", "gp3"];

const EBS: &[Field] = &[
    tri("delete_on_termination", "DeleteOnTermination", "Whether the volume is deleted when the instance terminates: `\"true\"`, `\"false\"`, or unset (EC2's default: `true` for volumes the AMI defines, as the AMI says otherwise)."),
    tri("encrypted", "Encrypted", "Whether the volume is encrypted: `\"true\"`, `\"false\"`, or unset (the account's EBS encryption default). Must not be `\"false\"` with `snapshot_id` of an encrypted snapshot."),
    f("iops", "Iops", Kind::Int, "Provisioned IOPS (`io1`, `io2`, `gp3`). Kept as EC2 holds it when unset.").computed().check(Check::IntBetween(100, 256_000)),
    s("kms_key_id", "KmsKeyId", "ARN of the KMS key that encrypts the volume (needs `encrypted = \"true\"`)."),
    s("snapshot_id", "SnapshotId", "Snapshot to create the volume from."),
    f("throughput", "Throughput", Kind::Int, "Throughput in MiB/s (`gp3` only, 125 to 2000). Kept as EC2 holds it when unset.").computed().check(Check::IntBetween(125, 2000)),
    f("volume_initialization_rate", "VolumeInitializationRate", Kind::Int, "Rate in MiB/s at which a volume created from `snapshot_id` is initialized (100 to 300). Kept as EC2 holds it when unset.").computed().check(Check::IntBetween(100, 300)),
    f("volume_size", "VolumeSize", Kind::Int, "Size in GiB (1 to 65536; at least the snapshot's size). Kept as EC2 holds it when unset.").computed().check(Check::IntBetween(1, 65_536)),
    s("volume_type", "VolumeType", "Volume type. Kept as EC2 holds it when unset.").computed().check(Check::OneOf(VOLUME_TYPES)),
];

const BLOCK_DEVICE_MAPPING: &[Field] = &[
    s(
        "device_name",
        "DeviceName",
        "Device name as the instance sees it (`/dev/xvda`, `/dev/sdf`).",
    ),
    s(
        "no_device",
        "NoDevice",
        "Suppresses the AMI's mapping of `device_name`.",
    ),
    s(
        "virtual_name",
        "VirtualName",
        "Instance store volume name (`ephemeral0` …).",
    ),
    block("ebs", "Ebs", EBS, "The EBS volume of this mapping."),
];

const CAPACITY_RESERVATION_TARGET: &[Field] = &[
    s(
        "capacity_reservation_id",
        "CapacityReservationId",
        "Capacity Reservation to launch into.",
    ),
    s(
        "capacity_reservation_resource_group_arn",
        "CapacityReservationResourceGroupArn",
        "ARN of a Capacity Reservation resource group to launch into.",
    ),
];

const CAPACITY_RESERVATION: &[Field] = &[
    s(
        "capacity_reservation_preference",
        "CapacityReservationPreference",
        "`open`, `none` or `capacity-reservations-only`.",
    )
    .check(Check::OneOf(&[
        "open",
        "none",
        "capacity-reservations-only",
    ])),
    block(
        "capacity_reservation_target",
        "CapacityReservationTarget",
        CAPACITY_RESERVATION_TARGET,
        "The Capacity Reservation or resource group to target.",
    ),
];

const CPU_OPTIONS: &[Field] = &[
    s(
        "amd_sev_snp",
        "AmdSevSnp",
        "AMD SEV-SNP: `enabled` or `disabled`.",
    )
    .check(Check::OneOf(ENABLED_DISABLED)),
    int(
        "core_count",
        "CoreCount",
        "Number of CPU cores (0 or unset: the instance type's default).",
    ),
    s(
        "nested_virtualization",
        "NestedVirtualization",
        "Nested virtualization (8th-generation Intel types: C8i, M8i, R8i and their flex variants): `enabled` or `disabled`. hashicorp/aws 6.x argument.",
    )
    .check(Check::OneOf(ENABLED_DISABLED)),
    int(
        "threads_per_core",
        "ThreadsPerCore",
        "Threads per core: 1 disables multithreading (0 or unset: the default).",
    ),
];

const CREDIT_SPECIFICATION: &[Field] = &[s(
    "cpu_credits",
    "CpuCredits",
    "Credit option for burstable instance types: `standard` or `unlimited`. As in hashicorp/aws, sent only when `instance_type` is a burstable (T) type; on other types, or without `instance_type`, the block stays in state as configured and changes nothing EC2 holds: where EC2 already holds a credit option on such a type (set outside Terraform, for the T types of an Auto Scaling group's overrides), the block follows it like any other argument: read as EC2 holds it, written as configured, removed when removed.",
)
.check(Check::OneOf(&["standard", "unlimited"]))];

const ELASTIC_GPU: &[Field] = &[s(
    "type",
    "Type",
    "Elastic Graphics accelerator type (retired by AWS; kept for templates that still carry it).",
)
.required()];

const INFERENCE_ACCELERATOR: &[Field] = &[s("type", "Type", "Elastic Inference accelerator type (`eia1.medium` …; retired by AWS, kept for templates that carry it).").required()];

const ENCLAVE_OPTIONS: &[Field] = &[f(
    "enabled",
    "Enabled",
    Kind::Bool,
    "Enables AWS Nitro Enclaves.",
)
.zero(Zero::False, ZeroSent::WithBlock)];

const HIBERNATION_OPTIONS: &[Field] = &[f("configured", "Configured", Kind::Bool, "Whether instances are enabled for hibernation (needs an encrypted root volume larger than RAM).").required()];

const IAM_INSTANCE_PROFILE: &[Field] = &[
    s("arn", "Arn", "Instance profile ARN. Conflicts with `name`."),
    s(
        "name",
        "Name",
        "Instance profile name. Conflicts with `arn`.",
    ),
];

const SPOT_OPTIONS: &[Field] = &[
    int("block_duration_minutes", "BlockDurationMinutes", "Spot block duration in minutes (multiple of 60; AWS no longer offers Spot blocks)."),
    s("instance_interruption_behavior", "InstanceInterruptionBehavior", "`hibernate`, `stop` or `terminate` (EC2's default).").check(Check::OneOf(&["hibernate", "stop", "terminate"])),
    s("max_price", "MaxPrice", "Highest price per hour, in USD, as a decimal string (`\"0.085\"`); unset means the On-Demand price.").check(Check::Decimal),
    s("spot_instance_type", "SpotInstanceType", "`one-time` or `persistent`.").check(Check::OneOf(&["one-time", "persistent"])),
    f("valid_until", "ValidUntil", Kind::Time, "End of a persistent request, RFC 3339 (`2026-12-31T23:59:59Z`). Kept as EC2 holds it when unset.").computed().check(Check::Rfc3339),
];

const MARKET_OPTIONS: &[Field] = &[
    s("market_type", "MarketType", "`spot` or `capacity-block`.")
        .check(Check::OneOf(&["spot", "capacity-block"])),
    block(
        "spot_options",
        "SpotOptions",
        SPOT_OPTIONS,
        "Spot request options.",
    ),
];

const INT_RANGE: &[Field] = &[
    f("max", "Max", Kind::Int, "Maximum (unset: no maximum).").zero(Zero::Int0, ZeroSent::RangeMax),
    f("min", "Min", Kind::Int, "Minimum (unset: 0).").zero(Zero::Int0, ZeroSent::WithBlock),
];
const INT_RANGE_MIN_REQUIRED: &[Field] = &[
    f("max", "Max", Kind::Int, "Maximum (unset: no maximum).").zero(Zero::Int0, ZeroSent::RangeMax),
    f("min", "Min", Kind::Int, "Minimum.").required(),
];
const FLOAT_RANGE: &[Field] = &[
    f("max", "Max", Kind::Float, "Maximum (unset: no maximum).")
        .zero(Zero::Int0, ZeroSent::RangeMax),
    f("min", "Min", Kind::Float, "Minimum (unset: 0).").zero(Zero::Int0, ZeroSent::WithBlock),
];

const fn range(
    tf: &'static str,
    ec2: &'static str,
    fields: &'static [Field],
    doc: &'static str,
) -> Field {
    block(tf, ec2, fields, doc)
}

const INSTANCE_REQUIREMENTS: &[Field] = &[
    range("accelerator_count", "AcceleratorCount", INT_RANGE, "Number of accelerators (GPUs, FPGAs, Inferentia). `max = 0` excludes accelerated instance types."),
    f("accelerator_manufacturers", "AcceleratorManufacturers", Kind::StrSet, "Accelerator manufacturers: `amazon-web-services`, `amd`, `habana`, `nvidia`, `xilinx`."),
    f("accelerator_names", "AcceleratorNames", Kind::StrSet, "Accelerator names (`a100`, `t4`, `inferentia` …)."),
    range("accelerator_total_memory_mib", "AcceleratorTotalMemoryMiB", INT_RANGE, "Total accelerator memory in MiB."),
    f("accelerator_types", "AcceleratorTypes", Kind::StrSet, "Accelerator types: `gpu`, `fpga`, `inference`."),
    f("allowed_instance_types", "AllowedInstanceTypes", Kind::StrSet, "Instance types to choose from (wildcards allowed). Conflicts with `excluded_instance_types`."),
    s("bare_metal", "BareMetal", "Bare metal types: `included`, `required` or `excluded` (EC2's default).").check(Check::OneOf(INCLUDED)),
    range("baseline_ebs_bandwidth_mbps", "BaselineEbsBandwidthMbps", INT_RANGE, "Baseline EBS bandwidth in Mbps."),
    s("burstable_performance", "BurstablePerformance", "Burstable types: `included`, `required` or `excluded` (EC2's default).").check(Check::OneOf(INCLUDED)),
    f("cpu_manufacturers", "CpuManufacturers", Kind::StrSet, "CPU manufacturers: `amazon-web-services`, `amd`, `intel`, `apple`."),
    f("excluded_instance_types", "ExcludedInstanceTypes", Kind::StrSet, "Instance types to exclude (wildcards allowed). Conflicts with `allowed_instance_types`."),
    f("instance_generations", "InstanceGenerations", Kind::StrSet, "`current` and/or `previous`."),
    s("local_storage", "LocalStorage", "Instance store volumes: `included` (EC2's default), `required` or `excluded`.").check(Check::OneOf(INCLUDED)),
    f("local_storage_types", "LocalStorageTypes", Kind::StrSet, "Instance store types: `hdd`, `ssd`."),
    int("max_spot_price_as_percentage_of_optimal_on_demand_price", "MaxSpotPriceAsPercentageOfOptimalOnDemandPrice", "Price protection for Spot, as a percentage of the optimal On-Demand price. Conflicts with `spot_max_price_percentage_over_lowest_price`."),
    range("memory_gib_per_vcpu", "MemoryGiBPerVCpu", FLOAT_RANGE, "Memory per vCPU in GiB (fractions allowed)."),
    f("memory_mib", "MemoryMiB", Kind::Block { set: false, min: 1, max: 1, ec2_list: false, fields: INT_RANGE_MIN_REQUIRED }, "Memory in MiB (required)."),
    range("network_bandwidth_gbps", "NetworkBandwidthGbps", FLOAT_RANGE, "Network bandwidth in Gbps (fractions allowed)."),
    range("network_interface_count", "NetworkInterfaceCount", INT_RANGE, "Number of network interfaces."),
    int("on_demand_max_price_percentage_over_lowest_price", "OnDemandMaxPricePercentageOverLowestPrice", "Price protection for On-Demand, as a percentage over the lowest priced current-generation type."),
    f("require_hibernate_support", "RequireHibernateSupport", Kind::Bool, "Only instance types that support hibernation.").zero(Zero::False, ZeroSent::Never),
    int("spot_max_price_percentage_over_lowest_price", "SpotMaxPricePercentageOverLowestPrice", "Price protection for Spot, as a percentage over the lowest priced current-generation type. Conflicts with `max_spot_price_as_percentage_of_optimal_on_demand_price`."),
    range("total_local_storage_gb", "TotalLocalStorageGB", FLOAT_RANGE, "Total instance store size in GB (fractions allowed)."),
    f("vcpu_count", "VCpuCount", Kind::Block { set: false, min: 1, max: 1, ec2_list: false, fields: INT_RANGE_MIN_REQUIRED }, "Number of vCPUs (required)."),
];

const LICENSE_SPECIFICATION: &[Field] = &[s(
    "license_configuration_arn",
    "LicenseConfigurationArn",
    "ARN of a License Manager license configuration.",
)
.required()];

const MAINTENANCE_OPTIONS: &[Field] = &[s(
    "auto_recovery",
    "AutoRecovery",
    "Simplified automatic recovery: `default` (on) or `disabled`.",
)
.check(Check::OneOf(&["default", "disabled"]))];

const METADATA_OPTIONS: &[Field] = &[
    s("http_endpoint", "HttpEndpoint", "Instance metadata service: `enabled` or `disabled`. Kept as EC2 holds it when unset; EC2's default is `enabled`.").computed().check(Check::OneOf(ENABLED_DISABLED)),
    s("http_protocol_ipv6", "HttpProtocolIpv6", "IMDS IPv6 endpoint (`fd00:ec2::254`): `enabled` or `disabled`. Kept as EC2 holds it when unset; EC2's default is `disabled`.").computed().check(Check::OneOf(ENABLED_DISABLED)),
    f("http_put_response_hop_limit", "HttpPutResponseHopLimit", Kind::Int, "IMDSv2 token hop limit, 1 to 64. The agent on a bridge network (the design this provider renders) is one hop away and needs `2`; the DOCKER-USER guard keeps task containers away instead. `1` is refused for such user data and accepted for an agent on the host network (ecs-init on ECS-optimized AMIs). Kept as EC2 holds it when unset.").computed().check(Check::IntBetween(1, 64)),
    s("http_tokens", "HttpTokens", "`required` (IMDSv2 only) or `optional` (IMDSv1 allowed: warned about). Kept as EC2 holds it when unset.").computed().check(Check::OneOf(&["required", "optional"])),
    s("instance_metadata_tags", "InstanceMetadataTags", "Instance tags in instance metadata: `enabled` or `disabled`. Kept as EC2 holds it when unset; EC2's default is `disabled`.").computed().check(Check::OneOf(ENABLED_DISABLED)),
];

const MONITORING: &[Field] = &[f(
    "enabled",
    "Enabled",
    Kind::Bool,
    "Detailed (one-minute) CloudWatch monitoring.",
)
.zero(Zero::False, ZeroSent::WithBlock)];

const CONNECTION_TRACKING: &[Field] = &[
    int(
        "tcp_established_timeout",
        "TcpEstablishedTimeout",
        "Idle timeout of established TCP flows, in seconds (60 to 432000).",
    ),
    int(
        "udp_stream_timeout",
        "UdpStreamTimeout",
        "Idle timeout of UDP flows seen in both directions more than once, in seconds (60 to 180).",
    ),
    int(
        "udp_timeout",
        "UdpTimeout",
        "Idle timeout of other UDP flows, in seconds (30 to 60).",
    ),
];

const ENA_SRD_UDP: &[Field] = &[f(
    "ena_srd_udp_enabled",
    "EnaSrdUdpEnabled",
    Kind::Bool,
    "ENA Express for UDP.",
)
.zero(Zero::False, ZeroSent::WithBlock)];

const ENA_SRD: &[Field] = &[
    f(
        "ena_srd_enabled",
        "EnaSrdEnabled",
        Kind::Bool,
        "ENA Express (SRD) for TCP.",
    )
    .zero(Zero::False, ZeroSent::WithBlock),
    block(
        "ena_srd_udp_specification",
        "EnaSrdUdpSpecification",
        ENA_SRD_UDP,
        "ENA Express for UDP.",
    ),
];

const NETWORK_INTERFACE: &[Field] = &[
    tri("associate_carrier_ip_address", "AssociateCarrierIpAddress", "Associate a Carrier IP (Wavelength Zones): `\"true\"`, `\"false\"` or unset."),
    tri("associate_public_ip_address", "AssociatePublicIpAddress", "Associate a public IPv4 address: `\"true\"`, `\"false\"` or unset (the subnet's setting)."),
    tri("delete_on_termination", "DeleteOnTermination", "Delete the interface when the instance terminates: `\"true\"`, `\"false\"` or unset."),
    s("description", "Description", "Interface description."),
    f("device_index", "DeviceIndex", Kind::Int, "Attachment order; 0 is the primary interface.").zero(Zero::Int0, ZeroSent::WithBlock),
    int("ena_queue_count", "EnaQueueCount", "Number of ENA queues of the interface (0 or unset: the instance type's default). hashicorp/aws 6.x argument."),
    s("interface_type", "InterfaceType", "`interface` (default), `efa` or `efa-only`.").check(Check::OneOf(&["interface", "efa", "efa-only"])),
    int("ipv4_address_count", "SecondaryPrivateIpAddressCount", "Number of secondary private IPv4 addresses. Conflicts with `ipv4_addresses`."),
    f("ipv4_addresses", "PrivateIpAddresses", Kind::StrSetOf("PrivateIpAddress"), "Secondary private IPv4 addresses."),
    int("ipv4_prefix_count", "Ipv4PrefixCount", "Number of IPv4 delegated prefixes. Conflicts with `ipv4_prefixes`."),
    f("ipv4_prefixes", "Ipv4Prefixes", Kind::StrSetOf("Ipv4Prefix"), "IPv4 delegated prefixes."),
    int("ipv6_address_count", "Ipv6AddressCount", "Number of IPv6 addresses. Conflicts with `ipv6_addresses`."),
    f("ipv6_addresses", "Ipv6Addresses", Kind::StrSetOf("Ipv6Address"), "IPv6 addresses."),
    int("ipv6_prefix_count", "Ipv6PrefixCount", "Number of IPv6 delegated prefixes. Conflicts with `ipv6_prefixes`."),
    f("ipv6_prefixes", "Ipv6Prefixes", Kind::StrSetOf("Ipv6Prefix"), "IPv6 delegated prefixes."),
    f("network_card_index", "NetworkCardIndex", Kind::Int, "Network card, for instance types with several.").zero(Zero::Int0, ZeroSent::Never),
    s("network_interface_id", "NetworkInterfaceId", "Existing interface to attach."),
    tri("primary_ipv6", "PrimaryIpv6", "Make the first IPv6 GUA the primary IPv6 address: `\"true\"`, `\"false\"` or unset."),
    s("private_ip_address", "PrivateIpAddress", "Primary private IPv4 address."),
    f("security_groups", "Groups", Kind::StrSet, "Security group IDs of the interface (with `network_interfaces`, security groups go here rather than in `vpc_security_group_ids`)."),
    s("subnet_id", "SubnetId", "Subnet of the interface."),
    block("connection_tracking_specification", "ConnectionTrackingSpecification", CONNECTION_TRACKING, "Connection tracking idle timeouts."),
    block("ena_srd_specification", "EnaSrdSpecification", ENA_SRD, "ENA Express settings."),
];

const PLACEMENT: &[Field] = &[
    s(
        "affinity",
        "Affinity",
        "Affinity with a Dedicated Host: `default` or `host`.",
    ),
    s(
        "availability_zone",
        "AvailabilityZone",
        "Availability Zone.",
    ),
    s("group_id", "GroupId", "Placement group ID (needed for a shared placement group). Conflicts with `group_name`. hashicorp/aws 6.x argument."),
    s("group_name", "GroupName", "Placement group name. Conflicts with `group_id`."),
    s("host_id", "HostId", "Dedicated Host ID."),
    s(
        "host_resource_group_arn",
        "HostResourceGroupArn",
        "ARN of a host resource group (needs `tenancy = \"host\"`).",
    ),
    int(
        "partition_number",
        "PartitionNumber",
        "Partition of a partition placement group.",
    ),
    s("spread_domain", "SpreadDomain", "Reserved by EC2."),
    s("tenancy", "Tenancy", "`default`, `dedicated` or `host`.").check(Check::OneOf(&[
        "default",
        "dedicated",
        "host",
    ])),
];

const NETWORK_PERFORMANCE_OPTIONS: &[Field] = &[s(
    "bandwidth_weighting",
    "BandwidthWeighting",
    "Baseline bandwidth weighting: `default`, `vpc-1` (more network, less EBS) or `ebs-1` (more EBS, less network); select instance types only.",
)
.check(Check::OneOf(&["default", "vpc-1", "ebs-1"]))];

const SECONDARY_INTERFACE: &[Field] = &[
    flag(
        "delete_on_termination",
        "DeleteOnTermination",
        "Delete the interface when the instance terminates (EC2 supports only `true`).",
    ),
    int(
        "device_index",
        "DeviceIndex",
        "Device index of the attachment.",
    ),
    s(
        "interface_type",
        "InterfaceType",
        "Interface type: `secondary` (the only value EC2 takes).",
    )
    .check(Check::OneOf(&["secondary"])),
    int(
        "network_card_index",
        "NetworkCardIndex",
        "Network card index.",
    ),
    int(
        "private_ip_address_count",
        "PrivateIpAddressCount",
        "Number of private IPv4 addresses to assign. Conflicts with `private_ip_addresses`.",
    ),
    f(
        "private_ip_addresses",
        "PrivateIpAddresses",
        Kind::StrSetOf("PrivateIpAddress"),
        "Private IPv4 addresses to assign. Conflicts with `private_ip_address_count`.",
    ),
    s(
        "secondary_subnet_id",
        "SecondarySubnetId",
        "Secondary subnet ID.",
    ),
];

const PRIVATE_DNS_NAME_OPTIONS: &[Field] = &[
    f(
        "enable_resource_name_dns_a_record",
        "EnableResourceNameDnsARecord",
        Kind::Bool,
        "Answer DNS A queries for the resource-based hostname.",
    )
    .zero(Zero::False, ZeroSent::WithBlock),
    f(
        "enable_resource_name_dns_aaaa_record",
        "EnableResourceNameDnsAAAARecord",
        Kind::Bool,
        "Answer DNS AAAA queries for the resource-based hostname.",
    )
    .zero(Zero::False, ZeroSent::WithBlock),
    s(
        "hostname_type",
        "HostnameType",
        "`ip-name` or `resource-name`.",
    )
    .check(Check::OneOf(&["ip-name", "resource-name"])),
];

const TAG_SPECIFICATION: &[Field] = &[
    s("resource_type", "ResourceType", "What the tags go on at launch: `instance`, `volume`, `network-interface`, `spot-instances-request` …"),
    f("tags", "Tags", Kind::Tags, "Tags applied at launch."),
];

/// The template-data arguments, in the order the schema lists them.
pub(crate) const FIELDS: &[Field] = &[
    f("block_device_mappings", "BlockDeviceMappings", Kind::Block { set: false, min: 0, max: 0, ec2_list: true, fields: BLOCK_DEVICE_MAPPING }, "Volumes to attach at launch."),
    block("capacity_reservation_specification", "CapacityReservationSpecification", CAPACITY_RESERVATION, "Capacity Reservation targeting."),
    block("cpu_options", "CpuOptions", CPU_OPTIONS, "CPU options."),
    block("credit_specification", "CreditSpecification", CREDIT_SPECIFICATION, "Credit option for burstable (T) instance types."),
    flag("disable_api_stop", "DisableApiStop", "Stop protection."),
    flag("disable_api_termination", "DisableApiTermination", "Termination protection."),
    tri("ebs_optimized", "EbsOptimized", "EBS-optimized: `\"true\"`, `\"false\"` or unset (the instance type's default)."),
    blocks("elastic_gpu_specifications", "ElasticGpuSpecifications", ELASTIC_GPU, "Elastic Graphics accelerators (retired by AWS)."),
    f("elastic_inference_accelerator", "ElasticInferenceAccelerators", Kind::Block { set: false, min: 0, max: 1, ec2_list: true, fields: INFERENCE_ACCELERATOR }, "An Elastic Inference accelerator (retired by AWS)."),
    block("enclave_options", "EnclaveOptions", ENCLAVE_OPTIONS, "Nitro Enclaves."),
    block("hibernation_options", "HibernationOptions", HIBERNATION_OPTIONS, "Hibernation."),
    block("iam_instance_profile", "IamInstanceProfile", IAM_INSTANCE_PROFILE, "The IAM instance profile, by `arn` or `name`."),
    s("image_id", "ImageId", "AMI ID."),
    s("instance_initiated_shutdown_behavior", "InstanceInitiatedShutdownBehavior", "What `shutdown` inside the instance does: `stop` or `terminate`.").check(Check::OneOf(&["stop", "terminate"])),
    block("instance_market_options", "InstanceMarketOptions", MARKET_OPTIONS, "Spot or Capacity Block purchasing."),
    block("instance_requirements", "InstanceRequirements", INSTANCE_REQUIREMENTS, "Attribute-based instance type selection. Conflicts with `instance_type`."),
    s("instance_type", "InstanceType", "Instance type. Conflicts with `instance_requirements`."),
    s("kernel_id", "KernelId", "Kernel ID (paravirtual AMIs)."),
    s("key_name", "KeyName", "Key pair name."),
    f("license_specification", "LicenseSpecifications", Kind::Block { set: true, min: 0, max: 0, ec2_list: true, fields: LICENSE_SPECIFICATION }, "License Manager configurations."),
    block("maintenance_options", "MaintenanceOptions", MAINTENANCE_OPTIONS, "Maintenance options."),
    block("metadata_options", "MetadataOptions", METADATA_OPTIONS, "Instance metadata service options. Omitted, instances get the AMI's or account's defaults (possibly IMDSv1): a warning says so."),
    block("monitoring", "Monitoring", MONITORING, "CloudWatch monitoring."),
    blocks("network_interfaces", "NetworkInterfaces", NETWORK_INTERFACE, "Network interfaces to attach at launch."),
    block("network_performance_options", "NetworkPerformanceOptions", NETWORK_PERFORMANCE_OPTIONS, "Network performance options. hashicorp/aws 6.x argument."),
    block("placement", "Placement", PLACEMENT, "Placement."),
    block("private_dns_name_options", "PrivateDnsNameOptions", PRIVATE_DNS_NAME_OPTIONS, "Hostname and DNS options."),
    s("ram_disk_id", "RamDiskId", "RAM disk ID (paravirtual AMIs)."),
    blocks("secondary_interfaces", "SecondaryInterfaces", SECONDARY_INTERFACE, "Secondary interfaces (in secondary subnets) to attach at launch. hashicorp/aws 6.x argument."),
    f("security_group_names", "SecurityGroups", Kind::StrSet, "Security group names (EC2-Classic and default VPC). Use `vpc_security_group_ids` in a VPC; conflicts with it."),
    blocks("tag_specifications", "TagSpecifications", TAG_SPECIFICATION, "Tags applied to resources at launch. One block per `resource_type`."),
    s("user_data", "UserData", "Base64-encoded user data, exactly as hashicorp/aws's `aws_launch_template` takes it: `data.ecshost_user_data.x.base64`, or `base64encode(…)`. At most 16 KiB decoded. A change creates a new version.").check(Check::UserData),
    f("vpc_security_group_ids", "SecurityGroupIds", Kind::StrSet, "Security group IDs. Conflicts with `security_group_names`."),
];

fn validators(a: Attribute, c: Check) -> Attribute {
    match c {
        Check::None => a,
        Check::OneOf(v) => a.validator(OneOf(v)),
        Check::IntBetween(lo, hi) => a.validator(IntBetween(lo, hi)),
        Check::Decimal => a.validator(super::guards::DecimalString),
        Check::Rfc3339 => a.validator(super::guards::Rfc3339),
        Check::UserData => a.validator(super::guards::UserDataBase64),
    }
}

fn attribute(x: &Field) -> Option<Attribute> {
    let a = match x.kind {
        Kind::Str | Kind::BoolStr | Kind::Time => Attribute::string(x.tf),
        Kind::Bool => Attribute::bool(x.tf),
        Kind::Int | Kind::Float => Attribute::number(x.tf),
        Kind::StrSet | Kind::StrSetOf(_) => Attribute::string_set(x.tf),
        Kind::Tags => Attribute::string_map(x.tf),
        Kind::Block { .. } => return None,
    };
    let a = if x.required {
        a.required()
    } else if x.computed_here() {
        a.optional().computed()
    } else {
        a.optional()
    };
    let doc = if x.zero.is_some() && !x.required {
        let z = match x.zero {
            Some(Zero::False) => "`false`",
            _ => "`0`",
        };
        format!("{} Unset reads as {z} (EC2 treats them alike).", x.doc)
    } else {
        x.doc.to_owned()
    };
    Some(validators(a, x.check).description(&doc))
}

/// The attributes and nested blocks of `fields`.
pub(crate) fn block_of(fields: &[Field]) -> Block {
    let mut attrs = Vec::new();
    let mut nested = Vec::new();
    for x in fields {
        if let Some(a) = attribute(x) {
            attrs.push(a);
        } else if let Kind::Block {
            set,
            min,
            max,
            fields,
            ..
        } = x.kind
        {
            let nesting = if set { Nesting::Set } else { Nesting::List };
            nested.push(
                NestedBlock::new(x.tf, nesting, block_of(fields).description(x.doc))
                    .items(min, max),
            );
        }
    }
    Block::new(attrs).with_blocks(nested)
}
