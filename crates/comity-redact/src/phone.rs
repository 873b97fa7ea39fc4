//! Phone numbers, confirmed by Google's libphonenumber metadata (the `phonenumber` crate,
//! its Rust port): every region's numbering plan, kept up to date by the people who know
//! it, rather than rules written here.
//!
//! The byte scan ([`crate::scan`]) finds candidates (digits with separators) fast; a
//! candidate is a phone number only when libphonenumber parses it and says it is valid
//! (its default), or possible (a length the region's plan allows). A number written with
//! `+` or `00` names its country; one written in a national format does not, so it is
//! tried in the regions of [`PhoneRegions`].

use std::{fmt, str::FromStr};

use phonenumber::{Metadata, Mode, Type, country, metadata::DATABASE};

use crate::types::ConfigError;

/// How sure of a phone number the detector must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PhoneCheck {
    /// libphonenumber says the number is valid: its country code is assigned and its
    /// digits match one of the region's number ranges (fixed line, mobile, toll free,
    /// ...). The default.
    #[default]
    Valid,
    /// libphonenumber says the number is possible: its country code is assigned and its
    /// length is one the region's plan has. Finds numbers in ranges assigned after the
    /// metadata was released, at the cost of precision.
    Possible,
}

impl FromStr for PhoneCheck {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "valid" => Ok(PhoneCheck::Valid),
            "possible" => Ok(PhoneCheck::Possible),
            other => Err(ConfigError::UnknownPhoneCheck(other.to_owned())),
        }
    }
}

/// The 27 member states of the European Union (ISO 3166-1 alpha-2).
const EU: [&str; 27] = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT",
    "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
];

/// The default regions besides the EU: the rest of the EEA, Switzerland, the United
/// Kingdom and North America (the US plan, NANP, covers Canada and the Caribbean).
const DEFAULT_OTHERS: [&str; 7] = ["IS", "LI", "NO", "CH", "GB", "US", "CA"];

/// The regions (ISO 3166-1 alpha-2 codes, as libphonenumber names them) whose national
/// formats the detector tries on a number written without `+` or `00`: `06 12 34 56 78`
/// is French only if France is tried.
///
/// The default is the European Union, the rest of the EEA (Iceland, Liechtenstein,
/// Norway), Switzerland, the United Kingdom and North America: where comity's requests
/// and providers are. Each region tried costs time on every national candidate and
/// precision (an 8-digit group is a Danish number, a 9-digit one Spanish), so a
/// deployment names the regions its data comes from. International formats are found
/// in every region whatever this set.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PhoneRegions {
    /// One bit per pair of letters `AA`..`ZZ` (26 × 26).
    bits: [u64; 11],
}

impl PhoneRegions {
    pub fn none() -> PhoneRegions {
        PhoneRegions { bits: [0; 11] }
    }

    /// Every region libphonenumber has metadata for.
    pub fn all() -> PhoneRegions {
        DATABASE.iter().filter_map(|m| index(m.id())).fold(PhoneRegions::none(), |r, i| r.with_index(i))
    }

    /// The 27 member states of the European Union.
    pub fn eu() -> PhoneRegions {
        EU.iter().filter_map(|c| index(c)).fold(PhoneRegions::none(), |r, i| r.with_index(i))
    }

    fn with_index(mut self, i: usize) -> PhoneRegions {
        self.bits[i / 64] |= 1 << (i % 64);
        self
    }

    /// This set and the region `code` (`"FR"`), which libphonenumber must know.
    pub fn with(self, code: &str) -> Result<PhoneRegions, ConfigError> {
        let upper = code.trim().to_ascii_uppercase();
        match index(&upper) {
            Some(i) if DATABASE.by_id(upper.as_str()).is_some() => Ok(self.with_index(i)),
            _ => Err(ConfigError::UnknownRegion(code.trim().to_owned())),
        }
    }

    pub fn contains(&self, code: &str) -> bool {
        index(&code.to_ascii_uppercase()).is_some_and(|i| self.bits[i / 64] & 1 << (i % 64) != 0)
    }

