//! The requestAnimationFrame loop: one callback per frame, cancelled when dropped.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

type FrameCallback = Closure<dyn FnMut(f64)>;

/// A running frame loop. Dropping it cancels the pending frame and frees the callback.
pub struct AnimationLoop {
    request_id: Rc<Cell<i32>>,
    callback: Rc<RefCell<Option<FrameCallback>>>,
}

impl std::fmt::Debug for AnimationLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnimationLoop")
            .field("request_id", &self.request_id.get())
            .finish()
    }
}

impl AnimationLoop {
    /// Calls `on_frame` with the milliseconds since the previous frame, every frame.
    pub fn start(mut on_frame: impl FnMut(f64) + 'static) -> AnimationLoop {
        let request_id = Rc::new(Cell::new(0));
        let callback: Rc<RefCell<Option<FrameCallback>>> = Rc::new(RefCell::new(None));
        let previous = Cell::new(None::<f64>);
        let next = Rc::clone(&callback);
        let id = Rc::clone(&request_id);
        *callback.borrow_mut() = Some(Closure::new(move |timestamp_ms: f64| {
            let elapsed_ms = previous.get().map_or(0.0, |before| timestamp_ms - before);
            previous.set(Some(timestamp_ms));
            on_frame(elapsed_ms);
            if let Some(callback) = next.borrow().as_ref() {
                id.set(request_frame(callback));
            }
        }));
        if let Some(first) = callback.borrow().as_ref() {
            request_id.set(request_frame(first));
        }
        AnimationLoop {
            request_id,
            callback,
        }
    }
}

fn request_frame(callback: &FrameCallback) -> i32 {
    web_sys::window()
        .and_then(|window| {
            window
                .request_animation_frame(callback.as_ref().unchecked_ref())
                .ok()
        })
        .unwrap_or(0)
}

impl Drop for AnimationLoop {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            let _ = window.cancel_animation_frame(self.request_id.get());
        }
        // Breaks the closure's reference to itself, so it is freed.
        self.callback.borrow_mut().take();
    }
}
