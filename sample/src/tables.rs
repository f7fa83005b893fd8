//! The real-world content: firearm models and makers, owner registries with
//! their towns and case styles, national spellings, statuses and remarks.

use iarms_adapters::model::{CustodyEventKind, RecordStatus};

/// Where a firearm was made: a fixed ISO code, or a historic code (YU, SU)
/// until a year and the successor's code from that year on.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Origin {
    Fixed(&'static str),
    Until(&'static str, i32, &'static str),
}

impl Origin {
    pub(crate) fn code(self, year: i32) -> &'static str {
        match self {
            Origin::Fixed(code) => code,
            Origin::Until(old, switch, new) => {
                if year < switch {
                    old
                } else {
                    new
                }
            }
        }
    }
}

/// A real firearm model. Serial patterns: `#` digit, `@` uppercase letter,
/// `%` uppercase consonant, `~` lowercase letter, `&` Cyrillic uppercase
/// letter; every other character is literal.
#[derive(Debug)]
pub(crate) struct Gun {
    pub(crate) make: &'static str,
    pub(crate) model: &'static str,
    pub(crate) calibre: &'static str,
    pub(crate) firearm_type: &'static str,
    pub(crate) action: &'static str,
    pub(crate) origin: Origin,
    pub(crate) years: (i32, i32),
    pub(crate) barrel_mm: f64,
    pub(crate) barrels: u32,
    pub(crate) serials: &'static [&'static str],
}

macro_rules! gun {
    ($make:expr, $model:expr, $calibre:expr, $ty:expr, $action:expr, $origin:expr,
     $from:expr, $to:expr, $barrel:expr, $barrels:expr, [$($serial:expr),+ $(,)?]) => {
        Gun {
            make: $make,
            model: $model,
            calibre: $calibre,
            firearm_type: $ty,
            action: $action,
            origin: $origin,
            years: ($from, $to),
            barrel_mm: $barrel,
            barrels: $barrels,
            serials: &[$($serial),+],
        }
    };
}

use Origin::{Fixed, Until};

pub(crate) const YU_RS: Origin = Until("YU", 2003, "RS");
pub(crate) const SU_RU: Origin = Until("SU", 1992, "RU");
pub(crate) const SEMI: &str = "semi_automatic";
pub(crate) const AUTO: &str = "automatic";

