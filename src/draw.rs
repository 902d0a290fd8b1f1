//! Paints a [`Scene`] on a 2D canvas. No decisions here, only canvas calls.

use crate::player::Tone;
use crate::scene::{LinkShape, MessageDot, NodeShape, Point, RegionShape, Scene, PALETTE};
use dsplay_sim::trace::DropReason;
use dsplay_sim::NodeKind;
use std::f64::consts::TAU;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// Beyond this many messages in a frame, they are drawn as squares (see `paint`).
pub const ROUND_DOTS_MAX: usize = 1_000;

/// Colours that follow the page's light or dark theme.
#[derive(Copy, Clone, Debug)]
pub struct Palette {
    pub background: &'static str,
    pub ink: &'static str,
    pub muted: &'static str,
    pub link: &'static str,
    pub cut: &'static str,
    pub replica: &'static str,
    pub client: &'static str,
    pub down: &'static str,
    pub selection: &'static str,
    pub stale: &'static str,
    /// The ring around messages that served the operation picked in the history view.
    pub highlight: &'static str,
    /// The tint of a challenge's regions.
    pub region: &'static str,
}

pub const LIGHT: Palette = Palette {
    background: "#fbfbfd",
    ink: "#1d2330",
    muted: "#5f6b7a",
    link: "#b9c2cf",
    cut: "#d2453c",
    replica: "#e6eefb",
    client: "#f3ecfb",
    down: "#d9dce1",
    selection: "#1a5fb4",
    stale: "#a15c00",
    highlight: "#e0a100",
    region: "#eef2f8",
};

pub const DARK: Palette = Palette {
    background: "#151a22",
    ink: "#e7ebf2",
    muted: "#9aa6b6",
    link: "#3c4757",
    cut: "#ff6b5f",
    replica: "#22324a",
    client: "#33294a",
    down: "#2a2f36",
    selection: "#8ab8ff",
    stale: "#ffb547",
    highlight: "#ffd34d",
    region: "#1f2530",
};

/// Paints frames, keeping the parts that rarely change in two offscreen layers that are
/// redrawn only when they change: the background and links under the messages, the
/// nodes and their labels over them. Most frames then cost two copies plus the
/// messages in flight, which matters on a software rasteriser with a hundred nodes.
#[derive(Debug, Default)]
pub struct Painter {
    under: Layer<Vec<LinkShape>>,
    over: Layer<Vec<NodeShape>>,
    /// The regions the under layer was drawn with; it is redrawn when they change.
    regions: Vec<RegionShape>,
}

/// An offscreen canvas and what it was drawn for.
#[derive(Debug)]
struct Layer<K> {
    canvas: Option<HtmlCanvasElement>,
    drawn_for: Option<(Frame, K)>,
}

impl<K> Default for Layer<K> {
    fn default() -> Self {
        Layer {
            canvas: None,
            drawn_for: None,
        }
    }
}

/// The size and theme a layer was drawn at.
#[derive(Copy, Clone, Debug, PartialEq)]
struct Frame {
    width: f64,
    height: f64,
    pixel_ratio: f64,
    dark: bool,
}

impl<K: PartialEq + Clone> Layer<K> {
    /// Copies the layer onto `ctx`, first redrawing it with `draw` if `frame` or `key`
    /// changed; draws straight onto `ctx` if no offscreen canvas can be had.
    fn show(
        &mut self,
        ctx: &CanvasRenderingContext2d,
        frame: Frame,
        key: &K,
        draw: impl Fn(&CanvasRenderingContext2d),
    ) {
        let stale = self
            .drawn_for
            .as_ref()
            .is_none_or(|(drawn_frame, drawn_key)| *drawn_frame != frame || drawn_key != key);
        if self.canvas.is_none() {
            self.canvas = offscreen();
        }
        let Some(canvas) = &self.canvas else {
            let _ = ctx.set_transform(frame.pixel_ratio, 0.0, 0.0, frame.pixel_ratio, 0.0, 0.0);
            draw(ctx);
            return;
        };
        if stale {
            // Setting the size clears the canvas, even to the same size.
            canvas.set_width(((frame.width * frame.pixel_ratio) as u32).max(1));
            canvas.set_height(((frame.height * frame.pixel_ratio) as u32).max(1));
            if let Some(layer_ctx) = context_2d(canvas) {
                let ratio = frame.pixel_ratio;
                let _ = layer_ctx.set_transform(ratio, 0.0, 0.0, ratio, 0.0, 0.0);
                draw(&layer_ctx);
            }
            self.drawn_for = Some((frame, key.clone()));
        }
        let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
        let _ = ctx.draw_image_with_html_canvas_element(canvas, 0.0, 0.0);
    }
}

