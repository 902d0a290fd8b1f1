//! The embedded player's options, read from the address: `?embed` turns the page into a
//! compact player for an iframe in course material, and `controls=none|min|full`,
//! `view=canvas|history|spacetime`, `autoplay=0|1` and `theme=light|dark` shape it (`preset=` and `speed=` work as on the
//! full page). The messages a course page can send it (play, pause, seek) and the status
//! it reports back are here too. No browser types; tested natively.

/// Which controls the embedded player shows.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Controls {
    /// None: the run plays (or not) as the options and the course page say.
    None,
    /// Play or pause, the time, and a scrubber.
    Min,
    /// The full timeline: play, step, restart, next fault, next violation, speed, the
    /// scrubber and the fault lane.
    Full,
}

/// What the embedded player shows of the run.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum View {
    /// The animated canvas.
    Canvas,
    /// The client history, Porcupine style.
    History,
    /// The space-time (Lamport) diagram.
    SpaceTime,
}

/// A colour theme forced by the address, instead of the reader's system setting.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    pub fn name(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
}

/// How the embedded player looks and starts.
#[derive(Clone, Debug, PartialEq)]
pub struct EmbedOptions {
    pub controls: Controls,
    pub view: View,
    pub autoplay: bool,
    pub theme: Option<Theme>,
}

/// The embed options in the page's query string, `None` without `embed`; a bad value
/// falls back to the default and is named in the returned sentence.
pub fn embed_options(query: &str) -> (Option<EmbedOptions>, Option<String>) {
    let pairs: Vec<(&str, &str)> = crate::presets::query_pairs(query).collect();
    if !pairs.iter().any(|(name, _)| *name == "embed") {
        return (None, None);
    }
    let mut options = EmbedOptions {
        controls: Controls::Min,
        view: View::Canvas,
        autoplay: true,
        theme: None,
    };
    let mut problems = Vec::new();
    for (name, value) in pairs {
        let shown: String = value.chars().take(20).collect();
        match (name, value) {
            ("controls", "none") => options.controls = Controls::None,
            ("controls", "min") => options.controls = Controls::Min,
            ("controls", "full") => options.controls = Controls::Full,
            ("controls", _) => problems.push(format!(
                "controls must be none, min or full, not \"{shown}\""
            )),
            ("view", "canvas") => options.view = View::Canvas,
            ("view", "history") => options.view = View::History,
            ("view", "spacetime") => options.view = View::SpaceTime,
            ("view", _) => problems.push(format!(
                "view must be canvas, history or spacetime, not \"{shown}\""
            )),
            ("autoplay", "" | "1" | "true") => options.autoplay = true,
            ("autoplay", "0" | "false") => options.autoplay = false,
            ("autoplay", _) => problems.push(format!("autoplay must be 0 or 1, not \"{shown}\"")),
            ("theme", "light") => options.theme = Some(Theme::Light),
            ("theme", "dark") => options.theme = Some(Theme::Dark),
            ("theme", _) => problems.push(format!("theme must be light or dark, not \"{shown}\"")),
            _ => {}
        }
    }
    let problem = (!problems.is_empty()).then(|| {
        format!(
            "The embed options are partly wrong: {}. Using the defaults for those.",
            problems.join("; ")
        )
    });
    (Some(options), problem)
}

/// The full playground's address for an embedded one: the same page without the embed
/// options (the scenario travels in the share fragment the caller appends).
pub fn playground_query(query: &str) -> String {
    let kept: Vec<&str> = crate::presets::pairs_without(
        query,
        &["embed", "controls", "view", "autoplay", "theme", "preset"],
    )
    .collect();
    if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    }
}

/// The iframe snippet that embeds `fragment` (a share link's fragment) from the page at
/// `page` (its address without query or fragment), titled `title`; with `challenge`, the
/// player shows that design challenge under the canvas.
pub fn embed_code(page: &str, fragment: &str, title: &str, challenge: Option<&str>) -> String {
    let escaped: String = title
        .chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            c => c.to_string(),
        })
        .collect();
    let challenge = challenge
        .filter(|id| dsplay_sim::scenario::is_valid_id(id))
        .map(|id| format!("&amp;challenge={id}"))
        .unwrap_or_default();
    format!(
        "<iframe src=\"{page}?embed&amp;controls=min{}#{fragment}\" width=\"640\" height=\"420\" title=\"{escaped}\" loading=\"lazy\" style=\"border:0; max-width:100%\"></iframe>",
        challenge
    )
}

