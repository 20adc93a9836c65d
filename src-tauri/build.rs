// Tauri reads tauri.conf.json and embeds the built screens (ui/dist).
fn main() {
    tauri_build::build()
}
