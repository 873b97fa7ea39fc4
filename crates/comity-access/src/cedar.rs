//! Our facts as Cedar entities: the principal, its organisation and institution, and the
//! resource, checked against the schema as they are built.

use std::{
    collections::{HashMap, HashSet},
    sync::LazyLock,
};

use cedar_policy::{
    Context, Entities, Entity, EntityId, EntityTypeName, EntityUid, Request, RestrictedExpression, Schema,
};
use comity_core::PartyId;

use crate::{Action, On, RequestFacts, Who};

/// The entity types of `policies/access.cedarschema`.
struct Types {
    action: EntityTypeName,
    principal: EntityTypeName,
    organisation: EntityTypeName,
    institution: EntityTypeName,
    register: EntityTypeName,
    role: EntityTypeName,
    credential: EntityTypeName,
    state: EntityTypeName,
    request: EntityTypeName,
    requests: EntityTypeName,
    registers: EntityTypeName,
    accounts: EntityTypeName,
    aggregates: EntityTypeName,
}

static TYPES: LazyLock<Types> = LazyLock::new(|| {
    let ty = |name: &str| match name.parse::<EntityTypeName>() {
        Ok(t) => t,
        Err(e) => panic!("{name} is not an entity type name: {e}"),
    };
    Types {
        action: ty("Action"),
        principal: ty("Principal"),
        organisation: ty("Organisation"),
        institution: ty("Institution"),
        register: ty("Register"),
        role: ty("Role"),
        credential: ty("Credential"),
        state: ty("State"),
        request: ty("Request"),
        requests: ty("Requests"),
        registers: ty("Registers"),
        accounts: ty("Accounts"),
        aggregates: ty("Aggregates"),
    }
});

fn uid(ty: &EntityTypeName, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(ty.clone(), EntityId::new(id))
}

fn reference(ty: &EntityTypeName, id: &str) -> RestrictedExpression {
    RestrictedExpression::new_entity_uid(uid(ty, id))
}

fn references<'a>(ty: &EntityTypeName, ids: impl IntoIterator<Item = &'a PartyId>) -> RestrictedExpression {
    RestrictedExpression::new_set(ids.into_iter().map(|id| reference(ty, id.as_str())))
}

fn entity(
    uid: EntityUid,
    attrs: Vec<(&str, RestrictedExpression)>,
    parent: Option<EntityUid>,
) -> Result<Entity, String> {
    let attrs: HashMap<String, RestrictedExpression> =
        attrs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    Entity::new(uid, attrs, parent.into_iter().collect::<HashSet<_>>()).map_err(|e| e.to_string())
}

/// The Cedar request for `who` doing `action` on `on`, and the entities it reads; an
/// error names what did not fit the schema.
pub(crate) fn request(
    schema: &Schema,
    who: &Who,
    action: &Action,
    on: &On<'_>,
) -> Result<(Request, Entities), String> {
    let t = &*TYPES;
    let institution = uid(&t.institution, who.institution.as_str());
    let org = uid(&t.organisation, who.org.as_str());
    let principal = uid(&t.principal, who.actor.as_str());
    let mut entities = vec![
        Entity::new_no_attrs(institution.clone(), HashSet::new()),
        entity(
            org.clone(),
            vec![("register", reference(&t.register, who.register.as_str()))],
            Some(institution),
        )?,
        entity(
            principal.clone(),
            vec![
                ("org", RestrictedExpression::new_entity_uid(org.clone())),
                ("role", reference(&t.role, who.role.as_str())),
                ("credential", reference(&t.credential, who.credential.as_str())),
            ],
            Some(org),
        )?,
    ];
    let resource = match on {
        On::Request(facts) => {
            let resource = uid(&t.request, "this");
            entities.push(entity(resource.clone(), request_attrs(t, facts), None)?);
            resource
        }
        On::Requests => uid(&t.requests, "requests"),
        On::Registers => uid(&t.registers, "registers"),
        On::Accounts => uid(&t.accounts, "accounts"),
        On::Aggregates => uid(&t.aggregates, "aggregates"),
    };
    let context = match action {
        Action::AssignReviewer { reviewer, reviewer_institution } => Context::from_pairs([
            ("reviewer".to_owned(), reference(&t.organisation, reviewer.as_str())),
            ("reviewer_institution".to_owned(), reference(&t.institution, reviewer_institution.as_str())),
        ])
        .map_err(|e| e.to_string())?,
        _ => Context::empty(),
    };
    let action = uid(&t.action, action.name());
    let request =
        Request::new(principal, action, resource, context, Some(schema)).map_err(|e| e.to_string())?;
    let entities = Entities::from_entities(entities, Some(schema)).map_err(|e| e.to_string())?;
    Ok((request, entities))
}

fn request_attrs(t: &Types, facts: &RequestFacts) -> Vec<(&'static str, RestrictedExpression)> {
    vec![
        ("authority", reference(&t.organisation, facts.authority.as_str())),
        ("issuers", references(&t.organisation, facts.issuers())),
        ("issuer_institutions", references(&t.institution, &facts.issuer_institutions)),
        ("provider", reference(&t.organisation, facts.provider.as_str())),
        ("provider_institution", reference(&t.institution, facts.provider_institution.as_str())),
        ("reviewers", references(&t.organisation, &facts.reviewers)),
        ("representatives", references(&t.organisation, &facts.representatives)),
        ("state", reference(&t.state, facts.state.as_str())),
        ("emergency", RestrictedExpression::new_bool(facts.emergency)),
    ]
}