impl Painter {
    /// Draws the whole frame; `width` and `height` are CSS pixels, `pixel_ratio` the
    /// device's.
    pub fn paint(
        &mut self,
        ctx: &CanvasRenderingContext2d,
        scene: &Scene,
        (width, height, pixel_ratio): (f64, f64, f64),
        dark: bool,
    ) {
        let palette = if dark { &DARK } else { &LIGHT };
        let frame = Frame {
            width,
            height,
            pixel_ratio,
            dark,
        };
        if self.regions != scene.regions {
            self.regions = scene.regions.clone();
            self.under.drawn_for = None;
        }
        self.under.show(ctx, frame, &scene.links, |layer| {
            paint_links(layer, scene, width, height, palette);
        });
        let _ = ctx.set_transform(pixel_ratio, 0.0, 0.0, pixel_ratio, 0.0, 0.0);
        paint_dynamic(ctx, scene, palette);
        self.over.show(ctx, frame, &scene.nodes, |layer| {
            paint_nodes(layer, scene, palette);
        });
        let _ = ctx.set_transform(pixel_ratio, 0.0, 0.0, pixel_ratio, 0.0, 0.0);
        paint_gestures(ctx, scene, palette);
    }
}

/// A canvas of its own, not in the page, for a layer.
fn offscreen() -> Option<HtmlCanvasElement> {
    web_sys::window()?
        .document()?
        .create_element("canvas")
        .ok()?
        .dyn_into::<HtmlCanvasElement>()
        .ok()
}

/// The 2D context of a canvas.
pub fn context_2d(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|context| context.dyn_into::<CanvasRenderingContext2d>().ok())
}

/// The background and the links.
fn paint_links(
    ctx: &CanvasRenderingContext2d,
    scene: &Scene,
    width: f64,
    height: f64,
    palette: &Palette,
) {
    ctx.set_fill_style_str(palette.background);
    ctx.fill_rect(0.0, 0.0, width, height);
    paint_regions(ctx, &scene.regions, palette);

    // Links in two paths: live ones solid, cut ones (either direction) dashed.
    ctx.set_line_width(2.0);
    for (live, colour, dash) in [
        (true, palette.link, js_array(&[])),
        (false, palette.cut, js_array(&[6.0, 5.0])),
    ] {
        ctx.set_stroke_style_str(colour);
        let _ = ctx.set_line_dash(&dash);
        ctx.begin_path();
        for link in &scene.links {
            let fully_live = link.live[0] && (link.one_way || link.live[1]);
            if fully_live == live {
                ctx.move_to(link.a.x, link.a.y);
                ctx.line_to(link.b.x, link.b.y);
            }
        }
        ctx.stroke();
    }
    let _ = ctx.set_line_dash(&js_array(&[]));
}

/// A challenge's regions: tinted areas with their names at the top.
fn paint_regions(ctx: &CanvasRenderingContext2d, regions: &[RegionShape], palette: &Palette) {
    if regions.is_empty() {
        return;
    }
    ctx.set_text_align("center");
    ctx.set_font("600 13px system-ui, sans-serif");
    for region in regions {
        let (x, y) = (region.top_left.x, region.top_left.y);
        let (width, height) = (region.bottom_right.x - x, region.bottom_right.y - y);
        ctx.set_fill_style_str(palette.region);
        ctx.fill_rect(x, y, width, height);
        ctx.set_stroke_style_str(palette.link);
        ctx.set_line_width(1.0);
        let _ = ctx.set_line_dash(&js_array(&[4.0, 4.0]));
        ctx.stroke_rect(x, y, width, height);
        let _ = ctx.set_line_dash(&js_array(&[]));
        ctx.set_fill_style_str(palette.muted);
        let _ = ctx.fill_text(&region.name, x + width / 2.0, y + 18.0);
    }
}

