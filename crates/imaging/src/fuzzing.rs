//! What the fuzz target and the no-panic test run on any input: open,
//! describe, list tags, decode and render the first frames. Nothing here
//! may panic, whatever the bytes.

use crate::{Image, Preset, Window};

pub fn exercise(data: &[u8]) {
    let Ok(image) = Image::from_bytes(data) else {
        return;
    };
    let info = image.info();
    let _ = image.tags();
    // A mutated Rows or Columns can announce a frame of hundreds of MB that
    // a codec then fills; decoding it takes the same paths as a small one,
    // only slower, so large frames stop here.
    let samples = info.rows as usize * info.columns as usize * usize::from(info.samples_per_pixel);
    if samples > 1 << 18 {
        return;
    }
    // A few frames and one past the end; enough to reach every code path.
    for frame in (0..image.frames().min(2)).chain([image.frames()]) {
        let _ = image.stored_frame(frame);
        let _ = image.modality_frame(frame);
        let _ = image.render_rgba(frame, Window::from_file_default());
        let _ = image.render_rgba(frame, Window::preset(Preset::Lung));
    }
}
