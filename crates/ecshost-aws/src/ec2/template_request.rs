//! Turns [`LaunchTemplateData`] into the SDK's `RequestLaunchTemplateData`.
//!
//! Driven by the data's own keys: every member present is sent, and a
//! member this code does not know is an error ([`RequestError`]), never a
//! silent omission. A unit test sends a value for every member of
//! [`super::template_data::SHAPE`], so a member added there without code
//! here fails the build's tests; the acceptance tests read each one back
//! from the EC2 emulator.

use aws_sdk_ec2::primitives::{DateTime, DateTimeFormat};
use aws_sdk_ec2::types::{
    AcceleratorCountRequest, AcceleratorManufacturer, AcceleratorName,
    AcceleratorTotalMemoryMiBRequest, AcceleratorType, AmdSevSnpSpecification, BareMetal,
    BaselineEbsBandwidthMbpsRequest, BurstablePerformance, CapacityReservationPreference,
    CapacityReservationTarget, ConnectionTrackingSpecificationRequest, CpuManufacturer,
    CreditSpecificationRequest, ElasticGpuSpecification, EnaSrdSpecificationRequest,
    EnaSrdUdpSpecificationRequest, InstanceBandwidthWeighting, InstanceGeneration,
    InstanceInterruptionBehavior, InstanceIpv6AddressRequest, InstanceRequirementsRequest,
    InstanceType, Ipv4PrefixSpecificationRequest, Ipv6PrefixSpecificationRequest,
    LaunchTemplateAutoRecoveryState, LaunchTemplateBlockDeviceMappingRequest,
    LaunchTemplateCapacityReservationSpecificationRequest, LaunchTemplateCpuOptionsRequest,
    LaunchTemplateEbsBlockDeviceRequest, LaunchTemplateElasticInferenceAccelerator,
    LaunchTemplateEnclaveOptionsRequest, LaunchTemplateHibernationOptionsRequest,
    LaunchTemplateHttpTokensState, LaunchTemplateIamInstanceProfileSpecificationRequest,
    LaunchTemplateInstanceMaintenanceOptionsRequest, LaunchTemplateInstanceMarketOptionsRequest,
    LaunchTemplateInstanceMetadataEndpointState, LaunchTemplateInstanceMetadataOptionsRequest,
    LaunchTemplateInstanceMetadataProtocolIpv6, LaunchTemplateInstanceMetadataTagsState,
    LaunchTemplateInstanceNetworkInterfaceSpecificationRequest,
    LaunchTemplateInstanceSecondaryInterfaceSpecificationRequest,
    LaunchTemplateLicenseConfigurationRequest, LaunchTemplateNetworkPerformanceOptionsRequest,
    LaunchTemplatePlacementRequest, LaunchTemplatePrivateDnsNameOptionsRequest,
    LaunchTemplateSpotMarketOptionsRequest, LaunchTemplateTagSpecificationRequest,
    LaunchTemplatesMonitoringRequest, LocalStorage, LocalStorageType, MarketType,
    MemoryGiBPerVCpuRequest, MemoryMiBRequest, NestedVirtualizationSpecification,
    NetworkBandwidthGbpsRequest, NetworkInterfaceCountRequest, PrivateIpAddressSpecification,
    RequestLaunchTemplateData, ResourceType,
    SecondaryInterfacePrivateIpAddressSpecificationRequest, SecondaryInterfaceType,
    ShutdownBehavior, SpotInstanceType, Tag, Tenancy, TotalLocalStorageGbRequest,
    VCpuCountRangeRequest, VolumeType,
};
use serde_json::{Map, Value as Json};

use super::template_data::LaunchTemplateData;

/// A member that cannot be sent.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RequestError {
    /// Not a member this layer knows how to send.
    #[error("launch template data member {0} cannot be sent by this provider")]
    UnknownMember(String),
    /// A value of the wrong JSON type for its member.
    #[error("launch template data member {path} must be {expected}")]
    BadValue {
        /// API-style path
        path: String,
        /// what the member takes
        expected: &'static str,
    },
}

type R<T> = Result<T, RequestError>;

/// The walk's position, for error messages.
#[derive(Clone, Copy)]
struct At<'a>(&'a str);

impl At<'_> {
    fn join(self, k: &str) -> String {
        if self.0.is_empty() {
            k.to_owned()
        } else {
            format!("{}.{k}", self.0)
        }
    }
}

fn s(v: &Json, p: &str) -> R<String> {
    v.as_str().map(str::to_owned).ok_or(RequestError::BadValue {
        path: p.to_owned(),
        expected: "a string",
    })
}