/// The nodes, their fault marks and their labels.
fn paint_nodes(ctx: &CanvasRenderingContext2d, scene: &Scene, palette: &Palette) {
    ctx.set_text_align("center");
    for node in &scene.nodes {
        let fill = match (node.up, node.kind) {
            (false, _) => palette.down,
            (true, NodeKind::Replica) => palette.replica,
            (true, NodeKind::Client) => palette.client,
        };
        ctx.set_fill_style_str(fill);
        ctx.set_stroke_style_str(if node.up { palette.ink } else { palette.muted });
        ctx.set_line_width(2.0);
        ctx.begin_path();
        match node.kind {
            NodeKind::Replica => {
                let _ = ctx.arc(node.at.x, node.at.y, node.radius, 0.0, TAU);
            }
            NodeKind::Client => ctx.rect(
                node.at.x - node.half_width(),
                node.at.y - node.half_height(),
                node.half_width() * 2.0,
                node.half_height() * 2.0,
            ),
        }
        ctx.fill();
        ctx.stroke();
        if node.selected {
            ctx.set_stroke_style_str(palette.selection);
            ctx.set_line_width(3.0);
            ctx.begin_path();
            let _ = ctx.arc(node.at.x, node.at.y, node.radius + 7.0, 0.0, TAU);
            ctx.stroke();
        }
        if !node.up {
            // Shape as well as colour: a halted node is crossed out, and one stopped for
            // good is also ringed by an octagon, like a stop sign.
            ctx.set_stroke_style_str(palette.cut);
            ctx.set_line_width(3.0);
            cross(ctx, node.at.x, node.at.y, node.radius * 0.6);
            if node.condition.stopped_for_good {
                ctx.set_line_width(2.0);
                polygon(ctx, node.at, node.radius + 5.0, 8, 0.0, TAU / 16.0);
                ctx.stroke();
            }
        }
        condition_marks(ctx, node, palette);
    }
    // Text last, grouped by font, so the canvas switches fonts three times a frame
    // rather than three times a node. Zoomed out, names shrink with the nodes.
    let Some(first) = scene.nodes.first() else {
        return;
    };
    let name_px = (13.0 * first.scale()).max(8.0);
    ctx.set_fill_style_str(palette.ink);
    ctx.set_font(&format!("600 {name_px:.0}px system-ui, sans-serif"));
    for node in &scene.nodes {
        let _ = ctx.fill_text(&node.name, node.at.x, node.at.y + name_px * 0.35);
    }
    // Captions wait for room; results (what a client just got) are always shown.
    if first.has_room_for_labels() {
        ctx.set_fill_style_str(palette.muted);
        ctx.set_font("12px system-ui, sans-serif");
        for node in &scene.nodes {
            let _ = ctx.fill_text(&node.caption(), node.at.x, node.at.y + node.radius + 16.0);
        }
    }
    ctx.set_font("600 12px ui-monospace, monospace");
    for node in &scene.nodes {
        if let Some(result) = &node.result {
            // The client's latest result, under its box; marked by colour and by words
            // ("stale", "timed out"), never by colour alone.
            let (colour, mark) = match result.tone {
                Tone::Ok | Tone::Waiting => (palette.ink, ""),
                Tone::Stale => (palette.stale, " · stale"),
                Tone::Bad => (palette.cut, ""),
                Tone::Violation => (palette.cut, " · violation"),
            };
            ctx.set_fill_style_str(colour);
            let _ = ctx.fill_text(
                &format!("{}{mark}", result.text),
                node.at.x,
                node.at.y + node.radius + 31.0,
            );
        }
    }
}