#[rustfmt::skip]
pub(crate) const GUNS: &[Gun] = &[
    gun!("Glock", "17", "9x19mm", "pistol", SEMI, Fixed("AT"), 1982, 2024, 114.0, 1, ["%%%###", "%%%%###"]),
    gun!("Glock", "19", "9x19mm", "pistol", SEMI, Fixed("AT"), 1988, 2024, 102.0, 1, ["%%%###", "%%%%###"]),
    gun!("Glock", "26", "9x19mm", "pistol", SEMI, Fixed("AT"), 1995, 2024, 87.0, 1, ["%%%###", "%%%%###"]),
    gun!("Glock", "22", ".40 S&W", "pistol", SEMI, Fixed("AT"), 1990, 2024, 114.0, 1, ["%%%###", "%%%%###"]),
    gun!("Beretta", "92FS", "9x19mm", "pistol", SEMI, Fixed("IT"), 1989, 2024, 125.0, 1, ["BER######", "D#####Z", "G#####Z"]),
    gun!("Beretta", "84", ".380 ACP", "pistol", SEMI, Fixed("IT"), 1976, 2020, 97.0, 1, ["D#####Y", "E#####Y"]),
    gun!("Beretta", "950 BS", ".25 ACP", "pistol", SEMI, Fixed("IT"), 1980, 2020, 61.0, 1, ["BR#####", "DAA###"]),
    gun!("Zastava", "M70AB2", "7.62x39mm", "assault_rifle", AUTO, YU_RS, 1975, 2020, 415.0, 1, ["C-######", "######", "@@ ######"]),
    gun!("Zastava", "M70B1", "7.62x39mm", "assault_rifle", AUTO, YU_RS, 1975, 2020, 415.0, 1, ["C-######", "######"]),
    gun!("Zastava", "M59/66", "7.62x39mm", "carbine", SEMI, Fixed("YU"), 1967, 1989, 520.0, 1, ["######", "@ #####"]),
    gun!("Zastava", "M57", "7.62x25mm Tokarev", "pistol", SEMI, YU_RS, 1961, 2015, 116.0, 1, ["@ ######", "######"]),
    gun!("Zastava", "M70", "7.65x17mm", "pistol", SEMI, YU_RS, 1970, 2015, 94.0, 1, ["@ ######", "######"]),
    gun!("Zastava", "M88A", "9x19mm", "pistol", SEMI, YU_RS, 1990, 2015, 96.0, 1, ["@ ######", "######"]),
    gun!("Zastava", "M48", "7.92x57mm Mauser", "rifle", "bolt", Fixed("YU"), 1950, 1965, 590.0, 1, ["@####", "@@####"]),
    gun!("Zastava", "M76", "7.92x57mm Mauser", "rifle", SEMI, YU_RS, 1976, 2005, 550.0, 1, ["######"]),
    gun!("Zastava", "M84", "7.62x54mmR", "machine_gun", AUTO, YU_RS, 1984, 2015, 658.0, 1, ["######", "@ #####"]),
    gun!("CZ", "75 B", "9x19mm", "pistol", SEMI, Fixed("CZ"), 1993, 2024, 114.0, 1, ["@######", "@@####"]),
    gun!("CZ", "83", "7.65x17mm", "pistol", SEMI, Fixed("CZ"), 1993, 2012, 97.0, 1, ["@######"]),
    gun!("CZ", "Scorpion EVO 3 A1", "9x19mm", "submachine_gun", AUTO, Fixed("CZ"), 2009, 2024, 196.0, 1, ["@######"]),
    gun!("Taurus", "PT 92", "9x19mm", "pistol", SEMI, Fixed("BR"), 1983, 2024, 125.0, 1, ["TAU#####", "T@@#####"]),
    gun!("Taurus", "85", ".38 Special", "revolver", "revolver", Fixed("BR"), 1980, 2024, 51.0, 1, ["@@#####", "@######"]),
    gun!("Taurus", "PT 58 HC Plus", ".380 ACP", "pistol", SEMI, Fixed("BR"), 1990, 2012, 102.0, 1, ["K@@#####", "T@@#####"]),
    gun!("Rossi", "R971", ".357 Magnum", "revolver", "revolver", Fixed("BR"), 1988, 2024, 102.0, 1, ["@######", "@@######"]),
    gun!("Rossi", "R92", ".357 Magnum", "rifle", "lever", Fixed("BR"), 1978, 2024, 508.0, 1, ["@@######"]),
    gun!("CBC", "Pump Military 3.0", "12 gauge", "shotgun", "pump", Fixed("BR"), 2008, 2024, 483.0, 1, ["@@######", "@@@#####"]),
    gun!("CBC", "7022", ".22 LR", "rifle", SEMI, Fixed("BR"), 2001, 2024, 457.0, 1, ["@@@######"]),
    gun!("Imbel", "MD97", "5.56x45mm", "assault_rifle", AUTO, Fixed("BR"), 1997, 2020, 437.0, 1, ["######", "@@ #####"]),
    gun!("Norinco", "Type 56", "7.62x39mm", "assault_rifle", AUTO, Fixed("CN"), 1956, 1995, 415.0, 1, ["56-#######", "#######"]),
    gun!("Norinco", "Type 54", "7.62x25mm Tokarev", "pistol", SEMI, Fixed("CN"), 1954, 1990, 116.0, 1, ["54-######", "######"]),
    gun!("Norinco", "Type 56 carbine", "7.62x39mm", "carbine", SEMI, Fixed("CN"), 1956, 1990, 520.0, 1, ["#######", "56-#######"]),
    gun!("Kalashnikov", "AKM", "7.62x39mm", "assault_rifle", AUTO, Fixed("SU"), 1959, 1977, 415.0, 1, ["@@ ####", "&& ####", "####"]),
    gun!("Kalashnikov", "AK-74", "5.45x39mm", "assault_rifle", AUTO, Fixed("SU"), 1974, 1991, 415.0, 1, ["@@ ####", "&& ####", "####"]),
    gun!("Simonov", "SKS", "7.62x39mm", "carbine", SEMI, Fixed("SU"), 1949, 1958, 520.0, 1, ["@@ ####", "&& ###"]),
    gun!("Makarov", "PM", "9x18mm Makarov", "pistol", SEMI, SU_RU, 1951, 2000, 93.5, 1, ["@@ ####", "&& ###", "####"]),
    gun!("Tokarev", "TT-33", "7.62x25mm Tokarev", "pistol", SEMI, Fixed("SU"), 1933, 1954, 116.0, 1, ["@@ ####", "&& ###", "####"]),
    gun!("Mosin-Nagant", "M91/30", "7.62x54mmR", "rifle", "bolt", Fixed("SU"), 1930, 1945, 730.0, 1, ["@@ ####", "&& ####"]),
    gun!("Izhmash", "SVD", "7.62x54mmR", "rifle", SEMI, SU_RU, 1963, 2010, 620.0, 1, ["#######", "##########"]),
    gun!("Baikal", "IZH-43", "12 gauge", "shotgun", "double_barrel", SU_RU, 1986, 2009, 725.0, 2, ["#########", "##########"]),
    gun!("Baikal", "MP-153", "12 gauge", "shotgun", SEMI, Fixed("RU"), 2000, 2020, 710.0, 1, ["##########"]),
    gun!("Smith & Wesson", "Model 10", ".38 Special", "revolver", "revolver", Fixed("US"), 1957, 2024, 102.0, 1, ["D######", "C######", "@@#####"]),
    gun!("Smith & Wesson", "M&P9", "9x19mm", "pistol", SEMI, Fixed("US"), 2005, 2024, 108.0, 1, ["@@@####", "HN#####"]),
    gun!("Smith & Wesson", "M&P15", ".223 Remington", "rifle", SEMI, Fixed("US"), 2006, 2024, 406.0, 1, ["S@#####", "@@#####"]),
    gun!("Colt", "M1911A1", ".45 ACP", "pistol", SEMI, Fixed("US"), 1924, 1945, 127.0, 1, ["#######", "No. #######"]),
    gun!("Colt", "M16A2", "5.56x45mm", "assault_rifle", AUTO, Fixed("US"), 1983, 2005, 508.0, 1, ["#######", "A#######"]),
    gun!("Remington", "870", "12 gauge", "shotgun", "pump", Fixed("US"), 1951, 2024, 710.0, 1, ["@######M", "RS#####@"]),
    gun!("Mossberg", "500", "12 gauge", "shotgun", "pump", Fixed("US"), 1961, 2024, 470.0, 1, ["@######", "U######"]),
    gun!("Ruger", "10/22", ".22 LR", "rifle", SEMI, Fixed("US"), 1964, 2024, 470.0, 1, ["###-#####", "####-#####"]),
    gun!("Ruger", "LCP", ".380 ACP", "pistol", SEMI, Fixed("US"), 2008, 2024, 70.0, 1, ["###-#####"]),
    gun!("Winchester", "Model 70", ".308 Winchester", "rifle", "bolt", Fixed("US"), 1964, 2024, 610.0, 1, ["G#######"]),
    gun!("SIG Sauer", "P226", "9x19mm", "pistol", SEMI, Fixed("DE"), 1984, 2024, 112.0, 1, ["U ######", "U######", "@@@ ######"]),
    gun!("Heckler & Koch", "MP5", "9x19mm", "submachine_gun", AUTO, Fixed("DE"), 1966, 2024, 225.0, 1, ["##-######"]),
    gun!("Heckler & Koch", "G3", "7.62x51mm", "rifle", AUTO, Fixed("DE"), 1959, 1997, 450.0, 1, ["######", "@ ######"]),
    gun!("FN Herstal", "FAL", "7.62x51mm", "rifle", AUTO, Fixed("BE"), 1953, 1988, 533.0, 1, ["######", "@@####"]),
    gun!("FN Herstal", "Five-seveN", "5.7x28mm", "pistol", SEMI, Fixed("BE"), 2000, 2024, 122.0, 1, ["386######"]),
    gun!("Browning", "Hi-Power", "9x19mm", "pistol", SEMI, Fixed("BE"), 1935, 2017, 118.0, 1, ["245@@#####", "T######"]),
    gun!("Walther", "PPK", "7.65x17mm", "pistol", SEMI, Fixed("DE"), 1931, 2024, 83.0, 1, ["######@", "@######"]),
    gun!("Walther", "P99", "9x19mm", "pistol", SEMI, Fixed("DE"), 1997, 2024, 102.0, 1, ["@@#####", "FAL####"]),
    gun!("Mauser", "98k", "7.92x57mm Mauser", "rifle", "bolt", Fixed("DE"), 1935, 1945, 600.0, 1, ["####~", "###~"]),
    gun!("Vektor", "Z88", "9x19mm", "pistol", SEMI, Fixed("ZA"), 1988, 1995, 125.0, 1, ["Z88-#####", "######"]),
    gun!("Vektor", "R4", "5.56x45mm", "assault_rifle", AUTO, Fixed("ZA"), 1982, 2005, 460.0, 1, ["######", "R4-######"]),
    gun!("Steyr", "AUG", "5.56x45mm", "assault_rifle", AUTO, Fixed("AT"), 1978, 2024, 508.0, 1, ["######", "##@####"]),
    gun!("IMI", "Uzi", "9x19mm", "submachine_gun", AUTO, Fixed("IL"), 1954, 2002, 260.0, 1, ["SA#####", "######"]),
    gun!("Canik", "TP9SF", "9x19mm", "pistol", SEMI, Fixed("TR"), 2014, 2024, 114.0, 1, ["##@@#####"]),
    gun!("Hatsan", "Escort MP", "12 gauge", "shotgun", "pump", Fixed("TR"), 2004, 2024, 470.0, 1, ["######", "##@######"]),
    gun!("Webley", "Mk VI", ".455 Webley", "revolver", "revolver", Fixed("GB"), 1915, 1947, 152.0, 1, ["#####", "@####"]),
    gun!("Enfield", "No. 4 Mk I", ".303 British", "rifle", "bolt", Fixed("GB"), 1941, 1955, 640.0, 1, ["@@####", "##@####"]),
];