fn b(v: &Json, p: &str) -> R<bool> {
    v.as_bool().ok_or(RequestError::BadValue {
        path: p.to_owned(),
        expected: "true or false",
    })
}

fn i(v: &Json, p: &str) -> R<i32> {
    v.as_i64()
        .and_then(|n| i32::try_from(n).ok())
        .or_else(|| {
            v.as_f64()
                .filter(|f| f.fract() == 0.0)
                .and_then(|f| i32::try_from(f as i64).ok())
        })
        .ok_or(RequestError::BadValue {
            path: p.to_owned(),
            expected: "a 32-bit integer",
        })
}

fn f(v: &Json, p: &str) -> R<f64> {
    v.as_f64().ok_or(RequestError::BadValue {
        path: p.to_owned(),
        expected: "a number",
    })
}

fn obj<'a>(v: &'a Json, p: &str) -> R<&'a Map<String, Json>> {
    v.as_object().ok_or(RequestError::BadValue {
        path: p.to_owned(),
        expected: "a structure",
    })
}

fn list<'a>(v: &'a Json, p: &str) -> R<&'a Vec<Json>> {
    v.as_array().ok_or(RequestError::BadValue {
        path: p.to_owned(),
        expected: "a list",
    })
}

fn strings(v: &Json, p: &str) -> R<Vec<String>> {
    list(v, p)?
        .iter()
        .enumerate()
        .map(|(n, x)| s(x, &format!("{p}[{n}]")))
        .collect()
}

/// Items of a list, each with its path.
fn items<'a>(v: &'a Json, p: &str) -> R<Vec<(&'a Json, String)>> {
    Ok(list(v, p)?
        .iter()
        .enumerate()
        .map(|(n, x)| (x, format!("{p}[{n}]")))
        .collect())
}

fn unknown(p: String) -> RequestError {
    RequestError::UnknownMember(p)
}