/// What moves: messages in flight and drops.
fn paint_dynamic(ctx: &CanvasRenderingContext2d, scene: &Scene, palette: &Palette) {
    // Delayed copies trail a tail behind them, drawn first so the dots sit on top.
    ctx.set_line_width(3.0);
    ctx.set_line_cap("round");
    for dot in &scene.messages {
        if let Some(tail) = dot.tail {
            ctx.set_stroke_style_str(PALETTE[dot.colour_index]);
            ctx.set_global_alpha(0.45);
            ctx.begin_path();
            ctx.move_to(tail.x, tail.y);
            ctx.line_to(dot.at.x, dot.at.y);
            ctx.stroke();
        }
    }
    ctx.set_global_alpha(1.0);
    ctx.set_line_cap("butt");
    // One path per colour: thousands of dots cost a handful of fill calls. Past
    // `ROUND_DOTS_MAX` dots, each is a pixel-aligned square instead of a circle: a
    // software rasteriser fills squares several times faster than curves, which keeps
    // a crowded frame inside its budget, and at that density the shape is lost anyway.
    let round = scene.messages.len() <= ROUND_DOTS_MAX;
    // Dots shrink with the nodes when the view is zoomed out, down to half size.
    let dot = 5.0
        * scene
            .nodes
            .first()
            .map_or(1.0, |node| node.scale())
            .max(0.5);
    for (colour_index, colour) in PALETTE.iter().enumerate() {
        ctx.set_fill_style_str(colour);
        ctx.begin_path();
        for message in scene
            .messages
            .iter()
            .filter(|message| message.colour_index == colour_index)
        {
            let (x, y) = (message.at.x, message.at.y);
            if round {
                ctx.move_to(x + dot, y);
                let _ = ctx.arc(x, y, dot, 0.0, TAU);
            } else {
                let side = (dot * 1.6).round();
                ctx.rect(x.round() - side / 2.0, y.round() - side / 2.0, side, side);
            }
        }
        ctx.fill();
    }
    // Duplicate copies get a thin ring; the messages that served the operation picked in
    // the history view a bold one.
    let ring = |colour: &str, width: f64, radius: f64, marked: fn(&MessageDot) -> bool| {
        ctx.set_stroke_style_str(colour);
        ctx.set_line_width(width);
        ctx.begin_path();
        for dot in scene.messages.iter().filter(|dot| marked(dot)) {
            ctx.move_to(dot.at.x + radius, dot.at.y);
            let _ = ctx.arc(dot.at.x, dot.at.y, radius, 0.0, TAU);
        }
        ctx.stroke();
    };
    ring(palette.ink, 1.5, 8.0, |dot| dot.duplicate);
    ring(palette.highlight, 3.0, 11.0, |dot| dot.highlighted);

    for drop in &scene.drops {
        ctx.set_global_alpha(drop.opacity.clamp(0.0, 1.0));
        ctx.set_stroke_style_str(palette.cut);
        ctx.set_line_width(2.5);
        let size = if drop.reason == DropReason::Loss {
            6.0
        } else {
            9.0
        };
        cross(ctx, drop.at.x, drop.at.y, size);
        ctx.set_global_alpha(1.0);
    }
}

/// What the pointer is drawing: a lasso, or a link from a node.
fn paint_gestures(ctx: &CanvasRenderingContext2d, scene: &Scene, palette: &Palette) {
    if let Some(points) = scene.lasso.as_ref().filter(|points| points.len() > 1) {
        ctx.set_stroke_style_str(palette.cut);
        ctx.set_line_width(2.0);
        let _ = ctx.set_line_dash(&js_array(&[6.0, 4.0]));
        ctx.begin_path();
        ctx.move_to(points[0].x, points[0].y);
        for point in &points[1..] {
            ctx.line_to(point.x, point.y);
        }
        ctx.close_path();
        ctx.stroke();
        let _ = ctx.set_line_dash(&js_array(&[]));
    }
    if let Some((from, to)) = scene.rubber_band {
        ctx.set_stroke_style_str(palette.selection);
        ctx.set_line_width(2.5);
        let _ = ctx.set_line_dash(&js_array(&[4.0, 4.0]));
        ctx.begin_path();
        ctx.move_to(from.x, from.y);
        ctx.line_to(to.x, to.y);
        ctx.stroke();
        let _ = ctx.set_line_dash(&js_array(&[]));
    }
}