/// Manufacturer details by make: legal name (custody chains) and the
/// manufacturer's marking as it reads on the firearm.
#[rustfmt::skip]
pub(crate) const MAKERS: &[(&str, &str, &str)] = &[
    ("Glock", "Glock GmbH", "GLOCK AUSTRIA"),
    ("Beretta", "Fabbrica d'Armi Pietro Beretta S.p.A.", "P. BERETTA GARDONE V.T."),
    ("Zastava", "Zastava Oružje a.d.", "ZASTAVA KRAGUJEVAC"),
    ("CZ", "Česká zbrojovka a.s.", "CZ UHERSKY BROD"),
    ("Taurus", "Taurus Armas S.A.", "TAURUS BRASIL"),
    ("Rossi", "Amadeo Rossi S.A.", "AMADEO ROSSI S.A. SAO LEOPOLDO RS"),
    ("CBC", "Companhia Brasileira de Cartuchos", "CBC BRASIL"),
    ("Imbel", "Indústria de Material Bélico do Brasil", "IMBEL FI ITAJUBA"),
    ("Norinco", "China North Industries Corporation", "MADE IN CHINA BY NORINCO"),
    ("Kalashnikov", "Izhevsk Machine-Building Plant", "IZHMASH arsenal mark"),
    ("Simonov", "Tula Arms Plant", "TULA arsenal mark (star)"),
    ("Makarov", "Izhevsk Mechanical Plant", "IZHMEKH arsenal mark"),
    ("Tokarev", "Tula Arms Plant", "TULA arsenal mark (star)"),
    ("Mosin-Nagant", "Tula Arms Plant", "TULA arsenal mark (star)"),
    ("Izhmash", "Izhevsk Machine-Building Plant", "IZHMASH arsenal mark"),
    ("Baikal", "Izhevsk Mechanical Plant", "BAIKAL MADE IN RUSSIA"),
    ("Smith & Wesson", "Smith & Wesson", "SMITH & WESSON SPRINGFIELD MASS"),
    ("Colt", "Colt's Manufacturing Company", "COLT'S PT. F.A. MFG. CO. HARTFORD, CT"),
    ("Remington", "Remington Arms Company", "REMINGTON ARMS CO. INC. ILION N.Y."),
    ("Mossberg", "O.F. Mossberg & Sons", "O.F. MOSSBERG & SONS INC. NORTH HAVEN CT"),
    ("Ruger", "Sturm, Ruger & Co.", "STURM, RUGER & CO. INC. SOUTHPORT CONN. U.S.A."),
    ("Winchester", "Winchester Repeating Arms", "WINCHESTER NEW HAVEN CONN"),
    ("SIG Sauer", "J. P. Sauer & Sohn GmbH", "SIG SAUER MADE IN GERMANY"),
    ("Heckler & Koch", "Heckler & Koch GmbH", "HECKLER & KOCH GMBH OBERNDORF/N."),
    ("FN Herstal", "FN Herstal S.A.", "FN HERSTAL BELGIUM"),
    ("Browning", "FN Herstal S.A.", "FABRIQUE NATIONALE HERSTAL BELGIUM"),
    ("Walther", "Carl Walther GmbH", "CARL WALTHER ULM/DO."),
    ("Mauser", "Mauser-Werke Oberndorf", "MAUSER OBERNDORF"),
    ("Vektor", "Denel Vektor", "VEKTOR RSA"),
    ("Steyr", "Steyr Mannlicher", "STEYR-MANNLICHER AUSTRIA"),
    ("IMI", "Israel Military Industries", "IMI ISRAEL"),
    ("Canik", "Samsun Yurt Savunma", "CANIK MADE IN TURKEY"),
    ("Hatsan", "Hatsan Arms Company", "HATSAN ESCORT MADE IN TURKEY"),
    ("Webley", "Webley & Scott Ltd", "WEBLEY & SCOTT LTD BIRMINGHAM"),
    ("Enfield", "Royal Small Arms Factory", "ROF (F)"),
];