/// The request for `data`.
pub fn request_data(data: &LaunchTemplateData) -> R<RequestLaunchTemplateData> {
    let mut r = RequestLaunchTemplateData::builder();
    let at = At("");
    for (k, v) in &data.0 {
        let p = at.join(k);
        r = match k.as_str() {
            "BlockDeviceMappings" => {
                for (x, xp) in items(v, &p)? {
                    r = r.block_device_mappings(block_device_mapping(x, &xp)?);
                }
                r
            }
            "CapacityReservationSpecification" => {
                r.capacity_reservation_specification(capacity_reservation(v, &p)?)
            }
            "CpuOptions" => {
                let mut c = LaunchTemplateCpuOptionsRequest::builder();
                for (k, v) in obj(v, &p)? {
                    let p = At(&p).join(k);
                    c = match k.as_str() {
                        "AmdSevSnp" => {
                            c.amd_sev_snp(AmdSevSnpSpecification::from(s(v, &p)?.as_str()))
                        }
                        "CoreCount" => c.core_count(i(v, &p)?),
                        "NestedVirtualization" => c.nested_virtualization(
                            NestedVirtualizationSpecification::from(s(v, &p)?.as_str()),
                        ),
                        "ThreadsPerCore" => c.threads_per_core(i(v, &p)?),
                        _ => return Err(unknown(p)),
                    };
                }
                r.cpu_options(c.build())
            }
            "CreditSpecification" => {
                let mut c = CreditSpecificationRequest::builder();
                for (k, v) in obj(v, &p)? {
                    let p = At(&p).join(k);
                    c = match k.as_str() {
                        "CpuCredits" => c.cpu_credits(s(v, &p)?),
                        _ => return Err(unknown(p)),
                    };
                }
                r.credit_specification(c.build())
            }
            "DisableApiStop" => r.disable_api_stop(b(v, &p)?),
            "DisableApiTermination" => r.disable_api_termination(b(v, &p)?),
            "EbsOptimized" => r.ebs_optimized(b(v, &p)?),
            // Retired by AWS and deprecated in the SDK, but templates still
            // carry them: a new version must carry them too.
            #[allow(deprecated)]
            "ElasticGpuSpecifications" => {
                for (x, xp) in items(v, &p)? {
                    let mut g = ElasticGpuSpecification::builder();
                    for (k, v) in obj(x, &xp)? {
                        let p = At(&xp).join(k);
                        g = match k.as_str() {
                            "Type" => g.r#type(s(v, &p)?),
                            _ => return Err(unknown(p)),
                        };
                    }
                    r = r.elastic_gpu_specifications(g.build());
                }
                r
            }
            #[allow(deprecated)]
            "ElasticInferenceAccelerators" => {
                for (x, xp) in items(v, &p)? {
                    let mut a = LaunchTemplateElasticInferenceAccelerator::builder();
                    for (k, v) in obj(x, &xp)? {
                        let p = At(&xp).join(k);
                        a = match k.as_str() {
                            "Type" => a.r#type(s(v, &p)?),
                            _ => return Err(unknown(p)),
                        };
                    }
                    r = r.elastic_inference_accelerators(a.build());
                }
                r
            }
            "EnclaveOptions" => {
                let mut e = LaunchTemplateEnclaveOptionsRequest::builder();
                for (k, v) in obj(v, &p)? {
                    let p = At(&p).join(k);
                    e = match k.as_str() {
                        "Enabled" => e.enabled(b(v, &p)?),
                        _ => return Err(unknown(p)),
                    };
                }
                r.enclave_options(e.build())
            }
            "HibernationOptions" => {
                let mut h = LaunchTemplateHibernationOptionsRequest::builder();
                for (k, v) in obj(v, &p)? {
                    let p = At(&p).join(k);
                    h = match k.as_str() {
                        "Configured" => h.configured(b(v, &p)?),
                        _ => return Err(unknown(p)),
                    };
                }
                r.hibernation_options(h.build())
            }
            "IamInstanceProfile" => {
                let mut ip = LaunchTemplateIamInstanceProfileSpecificationRequest::builder();
                for (k, v) in obj(v, &p)? {
                    let p = At(&p).join(k);
                    ip = match k.as_str() {
                        "Arn" => ip.arn(s(v, &p)?),
                        "Name" => ip.name(s(v, &p)?),
                        _ => return Err(unknown(p)),
                    };
                }
                r.iam_instance_profile(ip.build())
            }
            "ImageId" => r.image_id(s(v, &p)?),
            "InstanceInitiatedShutdownBehavior" => {
                r.instance_initiated_shutdown_behavior(ShutdownBehavior::from(s(v, &p)?.as_str()))
            }
            "InstanceMarketOptions" => r.instance_market_options(market_options(v, &p)?),
            "InstanceRequirements" => r.instance_requirements(instance_requirements(v, &p)?),
            "InstanceType" => r.instance_type(InstanceType::from(s(v, &p)?.as_str())),
            "KernelId" => r.kernel_id(s(v, &p)?),
            "KeyName" => r.key_name(s(v, &p)?),
            "LicenseSpecifications" => {
                for (x, xp) in items(v, &p)? {
                    let mut l = LaunchTemplateLicenseConfigurationRequest::builder();
                    for (k, v) in obj(x, &xp)? {
                        let p = At(&xp).join(k);
                        l = match k.as_str() {
                            "LicenseConfigurationArn" => l.license_configuration_arn(s(v, &p)?),
                            _ => return Err(unknown(p)),
                        };
                    }
                    r = r.license_specifications(l.build());
                }
                r
            }
            "MaintenanceOptions" => {
                let mut mo = LaunchTemplateInstanceMaintenanceOptionsRequest::builder();
                for (k, v) in obj(v, &p)? {
                    let p = At(&p).join(k);
                    mo = match k.as_str() {
                        "AutoRecovery" => mo.auto_recovery(LaunchTemplateAutoRecoveryState::from(
                            s(v, &p)?.as_str(),
                        )),
                        _ => return Err(unknown(p)),
                    };
                }
                r.maintenance_options(mo.build())
            }
            "MetadataOptions" => r.metadata_options(metadata_options(v, &p)?),
            "Monitoring" => {
                let mut mo = LaunchTemplatesMonitoringRequest::builder();
                for (k, v) in obj(v, &p)? {
                    let p = At(&p).join(k);
                    mo = match k.as_str() {
                        "Enabled" => mo.enabled(b(v, &p)?),
                        _ => return Err(unknown(p)),
                    };
                }
                r.monitoring(mo.build())
            }
            "NetworkInterfaces" => {
                for (x, xp) in items(v, &p)? {
                    r = r.network_interfaces(network_interface(x, &xp)?);
                }
                r
            }
            "NetworkPerformanceOptions" => {
                let mut o = LaunchTemplateNetworkPerformanceOptionsRequest::builder();
                for (k, v) in obj(v, &p)? {
                    let p = At(&p).join(k);
                    o = match k.as_str() {
                        "BandwidthWeighting" => o.bandwidth_weighting(
                            InstanceBandwidthWeighting::from(s(v, &p)?.as_str()),
                        ),
                        _ => return Err(unknown(p)),
                    };
                }
                r.network_performance_options(o.build())
            }
            "Placement" => r.placement(placement(v, &p)?),
            "PrivateDnsNameOptions" => {
                let mut d = LaunchTemplatePrivateDnsNameOptionsRequest::builder();
                for (k, v) in obj(v, &p)? {
                    let p = At(&p).join(k);
                    d = match k.as_str() {
                        "EnableResourceNameDnsAAAARecord" => {
                            d.enable_resource_name_dns_aaaa_record(b(v, &p)?)
                        }
                        "EnableResourceNameDnsARecord" => {
                            d.enable_resource_name_dns_a_record(b(v, &p)?)
                        }
                        "HostnameType" => d.hostname_type(s(v, &p)?.as_str().into()),
                        _ => return Err(unknown(p)),
                    };
                }
                r.private_dns_name_options(d.build())
            }
            "RamDiskId" => r.ram_disk_id(s(v, &p)?),
            "SecondaryInterfaces" => {
                for (x, xp) in items(v, &p)? {
                    r = r.secondary_interfaces(secondary_interface(x, &xp)?);
                }
                r
            }
            "SecurityGroupIds" => r.set_security_group_ids(Some(strings(v, &p)?)),
            "SecurityGroups" => r.set_security_groups(Some(strings(v, &p)?)),
            "TagSpecifications" => {
                for (x, xp) in items(v, &p)? {
                    r = r.tag_specifications(tag_specification(x, &xp)?);
                }
                r
            }
            "UserData" => r.user_data(s(v, &p)?),
            _ => return Err(unknown(p)),
        };
    }
    Ok(r.build())
}

