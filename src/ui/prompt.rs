//! The question before unsaved changes are thrown away: save them, discard them, or cancel.

use bevy::prelude::*;
use bevy_egui::egui;

use crate::blueprint::Document;
use crate::editor::{Discarding, Editor, perform, save};

pub(super) fn show(ctx: &egui::Context, world: &mut World) {
    let Some(action) = world.resource::<Editor>().pending.clone() else {
        return;
    };
    let Some(doc) = world.get_resource::<Document>() else {
        return;
    };
    let what = match &action {
        Discarding::New => "start a new blueprint",
        Discarding::Open => "open another file",
        Discarding::Builtin(_) | Discarding::Load(..) => "load another blueprint",
        Discarding::Quit => "quit",
    };
    let name = doc.blueprint().name.clone();
    let mut answer = None;
    egui::Modal::new(egui::Id::new("unsaved_changes")).show(ctx, |ui| {
        ui.heading("Unsaved changes");
        ui.label(format!(
            "\"{name}\" has changes that are not saved. Save them before you {what}?"
        ));
        ui.horizontal(|ui| {
            if ui.button("Save").clicked() {
                answer = Some("save");
            }
            if ui.button("Discard changes").clicked() {
                answer = Some("discard");
            }
            if ui.button("Cancel").clicked() {
                answer = Some("cancel");
            }
        });
    });
    match answer {
        Some("save") => {
            let mut editor = world.resource_mut::<Editor>();
            editor.after_save = editor.pending.take();
            save(world, false);
        }
        Some("discard") => {
            world.resource_mut::<Editor>().pending = None;
            perform(world, action);
        }
        Some(_) => world.resource_mut::<Editor>().pending = None,
        None => {}
    }
}
