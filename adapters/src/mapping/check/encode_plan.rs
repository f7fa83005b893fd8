//! How the encoder walks the compiled rules.

use std::collections::HashMap;

use super::compiled::{EncodeMode, EncodeStep, Input, Rule, Split};

pub(super) fn encode_plan(rules: &[Rule]) -> Vec<EncodeStep> {
    let mut plan = Vec::new();
    let mut groups: HashMap<String, usize> = HashMap::new();
    for (index, rule) in rules.iter().enumerate() {
        if matches!(rule.encode, EncodeMode::Off) {
            continue;
        }
        match (&rule.input, &rule.split) {
            (
                Input::From(path),
                Some(Split {
                    separator,
                    part: Some(part),
                }),
            ) => {
                let group_key = format!("{}\u{1f}{separator}", path.native_name(None));
                match groups.get(&group_key).and_then(|&i| plan.get_mut(i)) {
                    Some(EncodeStep::Parts { parts, .. }) => parts.push((*part, index)),
                    _ => {
                        groups.insert(group_key, plan.len());
                        plan.push(EncodeStep::Parts {
                            path: Box::new(path.clone()),
                            separator: separator.clone(),
                            parts: vec![(*part, index)],
                        });
                    }
                }
            }
            (Input::From(_), _) => plan.push(EncodeStep::Rule(index)),
            (Input::Concat(..), _) => plan.push(EncodeStep::Concat(index)),
            (Input::Const(_), _) => {}
        }
    }
    plan
}