fn block_device_mapping(v: &Json, p: &str) -> R<LaunchTemplateBlockDeviceMappingRequest> {
    let mut m = LaunchTemplateBlockDeviceMappingRequest::builder();
    for (k, v) in obj(v, p)? {
        let p = At(p).join(k);
        m = match k.as_str() {
            "DeviceName" => m.device_name(s(v, &p)?),
            "NoDevice" => m.no_device(s(v, &p)?),
            "VirtualName" => m.virtual_name(s(v, &p)?),
            "Ebs" => {
                let mut e = LaunchTemplateEbsBlockDeviceRequest::builder();
                for (k, v) in obj(v, &p)? {
                    let p = At(&p).join(k);
                    e = match k.as_str() {
                        "DeleteOnTermination" => e.delete_on_termination(b(v, &p)?),
                        "Encrypted" => e.encrypted(b(v, &p)?),
                        "Iops" => e.iops(i(v, &p)?),
                        "KmsKeyId" => e.kms_key_id(s(v, &p)?),
                        "SnapshotId" => e.snapshot_id(s(v, &p)?),
                        "Throughput" => e.throughput(i(v, &p)?),
                        "VolumeInitializationRate" => e.volume_initialization_rate(i(v, &p)?),
                        "VolumeSize" => e.volume_size(i(v, &p)?),
                        "VolumeType" => e.volume_type(VolumeType::from(s(v, &p)?.as_str())),
                        _ => return Err(unknown(p)),
                    };
                }
                m.ebs(e.build())
            }
            _ => return Err(unknown(p)),
        };
    }
    Ok(m.build())
}

fn capacity_reservation(
    v: &Json,
    p: &str,
) -> R<LaunchTemplateCapacityReservationSpecificationRequest> {
    let mut c = LaunchTemplateCapacityReservationSpecificationRequest::builder();
    for (k, v) in obj(v, p)? {
        let p = At(p).join(k);
        c = match k.as_str() {
            "CapacityReservationPreference" => c.capacity_reservation_preference(
                CapacityReservationPreference::from(s(v, &p)?.as_str()),
            ),
            "CapacityReservationTarget" => {
                let mut t = CapacityReservationTarget::builder();
                for (k, v) in obj(v, &p)? {
                    let p = At(&p).join(k);
                    t = match k.as_str() {
                        "CapacityReservationId" => t.capacity_reservation_id(s(v, &p)?),
                        "CapacityReservationResourceGroupArn" => {
                            t.capacity_reservation_resource_group_arn(s(v, &p)?)
                        }
                        _ => return Err(unknown(p)),
                    };
                }
                c.capacity_reservation_target(t.build())
            }
            _ => return Err(unknown(p)),
        };
    }
    Ok(c.build())
}

