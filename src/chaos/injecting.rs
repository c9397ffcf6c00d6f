//! What a kind's scheduling function works with: the world, the injection's targets and
//! times, and the ways chaos acts (modifiers between two times, crashes, shocks, edits at an
//! exact time).

use bevy::prelude::*;

use super::target::Resolved;
use crate::sim::{
    Down, Event, EventQueue, InjectionId, Model, Modifier, NS_PER_S, Nanos, NodeId, ScheduledEdits,
    Shock, SimClock, SimRng, inject, lift,
};

/// One injection being scheduled.
pub(crate) struct Injecting<'w> {
    /// The world (to resolve things and read parameters).
    pub world: &'w mut World,
    /// The injection's id.
    pub id: InjectionId,
    /// Its targets.
    pub targets: Resolved,
    /// Start.
    pub start_ns: Nanos,
    /// End, if any.
    pub end_ns: Option<Nanos>,
    /// When the injection's effects end, for kinds that run their own course (a crash that
    /// restarts, a failover); recorded in the log.
    pub lasts_until: Option<Nanos>,
}

impl Injecting<'_> {
    /// At `at_ns`, runs `edit` on the world.
    pub fn at(&mut self, at_ns: Nanos, edit: impl FnOnce(&mut World) + Send + Sync + 'static) {
        self.world.resource_mut::<ScheduledEdits>().at(at_ns, edit);
    }

    /// Puts modifier `value` on `entities` from the start to the end.
    pub fn modify<T: Modifier>(&mut self, entities: Vec<Entity>, value: T) {
        self.modify_between(entities, value, self.start_ns, self.end_ns);
    }

    /// Puts modifier `value` on `entities` between two times.
    pub fn modify_between<T: Modifier>(
        &mut self,
        entities: Vec<Entity>,
        value: T,
        from_ns: Nanos,
        until_ns: Option<Nanos>,
    ) {
        if let Some(until) = until_ns {
            self.lasts_until = Some(self.lasts_until.map_or(until, |u| u.max(until)));
        }
        let id = self.id;
        let on = entities.clone();
        self.at(from_ns, move |w| {
            on.into_iter().for_each(|e| inject(w, e, id, value.clone()));
        });
        if let Some(until) = until_ns {
            self.at(until, move |w| {
                entities.into_iter().for_each(|e| lift::<T>(w, e, id));
            });
        }
    }

    /// Takes `nodes` down at `from` (failing their queues at once) until `until`.
    pub fn crash(&mut self, nodes: Vec<Entity>, from: Nanos, until: Option<Nanos>) {
        let ids: Vec<NodeId> = nodes
            .iter()
            .map(|&e| *self.world.get::<NodeId>(e).expect("node has an id"))
            .collect();
        self.modify_between(nodes, Down, from, until);
        self.at(from, move |w| {
            let mut queue = w.resource_mut::<EventQueue>();
            ids.into_iter()
                .for_each(|node| queue.schedule(from, Event::Crashed { node }));
        });
    }

    /// At `at`, `shock` hits the contents of `nodes` (those whose kind has any). Returns
    /// false (at scheduling time) when none of them would feel it.
    pub fn shock(&mut self, nodes: Vec<Entity>, at: Nanos, shock: Shock) -> bool {
        let any = nodes.iter().any(|&e| {
            self.world
                .get::<Model>(e)
                .is_some_and(|m| m.0.takes_shock(shock))
        });
        self.at(at, move |w| {
            w.resource_scope(|w, mut rng: Mut<SimRng>| {
                let now = w.resource::<SimClock>().now_ns;
                for &e in &nodes {
                    if let Some(mut model) = w.get_mut::<Model>(e) {
                        model.0.shock(shock, now, &mut rng);
                    }
                }
            });
        });
        any
    }

    /// The end, or a default span after the start for kinds that must end.
    pub fn end_or(&self, default_s: f64) -> Nanos {
        self.end_ns
            .unwrap_or(self.start_ns + (default_s * NS_PER_S as f64) as Nanos)
    }
}