/// What a course page can ask of an embedded player with `postMessage`.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Request {
    Play,
    Pause,
    /// Move to this many milliseconds of virtual time (and pause there).
    Seek(f64),
}

/// Reads a message's `type` and `time_ms` fields; `None` for anything else, which the
/// player ignores (a page may carry other messages).
pub fn request(kind: Option<&str>, time_ms: Option<f64>) -> Option<Request> {
    match kind? {
        "dsplay:play" => Some(Request::Play),
        "dsplay:pause" => Some(Request::Pause),
        "dsplay:seek" => time_ms
            .filter(|ms| ms.is_finite() && *ms >= 0.0)
            .map(Request::Seek),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_embed_the_page_is_the_playground() {
        assert_eq!(embed_options("?preset=partition&speed=1"), (None, None));
        assert_eq!(embed_options(""), (None, None));
    }

    #[test]
    fn embed_options_are_read_and_bad_ones_named() {
        let (options, problem) = embed_options(
            "?preset=partition&embed&controls=full&view=history&autoplay=0&theme=dark",
        );
        assert_eq!(
            options,
            Some(EmbedOptions {
                controls: Controls::Full,
                view: View::History,
                autoplay: false,
                theme: Some(Theme::Dark),
            })
        );
        assert_eq!(problem, None);
        let (options, problem) = embed_options("embed=1&controls=<b>&theme=blue");
        assert_eq!(
            options,
            Some(EmbedOptions {
                controls: Controls::Min,
                view: View::Canvas,
                autoplay: true,
                theme: None,
            })
        );
        assert_eq!(
            problem.as_deref(),
            Some("The embed options are partly wrong: controls must be none, min or full, not \"<b>\"; theme must be light or dark, not \"blue\". Using the defaults for those.")
        );
    }

    #[test]
    fn the_playground_link_drops_the_embed_options() {
        assert_eq!(
            playground_query("?preset=partition&embed&controls=min&view=history&speed=2"),
            "?speed=2"
        );
        assert_eq!(playground_query("?embed"), "");
    }

    #[test]
    fn the_embed_code_is_an_iframe_with_the_scenario_and_a_safe_title() {
        let code = embed_code(
            "https://example.org/dsplay/",
            "v2/0/abc",
            "Tom & \"Jerry\" <script>",
            None,
        );
        assert_eq!(
            code,
            "<iframe src=\"https://example.org/dsplay/?embed&amp;controls=min#v2/0/abc\" width=\"640\" height=\"420\" title=\"Tom &amp; &quot;Jerry&quot; &lt;script&gt;\" loading=\"lazy\" style=\"border:0; max-width:100%\"></iframe>"
        );
    }

    #[test]
    fn the_embed_code_of_a_challenge_names_it() {
        let code = embed_code("/d/", "v2/0/abc", "T", Some("news-feed"));
        assert!(
            code.contains("src=\"/d/?embed&amp;controls=min&amp;challenge=news-feed#v2/0/abc\""),
            "{code}"
        );
        let code = embed_code("/d/", "v2/0/abc", "T", Some("<bad>"));
        assert!(!code.contains("challenge"), "{code}");
    }

    #[test]
    fn course_pages_can_play_pause_and_seek() {
        assert_eq!(request(Some("dsplay:play"), None), Some(Request::Play));
        assert_eq!(
            request(Some("dsplay:pause"), Some(3.0)),
            Some(Request::Pause)
        );
        assert_eq!(
            request(Some("dsplay:seek"), Some(2500.0)),
            Some(Request::Seek(2500.0))
        );
        assert_eq!(request(Some("dsplay:seek"), None), None);
        assert_eq!(request(Some("dsplay:seek"), Some(f64::NAN)), None);
        assert_eq!(request(Some("other"), None), None);
        assert_eq!(request(None, None), None);
    }
}
