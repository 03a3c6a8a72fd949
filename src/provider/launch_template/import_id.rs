//! Import IDs of `ecshost_launch_template`: checked before any EC2 call.

/// How an import ID names a template.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ImportId<'a> {
    /// `lt-` and 17 hex digits
    Id(&'a str),
    /// anything else EC2 accepts as a template name (which may start with
    /// `lt-` too)
    Name(&'a str),
}

/// EC2 ID prefixes of other resource types, for a pointed message.
const OTHER_ID_PREFIXES: &[(&str, &str)] = &[
    ("ami", "an AMI"),
    ("i", "an instance"),
    ("sg", "a security group"),
    ("subnet", "a subnet"),
    ("vpc", "a VPC"),
    ("eni", "a network interface"),
    ("vol", "a volume"),
    ("snap", "a snapshot"),
    ("key", "a key pair"),
];

fn is_template_id(id: &str) -> bool {
    id.strip_prefix("lt-")
        .is_some_and(|h| h.len() == 17 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Parses an import ID, refusing before any EC2 call what can name no
/// launch template: another resource's ID, an ARN, or a string EC2 would
/// not accept as a template name. The error is the diagnostic's detail.
pub(crate) fn parse_import_id(id: &str) -> Result<ImportId<'_>, String> {
    const FORMS: &str = "Import by launch template ID (lt- and 17 hex digits, e.g. lt-0123456789abcdef0) or by name";
    if is_template_id(id) {
        return Ok(ImportId::Id(id));
    }
    if id.trim() != id {
        return Err(format!("{id:?} has surrounding whitespace. {FORMS}."));
    }
    if let Some(arn_id) = id
        .strip_prefix("arn:")
        .map(|rest| rest.rsplit('/').next().unwrap_or_default())
    {
        return Err(if is_template_id(arn_id) {
            format!("{id:?} is an ARN. Import by the ID it ends with: {arn_id}.")
        } else {
            format!("{id:?} is an ARN, not a launch template ID. {FORMS}.")
        });
    }
    if let Some((prefix, hex)) = id.split_once('-') {
        if let Some((_, what)) = OTHER_ID_PREFIXES.iter().find(|(p, _)| *p == prefix) {
            if (hex.len() == 8 || hex.len() == 17) && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!(
                    "{id} is {what} ID, not a launch template ID. {FORMS}."
                ));
            }
        }
    }
    let name_ok = (3..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"().-/_".contains(&b));
    if !name_ok {
        return Err(format!(
            "{id:?} is neither a launch template ID nor a launch template name (3 to 128 letters, digits and ( ) . - / _). {FORMS}."
        ));
    }
    Ok(ImportId::Name(id))
}

/// Splits hashicorp/aws 6.x's `<id>@<region>` import form (its "Enhanced
/// Region Support" guide: the import ID of a resource in another Region
/// than the provider's ends in `@` and the Region). Launch template IDs
/// and names cannot hold `@`, so the last `@` always starts a Region.
pub(crate) fn split_region(id: &str) -> Result<(&str, Option<&str>), String> {
    match id.rsplit_once('@') {
        None => Ok((id, None)),
        Some((what, region)) if crate::provider::config::AwsRegion::is_region(region) => {
            Ok((what, Some(region)))
        }
        Some((what, region)) => Err(format!(
            "{region:?} after the @ of {id:?} is not a Region name. Write {what}@<region> (e.g. {what}@eu-west-1), or leave the @ part out to import from the provider's Region."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_suffix_is_split_off() {
        assert_eq!(
            split_region("lt-0123456789abcdef0"),
            Ok(("lt-0123456789abcdef0", None))
        );
        assert_eq!(
            split_region("lt-0123456789abcdef0@eu-west-1"),
            Ok(("lt-0123456789abcdef0", Some("eu-west-1")))
        );
        assert_eq!(
            split_region("web@us-gov-west-1"),
            Ok(("web", Some("us-gov-west-1")))
        );
        let e = split_region("web@eu-west").unwrap_err();
        assert!(
            e.contains("not a Region name") && e.contains("web@<region>"),
            "{e}"
        );
    }

    #[test]
    fn import_ids() {
        let ok: &[(&str, ImportId<'_>)] = &[
            ("lt-0123456789abcdef0", ImportId::Id("lt-0123456789abcdef0")),
            ("ecs-hosts", ImportId::Name("ecs-hosts")),
            // A name may start with lt- too.
            ("lt-web", ImportId::Name("lt-web")),
            ("team/app_(v2).x", ImportId::Name("team/app_(v2).x")),
        ];
        for (id, want) in ok {
            assert_eq!(parse_import_id(id).as_ref(), Ok(want), "{id}");
        }
        let bad: &[(&str, &str)] = &[
            (
                "sg-0123456789abcdef0",
                "is a security group ID, not a launch template ID",
            ),
            ("ami-05fb4f25", "is an AMI ID"),
            (
                "arn:aws:ec2:us-east-1:123456789012:launch-template/lt-0123456789abcdef0",
                "Import by the ID it ends with: lt-0123456789abcdef0",
            ),
            (
                "arn:aws:iam::123456789012:role/x",
                "is an ARN, not a launch template ID",
            ),
            (
                "my template",
                "is neither a launch template ID nor a launch template name",
            ),
            ("ab", "is neither"),
            (" lt-0123456789abcdef0", "has surrounding whitespace"),
        ];
        for (id, want) in bad {
            let got = parse_import_id(id).expect_err(id);
            assert!(got.contains(want), "{id}: {got}");
            assert!(got.contains("lt-"), "{id}: names the ID form: {got}");
        }
    }
}
