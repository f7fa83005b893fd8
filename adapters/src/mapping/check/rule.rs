//! One `[[field]]` rule: its target, its source, and each kind of transform
//! (split, codes, dates, numbers and units, countries, defaults), each checked
//! by its own function in the order the rule reads.

use serde_json::Value;

use super::compiled::{CountryForm, EncodeMode, Input, Rule, SourceSpec, Split, Unit};
use super::source::SourceInfo;
use super::vocabulary::toml_scalar_text;
use super::{path_text, scalar_name, target_text, Checker};
use crate::codes::calibres::{Convention, CONVENTIONS};
use crate::mapping::codes::CodeTable;
use crate::mapping::hint;
use crate::mapping::load::{MappingFile, Section};
use crate::mapping::model::{EncodeSpec, FieldRule, OneOrMany};
use crate::mapping::paths::{CanonPath, SourcePath};
use crate::mapping::schema_info::{self, CanonField};
use crate::model::MessageKind;
use crate::normalise::{date, strictness};
use crate::schema::ScalarType;

/// What every rule of a file is checked against.
pub(super) struct RuleContext<'a> {
    pub(super) kind: MessageKind,
    pub(super) source: &'a SourceSpec,
    pub(super) info: SourceInfo,
    pub(super) tables: &'a [CodeTable],
    pub(super) file_tables: &'a MappingFile,
    pub(super) trim: bool,
}

/// The rule being checked: its table, its number, and whether it still
/// compiles (a rule with a problem is reported, then left out).
struct RuleScope<'s> {
    section: &'s Section<FieldRule>,
    number: usize,
    ok: bool,
}

impl<'s> RuleScope<'s> {
    fn rule(&self) -> &'s FieldRule {
        &self.section.value
    }

    fn key(&self, k: &str) -> String {
        format!("field[{}].{k}", self.number)
    }

    fn line(&self, k: &str) -> usize {
        self.section.line_of(k)
    }
}