fn market_options(v: &Json, p: &str) -> R<LaunchTemplateInstanceMarketOptionsRequest> {
    let mut mo = LaunchTemplateInstanceMarketOptionsRequest::builder();
    for (k, v) in obj(v, p)? {
        let p = At(p).join(k);
        mo = match k.as_str() {
            "MarketType" => mo.market_type(MarketType::from(s(v, &p)?.as_str())),
            "SpotOptions" => {
                let mut so = LaunchTemplateSpotMarketOptionsRequest::builder();
                for (k, v) in obj(v, &p)? {
                    let p = At(&p).join(k);
                    so = match k.as_str() {
                        "BlockDurationMinutes" => so.block_duration_minutes(i(v, &p)?),
                        "InstanceInterruptionBehavior" => so.instance_interruption_behavior(
                            InstanceInterruptionBehavior::from(s(v, &p)?.as_str()),
                        ),
                        "MaxPrice" => so.max_price(s(v, &p)?),
                        "SpotInstanceType" => {
                            so.spot_instance_type(SpotInstanceType::from(s(v, &p)?.as_str()))
                        }
                        "ValidUntil" => {
                            let text = s(v, &p)?;
                            let t = DateTime::from_str(&text, DateTimeFormat::DateTimeWithOffset)
                                .map_err(|_| RequestError::BadValue {
                                path: p.clone(),
                                expected: "an RFC 3339 time such as 2026-12-31T23:59:59Z",
                            })?;
                            so.valid_until(t)
                        }
                        _ => return Err(unknown(p)),
                    };
                }
                mo.spot_options(so.build())
            }
            _ => return Err(unknown(p)),
        };
    }
    Ok(mo.build())
}

/// A `{Min, Max}` range as one of the SDK's range builders.
macro_rules! range {
    ($v:expr, $p:expr, $ty:ty, $conv:ident) => {{
        let mut rb = <$ty>::builder();
        for (k, v) in obj($v, $p)? {
            let p = At($p).join(k);
            rb = match k.as_str() {
                "Min" => rb.min($conv(v, &p)?),
                "Max" => rb.max($conv(v, &p)?),
                _ => return Err(unknown(p)),
            };
        }
        rb.build()
    }};
}

fn instance_requirements(v: &Json, p: &str) -> R<InstanceRequirementsRequest> {
    let mut q = InstanceRequirementsRequest::builder();
    for (k, v) in obj(v, p)? {
        let p = At(p).join(k);
        let ss = |v: &Json| strings(v, &p);
        q = match k.as_str() {
            "AcceleratorCount" => q.accelerator_count(range!(v, &p, AcceleratorCountRequest, i)),
            "AcceleratorManufacturers" => q.set_accelerator_manufacturers(Some(
                ss(v)?
                    .iter()
                    .map(|x| AcceleratorManufacturer::from(x.as_str()))
                    .collect(),
            )),
            "AcceleratorNames" => q.set_accelerator_names(Some(
                ss(v)?
                    .iter()
                    .map(|x| AcceleratorName::from(x.as_str()))
                    .collect(),
            )),
            "AcceleratorTotalMemoryMiB" => {
                q.accelerator_total_memory_mib(range!(v, &p, AcceleratorTotalMemoryMiBRequest, i))
            }
            "AcceleratorTypes" => q.set_accelerator_types(Some(
                ss(v)?
                    .iter()
                    .map(|x| AcceleratorType::from(x.as_str()))
                    .collect(),
            )),
            "AllowedInstanceTypes" => q.set_allowed_instance_types(Some(ss(v)?)),
            "BareMetal" => q.bare_metal(BareMetal::from(s(v, &p)?.as_str())),
            "BaselineEbsBandwidthMbps" => {
                q.baseline_ebs_bandwidth_mbps(range!(v, &p, BaselineEbsBandwidthMbpsRequest, i))
            }
            "BurstablePerformance" => {
                q.burstable_performance(BurstablePerformance::from(s(v, &p)?.as_str()))
            }
            "CpuManufacturers" => q.set_cpu_manufacturers(Some(
                ss(v)?
                    .iter()
                    .map(|x| CpuManufacturer::from(x.as_str()))
                    .collect(),
            )),
            "ExcludedInstanceTypes" => q.set_excluded_instance_types(Some(ss(v)?)),
            "InstanceGenerations" => q.set_instance_generations(Some(
                ss(v)?
                    .iter()
                    .map(|x| InstanceGeneration::from(x.as_str()))
                    .collect(),
            )),
            "LocalStorage" => q.local_storage(LocalStorage::from(s(v, &p)?.as_str())),
            "LocalStorageTypes" => q.set_local_storage_types(Some(
                ss(v)?
                    .iter()
                    .map(|x| LocalStorageType::from(x.as_str()))
                    .collect(),
            )),
            "MaxSpotPriceAsPercentageOfOptimalOnDemandPrice" => {
                q.max_spot_price_as_percentage_of_optimal_on_demand_price(i(v, &p)?)
            }
            "MemoryGiBPerVCpu" => q.memory_gib_per_v_cpu(range!(v, &p, MemoryGiBPerVCpuRequest, f)),
            "MemoryMiB" => q.memory_mib(range!(v, &p, MemoryMiBRequest, i)),
            "NetworkBandwidthGbps" => {
                q.network_bandwidth_gbps(range!(v, &p, NetworkBandwidthGbpsRequest, f))
            }
            "NetworkInterfaceCount" => {
                q.network_interface_count(range!(v, &p, NetworkInterfaceCountRequest, i))
            }
            "OnDemandMaxPricePercentageOverLowestPrice" => {
                q.on_demand_max_price_percentage_over_lowest_price(i(v, &p)?)
            }
            "RequireHibernateSupport" => q.require_hibernate_support(b(v, &p)?),
            "SpotMaxPricePercentageOverLowestPrice" => {
                q.spot_max_price_percentage_over_lowest_price(i(v, &p)?)
            }
            "TotalLocalStorageGB" => {
                q.total_local_storage_gb(range!(v, &p, TotalLocalStorageGbRequest, f))
            }
            "VCpuCount" => q.v_cpu_count(range!(v, &p, VCpuCountRangeRequest, i)),
            _ => return Err(unknown(p)),
        };
    }
    Ok(q.build())
}

