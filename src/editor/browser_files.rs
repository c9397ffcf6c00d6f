//! The browser's files: Open is an upload, Save a download, the autosave lives in
//! localStorage, and the page's address can carry a share link.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::inbox::{FileEvent, Inbox};

const AUTOSAVE_KEY: &str = "blastradius.autosave";

fn window() -> Result<web_sys::Window, String> {
    web_sys::window().ok_or_else(|| "no browser window".to_string())
}

fn js_error(e: JsValue) -> String {
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// Asks for a file to upload; its text arrives in `inbox`.
pub fn pick_open(inbox: Inbox) {
    if let Err(e) = upload(inbox.clone()) {
        inbox.push(FileEvent::Failed(format!(
            "cannot open the file picker: {e}"
        )));
    }
}

fn upload(inbox: Inbox) -> Result<(), String> {
    let document = window()?.document().ok_or("no document")?;
    let input: web_sys::HtmlInputElement = document
        .create_element("input")
        .map_err(js_error)?
        .dyn_into()
        .map_err(|_| "not an input element")?;
    input.set_type("file");
    input.set_accept(".ron,text/plain");
    let picked = input.clone();
    let on_change = Closure::<dyn FnMut()>::new(move || {
        let Some(file) = picked.files().and_then(|f| f.get(0)) else {
            return;
        };
        let inbox = inbox.clone();
        let name = file.name();
        wasm_bindgen_futures::spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
            inbox.push(match text.map(|t| t.as_string()) {
                Ok(Some(text)) => FileEvent::Opened { name, text },
                Ok(None) => FileEvent::Failed(format!("{name} is not text")),
                Err(e) => FileEvent::Failed(format!("cannot read {name}: {}", js_error(e))),
            });
        });
    });
    input.set_onchange(Some(on_change.as_ref().unchecked_ref()));
    on_change.forget();
    input.click();
    Ok(())
}

/// Downloads `text` as `name` (the browser's Save).
pub fn pick_save(inbox: Inbox, name: String, text: String) {
    inbox.push(match write_file(&name, &text) {
        Ok(()) => FileEvent::Saved(name),
        Err(e) => FileEvent::Failed(e),
    });
}

/// Downloads `text` as a file called `name`.
pub fn write_file(name: &str, text: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/plain");
    let blob =
        web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(js_error)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(js_error)?;
    let document = window()?.document().ok_or("no document")?;
    let link: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(js_error)?
        .dyn_into()
        .map_err(|_| "not an anchor element")?;
    link.set_href(&url);
    link.set_download(name.rsplit('/').next().unwrap_or(name));
    link.click();
    web_sys::Url::revoke_object_url(&url).map_err(js_error)?;
    Ok(())
}

fn storage() -> Result<web_sys::Storage, String> {
    window()?
        .local_storage()
        .map_err(js_error)?
        .ok_or_else(|| "localStorage is not available".to_string())
}

/// The autosave's text and where it is.
pub fn read_autosave() -> Option<(String, String)> {
    let text = storage().ok()?.get_item(AUTOSAVE_KEY).ok()??;
    Some((text, "this browser's storage".into()))
}

/// Replaces the autosave.
pub fn write_autosave(text: &str) -> Result<(), String> {
    storage()?.set_item(AUTOSAVE_KEY, text).map_err(js_error)
}