/// Language of a registry's exports (for firearm-type synonyms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    /// Serbian, Croatian, Bosnian, Montenegrin (and Macedonian registries writing Latin).
    Sh,
    Pt,
    Es,
    Fr,
    De,
    /// English or a language without listed synonyms: any of the others.
    En,
}

/// How a country writes its police case numbers.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CaseStyle {
    /// `KU-1187/2024`
    Ku,
    /// `IPL 0123/2024-SR/PF`
    Ipl,
    /// `CAS 123/05/2024`
    Cas,
    /// `KT-123/24`
    Kt,
    /// `ZG-KR-5521/24`
    Kr,
    /// `KO.br.123/2024`
    Ko,
    /// `Nr. 123/2024`
    Nr,
    /// `NUNC-2024-01234`
    Nunc,
    /// `FED/0001234/2024`
    Fed,
    /// `CR/123/2024`
    Cr,
    /// `OB 12/03/05/2024`
    Ob,
    /// `PV 01234/2024`
    Pv,
    /// `ST/0123456/2024`
    St,
}

/// A registry that records firearms (owners, searchers, requesters).
#[derive(Debug)]
pub(crate) struct Owner {
    pub(crate) code: &'static str,
    pub(crate) alpha3: &'static str,
    pub(crate) name: &'static str,
    pub(crate) agency: &'static str,
    pub(crate) lang: Lang,
    pub(crate) calling: &'static str,
    pub(crate) offset: &'static str,
    pub(crate) case_style: CaseStyle,
    pub(crate) towns: &'static [&'static str],
    pub(crate) first_names: &'static [&'static str],
    pub(crate) last_names: &'static [&'static str],
}