/// A rule's canonical target, and the schema field it names.
type Target = Option<(CanonPath, &'static CanonField)>;

impl Checker {
    pub(super) fn rule(
        &mut self,
        ctx: &mut RuleContext<'_>,
        section: &Section<FieldRule>,
        number: usize,
    ) -> Option<Rule> {
        let r = &section.value;
        let mut s = RuleScope {
            section,
            number,
            ok: true,
        };
        let s = &mut s;
        let decode = r.decode.unwrap_or(true);
        let mut encode = self.rule_encode(ctx.kind, s);
        if !decode && matches!(encode, EncodeMode::Off) {
            self.error(
                s.line("decode"),
                s.key("decode"),
                "decode = false and encode = false: the rule does nothing",
            );
            s.ok = false;
        }
        let target = self.rule_target(ctx.kind, s, decode, &encode);
        let field = target.as_ref().map(|(_, f)| *f);
        let scalar = field.map(|f| f.scalar).unwrap_or(ScalarType::String);
        let each = target.as_ref().is_some_and(|(p, _)| p.is_list());
        if !self.one_source(s) {
            return None;
        }
        let input = self.rule_input(ctx, s, field, each, decode, &mut encode);
        let split = self.rule_split(s, each);
        self.one_or_many(s, &input, &target, &split, each);
        let codes = self.rule_codes(ctx, s);
        let dates = self.rule_dates(s, &target, codes);
        let (decimal_comma, decimals) = self.rule_number(s, &target, scalar);
        let (unit, unit_from) = self.rule_unit(ctx, s, &target);
        let country = self.rule_country(s, &target);
        let default = self.rule_default(s, field);
        let strict = self.rule_strict(s, &target);
        let convention = self.rule_convention(s, &target);
        let recorded = recorded_path(&target, codes.is_some() || convention.is_some());
        let sentinels = self.rule_sentinels(s, &target);
        self.codes_against_vocabulary(ctx, s, codes, field, &encode);
        let required = r.required.unwrap_or(false) || field.is_some_and(|f| f.required);
        let input = input?;
        if !s.ok {
            return None;
        }
        Some(Rule {
            number,
            line: s.section.line,
            to: target.map(|(p, _)| p),
            scalar,
            input,
            split,
            default,
            required,
            trim: r.trim.unwrap_or(ctx.trim),
            codes,
            dates,
            decimal_comma,
            decimals,
            unit,
            unit_from,
            country,
            decode,
            encode,
            each,
            strict,
            convention,
            recorded,
            sentinels,
        })
    }

    /// `convention`: a named regional calibre convention, on a calibre rule.
    fn rule_convention(&mut self, s: &mut RuleScope<'_>, target: &Target) -> Option<Convention> {
        let name = s.rule().convention.as_deref()?;
        let known = || {
            CONVENTIONS
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let Some(convention) = Convention::parse(name) else {
            self.error(
                s.line("convention"),
                s.key("convention"),
                format!(
                    "\"{name}\" is not a calibre convention (known: {})",
                    known()
                ),
            );
            s.ok = false;
            return None;
        };
        if !target.as_ref().is_some_and(|(p, _)| is_calibre(&p.display)) {
            self.error(
                s.line("convention"),
                s.key("convention"),
                format!(
                    "a calibre convention applies to a calibre field, not {}",
                    target_text(target)
                ),
            );
            s.ok = false;
        }
        Some(convention)
    }

    /// `strict`: only a descriptive code-list field can be kept and flagged,
    /// so only such a field can opt out of it.
    fn rule_strict(&mut self, s: &mut RuleScope<'_>, target: &Target) -> bool {
        let strict = s.rule().strict.unwrap_or(false);
        if strict {
            if let Some((path, _)) = target {
                if !strictness::is_descriptive(&path.display) {
                    self.error(
                        s.line("strict"),
                        s.key("strict"),
                        format!(
                            "strict applies to descriptive code-list fields ({}); {} is rejected when invalid anyway",
                            strictness::DESCRIPTIVE_FIELDS.join(", "),
                            path.display
                        ),
                    );
                    s.ok = false;
                }
            }
        }
        strict
    }

    /// `absent = [...]`, `illegible = [...]`: only on a serial number field.
    fn rule_sentinels(
        &mut self,
        s: &mut RuleScope<'_>,
        target: &Option<(CanonPath, &'static CanonField)>,
    ) -> Option<crate::normalise::serial::Sentinels> {
        let r = s.rule();
        let (absent, illegible) = (r.absent.clone(), r.illegible.clone());
        let serial = target
            .as_ref()
            .is_some_and(|(p, _)| p.display.ends_with("serial_number"));
        if absent.is_none() && illegible.is_none() {
            if serial && r.decode != Some(false) {
                self.warning(
                    s.section.line,
                    s.key("to"),
                    "a serial number field without absent = [...] or illegible = [...]: only the gateway's own placeholder rules (docs/model.md, Serial numbers) keep this registry's words for \"no serial\" out of the matching key",
                );
            }
            return None;
        }
        if !serial {
            let key = if absent.is_some() {
                "absent"
            } else {
                "illegible"
            };
            self.error(
                s.line(key),
                s.key(key),
                "absent and illegible name placeholders of a serial number: use them on a rule to firearm.serial_number",
            );
            s.ok = false;
            return None;
        }
        Some(crate::normalise::serial::Sentinels::new(
            absent.unwrap_or_default(),
            illegible.unwrap_or_default(),
        ))
    }

    /// `encode`: off, the inverse of the decode rule, a constant, or other canonical fields.
    fn rule_encode(&mut self, kind: MessageKind, s: &mut RuleScope<'_>) -> EncodeMode {
        let r = s.rule();
        match &r.encode {
            None | Some(EncodeSpec::Enabled(true)) => EncodeMode::Invert,
            Some(EncodeSpec::Enabled(false)) => EncodeMode::Off,
            Some(EncodeSpec::Rule(rule)) => match (&rule.value, &rule.from) {
                (Some(value), None) => match toml_scalar_text(value) {
                    Some(text) => EncodeMode::Const(text),
                    None => {
                        self.error(
                            s.line("encode"),
                            s.key("encode"),
                            "encode value must be a string, number or boolean",
                        );
                        s.ok = false;
                        EncodeMode::Off
                    }
                },
                (None, Some(from)) => {
                    let mut paths = Vec::new();
                    for text in from.to_vec() {
                        match CanonPath::parse(&text) {
                            Ok(p) if schema_info::field(kind, &p.display).is_some() => {
                                paths.push(p)
                            }
                            Ok(p) => {
                                let fields = schema_info::fields(kind);
                                self.error(
                                    s.line("encode"),
                                    s.key("encode.from"),
                                    format!(
                                        "unknown canonical field \"{}\"{}",
                                        p.display,
                                        hint(&p.display, fields.iter().map(|f| f.path.as_str()))
                                    ),
                                );
                                s.ok = false;
                            }
                            Err(message) => {
                                self.error(s.line("encode"), s.key("encode.from"), message);
                                s.ok = false;
                            }
                        }
                    }
                    EncodeMode::From(paths)
                }
                (Some(_), Some(_)) => {
                    self.error(
                        s.line("encode"),
                        s.key("encode"),
                        "give either value or from, not both",
                    );
                    s.ok = false;
                    EncodeMode::Off
                }
                (None, None) => {
                    self.error(s.line("encode"), s.key("encode"), "an encode table needs value = \"...\" or from = [\"canonical.field\", ...]");
                    s.ok = false;
                    EncodeMode::Off
                }
            },
        }
    }

    /// `to`: the canonical field, required unless the rule only writes a native constant.
    fn rule_target(
        &mut self,
        kind: MessageKind,
        s: &mut RuleScope<'_>,
        decode: bool,
        encode: &EncodeMode,
    ) -> Target {
        let r = s.rule();
        if r.to.is_some() {
            let t = self.target(kind, s.section, s.number);
            s.ok &= t.is_some();
            t
        } else {
            let needs_target = decode || !matches!(encode, EncodeMode::Const(_));
            if needs_target {
                self.error(s.section.line, s.key("to"), "missing: the canonical field this rule fills, e.g. to = \"firearm.serial_number\"");
                s.ok = false;
            }
            None
        }
    }

    /// Exactly one of `from`, `concat` and `value`.
    fn one_source(&mut self, s: &RuleScope<'_>) -> bool {
        let r = s.rule();
        let given: Vec<&str> = [
            r.from.as_ref().map(|_| "from"),
            r.concat.as_ref().map(|_| "concat"),
            r.value.as_ref().map(|_| "value"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if given.len() != 1 {
            let message = if given.is_empty() {
                "the rule needs a source: from = \"native field\", concat = [...] or value = constant".to_string()
            } else {
                format!("give only one of {}", given.join(", "))
            };
            self.error(s.section.line, s.key("from"), message);
            return false;
        }
        true
    }

    /// The source: one native field, several joined, or a constant (which
    /// turns encoding off).
    fn rule_input(
        &mut self,
        ctx: &mut RuleContext<'_>,
        s: &mut RuleScope<'_>,
        field: Option<&'static CanonField>,
        each: bool,
        decode: bool,
        encode: &mut EncodeMode,
    ) -> Option<Input> {
        let r = s.rule();
        let input = if let Some(from) = &r.from {
            let path = self.source_path(ctx, from, s.line("from"), &s.key("from"));
            if path.as_ref().is_some_and(|p| p.is_absolute()) && each {
                self.error(
                    s.line("from"),
                    s.key("from"),
                    "a list field cannot be filled from a document-level value",
                );
                s.ok = false;
            }
            match path {
                Some(path) => Some(Input::From(path)),
                None => {
                    s.ok = false;
                    None
                }
            }
        } else if let Some(parts) = &r.concat {
            if parts.len() < 2 {
                self.error(
                    s.line("concat"),
                    s.key("concat"),
                    "concat joins two or more native fields; use from for one",
                );
                s.ok = false;
            }
            let mut paths = Vec::new();
            for part in parts {
                match self.source_path(ctx, part, s.line("concat"), &s.key("concat")) {
                    Some(p) if p.is_each() => {
                        self.error(
                            s.line("concat"),
                            s.key("concat"),
                            format!("\"{part}\" repeats: concat joins single values"),
                        );
                        s.ok = false;
                    }
                    Some(p) => paths.push(p),
                    None => s.ok = false,
                }
            }
            if each {
                self.error(
                    s.line("concat"),
                    s.key("concat"),
                    "concat cannot fill a list field",
                );
                s.ok = false;
            }
            Some(Input::Concat(
                paths,
                r.separator.clone().unwrap_or_else(|| " ".to_string()),
            ))
        } else {
            let value = r.value.as_ref().and_then(|v| {
                let field = field?;
                self.constant(v, field, s.line("value"), &s.key("value"))
            });
            if each {
                self.error(
                    s.line("value"),
                    s.key("value"),
                    "a constant cannot fill a list field",
                );
                s.ok = false;
            }
            if !decode {
                self.error(s.line("decode"), s.key("decode"), "a constant (value) is only used when decoding; for a native constant written on encode use from = \"...\", decode = false, encode = { value = \"...\" }");
                s.ok = false;
            }
            *encode = EncodeMode::Off;
            match value {
                Some(v) => Some(Input::Const(v)),
                None if field.is_some() => {
                    s.ok = false;
                    None
                }
                None => Some(Input::Const(Value::Null)),
            }
        };
        if r.separator.is_some() && r.concat.is_none() {
            self.error(
                s.line("separator"),
                s.key("separator"),
                "separator goes with concat (for splitting one native field use split)",
            );
            s.ok = false;
        }
        input
    }

    /// `split` and `part`: one native field cut into pieces.
    fn rule_split(&mut self, s: &mut RuleScope<'_>, each: bool) -> Option<Split> {
        let r = s.rule();
        match (&r.split, r.part) {
            (None, None) => None,
            (None, Some(_)) => {
                self.error(
                    s.line("part"),
                    s.key("part"),
                    "part goes with split = \"separator\"",
                );
                s.ok = false;
                None
            }
            (Some(sep), part) => {
                if sep.is_empty() {
                    self.error(s.line("split"), s.key("split"), "empty separator");
                    s.ok = false;
                }
                if r.from.is_none() {
                    self.error(
                        s.line("split"),
                        s.key("split"),
                        "split applies to a rule with from",
                    );
                    s.ok = false;
                }
                let part = match part {
                    Some(p) if p >= 1 => Some(usize::try_from(p - 1).unwrap_or(0)),
                    Some(p) => {
                        self.error(
                            s.line("part"),
                            s.key("part"),
                            format!("part counts from 1 (the first piece), found {p}"),
                        );
                        s.ok = false;
                        None
                    }
                    None if each => None,
                    None => {
                        self.error(s.line("split"), s.key("part"), "which piece? add part = 1 for the first piece (without part, split fills a list field with every piece)");
                        s.ok = false;
                        None
                    }
                };
                Some(Split {
                    separator: sep.clone(),
                    part,
                })
            }
        }
    }

    /// A list field needs a repeating or split source; a single field a single one.
    fn one_or_many(
        &mut self,
        s: &mut RuleScope<'_>,
        input: &Option<Input>,
        target: &Target,
        split: &Option<Split>,
        each: bool,
    ) {
        if let (Some(Input::From(path)), Some((to, _))) = (input, target) {
            let many = path.is_each() || split.as_ref().is_some_and(|s| s.part.is_none());
            if each && !many {
                self.error(s.line("from"), s.key("from"), format!("{} is a list field: its source must repeat (name[]) or be split into pieces (split = \"|\")", to.display));
                s.ok = false;
            }
            if !each && path.is_each() {
                self.error(s.line("from"), s.key("from"), format!("\"{}\" repeats, but {} holds one value: use a list field (name[]) or pick one item (name[1] in XML, name.0 in JSON)", path_text(path), to.display));
                s.ok = false;
            }
            if path.is_each() && split.is_some() {
                self.error(
                    s.line("split"),
                    s.key("split"),
                    "a repeating source cannot also be split",
                );
                s.ok = false;
            }
        }
    }

    /// `codes`: a code table of this file.
    fn rule_codes(&mut self, ctx: &RuleContext<'_>, s: &mut RuleScope<'_>) -> Option<usize> {
        let r = s.rule();
        let codes = match &r.codes {
            None => None,
            Some(name) => match ctx.tables.iter().position(|t| &t.name == name) {
                Some(i) => Some(i),
                None => {
                    self.error(
                        s.line("codes"),
                        s.key("codes"),
                        format!(
                            "no code table [codes.{name}] in this file{}",
                            hint(name, ctx.tables.iter().map(|t| t.name.as_str()))
                        ),
                    );
                    s.ok = false;
                    None
                }
            },
        };
        if codes.is_some() && r.value.is_some() {
            self.error(
                s.line("codes"),
                s.key("codes"),
                "a constant is already canonical: codes applies to from or concat",
            );
            s.ok = false;
        }
        codes
    }

    /// `date`: formats of a date field.
    fn rule_dates(
        &mut self,
        s: &mut RuleScope<'_>,
        target: &Target,
        codes: Option<usize>,
    ) -> Vec<String> {
        let r = s.rule();
        let field = target.as_ref().map(|(_, f)| *f);
        let dates = r.date.as_ref().map(OneOrMany::to_vec).unwrap_or_default();
        if r.date.is_some() {
            if dates.is_empty() {
                self.error(s.line("date"), s.key("date"), "empty list of date formats");
                s.ok = false;
            }
            for format in &dates {
                if let Err(e) = date::check_format(format) {
                    self.error(s.line("date"), s.key("date"), e.to_string());
                    s.ok = false;
                }
            }
            if field.is_some_and(|f| f.def.as_deref() != Some("iso_date")) {
                self.error(
                    s.line("date"),
                    s.key("date"),
                    format!("{} is not a date field", target_text(target)),
                );
                s.ok = false;
            }
            if codes.is_some() {
                self.error(
                    s.line("date"),
                    s.key("date"),
                    "use either codes or date on one rule",
                );
                s.ok = false;
            }
        }
        dates
    }

    /// `number` and `decimals`: how a numeric field is written.
    fn rule_number(
        &mut self,
        s: &mut RuleScope<'_>,
        target: &Target,
        scalar: ScalarType,
    ) -> (bool, Option<usize>) {
        let r = s.rule();
        let field = target.as_ref().map(|(_, f)| *f);
        let numeric = matches!(scalar, ScalarType::Integer | ScalarType::Number);
        let decimal_comma = match r.number.as_deref() {
            None | Some("decimal_point") => false,
            Some("decimal_comma") => true,
            Some(other) => {
                self.error(s.line("number"), s.key("number"), format!("\"{other}\" is not a number style: \"decimal_point\" (12.5) or \"decimal_comma\" (12,5)"));
                s.ok = false;
                false
            }
        };
        if r.number.is_some() && !numeric && field.is_some() {
            self.error(
                s.line("number"),
                s.key("number"),
                format!(
                    "{} holds {}, not a number",
                    target_text(target),
                    scalar_name(scalar)
                ),
            );
            s.ok = false;
        }
        let decimals = match r.decimals {
            None => None,
            Some(d) if (0..=10).contains(&d) && scalar == ScalarType::Number => {
                usize::try_from(d).ok()
            }
            Some(d) => {
                self.error(
                    s.line("decimals"),
                    s.key("decimals"),
                    format!("decimals ({d}) applies to decimal number fields, from 0 to 10"),
                );
                s.ok = false;
                None
            }
        };
        (decimal_comma, decimals)
    }

    /// `unit` and `unit_from`: lengths converted to millimetres.
    fn rule_unit(
        &mut self,
        ctx: &mut RuleContext<'_>,
        s: &mut RuleScope<'_>,
        target: &Target,
    ) -> (Option<Unit>, Option<SourcePath>) {
        let r = s.rule();
        let field = target.as_ref().map(|(_, f)| *f);
        let unit = match r.unit.as_deref() {
            None => None,
            Some(text) => match Unit::parse(text) {
                Some(u) => Some(u),
                None => {
                    self.error(
                        s.line("unit"),
                        s.key("unit"),
                        format!("unknown unit \"{text}\" (mm, cm, m or in)"),
                    );
                    s.ok = false;
                    None
                }
            },
        };
        if r.unit.is_some()
            && !target
                .as_ref()
                .is_some_and(|(p, _)| p.display.ends_with("_mm"))
            && field.is_some()
        {
            self.error(
                s.line("unit"),
                s.key("unit"),
                format!("{} is not a length in millimetres", target_text(target)),
            );
            s.ok = false;
        }
        let unit_from = match &r.unit_from {
            None => None,
            Some(text) => {
                if r.unit.is_none() {
                    self.error(s.line("unit_from"), s.key("unit_from"), "unit_from needs unit = \"...\" too: the unit of values that carry none, and the unit written on encode");
                    s.ok = false;
                }
                let path = self.source_path(ctx, text, s.line("unit_from"), &s.key("unit_from"));
                s.ok &= path.is_some();
                path
            }
        };
        (unit, unit_from)
    }

    /// `country`: the form of the native country codes.
    fn rule_country(&mut self, s: &mut RuleScope<'_>, target: &Target) -> Option<CountryForm> {
        let r = s.rule();
        let field = target.as_ref().map(|(_, f)| *f);
        match r.country.as_deref() {
            None => None,
            Some(text) => {
                let form = match text {
                    "alpha2" => Some(CountryForm::Alpha2),
                    "alpha3" => Some(CountryForm::Alpha3),
                    "numeric" => Some(CountryForm::Numeric),
                    "name" => Some(CountryForm::Name),
                    other => {
                        self.error(s.line("country"), s.key("country"), format!("\"{other}\" is not a country code form: alpha2, alpha3, numeric or name"));
                        s.ok = false;
                        None
                    }
                };
                if field.is_some_and(|f| f.def.as_deref() != Some("country_code")) {
                    self.error(
                        s.line("country"),
                        s.key("country"),
                        format!("{} is not a country field", target_text(target)),
                    );
                    s.ok = false;
                }
                form
            }
        }
    }

    /// `default`: a constant for an empty source.
    fn rule_default(
        &mut self,
        s: &mut RuleScope<'_>,
        field: Option<&'static CanonField>,
    ) -> Option<Value> {
        let r = s.rule();
        match (&r.default, field) {
            (Some(v), Some(f)) => {
                let value = self.constant(v, f, s.line("default"), &s.key("default"));
                s.ok &= value.is_some();
                value
            }
            _ => None,
        }
    }

    /// The canonical codes of the rule's table against the target's vocabulary.
    fn codes_against_vocabulary(
        &mut self,
        ctx: &RuleContext<'_>,
        s: &RuleScope<'_>,
        codes: Option<usize>,
        field: Option<&'static CanonField>,
        encode: &EncodeMode,
    ) {
        if let (Some(i), Some(f)) = (codes, field) {
            if let Some(table) = ctx.tables.get(i) {
                self.table_against_field(
                    ctx,
                    table,
                    f,
                    !matches!(encode, EncodeMode::Off),
                    s.line("codes"),
                    &s.key("codes"),
                );
            }
        }
    }

    /// Checks only the `to` key (used when the source cannot be checked).
    pub(super) fn target(
        &mut self,
        kind: MessageKind,
        rule: &Section<FieldRule>,
        number: usize,
    ) -> Option<(CanonPath, &'static CanonField)> {
        let key = format!("field[{number}].to");
        let to = rule.value.to.as_deref()?;
        let path = match CanonPath::parse(to) {
            Ok(p) => p,
            Err(message) => {
                self.error(rule.line_of("to"), key, message);
                return None;
            }
        };
        match schema_info::field(kind, &path.display) {
            Some(field) => Some((path, field)),
            None => {
                let fields = schema_info::fields(kind);
                let children: Vec<&str> = fields
                    .iter()
                    .map(|f| f.path.as_str())
                    .filter(|p| {
                        p.starts_with(&format!("{}.", path.display))
                            || p.starts_with(&format!("{}[].", path.display))
                    })
                    .collect();
                let message = if path.display == "kind" {
                    "the message kind is set by [mapping] message, not by a rule".to_string()
                } else if path.display.starts_with("header.") {
                    "only header.message_id and header.correlation_id can be mapped; the rest of the header is set by the gateway".to_string()
                } else if let Some(first) = children.first() {
                    format!(
                        "\"{}\" is not a single value: map its fields one by one, e.g. {first}",
                        path.display
                    )
                } else if fields
                    .iter()
                    .any(|f| f.path == format!("{}[]", path.display))
                {
                    format!("\"{}\" is a list: write {}[]", path.display, path.display)
                } else {
                    format!(
                        "unknown canonical field \"{}\" for {} messages{}",
                        path.display,
                        kind,
                        hint(&path.display, fields.iter().map(|f| f.path.as_str()))
                    )
                };
                self.error(rule.line_of("to"), key, message);
                None
            }
        }
    }
}

/// A calibre field of any message (`firearm.calibre`, `seized.firearm.calibre`).
fn is_calibre(path: &str) -> bool {
    path == "firearm.calibre" || path.ends_with(".firearm.calibre")
}

/// `calibre_as_recorded` beside a single calibre that a table or a convention
/// translates: the native spelling must not be lost to the translation.
fn recorded_path(target: &Target, translated: bool) -> Option<CanonPath> {
    let (path, _) = target.as_ref()?;
    if !translated || path.is_list() || !is_calibre(&path.display) {
        return None;
    }
    CanonPath::parse(&format!("{}_as_recorded", path.display)).ok()
}
