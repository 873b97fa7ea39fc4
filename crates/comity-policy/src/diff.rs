//! What changed between two versions of a pack, rule by rule (issue 16, item 8).
//!
//! A line diff of two TOML files shows what was typed; a reviewer of a policy needs what
//! it changes. [`diff`] compares two parsed packs: the rules added, removed and changed
//! (their citation, the citation of each provision that decides, and the settings each
//! rule reads), every setting whose value in force changed (with the rules that read it),
//! the grounds a decision may cite, and the pack's own fields (id, version, title, what it
//! applies to, the hash of its text). Settings are compared as the rules read them: a
//! setting a pack leaves out is comity's default, so moving a default into the file
//! changes nothing and is not shown, and a setting dropped from the file shows the default
//! it falls back to.
//!
//! ```
//! use comity_policy::{BUILTIN_PACKS, Change, Pack, diff};
//!
//! let (file, text) = BUILTIN_PACKS[1];
//! let old = Pack::parse(file, text).unwrap();
//! let new = Pack::parse(file, &text.replace("max_targets = 10", "max_targets = 5")).unwrap();
//! let changes = diff(&old, &new);
//! assert_eq!(changes.settings[0].setting, "max_targets");
//! assert_eq!(changes.rules[0].rule.as_str(), "general.max_targets");
//! assert_eq!(changes.rules[0].change, Change::Changed);
//! ```

use crate::{Ground, GroundUse, Pack, Rule, RuleSpec, SettingValue, Settings};

/// Whether a rule or ground was added, removed or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Added,
    Removed,
    Changed,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Changed => "changed",
        }
    }
}

/// One field that differs: `None` where one side does not have it (a provision cited in
/// one pack only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// `version`, `citation`, `provisions.traffic_content`, `settings.max_targets`, `text`, ...
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// A rule of either pack that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleChange {
    pub rule: Rule,
    pub change: Change,
    /// The rule's citation in the newer pack (in the older for a rule removed).
    pub citation: String,
    /// The citation of each provision, as that pack cites them (the newer's, or the
    /// older's for a rule removed).
    pub provisions: Vec<(&'static str, String)>,
    /// The settings the rule reads ([`Rule::settings`]), with their values in that pack.
    pub settings: Vec<(&'static str, SettingValue)>,
    /// For a rule in both packs, what differs: its citation, a provision's citation, or
    /// the value of a setting it reads. Empty for a rule added or removed.
    pub changes: Vec<FieldChange>,
}

/// A setting whose value in force differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingChange {
    /// Its name in the pack's `[settings]`.
    pub setting: &'static str,
    pub old: SettingValue,
    pub new: SettingValue,
    /// The rules, of either pack, that read it, each with its citation (the newer pack's,
    /// or the older's for a rule it no longer lists). Empty for a setting of the pack as a
    /// whole (a deadline, who reviews).
    pub read_by: Vec<(Rule, String)>,
}

impl SettingChange {
    /// For a list: the items only the newer pack has.
    pub fn added(&self) -> Vec<&str> {
        match (&self.old, &self.new) {
            (SettingValue::List(old), SettingValue::List(new)) => {
                new.iter().filter(|i| !old.contains(i)).map(String::as_str).collect()
            }
            _ => Vec::new(),
        }
    }

    /// For a list: the items only the older pack has.
    pub fn removed(&self) -> Vec<&str> {
        match (&self.old, &self.new) {
            (SettingValue::List(old), SettingValue::List(new)) => {
                old.iter().filter(|i| !new.contains(i)).map(String::as_str).collect()
            }
            _ => Vec::new(),
        }
    }
}

/// A ground of either pack that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroundChange {
    /// Its stable code, such as `ne_bis_in_idem`.
    pub ground: String,
    pub change: Change,
    /// As the newer pack has it (the older for a ground removed).
    pub citation: String,
    pub text: String,
    pub used_for: Vec<GroundUse>,
    /// For a ground in both packs: `citation`, `text` or `for`.
    pub changes: Vec<FieldChange>,
}

/// Which pack a diff starts from or ends at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Side {
    pub id: String,
    pub version: String,
    pub hash: String,
}

impl Side {
    fn of(pack: &Pack) -> Side {
        Side { id: pack.id.clone(), version: pack.version.clone(), hash: pack.hash.clone() }
    }
}

/// Everything that differs between two packs, rule by rule: see [`diff`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackDiff {
    pub from: Side,
    pub to: Side,
    /// The pack's own fields: `id`, `version`, `title`, `applies_to`, `house` (the house
    /// file layered on it), and `hash` last (the texts differ even where only a comment
    /// does).
    pub metadata: Vec<FieldChange>,
    /// Rules removed (in the older pack's order), added, then changed (in the newer's).
    pub rules: Vec<RuleChange>,
    /// In the order of [`Settings::entries`].
    pub settings: Vec<SettingChange>,
    /// Grounds removed, added, then changed.
    pub grounds: Vec<GroundChange>,
}

impl PackDiff {
    /// The two packs are the same text (and so the same in everything).
    pub fn is_empty(&self) -> bool {
        self.metadata.is_empty()
            && self.rules.is_empty()
            && self.settings.is_empty()
            && self.grounds.is_empty()
    }
}

