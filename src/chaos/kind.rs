//! What a chaos kind is: its entry in its family's file (name, description, default target
//! and how it is scheduled), and the families.

use super::injecting::Injecting;
use super::target::Target;

/// The families of scenarios (one file, and one plugin, each).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    /// Between nodes.
    Network,
    /// Machines, zones, regions.
    Infrastructure,
    /// Caches, databases, queues.
    Data,
    /// What the users send.
    Traffic,
    /// Third parties.
    Dependency,
}

impl Family {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Family::Network => "network",
            Family::Infrastructure => "infrastructure",
            Family::Data => "data",
            Family::Traffic => "traffic",
            Family::Dependency => "dependency",
        }
    }
}

/// One chaos kind with parameters `P`: everything about it but its variant in
/// [`Chaos`](super::Chaos). Each family's file holds one `static` per kind.
pub(crate) struct Kind<P> {
    /// Kebab-case name, as on the command line (`--chaos NAME@...`).
    pub name: &'static str,
    /// Its family.
    pub family: Family,
    /// One line on what it does.
    pub description: &'static str,
    /// The target it takes when none is given, in the command line's form (see
    /// [`Target::parse`]): `first:service`, `kind:cache`, `all`, `kind:a|kind:b`, ...
    pub default_target: &'static str,
    /// Schedules its effects: modifiers between two times, or exact-time events.
    pub schedule: fn(&P, &mut Injecting<'_>),
}

impl<P> Kind<P> {
    /// The default target, parsed.
    pub fn default_target(&self) -> Target {
        Target::parse(self.default_target).expect("a kind's default target parses")
    }
}
