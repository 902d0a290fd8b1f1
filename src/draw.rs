//! Paints a [`Scene`] on a 2D canvas. No decisions here, only canvas calls.

use crate::player::Tone;
use crate::scene::{client_half_width, Scene, NODE_RADIUS};
use dsplay_sim::trace::DropReason;
use dsplay_sim::NodeKind;
use std::f64::consts::TAU;
use web_sys::CanvasRenderingContext2d;

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
};

/// Draws the whole frame; `width` and `height` are CSS pixels, `pixel_ratio` the device's.
pub fn paint(
    ctx: &CanvasRenderingContext2d,
    scene: &Scene,
    width: f64,
    height: f64,
    pixel_ratio: f64,
    palette: &Palette,
) {
    let _ = ctx.set_transform(pixel_ratio, 0.0, 0.0, pixel_ratio, 0.0, 0.0);
    ctx.set_fill_style_str(palette.background);
    ctx.fill_rect(0.0, 0.0, width, height);

    ctx.set_line_width(2.0);
    for link in &scene.links {
        let fully_live = link.live[0] && (link.one_way || link.live[1]);
        ctx.set_stroke_style_str(if fully_live {
            palette.link
        } else {
            palette.cut
        });
        let dash = if fully_live {
            js_array(&[])
        } else {
            js_array(&[6.0, 5.0])
        };
        let _ = ctx.set_line_dash(&dash);
        ctx.begin_path();
        ctx.move_to(link.a.x, link.a.y);
        ctx.line_to(link.b.x, link.b.y);
        ctx.stroke();
    }
    let _ = ctx.set_line_dash(&js_array(&[]));
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

    for dot in &scene.messages {
        ctx.set_fill_style_str(dot.colour);
        ctx.begin_path();
        let _ = ctx.arc(dot.at.x, dot.at.y, 5.0, 0.0, TAU);
        ctx.fill();
        if dot.duplicate {
            ctx.set_stroke_style_str(palette.ink);
            ctx.set_line_width(1.5);
            ctx.begin_path();
            let _ = ctx.arc(dot.at.x, dot.at.y, 8.0, 0.0, TAU);
            ctx.stroke();
        }
    }

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
                let _ = ctx.arc(node.at.x, node.at.y, NODE_RADIUS, 0.0, TAU);
            }
            NodeKind::Client => {
                let half_width = client_half_width(&node.name);
                ctx.rect(
                    node.at.x - half_width,
                    node.at.y - NODE_RADIUS * 0.8,
                    half_width * 2.0,
                    NODE_RADIUS * 1.6,
                )
            }
        }
        ctx.fill();
        ctx.stroke();
        if node.selected {
            ctx.set_stroke_style_str(palette.selection);
            ctx.set_line_width(3.0);
            ctx.begin_path();
            let _ = ctx.arc(node.at.x, node.at.y, NODE_RADIUS + 7.0, 0.0, TAU);
            ctx.stroke();
        }
        if !node.up {
            // Shape as well as colour: a halted node is crossed out.
            ctx.set_stroke_style_str(palette.cut);
            ctx.set_line_width(3.0);
            cross(ctx, node.at.x, node.at.y, NODE_RADIUS * 0.6);
        }
        ctx.set_fill_style_str(palette.ink);
        ctx.set_font("600 13px system-ui, sans-serif");
        let _ = ctx.fill_text(&node.name, node.at.x, node.at.y + 4.5);
        ctx.set_fill_style_str(palette.muted);
        ctx.set_font("12px system-ui, sans-serif");
        let caption = if node.up { node.role } else { "down" };
        let _ = ctx.fill_text(caption, node.at.x, node.at.y + NODE_RADIUS + 16.0);
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
            ctx.set_font("600 12px ui-monospace, monospace");
            let _ = ctx.fill_text(
                &format!("{}{mark}", result.text),
                node.at.x,
                node.at.y + NODE_RADIUS + 16.0,
            );
        }
    }
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
