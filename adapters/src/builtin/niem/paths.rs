//! Where a canonical field sits in an `ix:FirearmRecord`.

/// Where a canonical field sits in an `ix:FirearmRecord` (for locating problems
/// the normaliser and validator find).
pub fn niem_path(field: &str) -> Option<String> {
    const SERIAL: &str = "j:Firearm/nc:ItemSerialIdentification";
    let path = match field {
        "record_id" => "nc:ActivityIdentification/nc:IdentificationID".to_string(),
        "owner_country" => {
            "nc:ActivityIdentification/nc:IdentificationJurisdiction/nc:JurisdictionText"
                .to_string()
        }
        "owner_agency" => "nc:ActivityIdentification/nc:IdentificationSourceText".to_string(),
        "case_reference" => "nc:ActivityIdentification[case]/nc:IdentificationID".to_string(),
        "action" => "ix:RecordActionCode".to_string(),
        "version" => "ix:RecordVersionNumeric".to_string(),
        "event.status" => "nc:ActivityCategoryText".to_string(),
        "event.date" => "nc:ActivityDate".to_string(),
        "event.description" => "nc:ActivityDescriptionText".to_string(),
        "event.place.locality" => "nc:ActivityLocation/nc:Address/nc:AddressCityName".to_string(),
        "event.place.country" => "nc:ActivityLocation/nc:Address/nc:AddressCountry".to_string(),
        "firearm.make" => "j:Firearm/nc:ItemMakeName".to_string(),
        "firearm.model" => "j:Firearm/nc:ItemModelName".to_string(),
        "firearm.year_of_manufacture" => "j:Firearm/nc:ItemModelYearDate".to_string(),
        "firearm.serial_number" | "firearm.serial_key" => format!("{SERIAL}/nc:IdentificationID"),
        "firearm.serial_state" => format!("{SERIAL}/nc:IdentificationStatus"),
        "firearm.country_of_manufacture" => {
            format!("{SERIAL}/nc:IdentificationJurisdiction/nc:JurisdictionText")
        }
        "firearm.calibre" | "firearm.calibre_as_recorded" => {
            "j:Firearm/j:FirearmBoreSizeText".to_string()
        }
        "firearm.firearm_type" => "j:Firearm/j:FirearmCategoryText".to_string(),
        "firearm.action" => "j:Firearm/j:FirearmCategoryDescriptionText".to_string(),
        "firearm.barrel_length_mm" => "j:Firearm/j:FirearmBarrelLengthMeasure".to_string(),
        "firearm.finish" => "j:Firearm/j:FirearmFinishText".to_string(),
        "firearm.ifrt_reference" => "j:Firearm/nc:ItemOtherIdentification[IFRT]".to_string(),
        "firearm.import_marking.country" => {
            "j:Firearm/nc:ItemOtherIdentification[import marking]/nc:IdentificationJurisdiction"
                .to_string()
        }
        "firearm.import_marking.year" => {
            "j:Firearm/nc:ItemOtherIdentification[import marking]/nc:IdentificationEffectiveDate"
                .to_string()
        }
        other => {
            let rest = other.strip_prefix("firearm.markings.")?;
            let index: usize = rest.split('.').next()?.parse().ok()?;
            format!(
                "j:Firearm/nc:ItemOtherIdentification[marking {}]",
                index + 1
            )
        }
    };
    Some(path)
}
