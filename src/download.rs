//! Saving text the page made (an SVG diagram, a history) as a file the browser downloads.
//!
//! The text becomes a Blob behind an object URL that a temporary link points at; the link
//! is clicked and the URL released at once, so nothing stays in the document.

use wasm_bindgen::JsCast;

/// Offers `text` as a download named `file_name` with the media type `mime`; returns a
/// sentence when the browser refuses.
pub fn save_text(file_name: &str, mime: &str, text: &str) -> Result<(), String> {
    let refused = |what: &str| format!("The browser would not save {file_name}: {what}.");
    let document = web_sys::window()
        .and_then(|window| window.document())
        .ok_or_else(|| refused("there is no document"))?;
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|_| refused("it cannot make a file"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|_| refused("it cannot make a link to the file"))?;
    let link = document
        .create_element("a")
        .ok()
        .and_then(|element| element.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        .ok_or_else(|| refused("it cannot make a link"))?;
    link.set_href(&url);
    link.set_download(file_name);
    link.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}