    /// The regions, in alphabetical order.
    pub fn iter(&self) -> impl Iterator<Item = String> + '_ {
        (0..26 * 26).filter(|i| self.bits[i / 64] & 1 << (i % 64) != 0).map(|i| {
            let letters = [b'A' + (i / 26) as u8, b'A' + (i % 26) as u8];
            String::from_utf8_lossy(&letters).into_owned()
        })
    }

    pub fn len(&self) -> usize {
        self.bits.iter().map(|b| b.count_ones() as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The bit of a two-letter code.
fn index(code: &str) -> Option<usize> {
    match code.as_bytes() {
        [a @ b'A'..=b'Z', b @ b'A'..=b'Z'] => Some(usize::from(a - b'A') * 26 + usize::from(b - b'A')),
        _ => None,
    }
}

impl Default for PhoneRegions {
    fn default() -> Self {
        EU.iter()
            .chain(&DEFAULT_OTHERS)
            .filter_map(|c| index(c))
            .fold(PhoneRegions::none(), |r, i| r.with_index(i))
    }
}

impl fmt::Debug for PhoneRegions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl FromStr for PhoneRegions {
    type Err = ConfigError;

    /// A comma-separated list of region codes (`FR,DE,GB`), and the names `DEFAULT`,
    /// `EU` and `ALL` for those sets; an empty string or `NONE` is the empty set (only
    /// international formats are found).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut regions = PhoneRegions::none();
        for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let sets = |r: PhoneRegions, o: PhoneRegions| PhoneRegions {
                bits: std::array::from_fn(|i| r.bits[i] | o.bits[i]),
            };
            regions = match name.to_ascii_uppercase().as_str() {
                "NONE" => regions,
                "ALL" => sets(regions, PhoneRegions::all()),
                "EU" => sets(regions, PhoneRegions::eu()),
                "DEFAULT" => sets(regions, PhoneRegions::default()),
                _ => regions.with(name)?,
            };
        }
        Ok(regions)
    }
}

/// A region whose national formats are tried.
#[derive(Debug)]
struct Region {
    id: country::Id,
    /// The national (trunk) prefix dialled before a number inside the region (`0` in
    /// France, `1` in the US), if it has one.
    prefix: Option<Box<[u8]>>,
    /// The possible lengths of its national significant numbers, one bit each.
    lengths: u32,
}

/// The phone-number checks of one detector: libphonenumber's metadata, read once.
#[derive(Debug)]
pub(crate) struct Phones {
    check: PhoneCheck,
    /// For each country calling code (1 to 999), the possible lengths of its national
    /// significant numbers, one bit each; 0 for a code that is not assigned.
    codes: Box<[u32]>,
    regions: Vec<Region>,
}

/// The possible lengths of a region's national significant numbers, one bit each: the
/// union of its number types' (the port leaves the general description's empty).
fn length_bits(meta: &Metadata) -> u32 {
    const TYPES: [Type; 11] = [
        Type::FixedLine,
        Type::Mobile,
        Type::FixedLineOrMobile,
        Type::TollFree,
        Type::PremiumRate,
        Type::SharedCost,
        Type::PersonalNumber,
        Type::Voip,
        Type::Pager,
        Type::Uan,
        Type::Voicemail,
    ];
    let descriptors = meta.descriptors();
    std::iter::once(descriptors.general())
        .chain(TYPES.iter().filter_map(|t| descriptors.get(*t)))
        .flat_map(|d| d.possible_length())
        .filter(|l| **l < 32)
        .fold(0, |bits, l| bits | 1 << l)
}

impl Phones {
    pub(crate) fn new(check: PhoneCheck, regions: PhoneRegions) -> Phones {
        // By code, not by region: the non-geographic entities (+800, +808, +870, +881,
        // +882, +883, +888, +979) all have the region id `001`.
        let codes: Box<[u32]> = (0..1000u16)
            .map(|code| {
                DATABASE.by_code(&code).map_or(0, |metas| metas.iter().fold(0, |b, m| b | length_bits(m)))
            })
            .collect();
        // One region per calling code: libphonenumber parses a national number of any
        // region sharing the code (the US's plan reads Canada's numbers), and the
        // number's own region decides validity. The main region of the code goes first.
        let mut chosen: Vec<Region> = Vec::new();
        let mut metas: Vec<_> = regions.iter().filter_map(|code| DATABASE.by_id(code.as_str())).collect();
        metas.sort_by_key(|m| (m.country_code(), !m.is_main_country_for_code()));
        let mut last_code = None;
        for meta in metas {
            if last_code == Some(meta.country_code()) {
                continue;
            }
            last_code = Some(meta.country_code());
            let Ok(id) = meta.id().parse::<country::Id>() else {
                continue;
            };
            chosen.push(Region {
                id,
                prefix: meta.national_prefix().map(|p| p.as_bytes().into()),
                lengths: length_bits(meta),
            });
        }
        Phones { check, codes, regions: chosen }
    }

