//! The fixed vocabulary of the request document: the enumerations every party shares.
//!
//! The seed asks for "common definitions ... for data classification"; these are they.
//! Each value has one spelling on the wire (`as_str`), used in documents, the API, the
//! database and reports alike.

/// A closed list of terms with one spelling each. The wire layer serializes, parses and
/// describes (in JSON Schema) every vocabulary through this one trait, so each list of
/// values is written down once, here.
pub trait Vocabulary: Copy + Eq + std::fmt::Debug + Send + Sync + 'static {
    /// The vocabulary's name, as it appears in schemas (such as `DataCategory`).
    const NAME: &'static str;
    /// Every term, in declaration order.
    fn all() -> &'static [Self];
    /// The term's spelling.
    fn as_str(self) -> &'static str;
    /// Parses a spelling; `None` for anything else.
    fn parse(s: &str) -> Option<Self>;
}

/// Declares a closed vocabulary: the enum, its wire spellings, `ALL` and `parse`.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// Parses the wire spelling; `None` for anything else.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($wire => Some($name::$variant),)+ _ => None }
            }
        }

        impl $crate::vocabulary::Vocabulary for $name {
            const NAME: &'static str = stringify!($name);
            fn all() -> &'static [Self] { Self::ALL }
            fn as_str(self) -> &'static str { $name::as_str(self) }
            fn parse(s: &str) -> Option<Self> { $name::parse(s) }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use vocabulary;

vocabulary! {
    /// The legal instrument a request invokes.
    Instrument {
        /// Regulation (EU) 2023/1543 (European Production and Preservation Orders).
        EuEEvidence = "eu-e-evidence",
        /// An executive agreement under 18 U.S.C. § 2523 (CLOUD Act), such as US–UK.
        UsCloudAct = "us-cloud-act",
        /// Council of Europe Convention on Cybercrime (ETS 185) and its Second Protocol (CETS 224).
        CoeBudapest = "coe-budapest",
        /// A classic mutual legal assistance treaty, through central authorities.
        Mlat = "mlat",
    }
}

vocabulary! {
    /// What the request asks the provider to do.
    RequestKind {
        /// Hand over data (EPOC, 2AP Art 7, MLAT request).
        Production = "production",
        /// Keep data from deletion until a production request follows (EPOC-PR, Conv. Art 29).
        Preservation = "preservation",
    }
}

vocabulary! {
    /// Why the data is wanted.
    Purpose {
        CriminalInvestigation = "criminal_investigation",
        NationalSecurity = "national_security",
        /// A threat to someone's life or physical integrity.
        EmergencyLife = "emergency_life",
        /// Executing a custodial sentence or detention order (Regulation (EU) 2023/1543 Art 5(3)).
        SentenceExecution = "sentence_execution",
    }
}

vocabulary! {
    /// The kind of authority that issued or validated a request; the instruments tie what
    /// may be ordered to it (Regulation (EU) 2023/1543 Art 4).
    AuthorityType {
        Judge = "judge",
        Court = "court",
        InvestigatingJudge = "investigating_judge",
        Prosecutor = "prosecutor",
        Police = "police",
        SecurityService = "security_service",
        Other = "other",
    }
}

vocabulary! {
    /// The data categories of Regulation (EU) 2023/1543 Art 3(9)-(12), shared by every
    /// instrument in comity.
    DataCategory {
        /// Name, address, contact details, account creation, payment.
        Subscriber = "subscriber",
        /// Data requested only to identify the user: IP address with time and port, session records.
        Identification = "identification",
        /// Metadata: who, when, where, how long, excluding identification data.
        Traffic = "traffic",
        /// Messages, files, images and other stored content.
        Content = "content",
    }
}

vocabulary! {
    /// Roles whose communications carry a privilege or a special protection; naming such a
    /// person always brings a request before an independent reviewer.
    ProtectedRole {
        Journalist = "journalist",
        Lawyer = "lawyer",
        Parliamentarian = "parliamentarian",
        Diplomat = "diplomat",
        Clergy = "clergy",
        Medical = "medical",
    }
}

vocabulary! {
    /// Offences for which Regulation (EU) 2023/1543 Art 5(4)(b)-(d) allows traffic and
    /// content orders below the three-year threshold.
    ListedOffence {
        /// Directive (EU) 2017/541.
        Terrorism = "terrorism",
        /// Directive 2011/93/EU.
        ChildSexualAbuse = "child_sexual_abuse",
        /// Directive 2013/40/EU Art 3-8.
        AttackInformationSystem = "attack_information_system",
        /// Directive (EU) 2019/713.
        NonCashPaymentFraud = "non_cash_payment_fraud",
    }
}

vocabulary! {
    /// The kind of an independent reviewer body.
    ReviewerKind {
        Court = "court",
        DataProtectionAuthority = "data_protection_authority",
        CentralAuthority = "central_authority",
        /// The enforcing authority of Regulation (EU) 2023/1543 Art 8.
        EnforcingAuthority = "enforcing_authority",
        Other = "other",
    }
}

impl AuthorityType {
    /// Judicial authorities in the sense of Regulation (EU) 2023/1543 Art 4(2): those who
    /// may issue or validate orders for traffic and content data.
    pub fn is_judicial(self) -> bool {
        matches!(self, Self::Judge | Self::Court | Self::InvestigatingJudge)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_round_trips() {
        for v in Instrument::ALL {
            assert_eq!(Instrument::parse(v.as_str()), Some(*v));
        }
        for v in DataCategory::ALL {
            assert_eq!(DataCategory::parse(v.as_str()), Some(*v));
        }
        for v in AuthorityType::ALL {
            assert_eq!(AuthorityType::parse(v.as_str()), Some(*v));
        }
        assert_eq!(DataCategory::parse("Content"), None);
    }
}
