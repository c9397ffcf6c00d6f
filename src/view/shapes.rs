//! Nodes as shapes that say their kind, coloured by health, with their name and size; edges
//! as curves with arrowheads, wider with traffic and redder with errors; a badge where chaos
//! is active.

use bevy::prelude::*;
use bevy_prototype_lyon::prelude::*;

use crate::nodes::{Look, Outline};

use crate::sim::{
    Active, Down, Edge, MetricsHistory, Node, NodeWindow, Station, Topology, UNBOUNDED, UnderChaos,
};

/// The drawing of a node (a child of nothing: it follows the node's position).
#[derive(Component)]
pub struct NodeShape {
    /// The node it draws.
    pub node: Entity,
}

/// The drawing of an edge.
#[derive(Component)]
struct EdgeShape {
    from: Entity,
    to: Entity,
    edge: Entity,
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(
        Update,
        (spawn_drawings, (colour_nodes, style_edges)).chain(),
    );
}

const NODE_RADIUS: f32 = 34.0;

/// Every drawing entity (replaced when a blueprint loads).
type Drawings = Or<(With<NodeShape>, With<EdgeShape>)>;

/// How much chaos a node has on it besides being down (labelled `[CHAOS]` when any).
pub fn other_chaos(under: Option<&UnderChaos>, down: Option<&Active<Down>>) -> u32 {
    under
        .map_or(0, |u| u.0)
        .saturating_sub(down.map_or(0, |d| d.0.len() as u32))
}

/// What a label shows: the node, its size, and whether it is down.
pub type LabelData = (Entity, &'static Node, &'static Station, Has<Active<Down>>);

/// The lyon builder type shapes are made with.
type Builder = bevy_prototype_lyon::prelude::tess::path::path::Builder;

/// The shape of a kind's outline (the kind says which; see [`Look`]).
fn outline_geometry(outline: Outline) -> ShapeBuilder<Builder> {
    let r = NODE_RADIUS;
    match outline {
        Outline::Circle => ShapeBuilder::with(&shapes::Circle {
            radius: r * 0.8,
            center: Vec2::ZERO,
        }),
        Outline::Polygon { sides, scale } => ShapeBuilder::with(&shapes::RegularPolygon {
            sides: usize::from(sides.clamp(3, 12)),
            feature: RegularPolygonFeature::Radius(r * scale),
            ..default()
        }),
        Outline::Cylinder => {
            // A body with an elliptical top.
            let (w, h) = (r * 1.3, r * 1.5);
            ShapeBuilder::with(&shapes::Rectangle {
                extents: Vec2::new(w, h),
                origin: RectangleOrigin::Center,
                radii: Some(BorderRadii::single(w / 2.0 * 0.35)),
            })
            .add(&shapes::Ellipse {
                radii: Vec2::new(w / 2.0, 7.0),
                center: Vec2::new(0.0, h / 2.0 - 7.0),
            })
        }
        Outline::Bar => ShapeBuilder::with(&shapes::Rectangle {
            extents: Vec2::new(r * 2.4, r * 1.0),
            origin: RectangleOrigin::Center,
            radii: Some(BorderRadii::single(3.0)),
        }),
        Outline::Box => ShapeBuilder::with(&shapes::Rectangle {
            extents: Vec2::new(r * 2.0, r * 1.4),
            origin: RectangleOrigin::Center,
            radii: Some(BorderRadii::single(8.0)),
        }),
        Outline::Stack { layers } => {
            // Slabs from the top down, a small gap between them.
            let n = layers.clamp(2, 6);
            let (w, total, gap) = (r * 1.9, r * 1.6, 4.0);
            let h = (total - gap * f32::from(n - 1)) / f32::from(n);
            (0..n).fold(ShapeBuilder::new(), |shape, i| {
                let y = total / 2.0 - h / 2.0 - f32::from(i) * (h + gap);
                shape.add(&shapes::Rectangle {
                    extents: Vec2::new(w, h),
                    origin: RectangleOrigin::CustomCenter(Vec2::new(0.0, y)),
                    radii: Some(BorderRadii::single(h / 3.0)),
                })
            })
        }
        Outline::Lens => {
            // A round glass up and to the left, its handle down to the right.
            let centre = Vec2::new(-0.15, 0.15) * r;
            let radius = r * 0.62;
            let along = Vec2::new(1.0, -1.0).normalize();
            let across = Vec2::new(-along.y, along.x) * (r * 0.12);
            let (from, to) = (centre + along * radius, centre + along * (r * 1.25));
            ShapeBuilder::with(&shapes::Circle {
                radius,
                center: centre,
            })
            .add(&shapes::Polygon {
                points: vec![from + across, to + across, to - across, from - across],
                closed: true,
            })
        }
        Outline::Star { points } => {
            // Outer and inner corners in turn, the first straight up.
            let n = usize::from(points.clamp(4, 12));
            let corners = (0..2 * n)
                .map(|i| {
                    let angle =
                        std::f32::consts::FRAC_PI_2 + std::f32::consts::PI * i as f32 / n as f32;
                    let reach = if i % 2 == 0 { r * 1.1 } else { r * 0.55 };
                    Vec2::new(angle.cos(), angle.sin()) * reach
                })
                .collect();
            ShapeBuilder::with(&shapes::Polygon {
                points: corners,
                closed: true,
            })
        }
    }
}

