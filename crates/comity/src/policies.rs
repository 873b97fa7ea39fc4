//! Loading the policy packs: the built-in ones, or a directory of pack files, with a
//! provider's house files layered on top.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use comity_policy::PackSet;

#[derive(Debug, Clone, Args)]
pub struct PolicyArgs {
    /// A directory of policy pack files (*.toml) to use instead of the packs built into
    /// comity (the repository's policies/).
    #[arg(long, env = "COMITY_POLICIES", value_name = "DIR")]
    policies: Option<PathBuf>,
    /// A provider's house file that makes one pack stricter; may be given several times.
    #[arg(long = "house", value_name = "FILE")]
    house: Vec<PathBuf>,
}

impl PolicyArgs {
    pub fn load(&self) -> anyhow::Result<PackSet> {
        let mut packs = match &self.policies {
            None => PackSet::builtin().context("loading the built-in policy packs")?,
            Some(dir) => {
                let entries = std::fs::read_dir(dir)
                    .with_context(|| format!("reading the policy directory {}", dir.display()))?;
                let mut files = Vec::new();
                for entry in entries {
                    let path = entry?.path();
                    if path.extension().is_some_and(|x| x == "toml") {
                        let text = std::fs::read_to_string(&path)
                            .with_context(|| format!("reading {}", path.display()))?;
                        files.push((path.display().to_string(), text));
                    }
                }
                files.sort();
                anyhow::ensure!(!files.is_empty(), "{} holds no policy pack (*.toml)", dir.display());
                let borrowed: Vec<(&str, &str)> =
                    files.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
                PackSet::parse(&borrowed)?
            }
        };
        for path in &self.house {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            packs = packs.with_house(&path.display().to_string(), &text)?;
        }
        Ok(packs)
    }
}