/// What changed from `old` to `new`, rule by rule.
pub fn diff(old: &Pack, new: &Pack) -> PackDiff {
    let (old_settings, new_settings) = (old.settings.entries(), new.settings.entries());
    let settings: Vec<SettingChange> = old_settings
        .iter()
        .zip(&new_settings)
        .filter(|((_, a), (_, b))| !same_value(a, b))
        .map(|((name, a), (_, b))| SettingChange {
            setting: name,
            old: a.clone(),
            new: b.clone(),
            read_by: readers(name, old, new),
        })
        .collect();

    let mut rules = Vec::new();
    for spec in old.rules.iter().filter(|s| find(new, s.rule).is_none()) {
        rules.push(whole_rule(spec, Change::Removed, &old.settings));
    }
    for spec in new.rules.iter().filter(|s| find(old, s.rule).is_none()) {
        rules.push(whole_rule(spec, Change::Added, &new.settings));
    }
    for spec in &new.rules {
        let Some(before) = find(old, spec.rule) else { continue };
        let mut changes = Vec::new();
        if before.citation != spec.citation {
            changes.push(changed("citation", &before.citation, &spec.citation));
        }
        for key in spec.rule.provisions() {
            let (a, b) = (provision(before, key), provision(spec, key));
            if a != b {
                changes.push(FieldChange {
                    field: format!("provisions.{key}"),
                    old: a.map(str::to_owned),
                    new: b.map(str::to_owned),
                });
            }
        }
        for name in spec.rule.settings() {
            if let Some(s) = settings.iter().find(|s| s.setting == *name) {
                changes.push(FieldChange {
                    field: format!("settings.{name}"),
                    old: Some(s.old.to_string()),
                    new: Some(s.new.to_string()),
                });
            }
        }
        if !changes.is_empty() {
            rules.push(RuleChange { changes, ..whole_rule(spec, Change::Changed, &new.settings) });
        }
    }

    let mut grounds = Vec::new();
    for g in old.grounds.iter().filter(|g| !new.grounds.iter().any(|n| n.id == g.id)) {
        grounds.push(whole_ground(g, Change::Removed));
    }
    for g in new.grounds.iter().filter(|g| !old.grounds.iter().any(|o| o.id == g.id)) {
        grounds.push(whole_ground(g, Change::Added));
    }
    for g in &new.grounds {
        let Some(before) = old.grounds.iter().find(|o| o.id == g.id) else { continue };
        let mut changes = Vec::new();
        if before.citation != g.citation {
            changes.push(changed("citation", &before.citation, &g.citation));
        }
        if before.text != g.text {
            changes.push(changed("text", &before.text, &g.text));
        }
        if !same_uses(&before.used_for, &g.used_for) {
            changes.push(changed("for", &uses(&before.used_for), &uses(&g.used_for)));
        }
        if !changes.is_empty() {
            grounds.push(GroundChange { changes, ..whole_ground(g, Change::Changed) });
        }
    }

    let mut metadata = Vec::new();
    for (field, a, b) in [
        ("id", old.id.clone(), new.id.clone()),
        ("version", old.version.clone(), new.version.clone()),
        ("title", old.title.clone(), new.title.clone()),
        ("applies_to", old.applies_to.to_string(), new.applies_to.to_string()),
    ] {
        if a != b {
            metadata.push(changed(field, &a, &b));
        }
    }
    if old.house_source() != new.house_source() {
        metadata.push(FieldChange {
            field: "house".to_owned(),
            old: old.house_source().map(str::to_owned),
            new: new.house_source().map(str::to_owned),
        });
    }
    if old.hash != new.hash {
        metadata.push(changed("hash", &old.hash, &new.hash));
    }
    PackDiff { from: Side::of(old), to: Side::of(new), metadata, rules, settings, grounds }
}

fn find(pack: &Pack, rule: Rule) -> Option<&RuleSpec> {
    pack.rules.iter().find(|s| s.rule == rule)
}

fn provision<'a>(spec: &'a RuleSpec, key: &str) -> Option<&'a str> {
    spec.provisions.iter().find(|(k, _)| *k == key).map(|(_, c)| c.as_str())
}

fn changed(field: &str, old: &str, new: &str) -> FieldChange {
    FieldChange { field: field.to_owned(), old: Some(old.to_owned()), new: Some(new.to_owned()) }
}

/// Lists are compared as sets: the order of States or terms changes nothing a rule does.
fn same_value(a: &SettingValue, b: &SettingValue) -> bool {
    match (a, b) {
        (SettingValue::List(a), SettingValue::List(b)) => {
            a.iter().all(|i| b.contains(i)) && b.iter().all(|i| a.contains(i))
        }
        _ => a == b,
    }
}

fn same_uses(a: &[GroundUse], b: &[GroundUse]) -> bool {
    a.iter().all(|u| b.contains(u)) && b.iter().all(|u| a.contains(u))
}

fn uses(list: &[GroundUse]) -> String {
    list.iter().map(|u| u.as_str()).collect::<Vec<_>>().join(", ")
}

/// The rules of either pack that read `setting`, each with the citation of the pack that
/// lists it (the newer, where both do).
fn readers(setting: &str, old: &Pack, new: &Pack) -> Vec<(Rule, String)> {
    let mut found: Vec<(Rule, String)> = Vec::new();
    for spec in new.rules.iter().chain(&old.rules) {
        if spec.rule.settings().contains(&setting) && !found.iter().any(|(r, _)| *r == spec.rule) {
            found.push((spec.rule, spec.citation.clone()));
        }
    }
    found
}

fn whole_rule(spec: &RuleSpec, change: Change, settings: &Settings) -> RuleChange {
    let entries = settings.entries();
    RuleChange {
        rule: spec.rule,
        change,
        citation: spec.citation.clone(),
        provisions: spec.provisions.clone(),
        settings: entries.into_iter().filter(|(name, _)| spec.rule.settings().contains(name)).collect(),
        changes: Vec::new(),
    }
}

fn whole_ground(g: &Ground, change: Change) -> GroundChange {
    GroundChange {
        ground: g.id.clone(),
        change,
        citation: g.citation.clone(),
        text: g.text.clone(),
        used_for: g.used_for.clone(),
        changes: Vec::new(),
    }
}