/// A kind's accent colour (its rim).
pub fn accent(look: &Look) -> Color {
    let [r, g, b] = look.accent;
    Color::srgb(r, g, b)
}

/// A node's colour from its last window: green when idle, yellow when busy, red when
/// saturated or failing, grey when down.
pub fn node_colour(window: Option<&NodeWindow>, down: bool) -> Color {
    if down {
        return Color::srgb(0.25, 0.25, 0.28);
    }
    let Some(w) = window else {
        return Color::srgb(0.25, 0.55, 0.35);
    };
    let stress = w.utilization.max(w.error_rate * 4.0).clamp(0.0, 1.0) as f32;
    // Green (0) -> amber (0.6) -> red (1).
    if stress < 0.6 {
        Color::srgb(0.20 + 0.75 * stress / 0.6, 0.62, 0.30 - 0.1 * stress / 0.6)
    } else {
        let t = (stress - 0.6) / 0.4;
        Color::srgb(0.95, 0.62 - 0.45 * t, 0.20 - 0.05 * t)
    }
}

/// An edge's curve from node `from` to node `to`: a quadratic Bézier (start, control, end)
/// from the caller's rim to just before the callee's rim, bowed gently to the left of its
/// direction (so the two directions between a pair of nodes do not overlap).
pub fn edge_curve(from: Vec2, to: Vec2) -> [Vec2; 3] {
    let dir = (to - from).normalize_or_zero();
    let (start, end) = (from + dir * NODE_RADIUS, to - dir * (NODE_RADIUS + 4.0));
    let normal = Vec2::new(-dir.y, dir.x);
    let ctrl = (start + end) / 2.0 + normal * (start.distance(end) * 0.08);
    [start, ctrl, end]
}

/// `n + 1` points along an edge's curve, start to end: for hit testing and highlighting it
/// where it is drawn.
pub fn edge_points(from: Vec2, to: Vec2, n: usize) -> Vec<Vec2> {
    let [a, c, b] = edge_curve(from, to);
    (0..=n)
        .map(|i| {
            let t = i as f32 / n.max(1) as f32;
            a.lerp(c, t).lerp(c.lerp(b, t), t)
        })
        .collect()
}

