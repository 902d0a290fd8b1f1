//! Long jobs in a Web Worker: start one, hear its progress and its answer, cancel it.
//!
//! Each job gets a fresh worker (`dsplay-worker`, built by Trunk beside the page), which
//! keeps Cancel simple and certain: the worker is terminated mid-job, and dropping the
//! handle does the same. The job waits until the worker says it is ready, since a message
//! posted before its module has started would be lost.

use dsplay_worker::{Job, Reply};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Event, MessageEvent, Worker};

/// The worker's loader, relative to the page so the site works from any sub-path.
const WORKER_URL: &str = "./dsplay-worker_loader.js";

/// A job running in its worker; dropping it stops the job.
pub struct Background {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

impl std::fmt::Debug for Background {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Background")
    }
}

impl Background {
    /// Starts `job` in a new worker; `on_reply` hears every progress report and the answer.
    pub fn start(job: &Job, on_reply: impl Fn(Reply) + 'static) -> Result<Background, String> {
        let text = serde_json::to_string(job).expect("a job serializes");
        let worker = Worker::new(WORKER_URL)
            .map_err(|_| "The browser would not start a background worker.".to_string())?;
        let on_reply = std::rc::Rc::new(on_reply);
        let posting = worker.clone();
        let hear = on_reply.clone();
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
                    let _ = posting.post_message(&JsValue::from_str(&text));
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
            _on_message: on_message,
            _on_error: on_error,
        })
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}