fn metadata_options(v: &Json, p: &str) -> R<LaunchTemplateInstanceMetadataOptionsRequest> {
    let mut mo = LaunchTemplateInstanceMetadataOptionsRequest::builder();
    for (k, v) in obj(v, p)? {
        let p = At(p).join(k);
        mo = match k.as_str() {
            "HttpEndpoint" => mo.http_endpoint(LaunchTemplateInstanceMetadataEndpointState::from(
                s(v, &p)?.as_str(),
            )),
            "HttpProtocolIpv6" => mo.http_protocol_ipv6(
                LaunchTemplateInstanceMetadataProtocolIpv6::from(s(v, &p)?.as_str()),
            ),
            "HttpPutResponseHopLimit" => mo.http_put_response_hop_limit(i(v, &p)?),
            "HttpTokens" => mo.http_tokens(LaunchTemplateHttpTokensState::from(s(v, &p)?.as_str())),
            "InstanceMetadataTags" => mo.instance_metadata_tags(
                LaunchTemplateInstanceMetadataTagsState::from(s(v, &p)?.as_str()),
            ),
            _ => return Err(unknown(p)),
        };
    }
    Ok(mo.build())
}

fn network_interface(
    v: &Json,
    p: &str,
) -> R<LaunchTemplateInstanceNetworkInterfaceSpecificationRequest> {
    let mut n = LaunchTemplateInstanceNetworkInterfaceSpecificationRequest::builder();
    for (k, v) in obj(v, p)? {
        let p = At(p).join(k);
        n = match k.as_str() {
            "AssociateCarrierIpAddress" => n.associate_carrier_ip_address(b(v, &p)?),
            "AssociatePublicIpAddress" => n.associate_public_ip_address(b(v, &p)?),
            "ConnectionTrackingSpecification" => {
                let mut c = ConnectionTrackingSpecificationRequest::builder();
                for (k, v) in obj(v, &p)? {
                    let p = At(&p).join(k);
                    c = match k.as_str() {
                        "TcpEstablishedTimeout" => c.tcp_established_timeout(i(v, &p)?),
                        "UdpStreamTimeout" => c.udp_stream_timeout(i(v, &p)?),
                        "UdpTimeout" => c.udp_timeout(i(v, &p)?),
                        _ => return Err(unknown(p)),
                    };
                }
                n.connection_tracking_specification(c.build())
            }
            "DeleteOnTermination" => n.delete_on_termination(b(v, &p)?),
            "Description" => n.description(s(v, &p)?),
            "DeviceIndex" => n.device_index(i(v, &p)?),
            "EnaQueueCount" => n.ena_queue_count(i(v, &p)?),
            "EnaSrdSpecification" => {
                let mut e = EnaSrdSpecificationRequest::builder();
                for (k, v) in obj(v, &p)? {
                    let p = At(&p).join(k);
                    e = match k.as_str() {
                        "EnaSrdEnabled" => e.ena_srd_enabled(b(v, &p)?),
                        "EnaSrdUdpSpecification" => {
                            let mut u = EnaSrdUdpSpecificationRequest::builder();
                            for (k, v) in obj(v, &p)? {
                                let p = At(&p).join(k);
                                u = match k.as_str() {
                                    "EnaSrdUdpEnabled" => u.ena_srd_udp_enabled(b(v, &p)?),
                                    _ => return Err(unknown(p)),
                                };
                            }
                            e.ena_srd_udp_specification(u.build())
                        }
                        _ => return Err(unknown(p)),
                    };
                }
                n.ena_srd_specification(e.build())
            }
            "Groups" => n.set_groups(Some(strings(v, &p)?)),
            "InterfaceType" => n.interface_type(s(v, &p)?),
            "Ipv4PrefixCount" => n.ipv4_prefix_count(i(v, &p)?),
            "Ipv4Prefixes" => {
                for (x, xp) in items(v, &p)? {
                    let mut q = Ipv4PrefixSpecificationRequest::builder();
                    for (k, v) in obj(x, &xp)? {
                        let p = At(&xp).join(k);
                        q = match k.as_str() {
                            "Ipv4Prefix" => q.ipv4_prefix(s(v, &p)?),
                            _ => return Err(unknown(p)),
                        };
                    }
                    n = n.ipv4_prefixes(q.build());
                }
                n
            }
            "Ipv6AddressCount" => n.ipv6_address_count(i(v, &p)?),
            "Ipv6Addresses" => {
                for (x, xp) in items(v, &p)? {
                    let mut q = InstanceIpv6AddressRequest::builder();
                    for (k, v) in obj(x, &xp)? {
                        let p = At(&xp).join(k);
                        q = match k.as_str() {
                            "Ipv6Address" => q.ipv6_address(s(v, &p)?),
                            _ => return Err(unknown(p)),
                        };
                    }
                    n = n.ipv6_addresses(q.build());
                }
                n
            }
            "Ipv6PrefixCount" => n.ipv6_prefix_count(i(v, &p)?),
            "Ipv6Prefixes" => {
                for (x, xp) in items(v, &p)? {
                    let mut q = Ipv6PrefixSpecificationRequest::builder();
                    for (k, v) in obj(x, &xp)? {
                        let p = At(&xp).join(k);
                        q = match k.as_str() {
                            "Ipv6Prefix" => q.ipv6_prefix(s(v, &p)?),
                            _ => return Err(unknown(p)),
                        };
                    }
                    n = n.ipv6_prefixes(q.build());
                }
                n
            }
            "NetworkCardIndex" => n.network_card_index(i(v, &p)?),
            "NetworkInterfaceId" => n.network_interface_id(s(v, &p)?),
            "PrimaryIpv6" => n.primary_ipv6(b(v, &p)?),
            "PrivateIpAddress" => n.private_ip_address(s(v, &p)?),
            "PrivateIpAddresses" => {
                for (x, xp) in items(v, &p)? {
                    let mut q = PrivateIpAddressSpecification::builder();
                    for (k, v) in obj(x, &xp)? {
                        let p = At(&xp).join(k);
                        q = match k.as_str() {
                            "Primary" => q.primary(b(v, &p)?),
                            "PrivateIpAddress" => q.private_ip_address(s(v, &p)?),
                            _ => return Err(unknown(p)),
                        };
                    }
                    n = n.private_ip_addresses(q.build());
                }
                n
            }
            "SecondaryPrivateIpAddressCount" => n.secondary_private_ip_address_count(i(v, &p)?),
            "SubnetId" => n.subnet_id(s(v, &p)?),
            _ => return Err(unknown(p)),
        };
    }
    Ok(n.build())
}