fn edge_path(from: Vec2, to: Vec2) -> ShapePath {
    // A gentle curve, ending at the target's rim, with an arrowhead.
    let [start, ctrl, end] = edge_curve(from, to);
    let tangent = (end - ctrl).normalize_or_zero();
    let side = Vec2::new(-tangent.y, tangent.x);
    ShapePath::new()
        .move_to(start)
        .quadratic_bezier_to(ctrl, end)
        .move_to(end - tangent * 12.0 + side * 6.0)
        .line_to(end)
        .line_to(end - tangent * 12.0 - side * 6.0)
}

fn spawn_drawings(
    mut commands: Commands,
    nodes: Query<(Entity, &Node, &Look), Added<Node>>,
    all_nodes: Query<&Node>,
    edges: Query<(Entity, &Edge), Added<Edge>>,
    topology: Res<Topology>,
    old: Query<Entity, Drawings>,
    mut removed: RemovedComponents<Node>,
) {
    // A reload despawns every node and spawns the new ones (maybe none).
    if nodes.is_empty() && removed.read().count() == 0 {
        return;
    }
    for e in &old {
        commands.entity(e).despawn();
    }
    for (edge_entity, edge) in &edges {
        let (from, to) = (topology.nodes[edge.from.ix()], topology.nodes[edge.to.ix()]);
        let (Ok(a), Ok(b)) = (all_nodes.get(from), all_nodes.get(to)) else {
            continue;
        };
        commands.spawn((
            ShapeBuilder::with(&edge_path(a.position, b.position))
                .stroke((Color::srgb(0.45, 0.5, 0.6), 2.0))
                .build(),
            Transform::from_xyz(0.0, 0.0, 0.0),
            EdgeShape {
                from,
                to,
                edge: edge_entity,
            },
        ));
    }
    for (entity, node, look) in &nodes {
        commands.spawn((
            outline_geometry(look.outline)
                .fill(Color::srgb(0.25, 0.55, 0.35))
                .stroke((accent(look), 2.5))
                .build(),
            Transform::from_translation(node.position.extend(1.0)),
            NodeShape { node: entity },
        ));
    }
}

fn colour_nodes(
    history: Res<MetricsHistory>,
    nodes: Query<(&Node, &Look, Has<Active<Down>>)>,
    mut shapes: Query<(&NodeShape, &mut Shape, &mut Transform)>,
) {
    let last = history.windows.last();
    for (shape, mut drawn, mut transform) in &mut shapes {
        let Ok((node, look, down)) = nodes.get(shape.node) else {
            continue;
        };
        if transform.translation.truncate() != node.position {
            transform.translation = node.position.extend(1.0);
        }
        let window = last.and_then(|w| w.nodes.get(&node.id));
        let fill = node_colour(window, down);
        *drawn = outline_geometry(look.outline)
            .fill(fill)
            .stroke(if down {
                (Color::srgb(0.9, 0.2, 0.2), 4.0)
            } else {
                (accent(look), 2.5)
            })
            .build();
    }
}

fn style_edges(
    history: Res<MetricsHistory>,
    nodes: Query<&Node>,
    edge_components: Query<&Edge>,
    chaos: Query<(), With<UnderChaos>>,
    mut shapes: Query<(&EdgeShape, &mut Shape)>,
) {
    let Some(last) = history.windows.last() else {
        return;
    };
    for (shape, mut drawn) in &mut shapes {
        let (Ok(a), Ok(b)) = (nodes.get(shape.from), nodes.get(shape.to)) else {
            continue;
        };
        let Some(callee) = last.nodes.get(&b.id) else {
            continue;
        };
        let traffic = (callee.arrivals as f32).max(1.0);
        let width = (1.0 + traffic.log10() * 1.2).min(8.0);
        let errors = callee.error_rate as f32;
        let is_async = edge_components
            .get(shape.edge)
            .is_ok_and(|e| e.mode == crate::sim::CallMode::Async);
        let mut colour = Color::srgb(
            0.45 + 0.5 * errors.min(1.0),
            0.55 - 0.35 * errors.min(1.0),
            0.65 - 0.45 * errors.min(1.0),
        );
        if is_async {
            colour = colour.with_alpha(0.5);
        }
        if chaos.get(shape.edge).is_ok() {
            colour = Color::srgb(0.95, 0.35, 0.85);
        }
        *drawn = ShapeBuilder::with(&edge_path(a.position, b.position))
            .stroke((colour, width))
            .build();
    }
}