#[rustfmt::skip]
pub(crate) const OWNERS: &[Owner] = &[
    Owner {
        code: "RS",
        alpha3: "SRB",
        name: "Serbia",
        agency: "RS-MUP",
        lang: Lang::Sh,
        calling: "+381",
        offset: "+01:00",
        case_style: CaseStyle::Ku,
        towns: &["Beograd", "Novi Sad", "Niš", "Kragujevac", "Subotica", "Čačak", "Kraljevo", "Novi Pazar"],
        first_names: &["Marko", "Jelena", "Nikola", "Milica", "Stefan", "Ana"],
        last_names: &["Petrović", "Jovanović", "Nikolić", "Marković", "Đorđević", "Ilić"],
    },
    Owner {
        code: "BR",
        alpha3: "BRA",
        name: "Brazil",
        agency: "BR-PF",
        lang: Lang::Pt,
        calling: "+55",
        offset: "-03:00",
        case_style: CaseStyle::Ipl,
        towns: &["São Paulo", "Rio de Janeiro", "Belo Horizonte", "Salvador", "Recife", "Fortaleza", "Porto Alegre", "Manaus", "Curitiba"],
        first_names: &["João", "Maria", "Lucas", "Ana", "Pedro", "Juliana"],
        last_names: &["Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa"],
    },
    Owner {
        code: "ZA",
        alpha3: "ZAF",
        name: "South Africa",
        agency: "ZA-SAPS",
        lang: Lang::En,
        calling: "+27",
        offset: "+02:00",
        case_style: CaseStyle::Cas,
        towns: &["Johannesburg", "Cape Town", "Durban", "Pretoria", "Gqeberha", "Bloemfontein", "Polokwane", "East London"],
        first_names: &["Thabo", "Sipho", "Lerato", "Johan", "Anele", "Pieter"],
        last_names: &["Nkosi", "Dlamini", "van der Merwe", "Botha", "Mokoena", "Naidoo"],
    },
    Owner {
        code: "BA",
        alpha3: "BIH",
        name: "Bosnia and Herzegovina",
        agency: "BA-SIPA",
        lang: Lang::Sh,
        calling: "+387",
        offset: "+01:00",
        case_style: CaseStyle::Kt,
        towns: &["Sarajevo", "Banja Luka", "Tuzla", "Zenica", "Mostar", "Bihać", "Brčko"],
        first_names: &["Amir", "Emina", "Haris", "Lejla", "Dragan", "Ivana"],
        last_names: &["Hodžić", "Kovačević", "Begić", "Delić", "Babić", "Mujić"],
    },
    Owner {
        code: "HR",
        alpha3: "HRV",
        name: "Croatia",
        agency: "HR-MUP",
        lang: Lang::Sh,
        calling: "+385",
        offset: "+01:00",
        case_style: CaseStyle::Kr,
        towns: &["Zagreb", "Split", "Rijeka", "Osijek", "Zadar", "Slavonski Brod"],
        first_names: &["Ivan", "Ana", "Luka", "Marija", "Josip", "Petra"],
        last_names: &["Horvat", "Kovačević", "Babić", "Marić", "Jurić", "Novak"],
    },
    Owner {
        code: "MK",
        alpha3: "MKD",
        name: "North Macedonia",
        agency: "MK-MVR",
        lang: Lang::Sh,
        calling: "+389",
        offset: "+01:00",
        case_style: CaseStyle::Ko,
        towns: &["Skopje", "Bitola", "Kumanovo", "Tetovo", "Ohrid", "Štip"],
        first_names: &["Aleksandar", "Elena", "Goran", "Marija", "Dejan", "Ana"],
        last_names: &["Stojanovski", "Nikolovski", "Trajkovski", "Petrovski", "Ristovski", "Georgievski"],
    },
    Owner {
        code: "ME",
        alpha3: "MNE",
        name: "Montenegro",
        agency: "ME-UP",
        lang: Lang::Sh,
        calling: "+382",
        offset: "+01:00",
        case_style: CaseStyle::Kt,
        towns: &["Podgorica", "Nikšić", "Bar", "Bijelo Polje", "Herceg Novi", "Cetinje"],
        first_names: &["Milan", "Jovana", "Nikola", "Marija", "Vuk", "Sanja"],
        last_names: &["Vujović", "Radović", "Popović", "Perović", "Lazović", "Šćepanović"],
    },
    Owner {
        code: "AL",
        alpha3: "ALB",
        name: "Albania",
        agency: "AL-ASP",
        lang: Lang::En,
        calling: "+355",
        offset: "+01:00",
        case_style: CaseStyle::Nr,
        towns: &["Tirana", "Durrës", "Vlorë", "Shkodër", "Elbasan", "Korçë"],
        first_names: &["Arben", "Elira", "Besnik", "Ardita", "Gentian", "Mirela"],
        last_names: &["Krasniqi", "Kola", "Shehu", "Gjoka", "Leka", "Dervishi"],
    },
    Owner {
        code: "CO",
        alpha3: "COL",
        name: "Colombia",
        agency: "CO-DIJIN",
        lang: Lang::Es,
        calling: "+57",
        offset: "-05:00",
        case_style: CaseStyle::Nunc,
        towns: &["Bogotá", "Medellín", "Cali", "Barranquilla", "Cúcuta", "Cartagena"],
        first_names: &["Juan", "Camila", "Andrés", "Valentina", "Carlos", "Daniela"],
        last_names: &["Rodríguez", "Gómez", "Martínez", "López", "García", "Hernández"],
    },
    Owner {
        code: "MX",
        alpha3: "MEX",
        name: "Mexico",
        agency: "MX-FGR",
        lang: Lang::Es,
        calling: "+52",
        offset: "-06:00",
        case_style: CaseStyle::Fed,
        towns: &["Ciudad de México", "Guadalajara", "Monterrey", "Tijuana", "Culiacán", "Ciudad Juárez"],
        first_names: &["José", "Guadalupe", "Luis", "Fernanda", "Miguel", "Sofía"],
        last_names: &["Hernández", "García", "Martínez", "López", "González", "Ramírez"],
    },
    Owner {
        code: "NG",
        alpha3: "NGA",
        name: "Nigeria",
        agency: "NG-NPF",
        lang: Lang::En,
        calling: "+234",
        offset: "+01:00",
        case_style: CaseStyle::Cr,
        towns: &["Lagos", "Abuja", "Kano", "Port Harcourt", "Ibadan", "Maiduguri"],
        first_names: &["Chinedu", "Ngozi", "Adebayo", "Funmilayo", "Ibrahim", "Aisha"],
        last_names: &["Okafor", "Adeyemi", "Bello", "Eze", "Ogunleye", "Musa"],
    },
    Owner {
        code: "KE",
        alpha3: "KEN",
        name: "Kenya",
        agency: "KE-DCI",
        lang: Lang::En,
        calling: "+254",
        offset: "+03:00",
        case_style: CaseStyle::Ob,
        towns: &[
            "Nairobi", "Mombasa", "Kisumu", "Nakuru", "Eldoret", "Garissa",
        ],
        first_names: &["Wanjiru", "Otieno", "Kamau", "Achieng", "Mwangi", "Njeri"],
        last_names: &[
            "Kariuki", "Odhiambo", "Mutua", "Wafula", "Kiprono", "Chebet",
        ],
    },
    Owner {
        code: "GH",
        alpha3: "GHA",
        name: "Ghana",
        agency: "GH-GPS",
        lang: Lang::En,
        calling: "+233",
        offset: "+00:00",
        case_style: CaseStyle::Cr,
        towns: &["Accra", "Kumasi", "Tamale", "Takoradi", "Cape Coast"],
        first_names: &["Kwame", "Ama", "Kofi", "Akosua", "Yaw", "Efua"],
        last_names: &["Mensah", "Owusu", "Boateng", "Asante", "Osei", "Agyeman"],
    },
    Owner {
        code: "FR",
        alpha3: "FRA",
        name: "France",
        agency: "FR-DGPN",
        lang: Lang::Fr,
        calling: "+33",
        offset: "+01:00",
        case_style: CaseStyle::Pv,
        towns: &["Paris", "Marseille", "Lyon", "Lille", "Toulouse", "Nice"],
        first_names: &["Julien", "Camille", "Nicolas", "Claire", "Thomas", "Sophie"],
        last_names: &[
            "Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Lefèvre",
        ],
    },
    Owner {
        code: "DE",
        alpha3: "DEU",
        name: "Germany",
        agency: "DE-BKA",
        lang: Lang::De,
        calling: "+49",
        offset: "+01:00",
        case_style: CaseStyle::St,
        towns: &["Berlin", "Hamburg", "München", "Köln", "Frankfurt am Main", "Leipzig"],
        first_names: &["Jan", "Katrin", "Stefan", "Julia", "Michael", "Anna"],
        last_names: &["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker"],
    },
];

