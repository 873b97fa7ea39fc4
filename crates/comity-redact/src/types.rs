//! The types of personal data, the spans that locate them, and which national identifiers
//! a detector looks for.

use std::{fmt, ops::Range, str::FromStr};

/// A type of personal data, named as Microsoft Presidio names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PiiType {
    EmailAddress,
    PhoneNumber,
    IpAddress,
    CreditCard,
    IbanCode,
    Person,
    /// US Social Security Number.
    UsSsn,
    /// UK National Insurance number.
    UkNino,
    /// Spanish NIF (DNI number and its check letter).
    EsNif,
    /// Spanish NIE (foreigner's identity number).
    EsNie,
    /// Italian codice fiscale.
    ItFiscalCode,
    /// German tax identification number (Steuer-IdNr).
    DeTaxId,
    /// French social security number (NIR). Presidio has no French recognizer; the name
    /// follows its pattern.
    FrNir,
}

impl PiiType {
    /// Every type, in the order of this enum.
    pub const ALL: [PiiType; 13] = [
        PiiType::EmailAddress,
        PiiType::PhoneNumber,
        PiiType::IpAddress,
        PiiType::CreditCard,
        PiiType::IbanCode,
        PiiType::Person,
        PiiType::UsSsn,
        PiiType::UkNino,
        PiiType::EsNif,
        PiiType::EsNie,
        PiiType::ItFiscalCode,
        PiiType::DeTaxId,
        PiiType::FrNir,
    ];

    /// The national identifiers, the types that [`NationalIds`] switches on and off.
    pub const NATIONAL_IDS: [PiiType; 7] = [
        PiiType::UsSsn,
        PiiType::UkNino,
        PiiType::EsNif,
        PiiType::EsNie,
        PiiType::ItFiscalCode,
        PiiType::DeTaxId,
        PiiType::FrNir,
    ];

    /// Presidio's name of the type: `EMAIL_ADDRESS`, `PHONE_NUMBER`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            PiiType::EmailAddress => "EMAIL_ADDRESS",
            PiiType::PhoneNumber => "PHONE_NUMBER",
            PiiType::IpAddress => "IP_ADDRESS",
            PiiType::CreditCard => "CREDIT_CARD",
            PiiType::IbanCode => "IBAN_CODE",
            PiiType::Person => "PERSON",
            PiiType::UsSsn => "US_SSN",
            PiiType::UkNino => "UK_NINO",
            PiiType::EsNif => "ES_NIF",
            PiiType::EsNie => "ES_NIE",
            PiiType::ItFiscalCode => "IT_FISCAL_CODE",
            PiiType::DeTaxId => "DE_TAX_ID",
            PiiType::FrNir => "FR_NIR",
        }
    }

    /// What a masked value of this type is replaced by: `[EMAIL_ADDRESS]`, ...
    pub fn placeholder(self) -> &'static str {
        match self {
            PiiType::EmailAddress => "[EMAIL_ADDRESS]",
            PiiType::PhoneNumber => "[PHONE_NUMBER]",
            PiiType::IpAddress => "[IP_ADDRESS]",
            PiiType::CreditCard => "[CREDIT_CARD]",
            PiiType::IbanCode => "[IBAN_CODE]",
            PiiType::Person => "[PERSON]",
            PiiType::UsSsn => "[US_SSN]",
            PiiType::UkNino => "[UK_NINO]",
            PiiType::EsNif => "[ES_NIF]",
            PiiType::EsNie => "[ES_NIE]",
            PiiType::ItFiscalCode => "[IT_FISCAL_CODE]",
            PiiType::DeTaxId => "[DE_TAX_ID]",
            PiiType::FrNir => "[FR_NIR]",
        }
    }

    /// When two candidates cover the same text equally, the more specific one wins: a
    /// checksum beats a shape, a shape beats a context.
    pub(crate) fn specificity(self) -> u8 {
        match self {
            PiiType::EmailAddress => 9,
            PiiType::IbanCode => 8,
            PiiType::CreditCard => 7,
            PiiType::EsNif | PiiType::EsNie | PiiType::ItFiscalCode | PiiType::DeTaxId | PiiType::FrNir => 6,
            PiiType::IpAddress => 5,
            PiiType::UsSsn | PiiType::UkNino => 4,
            PiiType::PhoneNumber => 3,
            PiiType::Person => 1,
        }
    }
}