fn secondary_interface(
    v: &Json,
    p: &str,
) -> R<LaunchTemplateInstanceSecondaryInterfaceSpecificationRequest> {
    let mut n = LaunchTemplateInstanceSecondaryInterfaceSpecificationRequest::builder();
    for (k, v) in obj(v, p)? {
        let p = At(p).join(k);
        n = match k.as_str() {
            "DeleteOnTermination" => n.delete_on_termination(b(v, &p)?),
            "DeviceIndex" => n.device_index(i(v, &p)?),
            "InterfaceType" => n.interface_type(SecondaryInterfaceType::from(s(v, &p)?.as_str())),
            "NetworkCardIndex" => n.network_card_index(i(v, &p)?),
            "PrivateIpAddressCount" => n.private_ip_address_count(i(v, &p)?),
            "PrivateIpAddresses" => {
                for (x, xp) in items(v, &p)? {
                    let mut q = SecondaryInterfacePrivateIpAddressSpecificationRequest::builder();
                    for (k, v) in obj(x, &xp)? {
                        let p = At(&xp).join(k);
                        q = match k.as_str() {
                            "PrivateIpAddress" => q.private_ip_address(s(v, &p)?),
                            _ => return Err(unknown(p)),
                        };
                    }
                    n = n.private_ip_addresses(q.build());
                }
                n
            }
            "SecondarySubnetId" => n.secondary_subnet_id(s(v, &p)?),
            _ => return Err(unknown(p)),
        };
    }
    Ok(n.build())
}