/// Countries of manufacture that are not in [`OWNERS`]: (alpha-2, alpha-3,
/// English short name, agency answering traces, towns).
#[rustfmt::skip]
pub(crate) const MAKER_COUNTRIES: &[(&str, &str, &str, &str, &[&str])] = &[
    ("AT", "AUT", "Austria", "AT-BK", &["Wien", "Graz", "Linz", "Salzburg"]),
    ("IT", "ITA", "Italy", "IT-PS", &["Milano", "Brescia", "Roma", "Torino"]),
    ("CZ", "CZE", "Czechia", "CZ-PCR", &["Praha", "Brno", "Ostrava", "Zlín"]),
    ("CN", "CHN", "China", "CN-MPS", &["Beijing", "Guangzhou", "Shanghai"]),
    ("RU", "RUS", "Russian Federation", "RU-MVD", &["Moskva", "Izhevsk", "Tula", "Sankt-Peterburg"]),
    ("US", "USA", "United States", "US-ATF", &["Houston", "Phoenix", "Atlanta", "Miami", "Dallas"]),
    ("BE", "BEL", "Belgium", "BE-PJF", &["Liège", "Bruxelles", "Antwerpen"]),
    ("IL", "ISR", "Israel", "IL-INP", &["Tel Aviv", "Haifa", "Jerusalem"]),
    ("TR", "TUR", "Türkiye", "TR-EGM", &["İstanbul", "Ankara", "Konya", "Samsun"]),
    ("GB", "GBR", "United Kingdom", "GB-NCA", &["London", "Birmingham", "Manchester"]),
];