/// The marks of node faults in force, each a shape of its own (never colour alone): a
/// byzantine node is ringed by spikes, an omitting one by a dotted ring, a slow one
/// carries an hourglass and a skewed clock a clock face.
fn condition_marks(ctx: &CanvasRenderingContext2d, node: &NodeShape, palette: &Palette) {
    let condition = &node.condition;
    if !node.up {
        return;
    }
    let at = node.at;
    if condition.byzantine.is_some() {
        ctx.set_stroke_style_str(palette.cut);
        ctx.set_line_width(2.0);
        polygon(ctx, at, node.radius + 9.0, 24, node.radius + 2.0, 0.0);
        ctx.stroke();
    }
    if condition.omission {
        ctx.set_stroke_style_str(palette.stale);
        ctx.set_line_width(2.5);
        let _ = ctx.set_line_dash(&js_array(&[2.0, 5.0]));
        ctx.begin_path();
        let _ = ctx.arc(at.x, at.y, node.radius + 5.0, 0.0, TAU);
        ctx.stroke();
        let _ = ctx.set_line_dash(&js_array(&[]));
    }
    let badge = |ctx: &CanvasRenderingContext2d, centre: Point| {
        ctx.set_fill_style_str(palette.background);
        ctx.set_stroke_style_str(palette.stale);
        ctx.set_line_width(1.5);
        ctx.begin_path();
        let _ = ctx.arc(centre.x, centre.y, 8.0, 0.0, TAU);
        ctx.fill();
        ctx.stroke();
    };
    if condition.slow {
        // An hourglass: two triangles meeting at the badge's centre.
        let centre = Point {
            x: at.x + node.radius * 0.8,
            y: at.y - node.radius * 0.8,
        };
        badge(ctx, centre);
        ctx.set_fill_style_str(palette.stale);
        ctx.begin_path();
        ctx.move_to(centre.x - 4.0, centre.y - 5.0);
        ctx.line_to(centre.x + 4.0, centre.y - 5.0);
        ctx.line_to(centre.x - 4.0, centre.y + 5.0);
        ctx.line_to(centre.x + 4.0, centre.y + 5.0);
        ctx.close_path();
        ctx.fill();
    }
    if condition.clock_skewed {
        // A clock face with two hands.
        let centre = Point {
            x: at.x - node.radius * 0.8,
            y: at.y - node.radius * 0.8,
        };
        badge(ctx, centre);
        ctx.set_stroke_style_str(palette.stale);
        ctx.set_line_width(1.5);
        ctx.begin_path();
        ctx.move_to(centre.x, centre.y);
        ctx.line_to(centre.x, centre.y - 5.5);
        ctx.move_to(centre.x, centre.y);
        ctx.line_to(centre.x + 4.0, centre.y + 1.5);
        ctx.stroke();
    }
}

/// A closed path around `centre`: `corners` points at `radius`, alternating with points
/// at `inner` (a star) when `inner` is above zero, rotated by `turn` radians.
fn polygon(
    ctx: &CanvasRenderingContext2d,
    centre: Point,
    radius: f64,
    corners: usize,
    inner: f64,
    turn: f64,
) {
    ctx.begin_path();
    let points = if inner > 0.0 { corners * 2 } else { corners };
    for index in 0..points {
        let angle = turn + TAU * index as f64 / points as f64;
        let distance = if inner > 0.0 && index % 2 == 1 {
            inner
        } else {
            radius
        };
        let (x, y) = (
            centre.x + distance * angle.cos(),
            centre.y + distance * angle.sin(),
        );
        if index == 0 {
            ctx.move_to(x, y);
        } else {
            ctx.line_to(x, y);
        }
    }
    ctx.close_path();
}

fn cross(ctx: &CanvasRenderingContext2d, x: f64, y: f64, size: f64) {
    ctx.begin_path();
    ctx.move_to(x - size, y - size);
    ctx.line_to(x + size, y + size);
    ctx.move_to(x + size, y - size);
    ctx.line_to(x - size, y + size);
    ctx.stroke();
}

fn js_array(values: &[f64]) -> wasm_bindgen::JsValue {
    let array = js_sys::Array::new();
    for &value in values {
        array.push(&wasm_bindgen::JsValue::from_f64(value));
    }
    array.into()
}
