//! Shows a readable error panel when the app panics, instead of a blank or frozen page.

use wasm_bindgen::JsCast;

/// Installs the panic hook. Yew keeps a hook set this way instead of its own.
pub fn install_hook() {
    yew::set_custom_panic_hook(Box::new(|info| {
        let message = info.to_string();
        web_sys::console::error_1(&format!("dsplay panicked: {message}").into());
        show_panel(&message);
    }));
}

/// Replaces the page with an explanation and a reload button, using plain DOM calls:
/// after a panic, Yew itself may be unusable.
fn show_panel(message: &str) {
    let Some(document) = web_sys::window().and_then(|window| window.document()) else {
        return;
    };
    let Some(body) = document.body() else { return };
    let Ok(panel) = document.create_element("div") else {
        return;
    };
    panel.set_id("error-panel");
    panel.set_class_name("error-panel");
    let _ = panel.set_attribute("role", "alert");
    let parts = [
        ("h1", "Something went wrong in dsplay"),
        ("p", "The simulation stopped because of an internal error. Reloading the page starts it again."),
        ("pre", message),
    ];
    for (tag, text) in parts {
        if let Ok(element) = document.create_element(tag) {
            element.set_text_content(Some(text));
            let _ = panel.append_child(&element);
        }
    }
    if let Ok(button) = document.create_element("button") {
        button.set_text_content(Some("Reload"));
        let _ = button.set_attribute("onclick", "location.reload()");
        let _ = panel.append_child(&button);
    }
    if let Some(app) = document
        .get_element_by_id("app")
        .and_then(|app| app.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = app.style().set_property("display", "none");
    }
    let _ = body.append_child(&panel);
}
