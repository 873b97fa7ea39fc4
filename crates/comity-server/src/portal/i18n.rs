//! The portal's languages (issue 14, item 4): every string a page shows is a Fluent message
//! in `locales/<lang>/portal.ftl`, compiled into the binary. The language is the one the
//! person chose with the switch on every page (a cookie), else the best match of the
//! browser's `Accept-Language` (RFC 9110 §12.5.4), else English.

use std::{borrow::Cow, sync::LazyLock};

use axum::http::{HeaderMap, header};
use fluent_bundle::{FluentArgs, FluentResource, FluentValue, concurrent::FluentBundle};
use fluent_langneg::{NegotiationStrategy, accepted_languages, negotiate_languages};
use unic_langid::LanguageIdentifier;

/// A language the portal speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Fr];

    /// The BCP 47 tag, for `<html lang>` and the switch.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// The language's own name, which the switch shows whatever language the page is in.
    pub fn endonym(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Fr => "Français",
        }
    }

    pub fn parse(tag: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.tag().eq_ignore_ascii_case(tag.trim()))
    }

    /// The person's choice (the `comity_lang` cookie), else the browser's best match.
    pub fn negotiate(headers: &HeaderMap) -> Lang {
        if let Some(chosen) = cookie(headers, LANG_COOKIE).and_then(Lang::parse) {
            return chosen;
        }
        let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let requested = accepted_languages::parse(accept);
        let available: Vec<LanguageIdentifier> =
            Lang::ALL.iter().filter_map(|l| l.tag().parse().ok()).collect();
        let default: LanguageIdentifier = Lang::En.tag().parse().unwrap_or_default();
        negotiate_languages(&requested, &available, Some(&default), NegotiationStrategy::Filtering)
            .first()
            .and_then(|l| Lang::parse(&l.to_string()))
            .unwrap_or(Lang::En)
    }

    /// The message `id` in this language, English where this language lacks it, and the id
    /// itself (which a test catches) where both do.
    pub fn t(self, id: &str) -> String {
        self.format(id, None)
    }

    /// The message `id` with its arguments.
    pub fn t_with(self, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            fluent.set(*name, value.clone());
        }
        self.format(id, Some(&fluent))
    }

    /// Whether the language has the message `id`: a domain error's code is shown in the
    /// person's language when it has one, else as the API words it.
    pub fn has(self, id: &str) -> bool {
        bundle(self).has_message(id)
    }

    fn format(self, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        for lang in [self, Lang::En] {
            let bundle = bundle(lang);
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                let text: Cow<'_, str> = bundle.format_pattern(pattern, args, &mut errors);
                if !errors.is_empty() {
                    tracing::warn!(id, lang = lang.tag(), ?errors, "a portal message did not format");
                }
                return text.into_owned();
            }
        }
        tracing::warn!(id, "a portal message is missing");
        id.to_owned()
    }
}

/// The cookie that keeps the language a person chose.
pub const LANG_COOKIE: &str = "comity_lang";

/// The value of the cookie `name`, if the request has one.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
}

/// The messages of each language, as shipped.
pub const SOURCES: [(Lang, &str); 2] = [
    (Lang::En, include_str!("../../locales/en/portal.ftl")),
    (Lang::Fr, include_str!("../../locales/fr/portal.ftl")),
];

static BUNDLES: LazyLock<Vec<(Lang, FluentBundle<FluentResource>)>> = LazyLock::new(|| {
    SOURCES
        .iter()
        .map(|&(lang, source)| {
            let resource = FluentResource::try_new(source.to_owned()).unwrap_or_else(|(resource, errors)| {
                tracing::error!(lang = lang.tag(), ?errors, "a Fluent file has syntax errors");
                resource
            });
            let id: LanguageIdentifier = lang.tag().parse().unwrap_or_default();
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // No Unicode isolation marks: every language here is written left to right, and
            // the marks would land in attributes and copied text.
            bundle.set_use_isolating(false);
            if let Err(errors) = bundle.add_resource(resource) {
                tracing::error!(lang = lang.tag(), ?errors, "a Fluent file defines a message twice");
            }
            (lang, bundle)
        })
        .collect()
});

fn bundle(lang: Lang) -> &'static FluentBundle<FluentResource> {
    let found = BUNDLES.iter().find(|(l, _)| *l == lang).or_else(|| BUNDLES.first());
    match found {
        Some((_, bundle)) => bundle,
        None => unreachable!("SOURCES lists every language"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(source: &str) -> Vec<String> {
        let resource = match FluentResource::try_new(source.to_owned()) {
            Ok(r) => r,
            Err((_, errors)) => panic!("syntax errors: {errors:?}"),
        };
        resource
            .entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect()
    }

    /// Every language has every message, and no file has a syntax error: a page is never
    /// half in one language.
    #[test]
    fn every_language_has_every_message() {
        let english = ids(SOURCES[0].1);
        assert!(english.len() > 50, "the English messages are read");
        for (lang, source) in &SOURCES[1..] {
            let theirs = ids(source);
            let missing: Vec<_> = english.iter().filter(|id| !theirs.contains(id)).collect();
            let extra: Vec<_> = theirs.iter().filter(|id| !english.contains(id)).collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", lang.tag());
            assert!(extra.is_empty(), "{} has messages English lacks: {extra:?}", lang.tag());
        }
    }

    #[test]
    fn accept_language_picks_the_best_match_and_the_cookie_wins() {
        let mut headers = HeaderMap::new();
        assert_eq!(Lang::negotiate(&headers), Lang::En, "no header: English");
        headers.insert(header::ACCEPT_LANGUAGE, "fr-CA,fr;q=0.9,en;q=0.5".parse().unwrap());
        assert_eq!(Lang::negotiate(&headers), Lang::Fr);
        headers.insert(header::ACCEPT_LANGUAGE, "de-DE,de;q=0.9".parse().unwrap());
        assert_eq!(Lang::negotiate(&headers), Lang::En, "a language comity lacks: English");
        headers.insert(header::COOKIE, "comity_lang=fr".parse().unwrap());
        assert_eq!(Lang::negotiate(&headers), Lang::Fr, "the person's choice wins");
    }

    #[test]
    fn messages_format_with_arguments_and_fall_back_to_english() {
        assert_eq!(Lang::Fr.t("sign-in-title"), "Se connecter");
        assert_eq!(Lang::En.t_with("minutes-left", &[("minutes", 10.into())]), "10 minutes");
        assert_eq!(Lang::En.t("no-such-message"), "no-such-message");
    }
}
