//! Frame timing, measured inside the page: how long each animation frame's work took
//! (advancing the run plus drawing it) and how many messages it drew, so that
//! `cargo xtask bench` can read the figures from a real browser.
//!
//! The recent samples are published on `window.dsplayFrames` about twice a second as
//! `{ work_ms: Float64Array, in_flight: Float64Array, first_frame_ms }`; the first frame
//! that drew any node is stamped with `performance.now()` (milliseconds since navigation).

use wasm_bindgen::JsValue;

/// How many recent frames are kept.
const KEPT: usize = 4_096;
/// Frames between two publications.
const PUBLISH_EVERY: usize = 30;

/// Recent frames' work and message counts, oldest first once full.
#[derive(Debug, Default)]
pub struct FrameLog {
    work_ms: Vec<f64>,
    in_flight: Vec<f64>,
    /// Where the next sample goes once the log is full.
    next: usize,
    since_publish: usize,
    first_frame_ms: Option<f64>,
}

impl FrameLog {
    /// Records one frame; publishes every [`PUBLISH_EVERY`] frames.
    pub fn record(
        &mut self,
        started_ms: f64,
        finished_ms: f64,
        drawn_nodes: usize,
        in_flight: usize,
    ) {
        if self.first_frame_ms.is_none() && drawn_nodes > 0 {
            self.first_frame_ms = Some(finished_ms);
        }
        let work = finished_ms - started_ms;
        if self.work_ms.len() < KEPT {
            self.work_ms.push(work);
            self.in_flight.push(in_flight as f64);
        } else {
            self.work_ms[self.next] = work;
            self.in_flight[self.next] = in_flight as f64;
            self.next = (self.next + 1) % KEPT;
        }
        self.since_publish += 1;
        if self.since_publish >= PUBLISH_EVERY {
            self.since_publish = 0;
            self.publish();
        }
    }

    fn in_order(samples: &[f64], next: usize) -> Vec<f64> {
        samples[next..]
            .iter()
            .chain(&samples[..next])
            .copied()
            .collect()
    }

    fn publish(&self) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let report = js_sys::Object::new();
        let work = js_sys::Float64Array::from(&Self::in_order(&self.work_ms, self.next)[..]);
        let in_flight = js_sys::Float64Array::from(&Self::in_order(&self.in_flight, self.next)[..]);
        let first = self.first_frame_ms.map_or(JsValue::NULL, JsValue::from_f64);
        let _ = js_sys::Reflect::set(&report, &"work_ms".into(), &work);
        let _ = js_sys::Reflect::set(&report, &"in_flight".into(), &in_flight);
        let _ = js_sys::Reflect::set(&report, &"first_frame_ms".into(), &first);
        let _ = js_sys::Reflect::set(&window, &"dsplayFrames".into(), &report);
    }
}

/// Milliseconds since navigation, with the browser's precision.
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|window| window.performance())
        .map_or(0.0, |performance| performance.now())
}
