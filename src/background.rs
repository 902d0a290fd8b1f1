//! Long jobs in a Web Worker: start one, hear its progress and its answer, cancel it.
//!
//! A search or comparison gets a fresh worker (`dsplay-worker`, built by Trunk beside the
//! page), which keeps Cancel simple and certain: the worker is terminated mid-job, and
//! dropping the handle does the same. The live verdict keeps one worker and sends it a
//! job at a time ([`Background::send`]). Jobs wait until the worker says it is ready,
//! since a message posted before its module has started would be lost.

use dsplay_worker::{Job, Reply};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Event, MessageEvent, Worker};

/// The worker's loader, relative to the page so the site works from any sub-path.
const WORKER_URL: &str = "./dsplay-worker_loader.js";

/// A job running in its worker; dropping it stops the job.
pub struct Background {
    worker: Worker,
    /// Whether the worker has said it is ready.
    ready: Rc<Cell<bool>>,
    /// The job to post once it is.
    waiting: Rc<RefCell<Option<String>>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

impl std::fmt::Debug for Background {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Background")
    }
}

impl Background {
    /// Starts `job` in a new worker; `on_reply` hears every progress report and answer.
    pub fn start(job: &Job, on_reply: impl Fn(Reply) + 'static) -> Result<Background, String> {
        let background = Background::new(on_reply)?;
        background.send(job);
        Ok(background)
    }

    /// A worker waiting for jobs; `on_reply` hears every progress report and answer.
    pub fn new(on_reply: impl Fn(Reply) + 'static) -> Result<Background, String> {
        let worker = Worker::new(WORKER_URL)
            .map_err(|_| "The browser would not start a background worker.".to_string())?;
        let (ready, waiting) = (
            Rc::new(Cell::new(false)),
            Rc::new(RefCell::new(None::<String>)),
        );
        let on_reply = Rc::new(on_reply);
        let (posting, now_ready, queued, hear) = (
            worker.clone(),
            ready.clone(),
            waiting.clone(),
            on_reply.clone(),
        );
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let reply = event
                .data()
                .as_string()
                .and_then(|text| serde_json::from_str::<Reply>(&text).ok())
                .unwrap_or_else(|| Reply::Failed {
                    message: "The background worker answered something unreadable.".into(),
                });
            match reply {
                Reply::Ready => {
                    now_ready.set(true);
                    if let Some(text) = queued.borrow_mut().take() {
                        let _ = posting.post_message(&JsValue::from_str(&text));
                    }
                }
                reply => hear(reply),
            }
        });
        let on_error = Closure::<dyn FnMut(Event)>::new(move |_event: Event| {
            on_reply(Reply::Failed {
                message: "The background worker failed to load or stopped with an error.".into(),
            });
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Background {
            worker,
            ready,
            waiting,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// Gives the worker `job`: at once if it is ready, else as soon as it is (a job sent
    /// before then replaces an earlier one still waiting).
    pub fn send(&self, job: &Job) {
        let text = serde_json::to_string(job).expect("a job serializes");
        if self.ready.get() {
            let _ = self.worker.post_message(&JsValue::from_str(&text));
        } else {
            *self.waiting.borrow_mut() = Some(text);
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}