/// A node's label, every number saying what it is: its id; for a source, the load it offers
/// and how much is answered (`load`, requests per second); else its servers and how busy they
/// are (or a cache's hit rate, or its rate when it has no limit); the calls waiting in its
/// queue; and the chaos on it. The UI paints it under the node, at a size that follows the zoom.
pub fn label_text(
    node: &Node,
    station: &Station,
    window: Option<&NodeWindow>,
    load: Option<(f64, f64)>,
    down: bool,
    chaos: bool,
) -> String {
    let mut s = node.id.clone();
    if let Some((offered, answered)) = load {
        s.push_str(&format!(
            "\noffered {offered:.0}/s\nanswered {answered:.0}/s"
        ));
    } else if let Some(w) = window {
        if let Some(h) = w.hit_rate {
            s.push_str(&format!("\nhit rate {:.0}%", h * 100.0));
        } else if station.servers != UNBOUNDED {
            s.push_str(&format!(
                "\n{} servers, {:.0}% busy",
                station.servers,
                w.utilization * 100.0
            ));
        } else {
            s.push_str(&format!("\n{:.0} calls/s", w.throughput));
        }
        if w.queue_depth >= 0.5 {
            s.push_str(&format!("\n{:.0} queued", w.queue_depth));
        }
    } else if station.servers != UNBOUNDED {
        s.push_str(&format!("\n{} servers", station.servers));
    }
    if down {
        s.push_str("\n[DOWN]");
    } else if chaos {
        s.push_str("\n[CHAOS]");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::node_colour;
    use crate::sim::NodeWindow;

    #[test]
    fn labels_say_what_their_numbers_are() {
        use super::label_text;
        use crate::sim::{Node, Station};
        let node = |id: &str| Node {
            id: id.into(),
            kind: "database",
            position: bevy::prelude::Vec2::ZERO,
            zone: None,
            region: None,
        };
        let window = NodeWindow {
            utilization: 0.5,
            queue_depth: 12.0,
            ..Default::default()
        };
        let db = label_text(
            &node("db"),
            &Station::new(8, 100, false),
            Some(&window),
            None,
            false,
            false,
        );
        assert_eq!(db, "db\n8 servers, 50% busy\n12 queued");
        let users = label_text(
            &node("users"),
            &Station::new(crate::sim::UNBOUNDED, 0, false),
            None,
            Some((2000.0, 1500.0)),
            false,
            true,
        );
        assert_eq!(users, "users\noffered 2000/s\nanswered 1500/s\n[CHAOS]");
    }

    #[test]
    fn health_colours_go_from_green_to_red_and_grey_when_down() {
        let at = |utilization: f64, error_rate: f64| {
            node_colour(
                Some(&NodeWindow {
                    utilization,
                    error_rate,
                    ..Default::default()
                }),
                false,
            )
            .to_srgba()
        };
        let (idle, busy, failing) = (at(0.1, 0.0), at(1.0, 0.0), at(0.1, 0.5));
        assert!(idle.green > idle.red, "idle is green: {idle:?}");
        assert!(
            busy.red > 0.9 && busy.green < 0.3,
            "saturated is red: {busy:?}"
        );
        assert!(
            failing.red > 0.9,
            "failing is red even when idle: {failing:?}"
        );
        let down = node_colour(None, true).to_srgba();
        assert!(
            (down.red - down.green).abs() < 0.05 && down.red < 0.4,
            "down is grey: {down:?}"
        );
    }
}
