//! The Web Worker's entry point: it takes one [`Job`] as JSON text, posts
//! [`Reply::Progress`] now and then and one answer, all as JSON text.
//!
//! It says [`Reply::Ready`] once loaded, since a message posted before the module has
//! started would be lost. Cancelling is the page terminating the worker, so the job loop
//! never has to look at its inbox. Natively this binary does nothing: the jobs are tested
//! through the library.

#[cfg(target_arch = "wasm32")]
mod glue {
    use dsplay_worker::{run, Job, Reply};
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    /// Wall-clock milliseconds between two progress messages.
    const PROGRESS_EVERY_MS: f64 = 100.0;

    fn post(scope: &DedicatedWorkerGlobalScope, reply: &Reply) {
        let text = serde_json::to_string(reply).expect("a reply serializes");
        let _ = scope.post_message(&JsValue::from_str(&text));
    }

    pub fn start() {
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let answering = scope.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let reply = match event
                .data()
                .as_string()
                .map(|text| serde_json::from_str::<Job>(&text))
            {
                Some(Ok(job)) => {
                    let mut last_ms = f64::NEG_INFINITY;
                    run(&job, &mut |done, total| {
                        let now_ms = js_sys::Date::now();
                        if now_ms - last_ms >= PROGRESS_EVERY_MS {
                            last_ms = now_ms;
                            post(&answering, &Reply::Progress { done, total });
                        }
                        true
                    })
                }
                Some(Err(err)) => Reply::Failed {
                    message: format!("The worker did not understand the job: {err}"),
                },
                None => Reply::Failed {
                    message: "The worker takes jobs as text.".into(),
                },
            };
            post(&answering, &reply);
        });
        scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // The handler lives as long as the worker.
        on_message.forget();
        post(&scope, &Reply::Ready);
    }
}

fn main() {
    #[cfg(target_arch = "wasm32")]
    glue::start();
}
