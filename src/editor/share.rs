//! Share links: what a link carries (a built-in's name or the whole edited blueprint, the
//! scenario, the seed, the traffic) and what opening one gives back. Plain logic, tested
//! natively; the browser's side (`crate::web`) reads and writes the page's address.

use super::state::Editor;
use crate::blueprint::{Blueprint, Document, Source, builtin};

/// What a share link asks for.
pub struct Shared {
    /// The blueprint to open.
    pub document: Document,
    /// The scenario to play.
    pub scenario: Option<crate::scenario::Scenario>,
    /// The seed.
    pub seed: Option<u64>,
    /// Total traffic instead of the blueprint's.
    pub rps: Option<f64>,
}

/// Opens a link's parameters; an error says which one is wrong and why.
pub fn parse(
    blueprint: Option<String>,
    scenario: Option<String>,
    seed: Option<String>,
    rps: Option<String>,
) -> Result<Shared, String> {
    let scenario = scenario
        .filter(|s| !s.is_empty())
        .map(|s| crate::scenario::Scenario::resolve(&s).map_err(|e| format!("link: {e}")))
        .transpose()?;
    let name = blueprint
        .or_else(|| scenario.as_ref().map(|s| s.blueprint.clone()))
        .unwrap_or_else(|| "three-tier".into());
    let document = match builtin(&name) {
        Some(src) => Document::open(
            Blueprint::parse(&name, src).map_err(|e| e.to_string())?,
            Source::Builtin(name),
        ),
        None => Document::open(
            Blueprint::parse_unchecked("link", &name).map_err(|e| format!("link: {e}"))?,
            Source::Untitled,
        ),
    };
    let seed = seed
        .map(|s| {
            s.parse()
                .map_err(|_| format!("link: seed \"{s}\" is not a whole number"))
        })
        .transpose()?;
    let rps = rps
        .map(|r| match r.parse::<f64>() {
            Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
            _ => Err(format!("link: rps \"{r}\" is not a positive number")),
        })
        .transpose()?;
    Ok(Shared {
        document,
        scenario,
        seed,
        rps,
    })
}

/// The parameters of a link to what runs now, in order.
pub fn query(doc: &Document, editor: &Editor) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    match &doc.source {
        Source::Builtin(name) if !doc.is_dirty() => out.push(("blueprint", name.clone())),
        _ => out.push(("blueprint", doc.blueprint().to_ron())),
    }
    if let Some(s) = &editor.scenario {
        out.push(("scenario", s.name.clone()));
    }
    if let Some(rps) = editor.rps {
        out.push(("rps", rps.to_string()));
    }
    out.push(("seed", editor.seed.unwrap_or(1).to_string()));
    out
}

#[cfg(test)]
mod tests {
    use bevy::prelude::Vec2;

    use super::*;
    use crate::blueprint::resolve;

    fn open(query: &[(&str, String)]) -> Result<Shared, String> {
        let get = |k: &str| query.iter().find(|(q, _)| *q == k).map(|(_, v)| v.clone());
        parse(get("blueprint"), get("scenario"), get("seed"), get("rps"))
    }

    #[test]
    fn a_link_opens_the_same_blueprint_scenario_seed_and_traffic() {
        let mut doc = Document::open(
            resolve("three-tier").unwrap(),
            Source::Builtin("three-tier".into()),
        );
        let mut editor = Editor {
            seed: Some(7),
            rps: Some(2500.0),
            scenario: Some(crate::scenario::Scenario::resolve("cache-stampede").unwrap()),
            ..Default::default()
        };
        let query = query(&doc, &editor);
        assert_eq!(
            query[0],
            ("blueprint", "three-tier".to_string()),
            "a built-in goes by name"
        );
        let shared = open(&query).unwrap();
        assert_eq!(shared.document.blueprint(), doc.blueprint());
        assert_eq!(shared.seed, Some(7));
        assert_eq!(shared.rps, Some(2500.0));
        assert_eq!(shared.scenario.unwrap().name, "cache-stampede");

        // An edited blueprint travels whole.
        doc.add_node("external_api", Vec2::new(300.0, 300.0))
            .unwrap();
        editor.scenario = None;
        let shared = open(&super::query(&doc, &editor)).unwrap();
        assert_eq!(shared.document.blueprint(), doc.blueprint());
        assert!(shared.scenario.is_none());
    }

    /// The digest of a short run of what a link opens.
    fn digest_of(shared: &Shared) -> u64 {
        let mut bp = shared.document.blueprint().clone();
        if let Some(rps) = shared.rps {
            bp.set_total_rps(rps);
        }
        let config = crate::run::RunConfig::new(shared.seed.unwrap_or(1), 3.0);
        let mut sim = crate::run::HeadlessRun::new(&bp, config).unwrap();
        sim.run(|_, _| {});
        crate::run::metrics_digest(sim.history())
    }

    #[test]
    fn a_link_survives_a_real_url_encoder_with_the_same_run() {
        // What a browser's URLSearchParams does: application/x-www-form-urlencoded.
        let mut bp = resolve("three-tier").unwrap();
        bp.name = "Caf\u{e9} & Co #1 + \"quoted\" 100% \u{2713}".into();
        bp.description = "a & b = c # d + e, spaces and \u{65e5}\u{672c}".into();
        let doc = Document::open(bp, Source::Untitled);
        let editor = Editor {
            seed: Some(11),
            rps: Some(1234.5),
            ..Default::default()
        };
        let direct = open(&query(&doc, &editor)).unwrap();
        let encoded = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query(&doc, &editor))
            .finish();
        for raw in ['&', '#', '"', ' '] {
            let inside = encoded.split('&').any(|pair| pair.contains(raw));
            assert!(!inside, "{raw:?} is escaped in the link: {encoded}");
        }
        let decoded: Vec<(String, String)> = form_urlencoded::parse(encoded.as_bytes())
            .into_owned()
            .collect();
        let get = |k: &str| decoded.iter().find(|(q, _)| q == k).map(|(_, v)| v.clone());
        let back = parse(get("blueprint"), get("scenario"), get("seed"), get("rps")).unwrap();
        assert_eq!(
            back.document.blueprint(),
            doc.blueprint(),
            "the blueprint comes back"
        );
        assert_eq!((back.seed, back.rps), (Some(11), Some(1234.5)));
        assert_eq!(
            digest_of(&back),
            digest_of(&direct),
            "the opened run is the same run"
        );
    }

    #[test]
    fn a_bad_link_says_which_part_is_wrong() {
        let bad = |k: &'static str, v: &str| open(&[(k, v.to_string())]).err().unwrap();
        assert!(bad("seed", "seven").contains("seed \"seven\""));
        assert!(bad("rps", "-5").contains("rps \"-5\""));
        assert!(bad("scenario", "nope").contains("nope"));
        assert!(bad("blueprint", "Blueprint(").starts_with("link:"));
    }
}