/// Canonical calibre -> messy spellings that the calibre code list resolves
/// to it (listed synonyms, or a listed form with spaces or a decimal comma).
#[rustfmt::skip]
pub(crate) const CALIBRE_SPELLINGS: &[(&str, &[&str])] = &[
    ("9x19mm", &["9mm Parabellum", "9mm Luger", "9 mm Para", "9x19", "9 x 19 mm", "9mm NATO", "Parabellum 9mm"]),
    (".45 ACP", &[".45 Auto", "11.43x23mm", "11,43x23", ".45 Automatic"]),
    ("7.62x39mm", &["7,62x39", "7.62 Soviet", "M43", "7,62 x 39", "7.62x39 M43"]),
    ("5.56x45mm", &["5.56 NATO", "5,56x45", "5.56x45 NATO"]),
    (".223 Remington", &[".223 Rem", ".223 Remington Rifle"]),
    ("7.62x51mm", &["7.62 NATO", "7,62x51", "7.62x51 NATO"]),
    (".308 Winchester", &[".308 Win"]),
    (".22 LR", &[".22 Long Rifle", ".22 lfB", "5.6mm lfB", ".22 l.r."]),
    ("12 gauge", &["12 GA", "cal. 12", "12/70", "12ga", "12 bore"]),
    (".38 Special", &["38 Special", ".38 Spl", ".38 S&W Special"]),
    (".357 Magnum", &[".357 Mag", ".357 S&W Magnum"]),
    ("7.65x17mm", &[".32 ACP", "7.65 Browning", "7,65mm Browning", ".32 Auto"]),
    (".380 ACP", &["9mm Kurz", "9mm Short", "9x17", ".380 Auto"]),
    (".25 ACP", &["6.35mm Browning", "6,35 Browning", ".25 Auto"]),
    (".40 S&W", &[".40 Smith & Wesson", "10x22mm"]),
    ("7.62x54mmR", &["7.62x54R", "7.62 Russian", "7,62x54R"]),
    ("9x18mm Makarov", &["9mm Makarov", "9x18", "9x18 PM"]),
    ("7.62x25mm Tokarev", &["7.62 Tokarev", "7,62x25", "7.62 TT"]),
    ("7.92x57mm Mauser", &["8mm Mauser", "7,9 mm Mauser", "8x57 IS"]),
    ("5.45x39mm", &["5,45x39", "5.45 Soviet"]),
    ("5.7x28mm", &["5.7x28", "5.7x28 FN"]),
    (".455 Webley", &[".455 Webley Mk II"]),
    (".303 British", &[".303 Brit", "7.7x56R"]),
];

/// Canonical firearm type -> synonym in [Sh, Pt, Es, Fr, De], all listed in
/// `firearm_types.toml` as synonyms of that type alone (the action is kept).
#[rustfmt::skip]
pub(crate) const TYPE_SPELLINGS: &[(&str, [&str; 5])] = &[
    ("pistol", ["pištolj", "pistola", "pistola", "pistolet", "Pistole"]),
    ("revolver", ["Revolver", "revólver", "revólver", "révolver", "Revolver"]),
    ("rifle", ["puška", "fuzil", "fusil", "fusil", "Gewehr"]),
    ("carbine", ["karabin", "carabina", "carabina", "carabine", "Karabiner"]),
    ("assault_rifle", ["automatska puška", "fuzil de assalto", "fusil de asalto", "fusil d'assaut", "Sturmgewehr"]),
    ("shotgun", ["sačmarica", "ESPINGARDA", "escopeta", "fusil de chasse", "Flinte"]),
    ("submachine_gun", ["automatski pištolj", "submetralhadora", "subfusil", "pistolet mitrailleur", "Maschinenpistole"]),
    ("machine_gun", ["mitraljez", "metralhadora", "ametralladora", "mitrailleuse", "Maschinengewehr"]),
];

pub(crate) const STATUSES: &[(RecordStatus, u32)] = &[
    (RecordStatus::Stolen, 30),
    (RecordStatus::Lost, 14),
    (RecordStatus::Seized, 20),
    (RecordStatus::Found, 10),
    (RecordStatus::Trafficked, 8),
    (RecordStatus::Smuggled, 7),
    (RecordStatus::Surrendered, 10),
    (RecordStatus::Other, 1),
];