    /// Is `digits` (what follows the `+`, or the `00`) a phone number?
    pub(crate) fn international(&self, digits: &[u8]) -> bool {
        let mut code = 0usize;
        for (k, d) in digits.iter().take(3).enumerate() {
            code = code * 10 + usize::from(d - b'0');
            let lengths = self.codes[code];
            if lengths == 0 {
                continue;
            }
            // Country codes are prefix-free (ITU-T E.164): this is the one.
            let national = digits.len() - (k + 1);
            if national >= 32 || lengths & 1 << national == 0 {
                return false;
            }
            return match self.check {
                PhoneCheck::Possible => true,
                PhoneCheck::Valid => {
                    let mut number = String::with_capacity(digits.len() + 1);
                    number.push('+');
                    number.extend(digits.iter().map(|d| char::from(*d)));
                    phonenumber::parse(None, &number).is_ok_and(|n| phonenumber::is_valid(&n))
                }
            };
        }
        false
    }

    /// Is `digits`, written in groups of `lens` digits without `+` or `00`, a phone number
    /// of one of the regions?
    ///
    /// The number must be one libphonenumber would write in the region's national
    /// format: the same digits, trunk prefix included (`06 12 34 56 78`, not
    /// `6 12 34 56 78`; the NANP's `1` before the area code allowed). A number that starts
    /// with the region's trunk prefix may be grouped any way; one without (Spain, Italy,
    /// Denmark, a US number without its `1`, ...) only as the region groups it
    /// (`612 34 56 78`, `(202) 555-0142`, `20 12 34 56`), since its digits alone are as
    /// often an order number, an amount or a date; and never in one piece.
    pub(crate) fn national(&self, digits: &[u8], lens: &[usize]) -> bool {
        let mut text = None;
        for region in &self.regions {
            let prefix = region.prefix.as_deref().unwrap_or_default();
            let prefixed = !prefix.is_empty() && digits.starts_with(prefix);
            if !prefixed && (lens.len() == 1 || digits.len() < 7) {
                continue;
            }
            let fits = |len: usize| len < 32 && region.lengths & 1 << len != 0;
            if !fits(digits.len() - if prefixed { prefix.len() } else { 0 }) && !fits(digits.len()) {
                continue;
            }
            if self.check == PhoneCheck::Possible && prefixed {
                return true;
            }
            let text = text.get_or_insert_with(|| String::from_utf8_lossy(digits).into_owned());
            let Ok(number) = phonenumber::parse(Some(region.id), text.as_str()) else {
                continue;
            };
            if self.check == PhoneCheck::Valid && !phonenumber::is_valid(&number) {
                continue;
            }
            let written = number.format().mode(Mode::National).to_string();
            let (national, groups) = digit_groups(&written);
            let same_digits = national == digits || prefixed && national == digits[prefix.len()..];
            if !same_digits {
                continue;
            }
            // A trunk prefix written as a group of its own (`1-800-555-0199`) is not one
            // of the region's groups.
            let own =
                if prefixed && national != digits && lens[0] == prefix.len() { &lens[1..] } else { lens };
            if prefixed || groups == own {
                return true;
            }
        }
        false
    }
}

/// The digits of `written` and the lengths of its groups of digits.
fn digit_groups(written: &str) -> (Vec<u8>, Vec<usize>) {
    let mut digits = Vec::with_capacity(written.len());
    let mut groups = Vec::new();
    let mut current = 0;
    for b in written.bytes() {
        if b.is_ascii_digit() {
            digits.push(b);
            current += 1;
        } else if current > 0 {
            groups.push(current);
            current = 0;
        }
    }
    if current > 0 {
        groups.push(current);
    }
    (digits, groups)
}