impl fmt::Display for PiiType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PiiType {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PiiType::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ConfigError::UnknownType(s.trim().to_owned()))
    }
}

/// Where a piece of personal data lies in a text, in bytes, and its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    start: usize,
    end: usize,
    kind: PiiType,
}

impl Span {
    pub(crate) fn new(start: usize, end: usize, kind: PiiType) -> Span {
        debug_assert!(start < end);
        Span { start, end, kind }
    }

    /// The byte offset of the first byte.
    pub fn start(&self) -> usize {
        self.start
    }

    /// The byte offset just past the last byte.
    pub fn end(&self) -> usize {
        self.end
    }

    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }

    pub fn kind(&self) -> PiiType {
        self.kind
    }
}

/// Which national identifiers a [`Detector`](crate::Detector) looks for. The default is
/// `US_SSN` alone (Presidio's default set has it); each other country's identifier is
/// switched on by the production's configuration, since a 9-digit or 11-digit number is
/// an identifier in one country and an order number in another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NationalIds {
    bits: u16,
}

impl NationalIds {
    pub fn none() -> NationalIds {
        NationalIds { bits: 0 }
    }

    pub fn all() -> NationalIds {
        PiiType::NATIONAL_IDS.into_iter().fold(NationalIds::none(), |ids, t| ids.with(t))
    }

    /// This set and `kind`; a type that is not a national identifier is ignored.
    #[must_use]
    pub fn with(self, kind: PiiType) -> NationalIds {
        match PiiType::NATIONAL_IDS.iter().position(|t| *t == kind) {
            Some(i) => NationalIds { bits: self.bits | 1 << i },
            None => self,
        }
    }

    pub fn contains(&self, kind: PiiType) -> bool {
        PiiType::NATIONAL_IDS.iter().position(|t| *t == kind).is_some_and(|i| self.bits & 1 << i != 0)
    }

    pub fn iter(&self) -> impl Iterator<Item = PiiType> + '_ {
        PiiType::NATIONAL_IDS.into_iter().filter(|t| self.contains(*t))
    }
}

impl Default for NationalIds {
    fn default() -> Self {
        NationalIds::none().with(PiiType::UsSsn)
    }
}

impl FromStr for NationalIds {
    type Err = ConfigError;

    /// A comma-separated list of Presidio names (`UK_NINO,ES_NIF`); an empty string or
    /// `NONE` is the empty set.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut ids = NationalIds::none();
        for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if name.eq_ignore_ascii_case("none") {
                continue;
            }
            let kind: PiiType = name.parse()?;
            if !PiiType::NATIONAL_IDS.contains(&kind) {
                return Err(ConfigError::NotANationalId(name.to_owned()));
            }
            ids = ids.with(kind);
        }
        Ok(ids)
    }
}

/// A configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "unknown type {0:?}; the national identifiers are US_SSN, UK_NINO, ES_NIF, ES_NIE, IT_FISCAL_CODE, DE_TAX_ID and FR_NIR"
    )]
    UnknownType(String),
    #[error(
        "{0} is not a national identifier; the national identifiers are US_SSN, UK_NINO, ES_NIF, ES_NIE, IT_FISCAL_CODE, DE_TAX_ID and FR_NIR"
    )]
    NotANationalId(String),
    #[error(
        "unknown phone region {0:?}; name regions by their ISO 3166-1 alpha-2 codes (FR, DE, GB, US, ...), or DEFAULT, EU, ALL or NONE"
    )]
    UnknownRegion(String),
    #[error("unknown phone check {0:?}; it is valid or possible")]
    UnknownPhoneCheck(String),
}