pub(crate) fn event_descriptions(status: RecordStatus) -> &'static [&'static str] {
    match status {
        RecordStatus::Stolen => &[
            "Stolen during a burglary of a private residence; the owner held a valid licence.",
            "Stolen from a parked vehicle.",
            "Stolen from the armoury of a private security company.",
            "Theft discovered during an inventory check at a licensed dealer.",
            "Stolen with two other firearms from a hunting lodge.",
        ],
        RecordStatus::Lost => &[
            "Reported lost by the licence holder after moving house.",
            "Lost during a hunting trip.",
            "Lost in transit between two police stations.",
            "Missing from a deceased licence holder's estate.",
        ],
        RecordStatus::Seized => &[
            "Seized during a house search in a drug-trafficking investigation.",
            "Seized from a suspect after a shooting incident.",
            "Seized at a road checkpoint; the driver held no licence.",
            "Seized from a vehicle after an armed robbery of a currency exchange office.",
        ],
        RecordStatus::Found => &[
            "Found abandoned in a field by a farmer.",
            "Found in a river during a clean-up operation.",
            "Found in a stolen vehicle recovered by the police.",
            "Found hidden in the attic during renovation works.",
        ],
        RecordStatus::Trafficked => &[
            "Part of a consignment of firearms trafficked by an organised crime group.",
            "Offered for sale on a dark-web marketplace; test purchase by undercover officers.",
            "Reactivated from a deactivated firearm and sold illegally.",
        ],
        RecordStatus::Smuggled => &[
            "Smuggled across the border concealed in a lorry's fuel tank.",
            "Found in a parcel at the postal sorting centre, declared as car parts.",
            "Smuggled in a bus passenger's luggage; detected by customs X-ray.",
        ],
        RecordStatus::Surrendered => &[
            "Surrendered during a voluntary weapons amnesty.",
            "Surrendered by the heir of a deceased licence holder.",
            "Handed in at a police station without a licence.",
        ],
        RecordStatus::Other => &["Recorded for identification after a ballistic examination."],
    }
}

pub(crate) const SEIZURE_CIRCUMSTANCES: &[&str] = &[
    "Recovered at the scene of an armed robbery of a petrol station.",
    "Seized during a house search in a drug-trafficking investigation.",
    "Found abandoned in a stolen vehicle.",
    "Seized at a border crossing, concealed in the fuel tank of a lorry.",
    "Recovered from a suspect after a shooting incident.",
    "Seized in a parcel at the postal sorting centre.",
    "Seized from a member of an organised crime group during an arrest.",
    "Recovered after a homicide; found near the scene.",
];

pub(crate) const INTENDED_USES: &[&str] = &[
    "Criminal investigation and prosecution.",
    "Identification of the trafficking route in an ongoing organised-crime investigation.",
    "Establishing the last legal owner before the firearm is returned or destroyed.",
    "Criminal investigation of an armed robbery; suspects in custody, hence urgent.",
];

pub(crate) const TRACED_REMARKS: &[&str] = &[
    "Traced to the last legal owner; copies of the export licence and customs declaration are available on request.",
    "Chain of custody established from the manufacturer's and the national registry's records.",
    "Recorded in iARMS as stolen; the owner has been informed of the recovery.",
];

pub(crate) const PARTIAL_REMARKS: &[&str] = &[
    "Export records confirm the shipment; please ask the importing country for the subsequent chain.",
    "Records of the dealer after the first sale are incomplete.",
    "The firearm left the national registry after the licence expired; no later transfer is recorded.",
];

pub(crate) const NOT_FOUND_REMARKS: &[&str] = &[
    "No record of this serial number in the manufacturer's or the national register; please check the serial number and the markings.",
    "The manufacturer's records for this production period were not kept.",
    "The serial number does not match the numbering used for this model.",
];

pub(crate) const DECLINED_REMARKS: &[&str] = &[
    "Declined: the request does not state the intended use of the information.",
    "Declined: the information is subject to an ongoing domestic investigation; please send a new request after its conclusion.",
    "Declined: the requested country is not the country of manufacture or of last legal import.",
];

pub(crate) const OWNER_PARTIES: &[&str] = &[
    "private licence holder",
    "private security company",
    "hunting association",
    "sports shooting club",
    "police armoury",
];

pub(crate) const EXACT_FIELDS: &[&[&str]] = &[
    &["serial_key", "make", "calibre"],
    &["serial_key", "make", "model", "calibre"],
    &["serial_key", "make", "model", "calibre", "firearm_type"],
];

pub(crate) const PARTIAL_FIELDS: &[&[&str]] = &[
    &["serial_key", "make"],
    &["serial_key", "calibre"],
    &["serial_key"],
    &["serial_key", "make", "model"],
    &["make", "model", "calibre"],
];

pub(crate) const CYRILLIC_CAPITALS: &[char] = &[
    'А', 'Б', 'В', 'Г', 'Д', 'Е', 'Ж', 'И', 'К', 'Л', 'М', 'Н', 'П', 'Р', 'С', 'Т', 'У', 'Ф', 'Х',
    'Ц', 'Ч', 'Ш', 'Э', 'Ю', 'Я',
];

/// A link of a custody-chain template: (event, from, to, country, document prefix).
pub(crate) type Link = (
    CustodyEventKind,
    Option<String>,
    Option<String>,
    &'static str,
    &'static str,
);