fn placement(v: &Json, p: &str) -> R<LaunchTemplatePlacementRequest> {
    let mut pl = LaunchTemplatePlacementRequest::builder();
    for (k, v) in obj(v, p)? {
        let p = At(p).join(k);
        pl = match k.as_str() {
            "Affinity" => pl.affinity(s(v, &p)?),
            "AvailabilityZone" => pl.availability_zone(s(v, &p)?),
            "GroupId" => pl.group_id(s(v, &p)?),
            "GroupName" => pl.group_name(s(v, &p)?),
            "HostId" => pl.host_id(s(v, &p)?),
            "HostResourceGroupArn" => pl.host_resource_group_arn(s(v, &p)?),
            "PartitionNumber" => pl.partition_number(i(v, &p)?),
            "SpreadDomain" => pl.spread_domain(s(v, &p)?),
            "Tenancy" => pl.tenancy(Tenancy::from(s(v, &p)?.as_str())),
            _ => return Err(unknown(p)),
        };
    }
    Ok(pl.build())
}

fn tag_specification(v: &Json, p: &str) -> R<LaunchTemplateTagSpecificationRequest> {
    let mut t = LaunchTemplateTagSpecificationRequest::builder();
    for (k, v) in obj(v, p)? {
        let p = At(p).join(k);
        t = match k.as_str() {
            "ResourceType" => t.resource_type(ResourceType::from(s(v, &p)?.as_str())),
            "Tags" => {
                for (x, xp) in items(v, &p)? {
                    let mut tag = Tag::builder();
                    for (k, v) in obj(x, &xp)? {
                        let p = At(&xp).join(k);
                        tag = match k.as_str() {
                            "Key" => tag.key(s(v, &p)?),
                            "Value" => tag.value(s(v, &p)?),
                            _ => return Err(unknown(p)),
                        };
                    }
                    t = t.tags(tag.build());
                }
                t
            }
            _ => return Err(unknown(p)),
        };
    }
    Ok(t.build())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ec2::template_data::{Member, Shape, SHAPE};

    /// A value for every member of `members` (lists of one item).
    pub(crate) fn full(members: &[Member]) -> Map<String, Json> {
        members
            .iter()
            .map(|m| (m.name.to_owned(), sample(m.name, m.shape)))
            .collect()
    }

    fn sample(name: &str, shape: Shape) -> Json {
        match shape {
            Shape::String => Json::from(match name {
                "UserData" => "IyEvYmluL3NoCg==",
                _ => "x",
            }),
            Shape::Timestamp => Json::from("2030-01-02T03:04:05Z"),
            Shape::Integer => Json::from(3),
            Shape::Double => Json::from(1.5),
            Shape::Boolean => Json::from(true),
            Shape::Structure(ms) => Json::Object(full(ms)),
            Shape::List(inner) => Json::Array(vec![sample(name, *inner)]),
        }
    }

    #[test]
    fn every_member_of_the_shape_can_be_sent() {
        let data = LaunchTemplateData(full(SHAPE));
        let r = request_data(&data).expect("every member is handled");
        // Spot checks that values land in the right fields.
        assert_eq!(
            r.block_device_mappings()[0].ebs().unwrap().volume_size(),
            Some(3)
        );
        assert_eq!(
            r.instance_requirements()
                .unwrap()
                .memory_gib_per_v_cpu()
                .unwrap()
                .min(),
            Some(1.5)
        );
        assert_eq!(r.network_interfaces()[0].groups(), ["x"]);
        assert_eq!(r.network_interfaces()[0].ena_queue_count(), Some(3));
        assert_eq!(
            r.secondary_interfaces()[0].private_ip_addresses()[0].private_ip_address(),
            Some("x")
        );
        assert_eq!(
            r.cpu_options()
                .unwrap()
                .nested_virtualization()
                .map(|n| n.as_str()),
            Some("x")
        );
        assert_eq!(
            r.instance_market_options()
                .unwrap()
                .spot_options()
                .unwrap()
                .valid_until()
                .map(|t| t.secs()),
            Some(1_893_553_445)
        );
    }

    #[test]
    fn unknown_members_and_bad_values_are_errors() {
        let mut d = full(SHAPE);
        d.insert("SecondaryNetworks".into(), serde_json::json!({}));
        assert_eq!(
            request_data(&LaunchTemplateData(d)).unwrap_err(),
            RequestError::UnknownMember("SecondaryNetworks".into())
        );
        let d: Map<String, Json> =
            serde_json::from_str(r#"{"BlockDeviceMappings":[{"Ebs":{"VolumeSize":"big"}}]}"#)
                .unwrap();
        assert_eq!(
            request_data(&LaunchTemplateData(d)).unwrap_err(),
            RequestError::BadValue {
                path: "BlockDeviceMappings[0].Ebs.VolumeSize".into(),
                expected: "a 32-bit integer"
            }
        );
    }
}
